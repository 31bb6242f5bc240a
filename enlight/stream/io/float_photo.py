"""32-bit floating-point TIFFs (SampleFormat 3: an HDR merge, a scientific camera's export, a renderer's): read at 16
bits, with a note of the range they were read with.

    rgb16, note = float_sixteen(values)       # (H, W[, C]) float32 -> uint16, white at 65535
    pixels = read_float_rgb(path)             # FFmpeg's (H, W, 3|4) float32 of an RGB(A) float TIFF, or None

Such a file was read at 8 bits (Pillow reads a grey one, mode 'F', and no RGB one at all: 'cannot identify image
file'), and the summary called it an 8-bit photo. Its values are read as 0..1, white at 1, where at most
``OVER_WHITE_SHARE`` of its pixels go past 1 (an HDR merge's highlights, clipped to white: the note says how many),
and as levels (white at 255, or at 65535 where they go past 255) where more do (a picture stored as float levels):
the picture is enhanced through the deep path (``Photo.rgb16``) and written at 16 bits where the output holds them.
Values below 0 are black, and so is a value that is not a number.
"""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np

FLOAT_BITS = 32  # ``Photo.bits`` of a float TIFF
OVER_WHITE_SHARE = 0.01  # the most pixels above 1 of a picture read as 0..1
_FLOAT_FORMATS = ("rgbf32", "rgbaf32", "gbrpf32", "gbrapf32")  # FFmpeg's float pixel formats of a TIFF
_TIFF_SIGNATURES = (b"II*\0", b"MM\0*")


def _share(mask: np.ndarray) -> str:
    share = float(mask.mean()) if mask.size else 0.0
    return f"{share:.1%}" if share >= 0.001 else "under 0.1%"


def float_sixteen(values: np.ndarray) -> tuple[np.ndarray, str]:
    """(H, W) or (H, W, C) float values of a float TIFF -> (the same shape uint16, white at 65535; the note of how
    they were read, module docstring)."""
    values = values.astype(np.float32, copy=False)
    pixels = values if values.ndim == 2 else values.max(axis=2)  # (a pixel past white in any channel)
    over = pixels > 1
    top = float(np.nanmax(np.where(np.isfinite(values), values, 0), initial=0.0))
    if not over.any() or over.mean() <= OVER_WHITE_SHARE:
        white, read = 1.0, "0..1 (white at 1)"
    else:
        white = 255.0 if top <= 255 else 65535.0
        read = f"levels 0..{white:g} (values past 1 in {_share(over)} of the pixels)"
    sixteen = np.clip(np.rint(np.nan_to_num(values, nan=0.0) * np.float32(65535 / white)), 0, 65535).astype(np.uint16)
    clipped = [f"{_share(mask)} of the pixels past {white:g} clipped to white" for mask in (pixels > white,) if
               mask.any()]
    clipped += [f"{_share(mask)} below 0 (or not a number) made black" for mask in
                ((pixels < 0) | np.isnan(pixels),) if mask.any()]
    return sixteen, "; ".join([f"its {FLOAT_BITS}-bit floating-point values read as {read}", *clipped])


def is_float_rgb_tiff(path: Path) -> bool:
    """Whether the file at ``path`` is a TIFF whose first page holds 32-bit floating-point samples (SampleFormat 3)
    of more than one channel: what Pillow cannot open."""
    from PIL import TiffImagePlugin

    try:
        with open(path, "rb") as file:
            head = file.read(8)
            if head[:4] not in _TIFF_SIGNATURES:
                return False
            ifd = TiffImagePlugin.ImageFileDirectory_v2(head)
            file.seek(ifd.next)
            ifd.load(file)
    except (OSError, ValueError, SyntaxError, struct.error):
        return False
    formats, bits = ifd.get(339, (1,)), ifd.get(258, (8,))
    formats = formats if isinstance(formats, tuple) else (formats,)
    return 3 in formats and 32 in (bits if isinstance(bits, tuple) else (bits,)) and int(ifd.get(277, 1)) >= 3


def read_float_rgb(path: Path) -> np.ndarray | None:
    """FFmpeg's first picture of a floating-point RGB(A) TIFF as stored (not turned): (H, W, 3) or (H, W, 4) float32
    in R, G, B(, A) order; None where FFmpeg cannot read it so."""
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
    except (av.error.FFmpegError, StopIteration):
        return None
    name = frame.format.name
    if not name.startswith(_FLOAT_FORMATS):
        return None
    alpha = "a" in name.removeprefix("rgb").removeprefix("gbr")[:1]
    return np.ascontiguousarray(frame.to_ndarray(format="rgbaf32le" if alpha else "rgbf32le"), dtype=np.float32)
