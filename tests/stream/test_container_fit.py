"""What the output's kind of file does with what the enhanced video carries besides its pixels: the pixel aspect
ratio of an anamorphic source is kept whatever the encoder (VP8, VP9 and AV1 carry none in their bitstream, so
Matroska and WebM must write it as the display size), and text subtitles that MPEG-TS would keep only as
unreadable data are an error that says so, as for any stream an output cannot hold."""

from __future__ import annotations

import struct
from fractions import Fraction

import av
import pytest

from tests.media import make_clip, read_video

SAR = Fraction(4, 3)  # 96x64 shown at 128x64: a whole display width in WebM, which writes it in pixels
ASS_HEADER = (b"[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\n"
              b"Style: Default,Arial,16\n\n[Events]\nFormat: Layer, Start, End, Style, Text\n")


def _anamorphic_clip(path, frames=20):
    """An H.264 MP4 whose pixels are 4:3 wide (shown 16:9-ish), a keyframe every 5 frames (for --segments)."""
    return make_clip(path, width=96, height=64, frames=frames, rate=25, audio=False,
                     color={"sample_aspect_ratio": SAR, "gop_size": 5})  # (codec-context settings)


def _aspect(path):
    """The output's pixel aspect ratio as players take it (the container's, else the bitstream's)."""
    with av.open(str(path)) as c:
        return c.streams.video[0].sample_aspect_ratio


@pytest.mark.parametrize("name, args", [
    ("vp9.mkv", ["--codec", "libvpx-vp9"]),
    ("vp8.mkv", ["--codec", "libvpx"]),
    ("auto.webm", []),  # VP9, the .webm default
    ("av1.mkv", ["--codec", "libsvtav1", "--preset", "8"]),
    ("av1.mp4", ["--codec", "libsvtav1", "--preset", "8"]),
    ("joined.mkv", ["--codec", "libvpx-vp9", "--segments", "2"]),  # the segments' join sets it too
])
def test_the_pixel_aspect_ratio_is_kept_by_encoders_that_do_not_carry_it(tmp_path, weights, cli, name, args):
    """VP9 and VP8 outputs had no aspect ratio, AV1 ones 1:1: the picture played squeezed to 3:2."""
    src = _anamorphic_clip(tmp_path / "cctv.mp4")
    assert _aspect(src) == SAR
    out = tmp_path / name
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast", *args)
    assert result.returncode == 0, result.stderr
    assert "pixel aspect ratio" not in result.stderr
    assert _aspect(out) == SAR
    assert len(read_video(out)["times"]) == 20


def _subtitles(out, codec, folder):
    """A German text subtitle stream in ``out`` and its two cues: SRT as an .srt file reads, or mov_text."""
    if codec == "subrip":
        srt = folder / "night.srt"
        srt.write_text("1\n00:00:00,000 --> 00:00:00,200\nHallo Nacht\n\n2\n00:00:00,250 --> 00:00:00,400\nBis bald\n")
        with av.open(str(srt)) as source:
            stream = out.add_stream_from_template(source.streams.subtitles[0])
            packets = [(bytes(p), p.pts, p.duration) for p in source.demux() if p.size]
            time_base = source.streams.subtitles[0].time_base
    else:
        stream = out.add_stream("mov_text")
        stream.codec_context.subtitle_header = ASS_HEADER  # its encoder (not used: the cues are muxed) needs one
        time_base = Fraction(1, 1000)
        packets = [(struct.pack(">H", len(t)) + t, 250 * i, 200) for i, t in enumerate((b"Hallo Nacht", b"Bis bald"))]
    stream.time_base = time_base
    stream.metadata["language"] = "ger"
    cues = []
    for payload, pts, duration in packets:
        packet = av.Packet(payload)
        packet.stream, packet.time_base, packet.pts, packet.dts, packet.duration = stream, time_base, pts, pts, duration
        cues.append(packet)
    return cues


def _with_text_subtitles(clip, path, codec, chapters=()):
    """``clip`` remuxed with German text subtitles: SRT into Matroska, or mov_text into MP4; and ``chapters``
    (PyAV's dicts), where given."""
    with av.open(str(clip)) as src, av.open(str(path), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        cues = _subtitles(out, codec, path.parent)
        if chapters:
            out.set_chapters(list(chapters))
        for packet in src.demux():
            if packet.size:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
        out.mux(cues)
    return path


@pytest.mark.parametrize("name, codec, label, hint", [("subbed.mkv", "subrip", "srt", ".mkv"),
                                                     ("subbed.mp4", "mov_text", "mov_text", ".mov")])
def test_text_subtitles_into_mpeg_ts_are_an_error(tmp_path, weights, cli, name, codec, label, hint):
    """MPEG-TS took them and wrote them as 'bin_data' (unreadable, their language lost), with exit code 0 and no
    word; now the run stops before any work with the line an .mp4 output gets for SRT, naming the kinds that
    hold them."""
    src = _with_text_subtitles(make_clip(tmp_path / "a.mp4", frames=10), tmp_path / name, codec)
    with av.open(str(src)) as c:
        assert [(s.codec_context.name, s.metadata["language"]) for s in c.streams.subtitles] == [(label, "ger")]
    out = tmp_path / "out.ts"
    result = cli(src, "-o", out, "--weights", weights)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert f".ts output cannot hold subtitle stream #2 ({label}): MPEG-TS holds only bitmap" in result.stderr
    assert f"try a {hint}" in result.stderr and not out.exists()


@pytest.mark.parametrize("name", ["out.mpg", "out.vob"])
def test_text_subtitles_into_an_mpeg_program_stream_are_an_error(tmp_path, weights, cli, name):
    """FFmpeg's MPEG-PS muxer took an SRT stream and wrote a 'dvdsub' stream without a single cue, exit code 0 and
    no word of it; now it is refused as MPEG-TS's is."""
    src = _with_text_subtitles(make_clip(tmp_path / "a.mp4", frames=10), tmp_path / "subbed.mkv", "subrip")
    out = tmp_path / name
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert (f"{out.suffix} output cannot hold subtitle stream #2 (srt): an MPEG program stream holds only bitmap (DVD) "
            "subtitles") in result.stderr, result.stderr
    assert "try a .mkv" in result.stderr and not out.exists()


def test_mpeg_ts_without_subtitles_still_works(tmp_path, weights, cli):
    src = make_clip(tmp_path / "a.mp4", frames=10)
    out = tmp_path / "out.ts"
    result = cli(src, "-o", out, "--weights", weights, "-q")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    video = read_video(out)
    assert video["streams"] == ["video", "audio"] and len(video["times"]) == 10


def test_svt_av1_runs_at_its_own_preset_quietly_and_refuses_x264_names(tmp_path, weights, cli):
    """--codec libsvtav1 without --preset failed ('Invalid argument': x264's preset name was passed on) and
    printed SVT's ~30-line banner; an x264 name given by hand is one line."""
    src = make_clip(tmp_path / "in.mp4", frames=6, audio=False)
    result = cli(src, "-o", tmp_path / "av1.mkv", "--weights", weights, "--quality", "fast", "--codec", "libsvtav1")
    assert result.returncode == 0, result.stderr
    assert "Svt[" not in result.stderr
    with av.open(str(tmp_path / "av1.mkv")) as c:
        assert c.streams.video[0].codec_context.name in ("libdav1d", "av1", "libaom-av1")
    named = cli(src, "-o", tmp_path / "named.mkv", "--weights", weights, "--codec", "libsvtav1", "--preset", "fast")
    assert named.returncode == 2 and "not an SVT-AV1 preset" in named.stderr and not (tmp_path / "named.mkv").exists()


@pytest.mark.parametrize("name, codec", [("out.ts", "ffv1"), ("out.ts", "libvpx-vp9"), ("out.ts", "libsvtav1"),
                                         ("out.mpg", "ffv1"), ("out.mpg", "libvpx-vp9")])
def test_video_a_container_would_write_as_unreadable_data_is_refused(tmp_path, weights, cli, name, codec):
    """`-o x.ts --codec ffv1` (or VP9, AV1; .mpg the same) finished with exit 0 and a file whose video was a data
    stream that no player shows (.mpg: one nothing reads): FFmpeg's muxer takes the stream and writes it so. Now
    one line names a codec the container does hold, and nothing is written; the codecs it holds still run."""
    src = make_clip(tmp_path / "a.mp4", frames=4)
    out = tmp_path / name
    result = cli(src, "-o", out, "--weights", weights, "--codec", codec)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert f"a {out.suffix} output cannot hold {codec} video (FFmpeg would write it so that no player shows it): " \
        "use --codec libx264" in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [src]
    held = cli(src, "-o", out, "--weights", weights, "--codec", "mpeg2video", "-q")
    assert held.returncode == 0, held.stderr
    assert read_video(out)["streams"][0] == "video"


def test_a_muxer_that_opens_its_own_files_is_never_tried_in_the_current_folder(tmp_path, weights):
    """`--format image2` left a file named '<none>' where the command was run: the one-frame trial read back (of
    what a container holds) went 'into memory', which a muxer that opens its own files (image2, RTSP, HLS) writes
    by name instead; the run then ended in an internal error. Such muxers are never tried, and into a file
    --format of one is refused in one line before any work."""
    import subprocess
    import sys

    from tests.conftest import REPO

    here = tmp_path / "here"
    here.mkdir()
    src = make_clip(tmp_path / "a.mp4", frames=3, audio=False)
    result = subprocess.run([sys.executable, "-m", "enlight.cli.video", str(src), "-o", str(tmp_path / "o"),
                             "--format", "image2", "--weights", str(weights), "--codec", "mpeg4"],
                            cwd=here, capture_output=True, text=True, timeout=120, env={**__import__("os").environ,
                                                                                         "PYTHONPATH": str(REPO)})
    assert list(here.iterdir()) == [], result.stderr
    assert result.returncode == 2 and result.stderr == (
        "enlight-video: error: --format image2 writes files of its own naming, not one file: numbered pictures are "
        "-o day_%04d.png, a video one file (-o day.mkv)\n"), result.stderr
    assert list(tmp_path.iterdir()) == [here, src] or sorted(tmp_path.iterdir()) == sorted([here, src])


def test_no_trial_is_written_by_name(tmp_path, monkeypatch):
    """A muxer that opens its own files wrote its 'in memory' trial as '<none>' in the current folder."""
    from enlight.stream.io.muxer_trials import read_back, trial_file

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="opens its own files"):
        trial_file("image2", "png", lambda trial: None)
    assert read_back("image2", "png") and list(tmp_path.iterdir()) == []
