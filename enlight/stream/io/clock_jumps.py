"""An MPEG-TS or MPEG-PS whose clock jumps: the packets after a jump moved to follow on from those before it.

An HDV camcorder or a DVB recorder starts its clock again at each recording, anywhere: a tape captured over
FireWire (or recordings joined with ``cat``) holds several, and the next one's clock often starts before the last
one's ended. FFmpeg's demuxer takes a jump back for the 33-bit clock wrapping round and hands on the packets
after it 26.5 hours later: an MP4 output refused that long a frame, after the work ('cannot finish writing
out.mp4: Not yet implemented in FFmpeg', exit 2, or mid-run an internal error, exit 1), and a Matroska output
showed the first recording's last picture for 26 hours. FFmpeg's own command line moves the
timestamps after a jump of more than 10 s (its ``-dts_delta_threshold``) in the formats that say their clock can
jump (``AVFMT_TS_DISCONT``); so does ``joined``, for all the streams read alike, so they stay in step.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from itertools import islice

import av

THRESHOLD = Fraction(10)  # s: a step of the clock longer than this, forward or back, is a jump (FFmpeg's default)
BACK = Fraction(1, 10)  # s: a stream's own decoding time going back by more than this is a jump too (FFmpeg's rule)
LOOKAHEAD = 64  # packets read past a jump to find the earliest of the next recording's streams


def jumps(container: av.container.InputContainer) -> bool:
    """Whether ``container``'s format says its clock can jump (FFmpeg's ``AVFMT_TS_DISCONT``: MPEG-TS, MPEG-PS)."""
    return bool(container.format.flags & av.format.Flags.ts_discont.value)


def joined(packets: Iterator[av.Packet]) -> Iterator[av.Packet]:
    """``packets`` (in demux order) with each jump of their clock taken out: the packets after it moved by one
    offset, so that the earliest of them (of the next ``LOOKAHEAD``, within ``THRESHOLD`` of the first) starts where
    the latest before it ended. A jump is a step of more than ``THRESHOLD`` from where the clock had got to, or a
    stream's own decoding time going back by more than ``BACK`` (FFmpeg's rule: recordings joined with ``cat``
    whose clocks each start near the same time, as FFmpeg's muxer starts every MPEG-TS at 1.4 s; the second's frames
    were each moved 1 tick after the first's last, shown as one, and its sound stopped the run). Only sound and
    pictures tell a jump and where the clock had got to (``_paced``); subtitles and data are moved with them.
    Packets without a time pass as they are."""
    offset, end = Fraction(0), None
    last: dict[int, Fraction] = {}  # each paced stream's latest decoding time, moved
    for packet in packets:
        at = _time(packet) if _paced(packet) else None
        if at is None or end is None or not _jump(at + offset, end, last.get(packet.stream.index)):
            end = _moved(packet, offset, end, last)
            yield packet
            continue
        ahead = [packet, *islice(packets, LOOKAHEAD)]
        offset = end - min(t for p in ahead if _paced(p) and (t := _time(p)) is not None and abs(t - at) <= THRESHOLD)
        for later in ahead:
            end = _moved(later, offset, end, last)
            yield later


def _jump(at: Fraction, end: Fraction, last: Fraction | None) -> bool:
    """Whether a paced packet at ``at`` (moved) is past a jump of the clock: more than ``THRESHOLD`` from ``end``,
    or more than ``BACK`` before its own stream's ``last`` (None: its first)."""
    return abs(at - end) > THRESHOLD or (last is not None and at < last - BACK)


def _paced(packet: av.Packet) -> bool:
    """Whether ``packet`` is sound or a picture, whose times follow the clock from one to the next: a subtitle
    shown for 15 s (its duration) or a data track's times would have read as a jump of the clock."""
    return packet.stream.type in ("video", "audio")


def _time(packet: av.Packet) -> Fraction | None:
    """A packet's decoding time (else its presentation time) in seconds; None where it has neither."""
    stamp = packet.dts if packet.dts is not None else packet.pts
    return None if stamp is None or packet.time_base is None else stamp * packet.time_base


def _moved(packet: av.Packet, offset: Fraction, end: Fraction | None, last: dict[int, Fraction]) -> Fraction | None:
    """Moves ``packet``'s timestamps on by ``offset`` seconds (in whole ticks of its time base), and records its
    moved time as its stream's ``last``; returns the later of ``end`` and where the moved packet ends (``end`` for a
    packet not ``_paced``)."""
    at = _time(packet)
    if at is None:
        return end
    ticks = move_packet(packet, offset)
    if not _paced(packet):
        return end
    moved = at + ticks * packet.time_base
    last[packet.stream.index] = max(moved, last.get(packet.stream.index, moved))
    finish = moved + (packet.duration or 0) * packet.time_base
    return finish if end is None else max(end, finish)


def move_packet(packet: av.Packet, seconds: Fraction) -> int:
    """Moves ``packet``'s timestamps on by ``seconds`` (back where negative), in whole ticks of its time base;
    returns the ticks."""
    ticks = round(seconds / packet.time_base)
    if ticks:
        packet.pts = None if packet.pts is None else packet.pts + ticks
        packet.dts = None if packet.dts is None else packet.dts + ticks
    return ticks
