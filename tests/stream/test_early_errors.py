"""One-line errors come before torch is imported; still images are refused as video (photos go to photos)."""

import subprocess
import sys

import av
import numpy as np
import pytest

from enlight.stream.core import choices
from tests.conftest import REPO
from tests.media import make_clip


def run_without_torch(*args) -> subprocess.CompletedProcess:
    """``enlight-video ARGS`` in a fresh interpreter that fails if torch got imported."""
    code = ("import sys; from enlight.cli.video import main; rc = main(sys.argv[1:]); "
            "print('torch imported' if 'torch' in sys.modules else 'no torch'); sys.exit(rc)")
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=120)


def test_choices_match_what_implements_them():
    from enlight.models.zoo import MODELS
    from enlight.stream.backends.base import available_backends
    from enlight.stream.core.presets import QUALITIES
    from enlight.stream.core.smoothing_config import SmoothingConfig
    from enlight.stream.io.chroma import GREY_MODES

    assert choices.MODELS == MODELS
    assert list(choices.BACKENDS) == available_backends()
    assert choices.QUALITIES == tuple(QUALITIES)
    assert choices.GREY_MODES == GREY_MODES
    assert SmoothingConfig().strength == choices.SMOOTHING_STRENGTH


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    img = av.VideoFrame.from_ndarray(np.full((24, 32, 3), 20, np.uint8), format="rgb24")
    for name, codec in (("dusk.bmp", "bmp"), ("dusk.jpg", "mjpeg"), ("photo_named_like_video.mp4", "png")):
        with av.open(str(folder / name), "w", format="image2") as container:
            stream = container.add_stream(codec)
            stream.width, stream.height = 32, 24
            stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else ("bgr24" if codec == "bmp" else "rgb24")
            container.mux(stream.encode(img.reformat(format=stream.pix_fmt)))
            container.mux(stream.encode(None))
    from PIL import Image

    pictures = [Image.fromarray(np.full((24, 32, 3), level, np.uint8)) for level in (20, 40, 60)]
    pictures[0].save(folder / "anim.gif", save_all=True, append_images=pictures[1:], duration=100, loop=0)
    pictures[0].save(folder / "still.gif")
    pictures[1].save(folder / "icon.ico", sizes=[(16, 12), (32, 24)])
    return folder


@pytest.mark.parametrize("args, message", [
    (("missing.mp4", "-o", "{tmp}/out.mp4"), "input not found"),
    (("{clip}", "-o", "{tmp}/missing_folder/out.mp4"), "output folder does not exist"),
    (("{clip}", "-o", "{clip}", "--force"), "is the input file"),
    (("{clip}", "-o", "{tmp}/out.xyz123"), "unknown output container"),
    (("{clip}", "-o", "{tmp}/out.mp4", "--quality", "ultra"), "invalid choice"),
    (("{photos}/dusk.bmp", "-o", "{tmp}/out.mp4"), "is a still image"),
    (("{photos}/dusk.jpg", "-o", "{tmp}/out.mp4"), "is a still image"),
    (("{photos}/dusk.jpg", "-o", "{photos}/dusk.jpg", "--force"), "is the input file"),
    (("{photos}/missing.jpg", "-o", "{tmp}/out.jpg"), "not found"),
    (("{photos}", "-o", "{clip}"), "the output must be a folder"),
    # a stream out is one plain run's: --segments said 'output folder does not exist: rtmp:/127.0.0.1:9/live', and a
    # folder's run wrote its files into a new folder named -
    (("{clip}", "-o", "rtmp://127.0.0.1:9/live/x", "--segments", "2"),
     "--segments, --jobs and --ray write video files; the stream rtmp://127.0.0.1:9/live/x is sent by one plain run"),
    (("{photos}", "-o", "-"), "a folder is enhanced into a folder (-o FOLDER), not into the stream -"),
    (("{photos}/dusk.jpg", "-o", "rtmp://127.0.0.1:9/live/x.jpg"),
     "a photo is enhanced into a photo file, not into the stream rtmp://127.0.0.1:9/live/x.jpg"),
    (("{clip}", "-o", "{tmp}/out.png"), "output {tmp}/out.png is a still image"),
    (("{clip}", "-o", "{tmp}/out.png"), "input {clip} a video: write a video file (.mp4, .mkv, .mov), an animated "
                                        ".gif, .webp or .apng, or numbered pictures (-o out_%04d.png; --max-frames 1"),
    (("{photos}/anim.gif", "-o", "{tmp}/out.png"), "input {photos}/anim.gif an animated picture: write a video"),
    (("{clip}", "-o", "{tmp}/out.JPG"), "is a still image"),
    (("{clip}", "-o", "{tmp}/out.mp3"), "holds sound only; the enhanced video needs a video file"),  # (was: 'cannot
    (("{clip}", "-o", "{tmp}/out.m4a"), "holds sound only"),  # hold audio (aac)'; .m4a: an MP4 of video, as music)
    (("{photos}/dusk.jpg", "-o", "{tmp}/out.jpg", "--photo-quality", "abc"),
     "--photo-quality: takes a whole number from 1 to 100, not 'abc'"),  # (was: invalid _photo_quality value)
    # a word for a picture option named our own type function: 'invalid _share value', '_level', 'positive_int'
    (("{clip}", "-o", "{tmp}/out.mp4", "--detail", "abc"), "argument --detail: takes a number from 0 to 1, not 'abc'"),
    (("{clip}", "-o", "{tmp}/out.mp4", "--exposure", "bright"),
     "argument --exposure: takes a number from 0 to 200, not 'bright'"),
    (("{clip}", "-o", "{tmp}/out.mp4", "--smoothing", "0,5"),
     "argument --smoothing: takes a number from 0 to 0.95, not '0,5'"),
    (("{clip}", "-o", "{tmp}/out.mp4", "--smoothing", "0.99"), "argument --smoothing: must be within 0..0.95"),
    (("{clip}", "-o", "{tmp}/out.mp4", "--batch-size", "four"), "argument --batch-size: takes a whole number, not"),
    (("{clip}", "-o", "{tmp}/out.mp4", "--crf", "high"), "argument --crf: takes a whole number, not 'high'"),
    (("{photos}/dusk.jpg", "-o", "{tmp}/out.jpg", "--fps", "5"), "a photo has none"),  # (was: a video keeps its own)
    # a live run: --fps nan was an internal error, -5 ran unpaced, 0 was ignored; file-run options were ignored
    (("--camera", "{clip}", "--no-window", "--fps", "nan"), "argument --fps: takes a number, not 'nan'"),
    (("--camera", "{clip}", "--no-window", "--fps", "0"), "takes frames per second from 0.01 to 1000"),
    (("--camera", "{clip}", "--no-window", "--reconnect-timeout", "-5"), "--reconnect-timeout: must be 0 or more"),
    (("--camera", "{clip}", "--no-window", "--max-memory", "abc"), "--max-memory: takes a number, not 'abc'"),
    (("--camera", "{clip}", "--no-window", "--jobs", "2", "--segments", "2"),
     "--jobs and --segments apply to a run of a file or folder, not to a live run"),
    # a live run enhances one frame at a time and had no memory budget: --batch-size and --max-memory did nothing
    (("--camera", "{clip}", "--no-window", "--batch-size", "2", "--max-memory", "2"),
     "--batch-size and --max-memory apply to a run of a file or folder, not to a live run"),
    # only a live run reconnects: in a run of a file or a stream, --reconnect-timeout did nothing
    (("{clip}", "-o", "{tmp}/out.mp4", "--reconnect-timeout", "5"), "--reconnect-timeout applies to a live run"),
    # it said "a live run ends with --max-frames or q" (q: the window's key), and not how to record a part of a stream
    (("--camera", "{clip}", "--no-window", "-o", "{tmp}/l.mkv", "--duration", "3"),
     "a stream given without --camera (`enlight-video URL -o out.mkv --duration 60`); a live run ends at "
     "--max-frames, on the q key or with Ctrl-C"),
])
def test_bad_names_are_refused_in_one_line_before_torch(args, message, tmp_path, photo):
    clip = make_clip(tmp_path / "clip.mp4", frames=2, audio=False)
    fill = {"tmp": tmp_path, "clip": clip, "photos": photo}
    result = run_without_torch(*(a.format(**fill) for a in args))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("enlight-video: error:") and message.format(**fill) in lines[0]
    assert result.stdout.strip() == "no torch"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]  # nothing written


def test_a_photo_named_like_a_video_is_refused_after_opening(photo, tmp_path, cli, weights):
    out = tmp_path / "out.mp4"
    result = cli(photo / "photo_named_like_video.mp4", "-o", out, "--weights", weights)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr_lines) == 1 and "is a still image" in result.stderr_lines[0], result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["still.gif", "icon.ico"])
def test_a_gif_of_one_picture_or_an_icon_is_enhanced_into_a_photo(name, photo, tmp_path, cli, weights):
    out = tmp_path / "out.png"
    result = cli(photo / name, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    from PIL import Image

    with Image.open(out) as written:
        assert written.size == (32, 24)  # (the icon's largest picture)
        assert np.asarray(written.convert("RGB")).mean() > (20 if name == "still.gif" else 40)


def test_a_file_name_that_starts_with_a_dash_is_told_how_to_write_it(tmp_path):
    """enlight-video -night.mp4 -o day.mp4 said 'unrecognized arguments: -night.mp4' about a file that is there, and
    -o -day.mp4 'expected one argument': neither said that the name was read as an option, nor what to write."""
    import os

    make_clip(tmp_path / "-night.mp4", frames=2)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "enlight.cli.video", *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})

    result = run("-night.mp4", "-o", "day.mp4")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "a file name that starts with '-' is read as an option: write ./-night.mp4" in result.stderr
    result = run("./-night.mp4", "-o", "-day.mp4")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "a value that starts with '-' is written --option=VALUE (a file name: ./-NAME)" in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["-night.mp4"]


# an 8x8 JPEG XL picture (a bare codestream, lossless), as `cjxl -d 0` writes it
JPEG_XL = bytes.fromhex("ff0a41404071210802010058004b188b154231515f2002805114010000000000000000")


def test_jpeg_xl_into_or_out_of_a_video_is_refused_in_one_line(tmp_path, photo, cli, weights):
    """A JPEG XL photo is enhanced into a photo (tests/stream/test_jpeg_xl.py); into a video it was an internal error
    (FFmpeg opens it as a video stream without a decoder), and a video's numbered .jxl pictures are not written
    (FFmpeg has no JPEG XL encoder). The same bytes named as a video are refused as undecodable, not as an internal
    error."""
    picture = tmp_path / "dusk.jxl"
    picture.write_bytes(JPEG_XL)
    renamed = tmp_path / "dusk.mp4"
    renamed.write_bytes(JPEG_XL)
    clip = make_clip(tmp_path / "clip.mp4", frames=2, audio=False)
    cases = [((picture, "-o", tmp_path / "a.mp4"), "input {} is a still image; a photo (.jpg, .png, .tif, .webp, "
                                                   ".avif, .heic, .jxl, .bmp, .ppm, .pgm, .pnm, .pam, .tga or .jp2) is "
                                                   "enhanced into a photo"),
             ((renamed, "-o", tmp_path / "b.mkv"), "cannot decode {}: this FFmpeg has no decoder for its video"),
             ((clip, "-o", tmp_path / "d.jxl"), "output {}: a video is not written as .jxl pictures here"),
             ((photo / "dusk.jpg", "-o", tmp_path / "e.exr"), "output {} is a kind of picture not written here (.exr)")]
    for args, message in cases:
        named = args[0] if message.startswith(("input", "cannot")) else args[2]
        result = cli(*args, "--weights", weights)
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert message.format(named) in result.stderr, result.stderr
        assert not args[2].exists()
    folder = tmp_path / "photos"  # a picture in a format not read here is named as one
    folder.mkdir()
    (folder / "dusk.exr").write_bytes(b"\x76\x2f\x31\x01")
    result = cli(folder, "-o", tmp_path / "out", "--weights", weights)
    assert result.returncode == 2 and result.stderr_lines == [
        f"enlight-video: error: no videos or photos in {folder} (1 other file: a picture in a format not read here "
        "(.exr): convert it to .png first)"], result.stderr


def test_an_output_named_without_o_is_told_the_command_with_it(tmp_path):
    """enlight-video night.mp4 day.mp4 (the output named as FFmpeg's is) said only 'unrecognized arguments:
    day.mp4'; the line now gives the command with -o, and nothing is written."""
    import os

    make_clip(tmp_path / "night.mp4", frames=2)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "enlight.cli.video", *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})

    result = run("night.mp4", "day.mp4")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "the output is named with -o: enlight-video night.mp4 -o day.mp4 (see" in result.stderr
    result = run("night.mp4", "day.mp4", "--quality", "fast")
    assert "the output is named with -o day.mp4 (see" in result.stderr
    result = run("night.mp4", "day.mp4", "-o", "other.mp4")  # a second input, not an output: no such hint
    assert result.returncode == 2 and "named with -o" not in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["night.mp4"]
