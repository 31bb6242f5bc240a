"""Outputs whose encoder or kind of file cannot carry the source's colour tags (``enlight.stream.io.colour_fit``)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from enlight.stream.io.frames import ColorInfo, frame_to_rgb

from ..media import make_clip

BARS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30), (30, 200, 200), (200, 30, 200), (128, 128, 128),
        (60, 60, 60)]


def bars_clip(path, *, pix_fmt: str = "yuv420p", color: dict | None = None, frames: int = 4):
    """A 64x48 H.264 clip of eight saturated colour bars, 8 px each, encoded with ``color``'s matrix and range and
    tagged with them (codec-context names: colorspace, color_range, color_primaries, color_trc)."""
    color = color or {}
    img = np.zeros((48, 64, 3), np.uint8)
    for i, bar in enumerate(BARS):
        img[:, i * 8:(i + 1) * 8] = bar
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
        for key, value in color.items():
            setattr(stream.codec_context, key, value)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(
                format=pix_fmt, dst_colorspace=color.get("colorspace"), dst_color_range=color.get("color_range"))
            for key, value in color.items():
                setattr(frame, key, value)
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def bar_colours(path) -> np.ndarray:
    """(8, 3) the mean RGB of each bar's middle in the first frame, decoded as its tags say (as players do)."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        rgb = frame_to_rgb(frame, ColorInfo.from_frame(frame)).astype(np.float64)
    return np.array([rgb[8:40, i * 8 + 2:i * 8 + 6].reshape(-1, 3).mean(0) for i in range(8)])


@pytest.mark.parametrize("name, color, args", [
    ("night.ogv", {"colorspace": 1, "color_range": 1, "color_primaries": 1, "color_trc": 1}, []),
    ("night.webm", {"colorspace": 1, "color_range": 1, "color_primaries": 1, "color_trc": 1}, ["--codec", "libvpx"]),
    ("night.webp", {"colorspace": 1, "color_range": 1, "color_primaries": 1, "color_trc": 1}, []),
    ("night.avi", {"colorspace": 1, "color_range": 1, "color_primaries": 1, "color_trc": 1}, ["--codec", "mjpeg"]),
    ("night.avi", {"colorspace": 5, "color_range": 2}, ["--codec", "mpeg4"]),
], ids=["bt709-ogv-vp8", "bt709-webm-vp8", "bt709-webp", "bt709-avi-mjpeg", "full-range-avi-mpeg4"])
def test_colours_look_the_same_where_the_output_cannot_be_tagged_as_the_source(tmp_path, weights, cli, name, color,
                                                                              args):
    """VP8 (a .ogv's encoder, --codec libvpx), WebP and Motion JPEG are decoded as BT.601 whatever they are tagged,
    and MPEG-4 part 2 in an AVI carries no tags (read as limited range): BT.709 frames came out with BT.601's hue
    shift (a green bar 27 levels greener than the .mkv output's), a full-range source with its levels stretched. The
    frames are converted to what readers will read, with a note."""
    clip = bars_clip(tmp_path / "bars.mp4", color=color)
    reference, out = tmp_path / "reference.mkv", tmp_path / name
    for path, extra in ((reference, []), (out, args)):
        result = cli(clip, "-o", path, "--weights", weights, "--denoise", "off", "--deband", "off", *extra)
        assert result.returncode == 0, result.stderr
    assert np.abs(bar_colours(out) - bar_colours(reference)).max() < 10, (bar_colours(out), bar_colours(reference))
    assert "(it cannot be tagged otherwise)" in result.stderr, result.stderr


def test_a_gif_says_its_wide_gamut_primaries_were_not_kept(tmp_path, weights, cli):
    """A BT.2020 (SDR) source's primaries have no place in a GIF: a note says so."""
    bt2020 = {"colorspace": 9, "color_range": 1, "color_primaries": 9, "color_trc": 14}
    clip = make_clip(tmp_path / "wide.mkv", frames=3, audio=False, color=bt2020)
    result = cli(clip, "-o", tmp_path / "wide.gif", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "the colour primaries (BT.2020) tag was not kept" in result.stderr, result.stderr


@pytest.mark.parametrize("name, args", [("hdr.gif", []), ("hdr.ogv", []), ("hdr.avi", ["--codec", "mpeg4"])])
def test_hdr_keep_is_refused_where_the_output_cannot_be_tagged_hdr(tmp_path, weights, cli, name, args):
    """--hdr keep into a GIF, a .ogv (VP8 in Ogg) or MPEG-4 part 2 in an AVI wrote PQ coded values without their
    transfer tag (shown as SDR, washed out) under a note that said the HDR tags were kept."""
    pq = {"colorspace": 9, "color_range": 1, "color_primaries": 9, "color_trc": 16}
    clip = make_clip(tmp_path / "hdr.mkv", frames=3, audio=False, pix_fmt="yuv420p10le", color=pq)
    out = tmp_path / name
    result = cli(clip, "-o", out, "--weights", weights, "--hdr", "keep", *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr_lines) == 1 and result.stderr_lines[0].startswith("enlight-video: error: --hdr keep")
    assert "cannot be tagged PQ" in result.stderr and "--hdr at sdr" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hdr.mkv"]
