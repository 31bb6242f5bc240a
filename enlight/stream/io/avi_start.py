"""Where each stream of an AVI file starts: its stream header's ``dwStart``, for sound that begins after time 0.

AVI holds no timestamps: a stream's chunks follow one another from its start, and FFmpeg's AVI muxer puts every
stream's first chunk at 0 (it fills the gaps between a video's frames with empty chunks, but none before the
first). A recording whose sound begins 2 s into the picture (a camera's microphone that starts late, a cut) had
its sound moved to 0: 2 s ahead of the picture all through. The AVI stream header's ``dwStart`` is the delay
its readers (FFmpeg's, DirectShow's) start a stream at; FFmpeg writes 0. ``set_starts`` writes it once the file
is closed, from where the stream's first packet was muxed (``StreamStarts``).
"""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av

_START_AT = 28  # the offset of dwStart in a 'strh' chunk's data (after type, handler, flags, priority, language,
# initial frames, scale and rate)


class StreamStarts:
    """The time (seconds) each output stream's first packet is muxed at, for ``set_starts``."""

    def __init__(self, offset_s: Fraction = Fraction(0)) -> None:
        self._offset = offset_s  # what the muxer moves every packet on by (its output_ts_offset)
        self._first: dict[int, Fraction] = {}
        self._audio: set[int] = set()

    def seen(self, packets: list[av.Packet]) -> None:
        """Note the first of ``packets`` (on their way to the muxer) of each stream."""
        for packet in packets:
            time = packet.dts if packet.dts is not None else packet.pts
            if time is not None and packet.stream.index not in self._first and packet.time_base:
                self._first[packet.stream.index] = time * packet.time_base + self._offset
                if packet.stream.type == "audio":
                    self._audio.add(packet.stream.index)

    def audio_starts(self) -> dict[int, Fraction]:
        """Seconds from the file's 0 to the first packet of each audio stream, as the muxer moves them all on by
        what the earliest lies before 0 (FFmpeg's avoid_negative_ts)."""
        if not self._first:
            return {}
        moved = max(Fraction(0), -min(self._first.values()))
        return {index: self._first[index] + moved for index in self._audio}


def set_starts(path: Path, starts: dict[int, Fraction]) -> None:
    """Write each stream's start (``starts``: stream index -> seconds) as its stream header's ``dwStart``, in the
    stream's own units (its scale over its rate: a chunk of AAC, 1024 samples, or a sample), in the AVI file at
    ``path``. Starts under half a unit, and a file whose headers cannot be read, are left as they are."""
    with open(path, "r+b") as file:
        head = file.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"AVI ":
            return
        for index, at in enumerate(_stream_headers(file)):
            if starts.get(index, 0) <= 0:
                continue
            file.seek(at + 20)
            scale, rate = struct.unpack("<II", file.read(8))
            units = round(starts[index] * rate / scale) if scale and rate else 0
            if units > 0:
                file.seek(at + _START_AT)
                file.write(struct.pack("<I", units))


def _stream_headers(file) -> list[int]:
    """Where the data of each stream's 'strh' chunk starts in an AVI ``file`` (after its 12-byte RIFF header), in
    stream order: inside the 'hdrl' list, one 'strl' list a stream."""
    file.seek(12)
    kind, size, name = struct.unpack("<4sI4s", file.read(12))
    if kind != b"LIST" or name != b"hdrl":
        return []
    end, pos, found = 12 + 8 + size, 24, []
    while pos + 8 <= end:
        file.seek(pos)
        kind, size = struct.unpack("<4sI", file.read(8))
        if kind == b"LIST" and file.read(4) == b"strl":
            file.seek(pos + 12)
            inner, length = struct.unpack("<4sI", file.read(8))
            if inner == b"strh" and length >= _START_AT + 4:
                found.append(pos + 20)
        pos += 8 + size + (size & 1)
    return found
