"""``--size`` scales a video's frames (``1920x1080``, or ``1280x`` to keep the shape): a 4K night clip enhanced and
written at 1080p. It was an option of the live mode only, and a file run ignored it without a word, as it ignored
--loop, --record, --no-window and --fps."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from enlight.errors import EnlightError
from enlight.stream.io.resize import SHORT_SIDE, fit_size
from tests.media import make_clip, read_video


def test_a_side_of_minus_one_follows_the_shown_shape():
    assert fit_size((1280, -1), 3840, 2160) == (1280, 720)
    assert fit_size((-1, 720), 3840, 2160) == (1280, 720)
    assert fit_size((-1, 480), 720, 480, Fraction(32, 27)) == (854, 480)  # a 16:9 DVD's shown shape
    assert fit_size((641, -1), 1920, 1080) == (641, 360)  # even
    with pytest.raises(EnlightError):
        fit_size((-1, -1), 64, 48)


def test_720p_is_the_short_side_for_landscape_and_portrait_alike():
    assert fit_size((SHORT_SIDE, 720), 3840, 2160) == (1280, 720)
    assert fit_size((SHORT_SIDE, 720), 1080, 1920) == (720, 1280)  # a phone held upright
    assert fit_size((SHORT_SIDE, 480), 720, 480, Fraction(32, 27)) == (854, 480)  # a 16:9 DVD
    assert fit_size((SHORT_SIDE, 480), 720, 576, Fraction(12, 11)) == (654, 480)  # a 4:3 PAL DVD (BT.601 shape)


def test_a_folder_of_landscape_and_portrait_clips_at_720p_style_size(tmp_path, weights, cli):
    """``--size 720p``, as video tools spell a size, was refused ('sizes look like 1280x720 ...'); ``x720`` shrinks a
    portrait clip to 720 tall, not to 720p."""
    folder = tmp_path / "clips"
    folder.mkdir()
    make_clip(folder / "wide.mp4", width=96, height=64, frames=4, audio=False)
    make_clip(folder / "phone.mp4", width=96, height=64, frames=4, rotation=-90, audio=False)
    result = cli(folder, "-o", tmp_path / "out", "--size", "32p", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _stream(tmp_path / "out" / "wide.mp4")[:2] == (48, 32)
    assert _stream(tmp_path / "out" / "phone.mp4")[:2] == (48, 32)  # stored landscape, shown 32x48: 32 wide
    assert read_video(tmp_path / "out" / "phone.mp4")["rotation"] == read_video(folder / "phone.mp4")["rotation"]
    planned = cli(folder / "phone.mp4", "-o", tmp_path / "p.mp4", "--size", "32P", "--weights", weights, "--dry-run")
    assert "size: frames scaled to 32 on the short side (shape kept) as shown" in planned.stdout, planned.stdout


def _stream(path):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return video.width, video.height, video.sample_aspect_ratio


def test_a_video_is_enhanced_and_written_at_the_size_asked_for(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "night.mp4", width=96, height=64, frames=8, audio=True)
    whole, small = tmp_path / "whole.mp4", tmp_path / "small.mp4"
    assert cli(clip, "-o", whole, "--weights", weights).returncode == 0
    result = cli(clip, "-o", small, "--size", "48x-1", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "frames scaled from 96x64 to 48x32 (--size)" in result.stderr
    assert _stream(small)[:2] == (48, 32) and _stream(small)[2] in (None, Fraction(1))
    info, big = read_video(small), read_video(whole)
    assert len(info["times"]) == 8 and info["audio_packets"] == big["audio_packets"]  # the sound as it was
    shrunk = [av.VideoFrame.from_ndarray(f, format="rgb24").reformat(width=48, height=32).to_ndarray()
              for f in big["images"]]
    assert abs(np.mean(info["images"]) - np.mean(shrunk)) < 6  # enhanced as the full-size run was
    assert abs(np.mean(info["images"]) - np.mean(shrunk)) < abs(np.mean(shrunk) - 40) / 3
    square = tmp_path / "square.mp4"
    assert cli(clip, "-o", square, "--size", "64x64", "--weights", weights).returncode == 0
    assert _stream(square) == (64, 64, Fraction(3, 2))  # shown 96x64 still: players do not squeeze it
    planned = cli(clip, "-o", tmp_path / "p.mp4", "--size", "48x", "--weights", weights, "--dry-run")
    assert "size: frames scaled to 48x(shape kept) as shown" in planned.stdout, planned.stdout


def test_a_portrait_phone_clip_is_sized_as_it_is_shown(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "phone.mp4", width=96, height=64, frames=4, rotation=-90, audio=False)
    out = tmp_path / "small.mp4"
    result = cli(clip, "-o", out, "--size", "x48", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "from 64x96 to 32x48" in result.stderr
    assert _stream(out)[:2] == (48, 32) and read_video(out)["rotation"] == read_video(clip)["rotation"]


def test_live_options_in_a_file_run_are_refused(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "night.mp4", frames=4, audio=False)
    from PIL import Image

    Image.new("RGB", (32, 24), (9, 9, 9)).save(tmp_path / "dusk.png")
    cases = [((clip, "--loop"), "--loop applies to a live run"),
             ((clip, "--record", tmp_path / "r.mp4", "--no-window"), "--record and --no-window apply"),
             ((clip, "--fps", "10"), "a video keeps its own"),
             ((tmp_path / "dusk.png", "--size", "32x"), "a photo keeps its size"),
             ((clip, "--size=-1x-1"), "one side may be left out"),
             ((clip, "--size", "x"), "one side may be left out"),
             ((clip, "--size", "8p"), "sizes are at least 16x16, got 8p"),
             ((clip, "--size", "720i"), "or 720p: the short side"),
             (("--camera", "7", "--no-window", "--size", "32p"), "a camera is asked for a whole size"),
             (("--camera", "/dev/video9", "--no-window", "--size", "32x"), "a camera is asked for a whole size")]
    for args, message in cases:
        out = tmp_path / "o.mp4"
        result = cli(*args, "-o", out if args[0] != tmp_path / "dusk.png" else tmp_path / "o.png", "--weights",
                     weights)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr_lines) == 1 and not out.exists()


@pytest.mark.parametrize("size, recorded", [("32x", (32, 22)), ("x32", (48, 32)), ("32p", (48, 32))])
def test_a_file_or_stream_played_live_takes_one_side_of_the_size(tmp_path, weights, cli, size, recorded):
    """A file, pipe or URL given to --camera is scaled as a file run scales (only a camera device is asked for a
    whole size): one side or the short side was refused there too ('a camera is asked for a whole size')."""
    clip = make_clip(tmp_path / "night.mp4", width=96, height=64, frames=6, audio=False)
    record = tmp_path / "r.mp4"
    result = cli("--camera", clip, "--no-window", "--max-frames", "3", "--record", record, "--size", size,
                 "--weights", weights, timeout=120)
    assert result.returncode == 0, result.stderr
    assert _stream(record)[:2] == recorded and len(read_video(record)["times"]) == 3


def test_a_folder_and_segments_take_the_size_and_the_comparison(tmp_path, weights, cli):
    folder = tmp_path / "clips"
    folder.mkdir()
    make_clip(folder / "a.mp4", width=96, height=64, frames=6, audio=True)
    from PIL import Image

    Image.new("RGB", (40, 30), (9, 9, 9)).save(folder / "dusk.png")
    result = cli(folder, "-o", tmp_path / "out", "--size", "48x", "--compare", "side", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _stream(tmp_path / "out" / "a.mp4")[:2] == (96, 32)  # 48x32, side by side
    assert Image.open(tmp_path / "out" / "dusk.png").size == (80, 30) and "photos keep their size" in result.stderr
    long = make_clip(tmp_path / "long.mp4", width=96, height=64, frames=120, gop=30, audio=True)
    out = tmp_path / "joined.mp4"
    result = cli(long, "-o", out, "--segments", "3", "--size", "48x", "--compare", "split", "--weights", weights)
    assert result.returncode == 0, result.stderr
    info = read_video(out)
    assert _stream(out)[:2] == (48, 32) and len(info["times"]) == 120
    assert np.abs(info["images"][100][:, 26:].mean() - info["images"][100][:, :22].mean()) > 10  # after | before


def test_an_interlaced_video_is_scaled_field_by_field(tmp_path, weights, cli):
    """Scaled as one picture, a DVD's two fields (taken 1/50 s apart) would be blended row into row: combs on every
    moving edge, in a file still flagged interlaced. swscale scales a frame flagged interlaced field by field."""
    from tests.stream.test_pipeline import _fields, _interlaced_clip

    src = _interlaced_clip(tmp_path / "dvd.mkv", "tff")
    out = tmp_path / "small.mkv"
    result = cli(src, "-o", out, "--size", "32x24", "--weights", weights, "--crf", "0")
    assert result.returncode == 0, result.stderr
    assert _fields(out) == (True, 2) and _stream(out)[:2] == (32, 24)
    luma = read_video(out)["images"][1].astype(float).mean(axis=(1, 2))
    assert np.abs(luma[0::2] - luma[1::2]).mean() > 10  # the fields still apart, not averaged together
