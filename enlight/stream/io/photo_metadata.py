"""A photo's EXIF and XMP made true of the picture written: the orientation 1 (the pixels are stored upright, so no
viewer turns the picture twice), the picture size the one written, the TIFF layout tags left with the input's pixels,
the print resolution where a format states it in the EXIF alone, and the XMP packet found where each format stores
it.
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


_XMP_ORIENTATION = re.compile(rb'(tiff:Orientation\s*=\s*["\']|<tiff:Orientation>)[1-8]')  # attribute or element


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


def upright_xmp(image) -> bytes | None:
    """``xmp_packet`` with its orientation set to 1, as the EXIF's is (the pixels are stored upright)."""
    xmp = xmp_packet(image)
    return None if xmp is None else _XMP_ORIENTATION.sub(rb"\g<1>1", xmp)

