"""Issue 17's start-up: the file command starts decoding before it imports torch (``VideoSource.start``),
into a queue that holds a bounded number of frames (``memory.prefetch_frames``)."""

import time

import numpy as np

from enlight.stream.core.memory import PREFETCH_BYTES, prefetch_frames
from enlight.stream.io.source import DecodedFrame, VideoSource
from tests.media import make_clip


def _items(source: VideoSource) -> list:
    return [(True, item.pts, item.rgb) if isinstance(item, DecodedFrame) else (False, item.pts, bytes(item))
            for item in source]


def _wait_for(condition, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_started_source_decodes_up_to_its_frame_limit_before_it_is_iterated_then_yields_the_same_items(tmp_path):
    clip = make_clip(tmp_path / "in.mp4", frames=12, audio=True)
    with VideoSource(clip) as plain:
        expected = _items(plain)
    with VideoSource(clip) as source:
        source.start(3)
        assert _wait_for(lambda: source._queue.frames() == 3)
        time.sleep(0.3)
        assert source._queue.frames() == 3  # the limit counts frames; the audio packets between them wait too
        got = _items(source)
    assert [(video, pts) for video, pts, _ in got] == [(video, pts) for video, pts, _ in expected]
    assert sum(video for video, _, _ in got) == 12 and any(not video for video, _, _ in got)
    for (video, _, value), (_, _, want) in zip(got, expected, strict=True):
        assert np.array_equal(value, want) if video else value == want


def test_the_frame_limit_of_a_started_source_can_grow_and_shrink(tmp_path):
    clip = make_clip(tmp_path / "in.mp4", frames=12, audio=False)
    with VideoSource(clip) as source:
        source.start(2)
        assert _wait_for(lambda: source._queue.frames() == 2)
        source.set_queue_size(6)
        assert _wait_for(lambda: source._queue.frames() == 6)
        source.set_queue_size(1)  # takes effect as the consumer drains below it
        items = iter(source)
        for _ in range(6):
            next(items)
        time.sleep(0.3)
        assert source._queue.frames() <= 1
        assert len(list(items)) == 6


def test_prefetch_is_a_bounded_number_of_frames():
    assert prefetch_frames(854, 480, budget_bytes=8 << 30) == PREFETCH_BYTES // (854 * 480 * 3)
    assert prefetch_frames(1920, 1080, budget_bytes=8 << 30) == PREFETCH_BYTES // (1920 * 1080 * 3)
    assert prefetch_frames(1920, 1080, budget_bytes=100 << 20) == (25 << 20) // (1920 * 1080 * 3)
    assert prefetch_frames(7680, 4320, budget_bytes=8 << 30) == 2  # at least two, however big
