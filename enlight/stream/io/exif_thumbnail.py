"""The EXIF thumbnail: a camera's JPEG carries a small preview of itself in its EXIF (IFD1, usually 160x120),
which file browsers and cameras show before they decode the picture. Pillow reads it but writes no IFD1, and the
old one would preview the dark original anyway, so an enhanced JPEG gets a new one, made from its own pixels at
the old one's size (``thumbnail_side`` on reading, ``with_thumbnail`` on writing).

The EXIF bytes are Pillow's (``Exif.tobytes``): ``Exif\\0\\0``, a TIFF header, IFD0 and what it points to. IFD1 is
appended after them, IFD0's next-IFD offset set to it: Compression 6 (JPEG), 72 dpi, and the JPEG's offset and
length (TIFF 6.0 and EXIF 2.32, section 4.5.8), the JPEG itself after it. A JPEG's EXIF segment holds at most
65533 bytes: a thumbnail that would not fit is written at a lower quality, then smaller, then not at all.
"""

from __future__ import annotations

import io
import struct

import numpy as np

from enlight.stream.io.exif_types import EXIF_HEADER, byte_order

_IFD1 = -1  # PIL.ExifTags.IFD.IFD1 (Pillow's key for it)
_OFFSET, _LENGTH = 0x0201, 0x0202  # JPEGInterchangeFormat, JPEGInterchangeFormatLength
_SEGMENT = 65533  # the most an APP1 segment's payload can hold (its 2-byte length counts itself)
_QUALITIES = (90, 75, 60)
_SMALL = 160  # the usual thumbnail's longer side: tried when a larger one does not fit


def thumbnail_side(image) -> int:
    """The longer side in pixels of the JPEG thumbnail in an open Pillow image's EXIF (IFD1); 0 when it has none
    or it cannot be decoded."""
    from PIL import Image

    ifd1 = image.getexif().get_ifd(_IFD1)
    raw = image.info.get("exif")
    if _OFFSET not in ifd1 or _LENGTH not in ifd1 or not raw:
        return 0
    start = (len(EXIF_HEADER) if raw.startswith(EXIF_HEADER) else 0) + int(ifd1[_OFFSET])
    try:
        with Image.open(io.BytesIO(raw[start:start + int(ifd1[_LENGTH])])) as thumb:
            return max(thumb.size)
    except (OSError, ValueError, SyntaxError):
        return 0


def _small(rgb: np.ndarray, side: int):
    """(H, W, 3) uint8 -> a Pillow image of it whose longer side is ``side`` (never larger than the picture)."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def _jpeg(image, quality: int) -> bytes:
    """A baseline JPEG of a Pillow image."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _ifd1(order: str, at: int, jpeg_length: int) -> bytes:
    """IFD1 placed at TIFF offset ``at``: its six entries, no next IFD, the two resolutions, then (at the offset it
    names) the thumbnail's place."""
    entries = 6
    rationals = at + 2 + 12 * entries + 4
    jpeg_at = rationals + 16
    fields = [(0x0103, 3, 1, struct.pack(order + "HH", 6, 0)),  # Compression: JPEG
              (0x011A, 5, 1, struct.pack(order + "I", rationals)),  # XResolution
              (0x011B, 5, 1, struct.pack(order + "I", rationals + 8)),  # YResolution
              (0x0128, 3, 1, struct.pack(order + "HH", 2, 0)),  # ResolutionUnit: inch
              (_OFFSET, 4, 1, struct.pack(order + "I", jpeg_at)),
              (_LENGTH, 4, 1, struct.pack(order + "I", jpeg_length))]
    body = struct.pack(order + "H", entries)
    body += b"".join(struct.pack(order + "HHI", tag, kind, count) + value for tag, kind, count, value in fields)
    return body + struct.pack(order + "I", 0) + struct.pack(order + "IIII", 72, 1, 72, 1)


def _append(exif: bytes, jpeg: bytes) -> bytes:
    """``exif`` (Pillow's bytes, no IFD1) with IFD1 and ``jpeg`` appended and IFD0 pointing to them."""
    tiff = bytearray(exif[len(EXIF_HEADER):])
    order = byte_order(tiff)
    ifd0 = struct.unpack_from(order + "I", tiff, 4)[0]
    count = struct.unpack_from(order + "H", tiff, ifd0)[0]
    if len(tiff) % 2:
        tiff += b"\x00"  # IFDs start on a word boundary
    struct.pack_into(order + "I", tiff, ifd0 + 2 + 12 * count, len(tiff))
    return EXIF_HEADER + bytes(tiff) + _ifd1(order, len(tiff), len(jpeg)) + jpeg


def with_thumbnail(exif: bytes, rgb: np.ndarray, side: int) -> bytes:
    """``exif`` (``Exif\\0\\0`` and a TIFF structure without IFD1, as Pillow writes it) with a JPEG thumbnail of
    ``rgb`` ((H, W, 3) uint8, the picture as written) whose longer side is ``side``; ``exif`` unchanged when
    ``side`` is 0, the bytes are not of that form, or no thumbnail fits in a JPEG's EXIF segment (tried at lower
    qualities, then at 160 pixels)."""
    if side <= 0 or not exif.startswith(EXIF_HEADER) or byte_order(exif[len(EXIF_HEADER):]) is None:
        return exif
    for longest in dict.fromkeys((side, min(side, _SMALL))):
        small = _small(rgb, longest)  # resampled once per size, encoded at each quality
        for quality in _QUALITIES:
            try:
                out = _append(exif, _jpeg(small, quality))
            except struct.error:  # not a TIFF structure after all
                return exif
            if len(out) <= _SEGMENT:
                return out
    return exif


__all__ = ["thumbnail_side", "with_thumbnail"]
