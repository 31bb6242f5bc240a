"""An HD camcorder's 1080i (AVCHD, HDV, a broadcast recording): interlaced top field first and tagged BT.709, as
HD video is. Its field order must be read as the frames' flag says, whatever their colour tags."""

from __future__ import annotations

import av
import pytest

from enlight.stream.io.fields import FIELD_BB, FIELD_TT, field_order
from tests.stream.test_pipeline import _interlaced_clip

BT709, BT2020 = 1, 9  # FFmpeg's AVColorSpace (BT2020: non-constant luminance)
LIMITED, FULL = 1, 2  # AVColorRange


def _first_frame(path) -> av.VideoFrame:
    with av.open(str(path)) as c:
        return next(c.decode(c.streams.video[0]))


@pytest.mark.parametrize("colours", [(BT709, LIMITED), (BT709, FULL), (BT2020, LIMITED)],
                         ids=["bt709", "bt709-full", "bt2020"])
@pytest.mark.parametrize("field, order", [("tff", FIELD_TT), ("bff", FIELD_BB)])
def test_the_field_order_of_a_frame_tagged_bt709_or_bt2020_is_its_flag(tmp_path, field, order, colours):
    """The filter graph that reads the flag was told no matrix: FFmpeg converted a BT.709 or BT.2020 frame to
    BT.601 on the way through it, the rows compared no longer matched, and a top-first frame was read as
    bottom-first (FIELD_BB, 3, for FIELD_TT, 2)."""
    first = _first_frame(_interlaced_clip(tmp_path / "hd.mkv", field, colours=colours))
    assert (first.interlaced_frame, first.colorspace, first.color_range) == (True, *colours)
    assert field_order(first) == order


def test_an_hd_top_field_first_video_is_written_top_field_first(tmp_path, weights, cli):
    """An AVCHD camcorder's 1080i (top field first, BT.709) came out flagged bottom field first in the MP4, every
    frame and the 'fiel' box: a player then shows each pair of fields in the wrong order, moving edges jitter
    back and forth."""
    src = _interlaced_clip(tmp_path / "avchd.mkv", "tff", colours=(BT709, LIMITED))
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", weights, "-q")
    assert result.returncode == 0, result.stderr
    first = _first_frame(out)
    assert (first.interlaced_frame, first.colorspace) == (True, BT709)
    assert field_order(first) == FIELD_TT
