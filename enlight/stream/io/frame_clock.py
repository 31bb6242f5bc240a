"""Decoded frames' times where the container's timestamps are out of order: an AVI with B-frames.

AVI holds no presentation times: FFmpeg's demuxer numbers the packets in the order they are stored and
guesses each one's time from that, so where the codec reorders frames (H.264 with B-frames, as IP cameras,
DVRs and screen recorders write into AVI) the decoded frames come out in display order with times out of
order (1, 4, 3, 5, 2, ... frame slots). Written as they are, the frames bunched up and gapped (the sink moves
repeated times one tick on), the first frame stood for three, and the rate became 625/29 for 25 fps.
FFmpeg's command reads such frames by the time of the packet that completed each one (its decode time,
``guess_correct_pts`` in libavcodec), which rises steadily; ``retimed`` does the same. Files whose decoded
frames' times rise (MP4, MOV, Matroska, MPEG-TS: nearly all) pass unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain, pairwise

import av

# decoded frames looked at before the clock is chosen: reordered times show by the second or third frame after
# a keyframe (x264's B-pyramid reorders at most 4 deep); the frames wait beside the decoder's queue meanwhile
LOOKAHEAD_FRAMES = 8


def retimed(items: Iterable, step: int) -> Iterator:
    """``items`` (decoded ``av.VideoFrame`` in display order, and other streams' ``av.Packet``), in the same
    order, each frame's ``pts`` (its stream's time base) set by the clock the first ``LOOKAHEAD_FRAMES`` frames
    call for: their own times where these rise; else, where their decode times rise, those, moved so that the
    first frame keeps its own time (a keyframe's, which the demuxer has right), and ``step`` (one frame at the
    average rate, time base units) on from the last frame's for a frame without one (the decoder's last,
    flushed out at the end)."""
    items = iter(items)
    head, seen = [], 0
    for item in items:
        head.append(item)
        seen += isinstance(item, av.VideoFrame)
        if seen == LOOKAHEAD_FRAMES:
            break
    offset = _decode_time_offset([item for item in head if isinstance(item, av.VideoFrame)])
    if offset is None:
        yield from head
        yield from items
        return
    last = None
    for item in chain(head, items):
        if isinstance(item, av.VideoFrame):
            item.pts = item.dts + offset if item.dts is not None else None if last is None else last + step
            last = item.pts if item.pts is not None else last
        yield item


def _decode_time_offset(frames: list[av.VideoFrame]) -> int | None:
    """What moves ``frames``' decode times onto the first one's own time, where their own times fall back
    somewhere and their decode times rise; None where the frames' own times are to be kept."""
    times = [frame.pts for frame in frames if frame.pts is not None]
    decoded = [frame.dts for frame in frames if frame.dts is not None]
    if all(a < b for a, b in pairwise(times)) or not all(a < b for a, b in pairwise(decoded)):
        return None
    first = frames[0]
    return first.pts - first.dts if first.pts is not None and first.dts is not None else 0

