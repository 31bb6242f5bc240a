"""Whether a live source's declared sound sends any: each connection's first packets read ahead of its picture
until the first packet of its sound, or ``AHEAD_S`` of its picture; and whether it goes on sending (``SoundWatch``).

An IP camera whose microphone is off still declares its sound (G.711 or AAC with its rate, in its SDP or its
stream's header) and then never sends a packet of it. A recording opened with a track for that sound got an empty
one (read back: an audio stream of no packets); and a fragmented MP4 or MOV (``crash_safe``) writes nothing until
each of its tracks has a sample, so such a recording was 0 bytes on the disk until it was closed, the whole of it
held in memory meanwhile, and a killed run left nothing of it. A track must be declared before a recording's first
frame, so the source reads ahead at each connection's start (``LiveSource``): the packets as demuxed (not decoded:
kB, a few MB at most) until one of its sound (a source with sound: a packet or two in), its picture has run
``AHEAD_S`` by its timestamps, or the end. That costs no waiting where the packets are there already: a file, a pipe
fed faster than it plays, and a camera's first seconds, which FFmpeg's open has read and holds (an MPEG-TS that names
its sound without its form is read for 7 s where the sound never comes: ``live_source._backlog_s``). Where they are not
(the source sends as it goes), it waits at most ``WAIT_S`` (``waited_s``), and the frames read ahead are due that much
earlier, as they came: the picture is as live as it was.

Sound may also stop part way (a camera's microphone turned off, a pipe whose sound ceases while its picture goes on).
A recording opened after that with a track for it got the same empty track, 0 bytes on the disk while it was written.
``SoundWatch`` tells it by the same measure: ``AHEAD_S`` of picture demuxed since the sound's last packet. A live
source's sound comes interleaved with its picture far closer than that (packets of 20-64 ms; an MPEG-TS muxer's
within 0.7 s), so a packet or two lost on the way does not count as a stop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import av

AHEAD_S = 2.0  # how much of a connection's picture (by its timestamps) its sound is looked for in
WAIT_S = 0.5  # the longest the source is waited on meanwhile, from its first packet of picture
MOST = 600  # packets read ahead at most (a source without timestamps)
JUMP_S = 1.0  # a picture timestamp further than this from the last one counts as this much (a clock that jumped)


@dataclass(frozen=True)
class ReadAhead:
    """packets: those read, in demux order (to be played first); heard: whether one of the sound's (not empty) is
    among them; waited_s: how long the reading took from the first packet of the picture on (seconds: about 0 where
    the packets were there, at most about ``WAIT_S``); seen_s: how much of the picture was read, by its timestamps
    (seconds; None: no packet of it came)."""

    packets: list[av.Packet]
    heard: bool
    waited_s: float = 0.0
    seen_s: float | None = 0.0


def read_ahead(demuxed: Iterator[av.Packet], sound_index: int, stop: threading.Event) -> ReadAhead:
    """Read ``demuxed`` (a connection's picture and sound, as ``InputContainer.demux`` gives them) until a packet of
    the stream ``sound_index``, ``AHEAD_S`` of the picture's own time, ``WAIT_S`` of waiting, ``MOST`` packets,
    ``stop`` or the end. FFmpeg's errors (a source lost meanwhile) are raised, as the demux raises them."""
    packets: list[av.Packet] = []
    first_at, span = None, [None, 0.0]  # (when the first packet of picture came; its time, and how far it ran)
    for packet in demuxed:
        packets.append(packet)
        if packet.stream_index == sound_index:
            if packet.size:
                return _read(packets, True, first_at, span[1])
            continue
        now = time.perf_counter()
        first_at = now if first_at is None else first_at
        ticks = packet.dts if packet.dts is not None else packet.pts
        if ticks is not None and packet.time_base is not None:
            span[0] = float(ticks * packet.time_base) if span[0] is None else span[0]
            span[1] = max(span[1], float(ticks * packet.time_base) - span[0])
        if span[1] >= AHEAD_S or now - first_at >= WAIT_S or len(packets) >= MOST or stop.is_set():
            break
    return _read(packets, False, first_at, span[1])


def _read(packets: list[av.Packet], heard: bool, first_at: float | None, seen_s: float) -> ReadAhead:
    if first_at is None:
        return ReadAhead(packets, heard, 0.0, None)
    return ReadAhead(packets, heard, time.perf_counter() - first_at, seen_s)


class SoundWatch:
    """Whether a connection's sound, once heard, has stopped: ``AHEAD_S`` of its picture (by its timestamps, in demux
    order, so that an offset between the two streams' clocks does not matter) came after its last packet. ``step``:
    what a packet of picture without a timestamp counts for (one frame, seconds). ``last_s``: the last packet of
    sound's time in its stream (seconds; None before one), ``last_at``: when it was demuxed (local time)."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.last_s: float | None = None
        self.last_at: datetime | None = None
        self.stopped = False
        self._since = 0.0  # picture since the last packet of sound, s
        self._top: float | None = None  # the latest picture timestamp, s

    def sound(self, packet: av.Packet) -> None:
        """A packet of the sound (not empty) came: it is sending (again)."""
        ticks = packet.pts if packet.pts is not None else packet.dts
        if ticks is not None and packet.time_base is not None:
            self.last_s = float(ticks * packet.time_base)
        self.last_at, self.stopped, self._since = datetime.now(), False, 0.0

    def picture(self, packet: av.Packet) -> bool:
        """A packet of the picture came; True where it is the one by which the sound, heard before, has stopped (an
        empty one, the demuxer's at the end, counts for nothing)."""
        if not packet.size:
            return False
        seen = self._advance(packet)
        if self.last_at is None or self.stopped:
            return False
        self._since += seen
        self.stopped = self._since >= AHEAD_S
        return self.stopped

    def _advance(self, packet: av.Packet) -> float:
        """How far the picture went on with ``packet`` (s): its timestamp past the latest, at most ``JUMP_S``; one
        ``step`` where it has none; 0 where it went back (B-frames' order, a clock started again)."""
        ticks = packet.dts if packet.dts is not None else packet.pts
        if ticks is None or packet.time_base is None:
            return self.step
        at = float(ticks * packet.time_base)
        top, self._top = self._top, at if self._top is None else max(self._top, at)
        if top is None or at < top - JUMP_S:
            self._top = at
            return 0.0
        return min(max(at - top, 0.0), JUMP_S)
