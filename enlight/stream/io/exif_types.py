"""EXIF written back as readers expect it. Pillow writes back the EXIF fields it read, but the fields EXIF
2.32 types UNDEFINED (ExifVersion, ComponentsConfiguration, UserComment, a GPS fix's processing method, ...) it
writes as BYTE: the values are the same bytes, yet `exiftool -validate` flags each one ("Non-standard format
(int8u)") and a strict reader may refuse it. ``standard_types`` puts their type back to UNDEFINED in place; a
BYTE and an UNDEFINED value are both one byte per count, so no offset moves.

A maker note (the camera maker's own fields: lens, focus points, shutter count) that is an IFD whose values are
found by offsets from the TIFF header (Canon's, Sony's) pointed at the wrong bytes once Pillow wrote it at another
place; ``keep_maker_note`` moves those offsets with it, as exiftool does.

A damaged EXIF can hold a field Pillow reads but cannot write again: ``writable`` leaves such fields out. The
picture's size in the Exif IFD is the upright one (``picture_size``).

A TIFF output holds the EXIF's IFDs in its own file (``for_tiff``): Pillow's TIFF writer copies the Exif IFD's
pointer to the interoperability IFD as the number it was, an offset into the source file, which then points at
whatever lies there in the new one (`exiftool -validate`: "Bad format (408) for InteropIFD entry 0").
"""

from __future__ import annotations

import mmap
import struct

EXIF_HEADER = b"Exif\x00\x00"  # before the TIFF structure in a JPEG's APP1 segment (and Pillow's bytes)
_BYTE, _UNDEFINED = 1, 7
EXIF_IFD, GPS_IFD, INTEROP_IFD = 0x8769, 0x8825, 0xA005  # the sub-IFDs' pointer tags (the last in the Exif IFD)
SUB_IFDS = (EXIF_IFD, GPS_IFD)  # the sub-IFDs IFD0 points to
_PIXEL_X, _PIXEL_Y = 0xA002, 0xA003  # PixelXDimension, PixelYDimension (Exif IFD)
# what Pillow raises writing a damaged field again (AttributeError: a Make stored as a FLOAT, written as the ASCII
# its tag is)
_PACKING_ERRORS = (struct.error, ValueError, TypeError, OverflowError, AttributeError)
# The fields EXIF 2.32 types UNDEFINED, per IFD (the Exif IFD, the GPS IFD, the interoperability IFD)
_UNDEFINED_FIELDS = {
    EXIF_IFD: {0x9000, 0x9101, 0x927C, 0x9286, 0xA000, 0xA300, 0xA301, 0x8828, 0xA20C, 0xA302, 0xA40B},
    GPS_IFD: {0x001B, 0x001C},
    INTEROP_IFD: {0x0002},
}


def byte_order(tiff: bytes | bytearray) -> str | None:
    """``struct``'s byte order of a TIFF structure ('<' for II, '>' for MM); None when it is not one."""
    return {b"II": "<", b"MM": ">"}.get(bytes(tiff[:2]))


def _tiff(exif: bytes) -> tuple[int, bytearray, str | None]:
    """(where the TIFF structure starts in ``exif``: after ``EXIF_HEADER`` or at 0, a copy of it, its byte order)."""
    start = len(EXIF_HEADER) if exif.startswith(EXIF_HEADER) else 0
    tiff = bytearray(exif[start:])
    return start, tiff, byte_order(tiff)


def standard_types(exif: bytes) -> bytes:
    """``exif`` (a TIFF structure, after ``Exif\\0\\0`` or not) with the UNDEFINED fields of its Exif, GPS and
    interoperability IFDs that are typed BYTE retyped UNDEFINED; ``exif`` unchanged where it is not a TIFF
    structure that can be walked."""
    start, tiff, order = _tiff(exif)
    if order is None:
        return exif
    try:
        _retype_sub_ifds(tiff, order)
    except struct.error:
        return exif
    return exif[:start] + bytes(tiff)


def standard_types_in_file(path) -> None:
    """``standard_types`` on a TIFF file in place (Pillow's TIFF writer types the same fields BYTE): only the
    changed entries' type fields are written, through a memory map, so a large picture is not read in full."""
    with open(path, "r+b") as file, mmap.mmap(file.fileno(), 0) as tiff:
        order = byte_order(tiff)
        if order is not None:
            try:
                _retype_sub_ifds(tiff, order)
            except struct.error:  # a structure that cannot be walked: left as the writer made it
                pass


def _retype_sub_ifds(tiff, order: str) -> None:
    """Retype the UNDEFINED fields of the Exif, GPS and interoperability IFDs of a TIFF structure at 0 in ``tiff`` (a
    bytearray or a writable memory map), in place."""
    for ifd, at in _sub_ifds(tiff, order).items():
        _retype(tiff, order, at, _UNDEFINED_FIELDS[ifd])


def _sub_ifds(tiff, order: str) -> dict[int, int]:
    """Pointer tag -> offset of the Exif and GPS IFDs (from IFD0) and of the interoperability IFD (from the Exif IFD)
    of a TIFF structure at 0 in ``tiff``, those it has."""
    ifd0 = struct.unpack_from(order + "I", tiff, 4)[0]
    pointers = _pointers(tiff, order, ifd0, (EXIF_IFD, GPS_IFD))
    if EXIF_IFD in pointers:
        pointers |= _pointers(tiff, order, pointers[EXIF_IFD], (INTEROP_IFD,))
    return pointers


# Exif IFD fields that EXIF 2.32 allows in compressed pictures only (a TIFF states its own size and layout)
_COMPRESSED_ONLY = (0x9101, 0x9102, _PIXEL_X, _PIXEL_Y)  # ComponentsConfiguration, CompressedBitsPerPixel, size


def for_tiff(exif):
    """A Pillow ``Image.Exif`` (changed in place and returned) for a TIFF writer: without the interoperability IFD's
    pointer, whose index (R98: a DCF JPEG's colour rules) has no meaning in a TIFF and which the writer would copy
    stale, and without the fields EXIF allows in compressed pictures only (a JPEG's component order, its bits
    per pixel and its size: a TIFF's own tags state them)."""
    fields = exif.get_ifd(EXIF_IFD)
    for tag in (INTEROP_IFD, *_COMPRESSED_ONLY):
        fields.pop(tag, None)
    return exif


def _entries(tiff: bytearray, order: str, at: int):
    """(offset, tag, type, count) of each 12-byte entry of the IFD at ``at``."""
    count = struct.unpack_from(order + "H", tiff, at)[0]
    for i in range(count):
        offset = at + 2 + 12 * i
        tag, kind, number = struct.unpack_from(order + "HHI", tiff, offset)
        yield offset, tag, kind, number


def _pointers(tiff: bytearray, order: str, at: int, tags: tuple[int, ...]) -> dict[int, int]:
    """The offsets of the sub-IFDs that ``tags`` point to from the IFD at ``at`` (those it has)."""
    found = {}
    for offset, tag, kind, number in _entries(tiff, order, at):
        if tag in tags and kind in (4, 13) and number == 1:  # LONG or IFD, one value
            found[tag] = struct.unpack_from(order + "I", tiff, offset + 8)[0]
    return found


def _retype(tiff: bytearray, order: str, at: int, undefined: set[int]) -> None:
    for offset, tag, kind, _ in _entries(tiff, order, at):
        if tag in undefined and kind == _BYTE:
            struct.pack_into(order + "H", tiff, offset + 2, _UNDEFINED)


# A maker note that is an IFD of its own, with the offsets of its larger values counted from the TIFF header
# (Canon's; Sony's after a 12-byte header): where it is written at another place, each is moved with it.
_MAKER_NOTE = 0x927C
_MAKER_HEADERS = (b"SONY DSC \0\0\0", b"SONY CAM \0\0\0", b"SONY MOBILE\0")
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


def _maker_note(tiff: bytes | bytearray, order: str) -> tuple[int, int] | None:
    """(offset, length) of the maker note in a TIFF structure (IFD0 -> Exif IFD -> tag 0x927C); None without one."""
    exif = _sub_ifds(tiff, order).get(EXIF_IFD)
    for offset, tag, _, count in _entries(tiff, order, exif) if exif is not None else ():
        if tag == _MAKER_NOTE and count > 4:
            return struct.unpack_from(order + "I", tiff, offset + 8)[0], count
    return None


def _absolute_values(tiff: bytearray, order: str, note: tuple[int, int], old_at: int) -> list[int] | None:
    """Where the value offsets of the maker note at ``note`` are (positions in ``tiff``) when it is an IFD whose
    larger values lie inside it as it was at ``old_at`` counted from the TIFF header; None when it is not such
    an IFD (its own header and relative offsets: Nikon's, Apple's, Olympus's; or not an IFD: left as it is)."""
    at, length = note
    start = next((len(h) for h in _MAKER_HEADERS if tiff[at:at + len(h)] == h), 0)
    count = struct.unpack_from(order + "H", tiff, at + start)[0]
    if not 0 < count <= 1000 or start + 2 + 12 * count > length:
        return None
    places = []
    for i in range(count):
        entry = at + start + 2 + 12 * i
        _, kind, number = struct.unpack_from(order + "HHI", tiff, entry)
        if kind not in _TYPE_SIZES:
            return None
        if _TYPE_SIZES[kind] * number > 4:
            value = struct.unpack_from(order + "I", tiff, entry + 8)[0]
            if not old_at <= value < old_at + length:
                return None
            places.append(entry + 8)
    return places or None


def keep_maker_note(exif: bytes, source: bytes | None) -> bytes:
    """``exif`` (as Pillow wrote it again) with its maker note's absolute value offsets moved by as much as the
    maker note moved from where ``source`` (the file's own EXIF) had it; ``exif`` unchanged otherwise."""
    if not source:
        return exif
    start, tiff, order = _tiff(exif)
    old = _tiff(source)[1]
    if order is None or byte_order(old) != order:
        return exif
    try:
        new_note, old_note = _maker_note(tiff, order), _maker_note(old, order)
        if new_note is None or old_note is None or new_note[0] == old_note[0] or new_note[1] != old_note[1]:
            return exif
        for place in _absolute_values(tiff, order, new_note, old_note[0]) or ():
            value = struct.unpack_from(order + "I", tiff, place)[0]
            struct.pack_into(order + "I", tiff, place, value + new_note[0] - old_note[0])
    except struct.error:
        return exif
    return exif[:start] + bytes(tiff)


def writable(exif) -> bytes:
    """``exif`` (Pillow's ``Image.Exif``) as bytes. A damaged EXIF can hold a field Pillow reads but cannot write
    again (a count that does not fit its type: struct.error, an internal error for the whole photo); such fields
    are left out, the rest kept."""
    try:
        return exif.tobytes()
    except _PACKING_ERRORS:
        pass
    from PIL import Image

    kept = Image.Exif()
    interop = dict(exif.get_ifd(INTEROP_IFD))  # inside the Exif IFD: written as the IFD it points to
    for ifd in SUB_IFDS:  # field by field
        fields = dict(exif.get_ifd(ifd)) if ifd in exif else {}
        if INTEROP_IFD in fields:
            fields[INTEROP_IFD] = interop
            if not interop:
                del fields[INTEROP_IFD]
        exif.pop(ifd, None)
        for tag, value in fields.items():
            _try_field(kept, kept.get_ifd(ifd), tag, value)
    for tag, value in exif.items():
        _try_field(kept, kept, tag, value)
    return kept.tobytes()


def _try_field(whole, where: dict, tag: int, value) -> None:
    """Put ``tag`` into ``where`` (``whole`` or one of its sub-IFDs) only if ``whole`` can still be written."""
    where[tag] = value
    try:
        whole.tobytes()
    except _PACKING_ERRORS:
        del where[tag]


def picture_size(exif, width: int, height: int) -> None:
    """The Exif IFD's PixelXDimension and PixelYDimension of Pillow's ``Image.Exif``, where it has them, set to the
    picture as written: upright (a phone's portrait shot said 4032x3024 after it was turned to 3024x4032, and
    tools that trust them showed it squeezed or cropped its preview)."""
    sizes = exif.get_ifd(EXIF_IFD) if EXIF_IFD in exif else {}
    if _PIXEL_X in sizes or _PIXEL_Y in sizes:
        sizes[_PIXEL_X], sizes[_PIXEL_Y] = width, height


__all__ = ["EXIF_HEADER", "SUB_IFDS", "byte_order", "for_tiff", "keep_maker_note", "picture_size", "standard_types",
           "writable"]
