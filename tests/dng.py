"""A minimal Adobe DNG writer for tests: a real camera RAW layout (an RGGB colour filter array, 12 bits, black and
white levels, the colour matrix, the white balance as shot, an Exif directory) that LibRaw develops as it develops
a camera's file. Written with struct: no fixtures on disk, no compiled writer."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

# TIFF field types
_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _SRATIONAL = 1, 2, 3, 4, 5, 10
_SIZES = {_BYTE: 1, _ASCII: 1, _SHORT: 2, _LONG: 4, _RATIONAL: 8, _SRATIONAL: 8}
# linear sRGB (D65) from XYZ: the camera of these files sees linear sRGB, so DNG's ColorMatrix1 (XYZ -> camera) is it
XYZ_TO_SRGB = (3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570)
BLACK, WHITE = 256, 4095


def _pack(kind: int, values) -> bytes:
    if kind == _ASCII:
        return values.encode() + b"\0"
    if kind in (_RATIONAL, _SRATIONAL):
        code = "<ii" if kind == _SRATIONAL else "<II"
        return b"".join(struct.pack(code, round(v * 10000), 10000) for v in values)
    code = {_BYTE: "B", _SHORT: "H", _LONG: "I"}[kind]
    return struct.pack(f"<{len(values)}{code}", *values)


def _directory(fields: dict[int, tuple[int, object]], start: int) -> tuple[bytes, bytes]:
    """One IFD at file offset ``start``: (its entries and next-IFD 0, the values that did not fit in 4 bytes)."""
    entries, extra = b"", b""
    extra_at = start + 2 + 12 * len(fields) + 4
    for tag in sorted(fields):
        kind, values = fields[tag]
        data = _pack(kind, values)
        count = len(data) // _SIZES[kind]
        if len(data) <= 4:
            entries += struct.pack("<HHI", tag, kind, count) + data.ljust(4, b"\0")
        else:
            entries += struct.pack("<HHII", tag, kind, count, extra_at + len(extra))
            extra += data + (b"\0" if len(data) % 2 else b"")
    return struct.pack("<H", len(fields)) + entries + b"\0\0\0\0", extra


def write_dng(path: Path, linear: np.ndarray, *, balance: tuple[float, float, float] = (2.0, 1.0, 1.6),
              orientation: int = 1, noise: float = 0.0, seed: int = 0) -> Path:
    """``linear`` (H, W, 3) float scene light in [0, 1] (linear sRGB) as the RGGB sensor of a camera whose channel
    gains are 1/``balance`` would record it (12 bits, black level BLACK; Gaussian ``noise`` in sensor levels),
    with that white balance as shot, EXIF orientation ``orientation`` and an Exif directory (ISO 3200, 1/4 s,
    a date); H and W are cut to even."""
    height, width = linear.shape[0] // 2 * 2, linear.shape[1] // 2 * 2
    rng = np.random.default_rng(seed)
    mosaic = np.zeros((height, width))
    for y, x, channel in ((0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 2)):
        mosaic[y::2, x::2] = linear[y:height:2, x:width:2, channel] / balance[channel]
    levels = mosaic * (WHITE - BLACK) + BLACK + rng.normal(0, noise, mosaic.shape)
    pixels = np.clip(np.round(levels), 0, WHITE).astype("<u2").tobytes()
    exif_fields = {33434: (_RATIONAL, [0.25]), 34855: (_SHORT, [3200]), 36867: (_ASCII, "2026:12:06 21:30:00")}
    fields = {254: (_LONG, [0]), 256: (_LONG, [width]), 257: (_LONG, [height]), 258: (_SHORT, [16]),
              259: (_SHORT, [1]), 262: (_SHORT, [32803]), 271: (_ASCII, "TestCam"), 272: (_ASCII, "Night 1"),
              273: (_LONG, [0]), 274: (_SHORT, [orientation]), 277: (_SHORT, [1]), 278: (_LONG, [height]),
              279: (_LONG, [len(pixels)]), 284: (_SHORT, [1]), 0x8769: (_LONG, [0]),
              33421: (_SHORT, [2, 2]), 33422: (_BYTE, [0, 1, 1, 2]), 50706: (_BYTE, [1, 4, 0, 0]),
              50708: (_ASCII, "TestCam Night 1"), 50714: (_LONG, [BLACK]), 50717: (_LONG, [WHITE]),
              50721: (_SRATIONAL, XYZ_TO_SRGB), 50728: (_RATIONAL, [1 / b for b in balance]), 50778: (_SHORT, [21])}
    first, first_extra = _directory(fields, 8)
    exif_at = 8 + len(first) + len(first_extra)
    exif, exif_extra = _directory(exif_fields, exif_at)
    pixels_at = exif_at + len(exif) + len(exif_extra)
    fields[273], fields[0x8769] = (_LONG, [pixels_at]), (_LONG, [exif_at])
    first, first_extra = _directory(fields, 8)  # the same sizes, now with the offsets
    path.write_bytes(b"II*\0" + struct.pack("<I", 8) + first + first_extra + exif + exif_extra + pixels)
    return path
