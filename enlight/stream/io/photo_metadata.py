"""A photo's EXIF and XMP made true of the picture written: the orientation 1 (the pixels are stored upright, so no
viewer turns the picture twice), the X and Y resolution swapped where the picture was turned a quarter, the picture
size the one written, the TIFF layout tags left with the input's pixels, the print resolution where a format states
it in the EXIF alone, and the XMP packet found where each format stores it.
"""

from __future__ import annotations

import re

from enlight.stream.io.annotations import IPTC_TAGS, RAW_PROFILES, raw_profile
from enlight.stream.io.exif_types import keep_maker_note, picture_size, standard_types, writable

ORIENTATION = 0x0112
X_RESOLUTION, Y_RESOLUTION, RESOLUTION_UNIT = 282, 283, 296
# TIFF tags that describe a file's pixel layout (a TIFF's EXIF holds them; they must not follow the pixels)
LAYOUT_TAGS = (254, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 338, 339,
                34675)


def exif_with_size(exif: bytes | None, width: int, height: int) -> bytes | None:
    """EXIF bytes whose PixelXDimension and PixelYDimension (where it has them) say ``width`` x ``height``."""
    if not exif:
        return exif
    from PIL import Image

    parsed = Image.Exif()
    parsed.load(exif)
    picture_size(parsed, width, height)
    return parsed.tobytes()


def upright_exif(exif, raw: bytes | None, width: int, height: int, orientation: int | None = None) -> bytes | None:
    """Pillow's ``Image.Exif`` of a picture written upright at ``width`` x ``height``, as the bytes to write: its
    orientation 1, its XResolution and YResolution swapped where the picture was turned a quarter (``orientation``,
    the one applied to its pixels, 5-8; None: the EXIF's own), its picture size the one written, the TIFF layout
    tags left with the input's pixels and the IPTC ones out (they go with the annotations), each field of its
    standard type, the maker note where ``raw`` (the EXIF as the file had it) had it; None where none is left."""
    turn = exif.get(ORIENTATION, 1) if orientation is None else orientation
    if turn in (5, 6, 7, 8) and X_RESOLUTION in exif and Y_RESOLUTION in exif:  # (the axes swap)
        exif[X_RESOLUTION], exif[Y_RESOLUTION] = exif[Y_RESOLUTION], exif[X_RESOLUTION]
    if ORIENTATION in exif:
        exif[ORIENTATION] = 1
    picture_size(exif, width, height)
    for tag in (*LAYOUT_TAGS, *IPTC_TAGS):  # the IPTC tags are in the annotations
        exif.pop(tag, None)
    return keep_maker_note(standard_types(writable(exif)), raw) if len(exif) else None


def exif_with_resolution(exif: bytes | None, dpi: tuple[float, float] | None) -> bytes | None:
    """EXIF bytes for a format that states a print resolution in its EXIF alone (a WebP, AVIF, HEIF or JPEG XL):
    ``exif`` with XResolution, YResolution and ResolutionUnit (inches) of ``dpi`` (horizontal, vertical: the
    resolution the file stated outside its EXIF, ``Photo.dpi``), or those three alone where there is no EXIF;
    ``exif`` as it is where ``dpi`` is None or it states a resolution of its own (a camera's: it is copied)."""
    if not dpi:
        return exif
    from PIL import Image

    parsed = Image.Exif()
    if exif:
        parsed.load(exif)
    if X_RESOLUTION in parsed:
        return exif
    parsed[X_RESOLUTION], parsed[Y_RESOLUTION], parsed[RESOLUTION_UNIT] = float(dpi[0]), float(dpi[1]), 2
    return keep_maker_note(standard_types(writable(parsed)), exif)


def _xmp_field(name: str) -> re.Pattern:
    """An XMP packet's field ``name`` ('tiff:XResolution') as an attribute (``tiff:XResolution="300/1"``: the quote
    in group 2, the value in 3) or an element (``<tiff:XResolution>300/1</tiff:XResolution>``: the value in 5)."""
    field = re.escape(name).encode()
    return re.compile(rb"((?<![\w:.-])" + field + rb"""\s*=\s*(["']))([^"'<>]*)\2|(<""" + field + rb">)([^<]*)(</"
                      + field + rb">)")


_ORIENTATION_FIELD = _xmp_field("tiff:Orientation")
_RESOLUTION_FIELDS = (_xmp_field("tiff:XResolution"), _xmp_field("tiff:YResolution"))
# the fields of the picture's size: (width, height) as TIFF's tags and as the Exif IFD's PixelX/YDimension
_SIZE_FIELDS = ((_xmp_field("tiff:ImageWidth"), _xmp_field("exif:PixelXDimension")),
                (_xmp_field("tiff:ImageLength"), _xmp_field("exif:PixelYDimension")))


def _xmp_value(xmp: bytes, field: re.Pattern) -> bytes | None:
    """The value of the first ``field`` (``_xmp_field``) in the packet ``xmp``; None where it has none."""
    found = field.search(xmp)
    return None if found is None else found[3] if found[1] else found[5]


def _xmp_set(xmp: bytes, field: re.Pattern, value: bytes) -> bytes:
    """The packet ``xmp`` with every ``field`` (``_xmp_field``) it has saying ``value``, written as it was."""
    return field.sub(lambda found: found[1] + value + found[2] if found[1] else found[4] + value + found[6], xmp)


def xmp_packet(image) -> bytes | None:
    """An open Pillow image's XMP packet as it is stored (JPEG APP1, PNG iTXt or ImageMagick's raw profile, WebP,
    AVIF/HEIF, TIFF tag 700); None without one."""
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if image.format == "TIFF" and not xmp:
        xmp = image.tag_v2.get(700)
    if image.format == "PNG" and not xmp:  # ImageMagick's (``RAW_PROFILES``)
        xmp = raw_profile(image.info, RAW_PROFILES["xmp"])
    if not xmp:
        return None
    return xmp.encode() if isinstance(xmp, str) else bytes(xmp)


def upright_xmp(xmp: bytes | None, width: int, height: int, orientation: int = 1) -> bytes | None:
    """An XMP packet (``xmp_packet``) made true of a picture written upright at ``width`` x ``height``, as
    ``upright_exif`` makes the EXIF: its tiff:Orientation 1, its tiff:XResolution and tiff:YResolution swapped where
    the picture was turned a quarter (``orientation``, the one applied to its pixels, 5-8), and its tiff:ImageWidth,
    tiff:ImageLength, exif:PixelXDimension and exif:PixelYDimension (where it has them) the size written; each as an
    attribute or an element, the rest of the packet as it was. None where ``xmp`` is None."""
    if xmp is None:
        return None
    xmp = _xmp_set(xmp, _ORIENTATION_FIELD, b"1")
    across, down = (_xmp_value(xmp, field) for field in _RESOLUTION_FIELDS)
    if orientation in (5, 6, 7, 8) and across is not None and down is not None:  # (the axes swap)
        xmp = _xmp_set(_xmp_set(xmp, _RESOLUTION_FIELDS[0], down), _RESOLUTION_FIELDS[1], across)
    for fields, side in zip(_SIZE_FIELDS, (width, height), strict=True):
        for field in fields:
            xmp = _xmp_set(xmp, field, str(side).encode())
    return xmp
