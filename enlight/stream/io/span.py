"""A part of a video (``--start 1:30 --end 2:10``, or ``--duration 40``): what a user enhances of a long
surveillance or dashcam file instead of the whole of it.

Times are seconds from the file's start, as a player's position shows them (``90``, ``1:30``, ``01:30:00.5``). The
part keeps the frames shown from ``start`` up to (not including) ``end``, as FFmpeg's accurate seek does, and the
sound, subtitle and data packets that start in it; everything is moved ``start`` seconds earlier, so the output
begins where the part does. Chapters are cut to the part, and a start timecode is moved on by the frames left out
(drop-frame timecodes counted as SMPTE 12M counts them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import av

from enlight.errors import EnlightError
from enlight.stream.io.span_cues import cut_cue

_SECONDS = re.compile(r"\d+(\.\d*)?|\.\d+")


def parse_time(text: str, option: str) -> Fraction:
    """``90``, ``90.5``, ``1:30`` or ``01:30:00.5`` -> seconds; a one-line error naming ``option`` otherwise."""
    parts = text.strip().split(":")
    if len(parts) > 3 or not _SECONDS.fullmatch(parts[-1]) or not all(p.isdigit() for p in parts[:-1]):
        raise EnlightError(f"{option} takes seconds (90, 90.5) or a clock time (1:30, 01:30:00.5), not '{text}'")
    seconds = Fraction(parts[-1])
    if len(parts) > 1 and (seconds >= 60 or (len(parts) == 3 and int(parts[1]) >= 60)):
        raise EnlightError(f"{option} '{text}': minutes and seconds run to 59")
    units = [int(p) for p in parts[:-1]]
    return seconds + sum(value * 60 ** (len(units) - i) for i, value in enumerate(units))


class EmptySpan(EnlightError):
    """A video stream with no frame in the part read."""


@dataclass(frozen=True)
class Span:
    """The part of a video from ``start`` up to ``end`` (seconds from the file's start; None: its end)."""

    start: Fraction = Fraction(0)
    end: Fraction | None = None

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end is None

    def bounds(self, origin: Fraction) -> tuple[Fraction, Fraction | None]:
        """(start, end) as timestamps of a file whose position 0 is at ``origin`` seconds (end None: its end)."""
        return origin + self.start, None if self.end is None else origin + self.end

    def describe(self) -> str:
        end = f"{float(self.end):g} s" if self.end is not None else "the end"
        return f"{float(self.start):g} s to {end}"

    def check_start(self, duration: Fraction | None, name: str) -> None:
        """Refuse a start at or past the end of a video ``duration`` seconds long (None: not known)."""
        if duration is not None and self.start >= duration:
            raise EnlightError(f"--start {float(self.start):g} s is past the end of {name} ({float(duration):.2f} s "
                               "long)")

    def frames(self, rate: Fraction, total: int | None) -> int | None:
        """About how many frames of ``total`` (None: unknown) at ``rate`` the part holds."""
        before = round(self.start * rate)
        within = None if self.end is None else round((self.end - self.start) * rate)
        left = None if total is None else max(0, total - before)
        counts = [n for n in (left, within) if n is not None]
        return min(counts) if counts else None

    def chapters(self, chapters: list[dict]) -> list[dict]:
        """PyAV's chapter dicts (start, end, time_base, ...) cut to the part and moved to its start."""
        kept = []
        for chapter in chapters:
            base = chapter["time_base"]
            lo, hi = chapter["start"] * base - self.start, chapter["end"] * base - self.start
            length = None if self.end is None else self.end - self.start
            if hi <= 0 or (length is not None and lo >= length):
                continue
            hi = hi if length is None else min(hi, length)
            kept.append({**chapter, "start": max(0, int(lo / base)), "end": int(hi / base)})
        return kept


def span_from(start: str | None, end: str | None, duration: str | None) -> Span | None:
    """The ``Span`` of the --start, --end and --duration options (None when none is given); one-line errors for an
    end before the start, or both --end and --duration."""
    if start is None and end is None and duration is None:
        return None
    if end is not None and duration is not None:
        raise EnlightError("give --end or --duration, not both")
    first = parse_time(start, "--start") if start is not None else Fraction(0)
    last = parse_time(end, "--end") if end is not None else None
    if duration is not None:
        length = parse_time(duration, "--duration")
        if length <= 0:
            raise EnlightError(f"--duration must be above 0, got {duration}")
        last = first + length
    if last is not None and last <= first:
        raise EnlightError(f"--end ({end}) must come after --start ({start or 0})")
    return Span(first, last)


def shifted_timecode(timecode: str, rate: Fraction, seconds: Fraction) -> str:
    """The SMPTE timecode ``seconds`` of video at ``rate`` after ``timecode`` ('HH:MM:SS:FF', or 'HH:MM:SS;FF'
    drop-frame, whose frame numbers skip 2 (4 at 59.94) at each minute but every tenth)."""
    match = re.fullmatch(r"(\d+):(\d+):(\d+)([:;.,])(\d+)", timecode.strip())
    if match is None or rate <= 0:
        return timecode
    hours, minutes, secs, mark, frames = match.groups()
    base = round(rate)  # frames a timecode second counts
    drop = round(base / 15) if mark in ";," else 0  # 29.97: 2, 59.94: 4
    total_minutes = 60 * int(hours) + int(minutes)
    number = ((total_minutes * 60 + int(secs)) * base + int(frames)) - drop * (total_minutes - total_minutes // 10)
    number += round(seconds * rate)
    if drop:  # frame number -> the labels drop-frame skips added back
        per_ten, per_minute = base * 600 - drop * 9, base * 60 - drop
        tens, rest = divmod(number, per_ten)
        number += drop * 9 * tens + (drop * ((rest - drop) // per_minute) if rest > drop else 0)
    frames_out = number % base
    secs_out = number // base
    hours_out = (secs_out // 3600) % 24
    return f"{hours_out:02d}:{secs_out // 60 % 60:02d}:{secs_out % 60:02d}{mark}{frames_out:02d}"


TAIL_S = Fraction(2)  # read on this far past the end for the sound packets muxed after the last frame's


class SpanGate:
    """What of a file being read lies in ``span``, frame by frame and packet by packet, moved ``span.start``
    earlier. origin: the file's start time (FFmpeg's ``start_time``, seconds), from which the span counts; None for
    a stream (a URL, stdin), whose timestamps start anywhere: its first timestamp seen.
    ``before``: frames decoded ahead of the start (the seek lands on the keyframe before it) and dropped;
    ``past_end``: a frame at or after the end was seen: the video is done."""

    def __init__(self, span: Span, origin: Fraction | None, *, cut_cues: bool = True) -> None:
        self.span = span
        self.origin = origin
        self.cut_cues = cut_cues
        self.before = 0
        self.past_end = False

    def where(self, seconds: Fraction) -> int:
        """-1 before the span, 0 in it, 1 at or after its end (``seconds``: a timestamp of the file)."""
        if self.origin is None:
            self.origin = seconds
        at = seconds - self.origin
        if at < self.span.start:
            return -1
        return 1 if self.span.end is not None and at >= self.span.end else 0

    def frame(self, pts: int, time_base: Fraction) -> int | None:
        """A decoded frame's pts moved to the span's start, or None for a frame outside it (counted)."""
        where = self.where(pts * time_base)
        if where < 0:
            self.before += 1
        self.past_end = self.past_end or where > 0
        return pts - round(self.span.start / time_base) if where == 0 else None

    def packet(self, packet: av.Packet) -> bool:
        """Whether a sound, subtitle or data packet starts in the span; if so it is moved to the span's start. A
        subtitle cue is also cut to end with the span, and (``cut_cues``: where ``span_cues.cues_at_start`` did not
        read them) one still shown at the span's start is kept, cut to begin there."""
        if packet.pts is None or packet.time_base is None:
            return not self.past_end
        at = packet.pts * packet.time_base
        where = self.where(at)
        shift = round(self.span.start / packet.time_base)
        cue = packet.stream.type == "subtitle" and bool(packet.duration)
        start, end = self.span.bounds(self.origin)
        if cue and where < 0 and self.cut_cues:
            return cut_cue(packet, start, end, shift)
        if where != 0:
            return False
        if cue and end is not None:
            return cut_cue(packet, at, end, shift)
        packet.pts -= shift
        if packet.dts is not None:
            packet.dts -= shift
        return True

    def done(self, packet: av.Packet) -> bool:
        """Whether reading can stop: the video is past the end and ``packet`` lies ``TAIL_S`` beyond it."""
        if not self.past_end or self.span.end is None:
            return False
        stamp = packet.dts if packet.dts is not None else packet.pts
        if stamp is None or packet.time_base is None:
            return False
        return stamp * packet.time_base - self.origin >= self.span.end + TAIL_S
