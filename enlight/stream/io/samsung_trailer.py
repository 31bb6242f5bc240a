"""The records a Samsung phone appends to its JPEGs after the picture (its 'SEF' trailer): the time in UTC
('Image_UTC_Data'), the country code ('MCC_Data'), a portrait's depth and second camera's picture ('DualShot_*'),
and, in a motion photo from a Galaxy S7 to S9, the clip ('MotionPhoto_Data', an MP4), which such a file names
nowhere else (later phones also list it in Google's XMP: ``enlight.stream.io.motion_photo``).

The trailer ends with its directory: ``SEFH``, a version and a count (little-endian 32-bit), one entry of 12 bytes a
record (2 bytes 0, a 16-bit type, the record's distance back from ``SEFH`` and its length), the directory's length
and ``SEFT``; each record is 2 bytes 0, its type, the length of its name (32-bit), the name and the data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

MOTION_CLIP = "MotionPhoto_Data"
_TAIL = 8  # the directory's length and 'SEFT'
_MAX_DIRECTORY = 1 << 16


@dataclass(frozen=True)
class Record:
    """One record of the trailer: its ``name`` and where its data lies in the file (``start``, ``length`` bytes)."""

    name: str
    start: int
    length: int


def records(path: Path) -> list[Record]:
    """The records of the Samsung trailer ending ``path``, in the file's order; [] where it ends otherwise or the
    directory does not hold together (read from the file's end: the picture is not read)."""
    with open(path, "rb") as file:
        size = file.seek(0, 2)
        if size < _TAIL + 12:
            return []
        file.seek(size - _TAIL)
        tail = file.read(_TAIL)
        length = struct.unpack("<I", tail[:4])[0]
        if tail[4:] != b"SEFT" or not 12 <= length <= min(_MAX_DIRECTORY, size - _TAIL):
            return []
        head = size - _TAIL - length
        file.seek(head)
        directory = file.read(length)
        found = [_record(file, head, entry) for entry in _entries(directory)]
    return sorted((record for record in found if record is not None), key=lambda record: record.start)


def _entries(directory: bytes) -> list[tuple[int, int]]:
    """The directory's (distance back from SEFH, length) entries; [] where it is not one."""
    if directory[:4] != b"SEFH":
        return []
    count = struct.unpack("<I", directory[8:12])[0]
    if 12 + 12 * count > len(directory):
        return []
    return [struct.unpack("<II", directory[16 + 12 * i:24 + 12 * i]) for i in range(count)]


def _record(file, head: int, entry: tuple[int, int]) -> Record | None:
    """The record an entry points to (its name read from the file), or None where it does not fit before SEFH."""
    back, length = entry
    start = head - back
    if back < 8 or start < 0 or length < 8 or start + length > head:
        return None
    file.seek(start)
    name_length = struct.unpack("<I", file.read(8)[4:])[0]
    if 8 + name_length > length:
        return None
    name = file.read(name_length).decode("latin-1")
    return Record(name, start + 8 + name_length, length - 8 - name_length)


def read_record(path: Path, record: Record) -> bytes:
    """``record``'s data from ``path``."""
    with open(path, "rb") as file:
        file.seek(record.start)
        return file.read(record.length)


__all__ = ["MOTION_CLIP", "Record", "read_record", "records"]
