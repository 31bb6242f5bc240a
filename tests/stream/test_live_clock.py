"""``LiveClock``: when each frame of a paced live source (a file, URL or pipe played as a camera) is due."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from enlight.stream.io.live_clock import LiveClock


def _frame_at(seconds: float) -> av.VideoFrame:
    frame = av.VideoFrame(16, 16, "rgb24")
    frame.pts, frame.time_base = round(seconds * 25), Fraction(1, 25)
    return frame


def test_frames_held_while_a_source_opened_are_due_at_once_until_the_clock_has_caught_up():
    """A first frame held 5 s (a stream's open waited that long for sound it declares and never sends, its picture
    coming all the while): the frames held behind it are due at once, not 5 s late as the clock anchored at the first
    frame had them for the whole run; once caught up the clock paces as before, and a later stall of 1.5 s anchors
    it again (a source that comes back late is not rushed)."""
    clock = LiveClock(1 / 25)
    assert clock.due(_frame_at(0.0), 100.0, held_s=5.0) == 95.0
    assert clock.due(_frame_at(4.0), 100.1) == pytest.approx(99.0)  # (held: due at once, not re-anchored)
    assert clock.due(_frame_at(5.2), 100.2) == pytest.approx(100.2)  # (caught up)
    assert clock.due(_frame_at(5.4), 100.2) == pytest.approx(100.4)  # (early: held back until due)
    assert clock.due(_frame_at(5.6), 102.1) == pytest.approx(102.1)  # (1.5 s late: anchored again)
    assert clock.due(_frame_at(5.64), 102.1) == pytest.approx(102.14)


def test_a_clock_not_held_takes_a_late_frame_for_a_jump_as_before():
    clock = LiveClock(1 / 25)
    assert clock.due(_frame_at(0.0), 100.0) == 100.0
    assert clock.due(_frame_at(0.04), 101.5) == 101.5  # (1.46 s late: anchored again)
    assert clock.due(_frame_at(0.08), 101.5) == pytest.approx(101.54)
