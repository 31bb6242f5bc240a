"""Subtitles on screen where a part of a video starts (``--start``): a cue that began before the part and is still
shown at its start is kept, cut to begin there, as a player showing the part would show it.

The file is read from the keyframe before the start, so a cue that began a few seconds earlier may lie before
that keyframe: ``cues_at_start`` reads the subtitle packets of the ``LEAD_S`` seconds before the start with a
second demuxer (packets only, nothing decoded). ``cut_cue`` cuts one packet to the part; the gate
(``enlight.stream.io.span.SpanGate``) uses it for a stream, which is read from its beginning.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av

if TYPE_CHECKING:
    from enlight.stream.io.span import Span

LEAD_S = 60  # how long before the part's start a cue still shown there may have begun
_PAST_S = 2  # read this far past the start: a muxer interleaves a cue within this of its time


def cut_cue(packet: av.Packet, start: Fraction, end: Fraction | None, shift: int) -> bool:
    """Cut a subtitle ``packet`` (its pts and duration in its time base; ``start``, ``end``: the part, in the file's
    seconds) to begin at ``start`` and end by ``end``, then move it ``shift`` ticks earlier; False where it is not
    shown at ``start`` (it ends by then, or has no pts or duration)."""
    if packet.pts is None or not packet.duration or packet.time_base is None:
        return False
    base = packet.time_base
    finish = (packet.pts + packet.duration) * base
    if finish <= start:
        return False
    if end is not None:
        finish = min(finish, end)
    first = round(start / base)
    packet.pts = packet.dts = first - shift
    packet.duration = max(1, round(finish / base) - first)
    return True


def cues_at_start(path: Path, streams: Mapping[int, av.stream.Stream], span: Span,
                  origin: Fraction) -> list[av.Packet]:
    """The packets of the subtitle streams ``streams`` (by index, as the caller's open container has them) of the
    file ``path`` (its position 0 at ``origin`` seconds) that began before ``span``'s start and are still shown then,
    cut to the span by ``cut_cue`` and moved to its start, each pointed at the caller's stream (a packet must not
    outlive the demuxer whose stream it names); [] where the file cannot be read again."""
    start, end = span.bounds(origin)
    found: list[av.Packet] = []
    try:
        with av.open(str(path)) as container:
            _seek_before(container, max(origin, start - LEAD_S))
            for packet in container.demux():
                stamp = packet.pts if packet.pts is not None else packet.dts
                if stamp is None or packet.time_base is None:
                    continue
                if stamp * packet.time_base >= start + _PAST_S:
                    break
                index = packet.stream.index
                if index not in streams or not packet.size or stamp * packet.time_base >= start:
                    continue
                if cut_cue(packet, start, end, round(span.start / packet.time_base)):
                    packet.stream = streams[index]
                    found.append(packet)
    except (av.error.FFmpegError, OSError):
        return []
    return found


def _seek_before(container, at: Fraction) -> None:
    """Seek ``container`` to a point at or before ``at`` seconds (by its video stream where it has one)."""
    video = next((s for s in container.streams.video if s.time_base), None)
    if video is not None:
        container.seek(int(at / video.time_base), stream=video, backward=True)
    else:
        container.seek(int(at * 1_000_000), backward=True)


__all__ = ["LEAD_S", "cues_at_start", "cut_cue"]
