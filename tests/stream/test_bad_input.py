"""Every bad input: exit code 2, one line on stderr, no traceback, nothing at the output path."""

import os
import re
import signal
import time

import av
import numpy as np
import pytest

from tests.media import dark_frames, make_clip, read_video, sound_file
from tests.stopping import stop_after


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("bad") / "ok.mp4", frames=6)


def assert_refused(result, out, pattern):
    assert result.returncode == 2, result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    assert result.stderr.startswith("enlight-video: error: ")
    assert "Traceback" not in result.stderr
    assert re.search(pattern, result.stderr), result.stderr
    if out is not None:
        assert not out.exists()
        assert not list(out.parent.glob(f".{out.stem}*")), "temporary file left behind"


def test_missing_input(tmp_path, weights, cli):
    out = tmp_path / "o.mp4"
    assert_refused(cli(tmp_path / "absent.mp4", "-o", out, "--weights", weights), out, "input not found")


def test_not_media(tmp_path, weights, cli):
    junk = tmp_path / "notes.mp4"
    junk.write_text("these are not frames\n" * 50)
    out = tmp_path / "o.mp4"
    assert_refused(cli(junk, "-o", out, "--weights", weights), out, "not a media file")


def test_truncated_mp4_without_its_index(tmp_path, weights, cli):
    """Cut before its moov atom (written last), an MP4 cannot be read at all. One cut after a moov
    written first keeps the frames before the cut: tests/stream/test_damaged.py."""
    whole = make_clip(tmp_path / "whole.mp4", frames=30)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "o.mp4"
    assert_refused(cli(cut, "-o", out, "--weights", weights), out, "truncated")


def test_no_video_stream(tmp_path, weights, cli):
    audio_only = sound_file(tmp_path / "voice.m4a")
    out = tmp_path / "o.mp4"
    assert_refused(cli(audio_only, "-o", out, "--weights", weights), out, "no video stream")


def test_a_song_with_album_art_has_no_video_and_no_estimate(tmp_path, weights, cli):
    """An audio-only .mp4 with its cover picture (a one-frame video stream flagged as attached): refused as having
    no video, and --quality auto does not first estimate a run over the picture (an .mp3's: 'about 4 min for
    270000 frames')."""
    song = tmp_path / "song.mp4"
    with av.open(str(song), "w") as c:
        sound = c.add_stream("aac", rate=48000, layout="mono")
        cover = c.add_stream("mjpeg", rate=1)
        cover.width, cover.height, cover.pix_fmt = 64, 64, "yuvj420p"
        cover.disposition = av.stream.Disposition.attached_pic
        for i in range(10):
            f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            f.sample_rate, f.pts = 48000, i * 1024
            c.mux(sound.encode(f))
        c.mux(sound.encode(None))
        picture = av.VideoFrame.from_ndarray(np.full((64, 64, 3), 90, np.uint8), format="rgb24")
        c.mux(cover.encode(picture.reformat(format="yuvj420p")))
        c.mux(cover.encode(None))
    out = tmp_path / "o.mp4"
    result = cli(song, "-o", out)  # the bundled weights: --quality auto estimates for them
    assert_refused(result, out, "no video stream")
    assert "frames at" not in result.stderr


def test_missing_output_folder(tmp_path, clip, weights, cli):
    out = tmp_path / "nowhere" / "o.mp4"
    assert_refused(cli(clip, "-o", out, "--weights", weights), out, "output folder does not exist")


def test_output_folder_is_a_file(tmp_path, clip, weights, cli):
    (tmp_path / "file").write_text("x")
    assert_refused(cli(clip, "-o", tmp_path / "file" / "o.mp4", "--weights", weights), None, "not a folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_unwritable_output_folder(tmp_path, clip, weights, cli):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        out = locked / "o.mp4"
        assert_refused(cli(clip, "-o", out, "--weights", weights), out, "cannot write to output folder")
    finally:
        locked.chmod(0o700)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_output_folder_that_refuses_files(clip, weights, cli):
    """/proc takes no new files, even from root: the write probe must catch it up front."""
    out = os.path.join("/proc", "enlight-test-output.mp4")
    assert_refused(cli(clip, "-o", out, "--weights", weights), None, "cannot write to output folder")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_a_folder_or_archive_output_where_no_file_can_be_made_is_one_line(tmp_path, clip, weights, cli):
    """A folder or an archive into a folder that takes no file (a read-only disk, an immutable folder; /proc here,
    which refuses root too) was an internal error (exit 1) from making the folder or its manifest, or for an archive
    'unpacking a.zip needs 0.0 GB; 0.0 GB is free', after the names were checked. Now the write probe a file
    output gets refuses it up front."""
    import zipfile

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(clip.read_bytes())
    with zipfile.ZipFile(tmp_path / "in.zip", "w") as packed:
        packed.write(clip, "a.mp4")
    for source, out in ((folder, "/proc/enlight-test-out"), (folder, "/proc"), (tmp_path / "in.zip", "/proc/t.zip"),
                        (tmp_path / "in.zip", "/proc/enlight-test-out")):
        assert_refused(cli(source, "-o", out, "--weights", weights), None, "cannot write to output folder /proc")


def test_an_output_name_near_the_longest_a_disk_takes_is_written(tmp_path, clip, weights, cli):
    """A 250-byte output name (a title kept as a file name) is legal, but its temporary '.NAME.enlight-1a2b3c4d.mp4'
    (18 bytes more) was not: 'cannot write to output folder ...: File name too long'. What is made from the
    output's name (the temporary, what Ctrl-C keeps, a segmented run's folder) now fits in 255 bytes, and the
    next run still finds a killed run's temporary."""
    from enlight.stream.apps.manifest import remove_temporaries, segment_folder
    from enlight.stream.io.sink import partial_path
    from enlight.stream.io.temporary import temporary_path

    for stem in ("n" * 246, "ü" * 123):  # 250 bytes with '.mp4', in ASCII and in two-byte characters
        out = tmp_path / f"{stem}.mp4"
        result = cli(clip, "-o", out, "--weights", weights, "-q")
        assert result.returncode == 0 and out.is_file(), result.stderr
        for made in (temporary_path(out), partial_path(out), segment_folder(out)):
            assert len(os.fsencode(made.name)) <= 255 and made.suffix == ".mp4", made.name
        temporary_path(out).touch()
        assert remove_temporaries([out]) == 1


def test_output_equals_input(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "same.mp4", frames=3)
    before = clip.read_bytes()
    result = cli(clip, "-o", clip, "--weights", weights, "--force")
    assert_refused(result, None, "is the input file")
    assert clip.read_bytes() == before


def test_output_exists_without_force(tmp_path, clip, weights, cli):
    out = tmp_path / "o.mp4"
    out.write_bytes(b"precious")
    result = cli(clip, "-o", out, "--weights", weights)
    assert result.returncode == 2 and len(result.stderr_lines) == 1 and "--force" in result.stderr
    assert out.read_bytes() == b"precious"
    assert cli(clip, "-o", out, "--weights", weights, "--force", "-q").returncode == 0
    assert len(read_video(out)["times"]) == 6


def test_corrupt_weights(tmp_path, clip, cli):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(os.urandom(256))
    out = tmp_path / "o.mp4"
    assert_refused(cli(clip, "-o", out, "--weights", bad), out, "not a readable safetensors")


def test_an_onnx_model_as_weights_says_what_to_give(tmp_path, clip, cli):
    """An .onnx model that neither `enlight-video export` nor `enlight-train quantize` wrote, given to --weights, is
    refused in one line that says what --weights takes (it was read as safetensors: 'not a readable safetensors
    file (Error while deserializing header: header too large)'; the .onnx files of export and quantize run:
    tests/stream/test_exported_onnx_weights.py, tests/train/test_own_int8_model.py)."""
    import onnx
    from onnx import TensorProto, helper

    value = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [value],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    model = tmp_path / "mine_int8.onnx"
    onnx.save(helper.make_model(graph), str(model))
    out = tmp_path / "o.mp4"
    assert_refused(cli(clip, "-o", out, "--weights", model), out, r"mine_int8.onnx is an ONNX model that records "
                   r"neither how it runs .* nor the weights it was made from")


def test_mismatched_weights(tmp_path, clip, cli):
    import torch

    pth = tmp_path / "other_net.pth"
    torch.save({"module.features.0.weight": torch.zeros(3, 3)}, pth)
    out = tmp_path / "o.mp4"
    assert_refused(cli(clip, "-o", out, "--weights", pth), out, "not an EnlightenGAN generator")


def test_missing_default_weights_is_a_clear_error(tmp_path, clip, monkeypatch, capsys):
    """A build without bundled weights (or with them deleted) says so in one line."""
    from enlight.cli.video import main
    from enlight.models import bundled

    monkeypatch.setattr(bundled, "DEFAULT_WEIGHTS", tmp_path / "absent.safetensors")
    out = tmp_path / "o.mp4"
    assert main([str(clip), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no default weights" in err and not out.exists()


@pytest.mark.parametrize(
    "args, pattern",
    [(["--codec", "nosuchcodec"], "unknown encoder"), (["--batch-size", "0"], "at least 1"),
     (["--smoothing", "2"], "0..0.95"), (["--device", "tpu"], "device"), (["--codec", "mpeg4", "--crf", "20"], "crf"),
     (["--pix-fmt", "nosuchfmt"], "pixel format")],
)
def test_bad_options(tmp_path, clip, weights, cli, args, pattern):
    out = tmp_path / "o.mp4"
    assert_refused(cli(clip, "-o", out, "--weights", weights, *args), out, pattern)


def test_unknown_container(tmp_path, clip, weights, cli):
    out = tmp_path / "o.notacontainer"
    assert_refused(cli(clip, "-o", out, "--weights", weights), out, "container")


@pytest.mark.parametrize("stop, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_keeps_a_playable_partial_file(tmp_path, weights, stop, code):
    """Ctrl-C, and SIGTERM as `kill`, `timeout` and `docker stop` send it (it killed the run outright, leaving its
    hidden temporary file and keeping nothing), keep the frames done as a playable NAME.partial.EXT."""
    # long enough that the run is still going when the signal lands, even on a loaded machine
    clip = make_clip(tmp_path / "long.mp4", width=160, height=96, frames=1500, audio=True)
    out = tmp_path / "o.mp4"
    code_seen, text = stop_after([clip, "-o", out, "--weights", weights, "--batch-size", "2"], frames=40, total=1500,
                                 stop=stop)
    assert code_seen == code
    assert "Traceback" not in text and "interrupted" in text and "o.partial.mp4" in text
    assert not out.exists()
    partial = tmp_path / "o.partial.mp4"
    info = read_video(partial)
    assert 40 <= len(info["times"]) < 1500
    assert info["times"] == sorted(info["times"])
    assert not list(tmp_path.glob(".o.*")), "temporary file left behind"


def test_sighup_ends_a_command_as_ctrl_c_does_and_the_handlers_are_put_back(capsys):
    """A closed terminal (SIGHUP) stops a run as Ctrl-C does, exit 129; an ignored SIGHUP (nohup) stays ignored."""
    from enlight.cli.common import run_command

    def hung_up():
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(1)  # the signal lands here, as a KeyboardInterrupt
        return 0

    previous = signal.signal(signal.SIGHUP, signal.SIG_DFL)  # as in a terminal, even when the tests run under nohup
    try:
        assert run_command("enlight-video", hung_up) == 129
        assert capsys.readouterr().err.strip() == "enlight-video: interrupted"
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        assert run_command("enlight-video", hung_up) == 0  # under nohup: ignored, the run goes on
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_the_whole_output_replaces_the_part_an_interrupted_run_kept(tmp_path, clip, weights, cli):
    """The same command again after Ctrl-C wrote the whole output and left o.partial.mp4 beside it, a second,
    shorter copy nobody needs (a folder's run removed it; a plain run did not). It is removed, with a note."""
    out, stale = tmp_path / "o.mp4", tmp_path / "o.partial.mp4"
    stale.write_bytes(b"the frames an interrupted run kept")
    result = cli(clip, "-o", out, "--weights", weights)
    assert result.returncode == 0 and out.is_file(), result.stderr
    assert not stale.exists()
    assert "note: removed o.partial.mp4, the part an interrupted run had kept" in result.stderr, result.stderr


def test_a_full_disk_is_one_line_and_exit_2(capsys):
    import errno

    from enlight.cli.common import run_command

    def fills_the_disk():
        raise OSError(errno.ENOSPC, "No space left on device", "/videos/.day.enlight-0123abcd.mp4")

    assert run_command("enlight-video", fills_the_disk) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("enlight-video: error: no space left for the output in /videos (No space left on device); "
                   "the partial file was deleted")


def test_a_full_disk_on_a_real_run(tmp_path, weights, cli, small_disk):
    """A 100 kB filesystem (root only: a tmpfs is mounted for it) runs out during the encode: one line, exit 2,
    no temporary left."""
    import os

    clip = make_clip(tmp_path / "night.mp4", width=320, height=240, frames=48)
    result = cli(clip, "-o", small_disk / "day.mp4", "--weights", weights, "--crf", "0", "--preset", "ultrafast", "-q")
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert "no space left for the output" in result.stderr and os.listdir(small_disk) == []


def test_a_photo_or_animation_given_the_wrong_output_is_told_what_is_wrong(tmp_path, weights, cli):
    """Each of these said only 'is a still image; a photo is enhanced into a photo', which named none of them."""
    from PIL import Image

    frames = [Image.fromarray(frame) for frame in dark_frames(3, 32, 24)]
    animated, still = tmp_path / "anim.png", tmp_path / "dusk.jpg"
    frames[0].save(animated, save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(still)
    folder = tmp_path / "out"
    folder.mkdir()
    cases = ((animated, tmp_path / "anim.gif", (), "is an animated picture; it is enhanced into an animated .webp"),
             (still, folder, (), "output is a folder, not a file: .*out/dusk.jpg"),
             # (its own folder: the example was the input itself, to be overwritten)
             (still, tmp_path, (), r"output is a folder, not a file: .*; give the file to write \(e\.g\. "
                                   r".*/dusk_enhanced\.jpg\)$"),
             (still, tmp_path / "day.jpg", ("--jobs", "2"), "a photo is enhanced in one run"))
    for source, out, extra, pattern in cases:
        assert_refused(cli(source, "-o", out, "--weights", weights, *extra), None, pattern)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.png", "dusk.jpg", "out"] and not any(folder.iterdir())


@pytest.mark.parametrize(("name", "pattern"), [
    ("night.exr", r"is a picture in a format not read here \(.exr\); convert it into one of .jpg"),
    ("night.pbm", r"input .*night.pbm is a 1-bit picture \(black and white only"),
])
def test_a_photo_in_a_format_not_read_says_so(tmp_path, weights, cli, name, pattern):
    """A JPEG 2000 was told 'is a still image; a photo (.jpg, ...) is enhanced into a photo', as if it were not
    one. (A camera RAW is read: tests/stream/test_raw_photo.py; JPEG 2000, Targa and Netpbm photos too:
    tests/stream/test_netpbm_tga_jpeg2000.py.)"""
    source = tmp_path / name
    source.write_bytes(b"\0" * 64)  # (refused by its name, before it is read)
    assert_refused(cli(source, "-o", tmp_path / "day.jpg", "--weights", weights), tmp_path / "day.jpg", pattern)


def test_a_tiff_with_a_page_without_a_size_is_a_damaged_photo(tmp_path, weights, cli):
    """A two-page TIFF whose second page lost its ImageWidth (a damaged scan): Pillow's 'Missing dimensions'
    TypeError was an internal error."""
    import struct

    from PIL import Image

    source, out = tmp_path / "scan.tif", tmp_path / "day.jpg"
    pages = [Image.fromarray(frame) for frame in dark_frames(2, 32, 24)]
    pages[0].save(source, save_all=True, append_images=pages[1:])
    data = bytearray(source.read_bytes())  # little-endian: header, IFD offset; each IFD: count, entries, next
    first = struct.unpack_from("<I", data, 4)[0]
    second = struct.unpack_from("<I", data, first + 2 + 12 * struct.unpack_from("<H", data, first)[0])[0]
    entries = [second + 2 + 12 * i for i in range(struct.unpack_from("<H", data, second)[0])]
    width = next(at for at in entries if struct.unpack_from("<H", data, at)[0] == 256)
    struct.pack_into("<H", data, width, 0xC000)  # ImageWidth becomes a private tag
    source.write_bytes(bytes(data))
    assert_refused(cli(source, "-o", out, "--weights", weights), out,
                   r"cannot read .*scan.tif: not an image, or truncated/corrupt \(Missing dimensions\)")


def test_an_unknown_x264_preset_and_an_opset_the_generator_cannot_take(tmp_path, clip, weights, cli):
    """--preset turbo said 'Invalid argument (a .mp4 file takes --codec libvpx-vp9)', which pointed at the codec;
    export --opset 3 was an internal error (torch's exporter refused it)."""
    out = tmp_path / "o.mp4"
    assert_refused(cli(clip, "-o", out, "--weights", weights, "--preset", "turbo"), out,
                   "--preset turbo is not a libx264 preset; it takes ultrafast, .*placebo")
    onnx = tmp_path / "g.onnx"
    assert_refused(cli("export", "--format", "onnx", "-o", onnx, "--opset", "3"), onnx,
                   "the generator exports at opsets 11 to 23, got 3")


def test_export_and_convert_weights_write_only_their_own_kind_of_file(tmp_path, weights, cli):
    """`export -o g.txt` wrote an ONNX model as g.txt, and either command wrote over a video named by mistake with
    --force; each now takes only its own kind of output (as enlight-train's do)."""
    video = make_clip(tmp_path / "night.mp4", frames=2, audio=False)
    kept = video.read_bytes()
    assert_refused(cli("export", "-o", tmp_path / "g.txt"), tmp_path / "g.txt", "the output is a .onnx file, not g.txt")
    assert_refused(cli("export", "-o", video, "--force"), None, "the output is a .onnx file, not night.mp4")
    assert_refused(cli("convert-weights", weights, video, "--force"), None,
                   "the output is a .safetensors file, not night.mp4")
    assert video.read_bytes() == kept


@pytest.mark.parametrize("where", ["_EncoderThread", "FrameProgress"])
def test_a_stop_while_the_run_starts_leaves_no_temporary_file(tmp_path, weights, monkeypatch, where):
    """A SIGTERM that landed after the output's hidden temporary file was created but before the run's own
    Ctrl-C handler was in place (seen under load, while a motion photo's clip started) left that file behind.
    The signal is made to land there: the part the run starts next raises KeyboardInterrupt, as Python's SIGINT
    and the SIGTERM handler do."""
    from enlight.stream.apps import pipeline
    from enlight.stream.core.plan import make_plan

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, where, stopped)
    clip = make_clip(tmp_path / "c.mp4", width=64, height=48, frames=4, audio=False)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    config = pipeline.PipelineConfig(input=clip, output=out_dir / "o.mp4", plan=make_plan(weights=weights),
                                     progress=False)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(config)
    assert list(out_dir.iterdir()) == []


def test_an_output_that_names_a_missing_folder_says_so(tmp_path, weights, cli):
    """`-o day/` for one video, where day/ does not exist, said 'output day has no extension to choose a container
    from' (the slash was dropped): it names the folder and the file to give."""
    clip = make_clip(tmp_path / "night.mp4", frames=2, audio=False)
    out = f"{tmp_path / 'day'}/"
    assert_refused(cli(clip, "-o", out, "--weights", weights), None,
                   re.escape(f"output {out} names a folder, which does not exist; give the file to write (e.g. "
                             f"{tmp_path / 'day' / 'night.mp4'})"))
    assert not (tmp_path / "day").exists()
