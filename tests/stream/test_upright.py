"""A rotated video (a phone's portrait clip: landscape frames and a display matrix) written where the kind of file
has no rotation tag (AVI, MPEG-TS, FLV, GIF, WebP, APNG) is turned upright frame by frame, as FFmpeg's command
line does; where the file keeps the tag (MP4, MOV, Matroska, WebM), the frames and the tag stay as they are."""

from __future__ import annotations

from dataclasses import replace

import av
import numpy as np
import pytest

from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.sink import VideoSink
from enlight.stream.io.source import VideoSource
from enlight.stream.io.source_items import DecodedFrame
from tests.media import make_clip

ONE = 1 << 16


def matrix(a, b, c, d):
    return (a * ONE, b * ONE, 0, c * ONE, d * ONE, 0, 0, 0, 1 << 30)


# each of the eight whole-quarter display matrices, and how FFmpeg 9's command line turned a frame with it when it
# encoded (`ffmpeg -i in.mp4 -c:v libx264rgb -qp 0 out.mkv`): (mirrored left-right first, counterclockwise quarter
# turns), found by running it on each
FFMPEG_TURNS = [
    (matrix(0, -1, 1, 0), False, 1),  # a phone held upright (rotation 90)
    (matrix(-1, 0, 0, -1), False, 2),
    (matrix(0, 1, -1, 0), False, 3),
    (matrix(-1, 0, 0, 1), True, 0),
    (matrix(0, 1, 1, 0), True, 1),
    (matrix(1, 0, 0, -1), True, 2),
    (matrix(0, -1, -1, 0), True, 3),
]


def marked() -> np.ndarray:
    """(48, 64, 3) uint8 whose every pixel differs: ramps across and down, a block at the top left."""
    img = np.zeros((48, 64, 3), np.uint8)
    img[..., 1] = np.arange(64)[None] * 3
    img[..., 2] = np.arange(48)[:, None] * 5
    img[:8, :16, 0] = 255
    return img


@pytest.mark.parametrize(("display", "mirror", "quarters"), FFMPEG_TURNS)
def test_frames_are_turned_as_ffmpeg_turns_them(tmp_path, display, mirror, quarters):
    clip = make_clip(tmp_path / "in.mp4", frames=1, audio=False)
    with VideoSource(clip) as source:
        info = replace(source.info, display_matrix=display)
    sink = VideoSink(tmp_path / "out.avi", info, encoder=EncoderConfig(codec="ffv1", pix_fmt="bgr0"))
    sink.write_frame(marked(), 0)
    sink.finish()
    with av.open(str(tmp_path / "out.avi")) as c:
        got = next(c.decode(video=0)).to_ndarray(format="rgb24")
    expected = np.rot90(marked()[:, ::-1] if mirror else marked(), quarters)
    assert got.shape == expected.shape and np.array_equal(got, expected)
    assert any("to play upright" in note and ".avi file has no rotation tag" in note for note in sink.notes)


@pytest.mark.parametrize(("name", "turned"), [("out.ts", True), ("out.gif", True), ("out.mp4", False),
                                              ("out.mkv", False)])
def test_a_portrait_phone_clip(tmp_path, weights, cli, name, turned):
    clip = make_clip(tmp_path / "phone.mp4", width=64, height=48, frames=6, rotation=90)
    result = cli(clip, "-o", tmp_path / name, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert ("to play upright" in result.stderr) == turned
    with VideoSource(tmp_path / name) as source:
        frames = [item for item in source if isinstance(item, DecodedFrame)]
        assert len(frames) == 6
        assert (source.info.width, source.info.height) == ((48, 64) if turned else (64, 48))
        assert (source.info.display_matrix is None) == turned


@pytest.mark.parametrize("name", ["out.gif", "out.webp", "out.apng"])
def test_an_anamorphic_clip_as_an_animated_picture_gets_square_pixels(tmp_path, weights, cli, name):
    """96x64 pixels shown 4:3 wide (an anamorphic DVD or CCTV recording) played squeezed to 3:2 in a browser,
    which ignores a GIF's aspect byte, an APNG's pHYs (WebP has none): the frames are widened to 128x64."""
    from fractions import Fraction

    from PIL import Image

    clip = make_clip(tmp_path / "dvd.mp4", width=96, height=64, frames=4, rate=25, audio=False,
                     color={"sample_aspect_ratio": Fraction(4, 3)})
    result = cli(clip, "-o", tmp_path / name, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "scaled from 96x64 to 128x64, square pixels" in result.stderr
    with Image.open(tmp_path / name) as picture:
        assert picture.size == (128, 64) and picture.n_frames == 4
