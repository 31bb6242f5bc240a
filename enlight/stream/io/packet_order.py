"""Copied packets whose time goes back: recordings joined end to end that overlap.

MPEG-TS recordings joined with ``cat`` (a DVR's clips, an HLS recording's segments of two qualities) each start their
sound where the clip before had not ended: an AAC encoder's priming and its last frame's padding overlap the next
clip's first frames by a frame or two. Every muxer refuses a packet whose decoding time goes back on its stream
('Invalid argument'), and the run stopped at the first join with an internal error, after the work up to it.

``PacketOrder`` takes each copied packet before it is muxed: a sound packet that starts at or before the last one
copied is left out (the same sound twice; the sound after it stays in step with the picture, where FFmpeg's
``-c copy`` moves it on and every join puts the sound later by the overlap); any other (subtitles, data) is moved to
one tick after the last, as FFmpeg moves it (nothing of it is lost). Sound encoded again is put in order by its
converter (``audio_convert``), the enhanced picture by the sink.
"""

from __future__ import annotations

from collections import Counter

import av

from enlight.text import counted


class PacketOrder:
    """The last decoding time copied on each of the source's streams, and what was done to keep them in order."""

    def __init__(self) -> None:
        self._last: dict[int, int] = {}
        self._left_out: Counter[int] = Counter()
        self._moved: Counter[int] = Counter()
        self._kinds: dict[int, str] = {}

    def take(self, packet: av.Packet) -> bool:
        """Whether to copy ``packet`` (a source packet of one of the streams copied, in the source's time base): False
        for a sound packet that goes back; another is moved on where it does."""
        index, dts = packet.stream.index, packet.dts
        if dts is None:
            return True
        last = self._last.get(index)
        if last is not None and dts <= last:
            self._kinds[index] = packet.stream.type
            if packet.stream.type == "audio":
                self._left_out[index] += 1
                return False
            packet.dts = last + 1
            if packet.pts is not None and packet.pts < packet.dts:
                packet.pts = packet.dts
            self._moved[index] += 1
        self._last[index] = packet.dts
        return True

    def notes(self) -> list[str]:
        """What was left out or moved, a line for each stream."""
        notes = [f"{self._kinds[index]} stream #{index}: {counted(count, 'packet')} that went back in time (recordings "
                 f"joined end to end that overlap: the same sound twice) {_were(count)} left out, so that the sound "
                 "after them stays in step" for index, count in sorted(self._left_out.items())]
        notes += [f"{self._kinds[index]} stream #{index}: {counted(count, 'packet')} that went back in time "
                  f"(recordings joined end to end that overlap) {_were(count)} moved to just after the one before, as "
                  "FFmpeg does" for index, count in sorted(self._moved.items())]
        return notes


def _were(count: int) -> str:
    return "was" if count == 1 else "were"
