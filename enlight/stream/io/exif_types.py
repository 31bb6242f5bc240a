"""EXIF as the standard states it. Pillow writes back the EXIF fields it read, but the fields EXIF
2.32 types UNDEFINED (ExifVersion, ComponentsConfiguration, UserComment, a GPS fix's processing method, ...) it
writes as BYTE: the values are the same bytes, yet `exiftool -validate` flags each one ("Non-standard format
(int8u)") and a strict reader may refuse it. ``standard_types`` puts their type back to UNDEFINED in place; a
BYTE and an UNDEFINED value are both one byte per count, so no offset moves.

A maker note (the camera maker's own fields: lens, focus points, shutter count) that is an IFD whose values are
found by offsets from the TIFF header (Canon's, Sony's) pointed at the wrong bytes once Pillow wrote it at another
place; ``keep_maker_note`` moves those offsets with it, as exiftool does.

A TIFF output holds the EXIF's IFDs in its own file (``for_tiff``): Pillow's TIFF writer copies the Exif IFD's
pointer to the interoperability IFD as the number it was, an offset into the source file, which then points at
whatever lies there in the new one (`exiftool -validate`: "Bad format (408) for InteropIFD entry 0").
"""

from __future__ import annotations

import struct

_HEADER = b"Exif\x00\x00"
_BYTE, _UNDEFINED = 1, 7
_EXIF_IFD, _GPS_IFD, _INTEROP_IFD = 0x8769, 0x8825, 0xA005
# The fields EXIF 2.32 types UNDEFINED, per IFD (the Exif IFD, the GPS IFD, the interoperability IFD)
_UNDEFINED_FIELDS = {
    _EXIF_IFD: {0x9000, 0x9101, 0x927C, 0x9286, 0xA000, 0xA300, 0xA301, 0x8828, 0xA20C, 0xA302, 0xA40B},
    _GPS_IFD: {0x001B, 0x001C},
    _INTEROP_IFD: {0x0002},
}


def standard_types(exif: bytes) -> bytes:
    """``exif`` (a TIFF structure, after ``Exif\\0\\0`` or not) with the UNDEFINED fields of its Exif, GPS and
    interoperability IFDs that are typed BYTE retyped UNDEFINED; ``exif`` unchanged where it is not a TIFF
    structure that can be walked."""
    start = len(_HEADER) if exif.startswith(_HEADER) else 0
    tiff = bytearray(exif[start:])
    order = {b"II": "<", b"MM": ">"}.get(bytes(tiff[:2]))
    if order is None:
        return exif
    try:
        ifd0 = struct.unpack_from(order + "I", tiff, 4)[0]
        pointers = _pointers(tiff, order, ifd0, (_EXIF_IFD, _GPS_IFD))
        if _EXIF_IFD in pointers:
            pointers |= _pointers(tiff, order, pointers[_EXIF_IFD], (_INTEROP_IFD,))
        for ifd, at in pointers.items():
            _retype(tiff, order, at, _UNDEFINED_FIELDS[ifd])
    except struct.error:
        return exif
    return exif[:start] + bytes(tiff)


def for_tiff(exif):
    """A Pillow ``Image.Exif`` (changed in place and returned) without the interoperability IFD's pointer, whose
    index (R98: a DCF JPEG's colour rules) has no meaning in a TIFF, for a TIFF writer that would copy it stale."""
    exif.get_ifd(_EXIF_IFD).pop(_INTEROP_IFD, None)
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
    ifd0 = struct.unpack_from(order + "I", tiff, 4)[0]
    exif = _pointers(tiff, order, ifd0, (_EXIF_IFD,)).get(_EXIF_IFD)
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
    start = len(_HEADER) if exif.startswith(_HEADER) else 0
    tiff, old = bytearray(exif[start:]), source[len(_HEADER):] if source.startswith(_HEADER) else source
    order = {b"II": "<", b"MM": ">"}.get(bytes(tiff[:2]))
    if order is None or bytes(old[:2]) != bytes(tiff[:2]):
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


__all__ = ["for_tiff", "keep_maker_note", "standard_types"]
