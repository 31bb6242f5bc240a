"""The decode thread's read-ahead is counted in frames (what memory is planned in), not in items: the audio
packets between the frames do not take a frame's place."""

import time

import numpy as np

from enlight.stream.io.source import VideoSource
from enlight.stream.io.source_items import DecodedFrame
from tests.media import make_clip


def _items(source) -> list:
    """(is a frame, pts, its pixels or the packet's bytes) of each item of a source or an iterator over one."""
    return [(True, item.pts, item.rgb) if isinstance(item, DecodedFrame) else (False, item.pts, bytes(item))
            for item in source]


def _wait_for(condition, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_the_read_ahead_holds_its_number_of_frames_whatever_audio_lies_between_and_the_items_stay_in_order(
        tmp_path):
    clip = make_clip(tmp_path / "in.mp4", frames=12, audio=True)
    with VideoSource(clip, queue_size=64) as plain:
        expected = _items(plain)
    with VideoSource(clip) as source:
        source.set_queue_size(3)
        items = iter(source)
        first = [next(items)]
        assert _wait_for(lambda: source._queue.frames() == 3)
        time.sleep(0.3)
        assert source._queue.frames() == 3  # held at 3 frames ...
        waiting = len(source._queue._items)
        assert waiting > 3  # ... with the audio packets read between them beside them
        got = _items(first) + _items(items)
    assert [(video, pts) for video, pts, _ in got] == [(video, pts) for video, pts, _ in expected]
    assert sum(video for video, _, _ in got) == 12 and any(not video for video, _, _ in got)
    for (video, _, value), (_, _, want) in zip(got, expected, strict=True):
        assert np.array_equal(value, want) if video else value == want
