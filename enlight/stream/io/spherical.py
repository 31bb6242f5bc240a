"""A 360 or VR video's projection: how players and YouTube learn that an MP4 or MOV holds an equirectangular
(or cube-map) picture to look around in, not a flat one. Without it a 360 camera's night clip, enhanced, played as
a stretched flat picture.

Google's Spherical Video V2 puts it in the video's sample entry, beside its codec configuration: an ``st3d`` box
(stereo mode) and an ``sv3d`` box (``svhd`` + ``proj``: the pose, then ``equi`` or ``cbmp``); the older V1 puts
an XML description in a ``uuid`` box of the video track. FFmpeg reads both as stream side data, but PyAV cannot
give side data to a stream it encodes, so the boxes are copied as they were (``read_spherical``) into the
finished file (``add_spherical``): inserted where they belong, the sizes of the boxes around them grown, and,
where the index comes before the media (``faststart``), every chunk offset moved by what was inserted.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from enlight.stream.io.temporary import temporary_path

SPHERICAL_V1 = bytes.fromhex("ffcc8263f8554a938814587a02521fdd")  # the 'uuid' box of V1's XML
_ENTRY_BOXES = (b"st3d", b"sv3d")
_VISUAL_ENTRY_FIELDS = 78  # a VisualSampleEntry's fields before its child boxes (ISO/IEC 14496-12, 12.1.3)
_PATH = (b"mdia", b"minf", b"stbl", b"stsd")
MP4_MUXERS = ("mp4", "mov", "ipod")  # FFmpeg's muxers of .mp4, .mov and .m4v files (ISO media: a moov box)


@dataclass(frozen=True)
class Spherical:
    """The raw boxes that make a video 360: ``entry`` (``st3d`` and ``sv3d``, children of its sample entry) and
    ``track`` (V1's ``uuid`` box, a child of its track); either may be empty."""

    entry: bytes = b""
    track: bytes = b""


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, start, header length, end) of each box in ``data[start:end]``."""
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, at + 8)[0], 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            return
        yield kind, at, header, at + size
        at += size


def _child(data, box: tuple[bytes, int, int, int], kind: bytes, skip: int = 0):
    """The first child box of type ``kind`` of ``box`` (its children start ``skip`` bytes after its header)."""
    return next((b for b in _boxes(data, box[1] + box[2] + skip, box[3]) if b[0] == kind), None)


def _video_track(moov: bytes | bytearray):
    """(trak, [trak, mdia, minf, stbl, stsd, sample entry]) of the first video track in ``moov``; None if none."""
    top = (b"moov", 0, 8, len(moov)) if moov[4:8] == b"moov" else None
    for trak in (b for b in _boxes(moov, top[2], top[3]) if b[0] == b"trak") if top else ():
        chain, box = [trak], trak
        for kind in _PATH:
            box = _child(moov, box, kind)
            if box is None:
                break
            chain.append(box)
        hdlr = _child(moov, chain[1], b"hdlr") if len(chain) > 1 else None
        if box is None or hdlr is None or moov[hdlr[1] + hdlr[2] + 8:hdlr[1] + hdlr[2] + 12] != b"vide":
            continue
        entry = next(_boxes(moov, box[1] + box[2] + 8, box[3]), None)  # stsd: version, flags, entry count
        if entry is not None:
            return trak, [*chain, entry]
    return None


def _moov(path: Path) -> tuple[int, int, int] | None:
    """(start, end, start of the first mdat or -1) of the file's top-level moov box; None if it has none."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        found, media, at = None, -1, 0
        while at + 8 <= size:
            f.seek(at)
            header = f.read(16)
            length, kind = struct.unpack_from(">I4s", header)
            length = struct.unpack_from(">Q", header, 8)[0] if length == 1 else (size - at if length == 0 else length)
            if length < 8:
                return None
            if kind == b"moov":
                found = (at, at + length)
            elif kind == b"mdat" and media < 0:
                media = at
            at += length
    return (*found, media) if found else None


def _read_moov(path: Path):
    """((start, end, first mdat) of the moov box as ``_moov`` gives them, the box's bytes, its first video track as
    ``_video_track`` gives it); None where the file has no moov box or no video track in it."""
    where = _moov(path)
    if where is None:
        return None
    with open(path, "rb") as f:
        f.seek(where[0])
        moov = bytearray(f.read(where[1] - where[0]))
    found = _video_track(moov)
    return (where, moov, found) if found is not None else None


def read_spherical(path: Path) -> Spherical | None:
    """The 360 boxes of an MP4 or MOV file's first video track; None when it has none or is not such a file."""
    try:
        read = _read_moov(path)
    except (OSError, struct.error):
        return None
    if read is None:
        return None
    _, moov, (trak, chain) = read
    entry = chain[-1]
    boxes = b"".join(bytes(moov[b[1]:b[3]]) for b in _boxes(moov, entry[1] + entry[2] + _VISUAL_ENTRY_FIELDS,
                                                              entry[3]) if b[0] in _ENTRY_BOXES)
    track = b"".join(bytes(moov[b[1]:b[3]]) for b in _boxes(moov, trak[1] + trak[2], trak[3])
                     if b[0] == b"uuid" and moov[b[1] + b[2]:b[1] + b[2] + 16] == SPHERICAL_V1)
    return Spherical(boxes, track) if boxes or track else None


def _insert(moov: bytearray, at: int, data: bytes, ancestors: list[tuple[bytes, int, int, int]]) -> None:
    """Insert ``data`` at ``at`` and grow each of ``ancestors`` (boxes that hold ``at``) by its length."""
    moov[at:at] = data
    for _, start, header, _ in ancestors:
        if header == 16:
            struct.pack_into(">Q", moov, start + 8, struct.unpack_from(">Q", moov, start + 8)[0] + len(data))
        else:
            struct.pack_into(">I", moov, start, struct.unpack_from(">I", moov, start)[0] + len(data))


def _shift_chunks(moov: bytearray, by: int) -> None:
    """Move every chunk offset (``stco``, ``co64``) of every track in ``moov`` by ``by`` bytes."""
    def walk(start: int, end: int) -> None:
        for kind, at, header, stop in _boxes(moov, start, end):
            if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
                walk(at + header, stop)
            elif kind in (b"stco", b"co64"):
                count = struct.unpack_from(">I", moov, at + header + 4)[0]
                form, step = (">I", 4) if kind == b"stco" else (">Q", 8)
                for i in range(count):
                    where = at + header + 8 + step * i
                    struct.pack_into(form, moov, where, struct.unpack_from(form, moov, where)[0] + by)

    walk(0, len(moov))


def add_spherical(path: Path, spherical: Spherical) -> bool:
    """Insert ``spherical``'s boxes into the MP4 or MOV file at ``path`` (rewritten through a temporary file);
    False, the file untouched, where it has no video track to hold them."""
    read = _read_moov(path)
    if read is None:
        return False
    where, moov, (trak, chain) = read
    entry = chain[-1]
    if spherical.track:  # at the end of the track: after the entry's, so insert it first
        _insert(moov, trak[3], spherical.track, [_box_at(moov, 0), trak])
    if spherical.entry:
        _insert(moov, entry[3], spherical.entry, [_box_at(moov, 0), *chain])
    grown = len(moov) - (where[1] - where[0])
    if 0 <= where[2] and where[0] < where[2]:  # the index before the media: the media moved
        _shift_chunks(moov, grown)
    tmp = temporary_path(path)
    try:
        with open(path, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(_limited(src, where[0]), out)
            out.write(moov)
            src.seek(where[1])
            shutil.copyfileobj(src, out)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def spherical_not_kept(kind: str) -> str:
    """The note for a 360 source written as a ``kind`` file ('.mkv') that is not given its projection."""
    return f"the 360 projection was not kept: a {kind} output is not given it here (an .mp4 or .mov output keeps it)"


def _box_at(data, start: int) -> tuple[bytes, int, int, int]:
    return next(_boxes(data, start, len(data)))


class _limited:
    """The first ``count`` bytes of a file, for ``shutil.copyfileobj``."""

    def __init__(self, f, count: int) -> None:
        self.f, self.left = f, count

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.f.read(size)
        self.left -= len(data)
        return data


__all__ = ["MP4_MUXERS", "Spherical", "add_spherical", "read_spherical", "spherical_not_kept"]
