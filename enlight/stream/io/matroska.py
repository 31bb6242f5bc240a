"""A Matroska or WebM file cut short, told from the size its Segment element declares.

A Matroska file is an EBML header followed by one Segment element, whose size (an EBML variable-length integer
after the Segment ID 0x18538067) counts every byte of the recording. A muxer that can seek back (FFmpeg writing
a file, mkvmerge) writes it when the file is finished; a cut-off download or copy then ends before the Segment
does, and the demuxer, which has no index that points past the cut (the Cues come last), just stops early. A
live recorder (a pipe, a browser's MediaRecorder, a recording killed before its end) writes the Segment's size
as 'unknown' (every value bit set): nothing can be told from it, and nothing is said.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

EBML_ID = 0x1A45DFA3
SEGMENT_ID = 0x18538067
_HEAD_BYTES = 4096  # the EBML header (and any Void before the Segment) is a few dozen bytes


@dataclass(frozen=True)
class CutShort:
    """A Matroska file that ends before its Segment does: ``declared`` bytes (the Segment's end, from the start
    of the file), of which ``present`` are there."""

    declared: int
    present: int

    @property
    def missing(self) -> int:
        return self.declared - self.present


def _vint(data: bytes, at: int, *, keep_marker: bool) -> tuple[int, int, bool] | None:
    """(value, length, unknown) of the EBML variable-length integer at ``at``: an element ID (``keep_marker``:
    IDs are written with their length marker) or a size, which is 'unknown' when all its value bits are set.
    None where the bytes are not one (a zero first byte, or cut off)."""
    if at >= len(data) or data[at] == 0:
        return None
    length = 8 - data[at].bit_length() + 1
    if at + length > len(data):
        return None
    value = int.from_bytes(data[at:at + length], "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
    return value, length, not keep_marker and value == (1 << (7 * length)) - 1


def segment_end(head: bytes) -> int | None:
    """Where the Segment of the Matroska file that starts with ``head`` ends (bytes from the start of the file);
    None for another kind of file, a Segment of unknown size (a live recording) or one not found in ``head``."""
    at = 0
    while True:
        element = _vint(head, at, keep_marker=True)
        size = _vint(head, at + element[1], keep_marker=False) if element else None
        if element is None or size is None or (at == 0 and element[0] != EBML_ID):
            return None
        start = at + element[1] + size[1]
        if element[0] == SEGMENT_ID:
            return None if size[2] else start + size[0]
        if size[2]:
            return None
        at = start + size[0]


def matroska_cut(path: Path) -> CutShort | None:
    """A ``CutShort`` for a Matroska or WebM file that ends before its Segment does; None for a complete one, a
    live recording (Segment size unknown) or a file of another kind."""
    try:
        with path.open("rb") as file:
            head = file.read(_HEAD_BYTES)
        present = path.stat().st_size
    except OSError:
        return None
    end = segment_end(head)
    if end is None or end <= present:
        return None
    return CutShort(declared=end, present=present)


def _seconds(text: str) -> float | None:
    """Seconds of a Matroska DURATION tag ('00:00:02.500000000'); None if it is not one."""
    try:
        hours, minutes, seconds = text.strip().split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


def declared_frames(tags: dict[str, str], rate: Fraction) -> int | None:
    """The video stream's frame count as its Matroska tags give it, which a muxer writes in the header and a cut
    file keeps: mkvmerge's NUMBER_OF_FRAMES, else FFmpeg's DURATION at the stream's ``rate``; None without them."""
    tags = {key.upper().split("-")[0]: value for key, value in tags.items()}
    if tags.get("NUMBER_OF_FRAMES", "").isdigit():
        return int(tags["NUMBER_OF_FRAMES"])
    seconds = _seconds(tags.get("DURATION", ""))
    return round(seconds * rate) if seconds and rate else None
