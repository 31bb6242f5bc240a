"""A still GIF: one enhanced picture written as a GIF of one frame, as a photo output.

    write_gif_still(path, rgb, alpha)     # (H, W, 3) uint8 sRGB, (H, W) uint8 alpha or None

A GIF of one picture read as a photo (``photo_formats.is_one_picture``) and written as a .gif goes through the photo
path: the picture the model sees is Pillow's, as for the same picture as a PNG, not FFmpeg's (whose GIF decoder gives a
transparent pixel as white: a dark picture around it was lifted less, its opaque mean 21.5 -> 75.7 against 91.9). Its
256 colours are chosen for it as a video's GIF frames' are (``gif_palette.GifPalette``: FFmpeg's palettegen and
paletteuse, with error diffusion); a pixel under half opacity takes the palette's transparent entry (GIF transparency is
on or off). It is written by Pillow with no loop and no frame time: a still, as it came.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from enlight.stream.io.gif_palette import GifPalette


def gif_indices(rgb: np.ndarray, alpha: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, int | None]:
    """rgb (H, W, 3) uint8 and its (H, W) uint8 alpha (None: opaque) -> ((H, W) uint8 palette indices, (256, 3)
    uint8 RGB palette, the index of the transparent entry or None)."""
    height, width = rgb.shape[:2]
    pixels = rgb if alpha is None else np.concatenate([rgb, alpha[..., None]], axis=2)
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24" if alpha is None else "rgba")
    frame.pts, frame.time_base = 0, Fraction(1, 100)
    indices, argb = GifPalette(width, height, alpha=alpha is not None, time_base=frame.time_base)(frame).to_ndarray()
    clear = np.flatnonzero(argb[:, 0] == 0) if alpha is not None else ()
    used = np.unique(indices)
    transparent = next((int(index) for index in clear if index in used), None)
    return np.ascontiguousarray(indices), np.ascontiguousarray(argb[:, 1:]).astype(np.uint8), transparent


def write_gif_still(path: Path, rgb: np.ndarray, alpha: np.ndarray | None) -> None:
    """A GIF of one frame at ``path`` (Pillow's writer: its format is taken from ``format``, not the name) of the
    (H, W, 3) uint8 sRGB picture ``rgb`` with its (H, W) uint8 ``alpha`` (None: opaque), module docstring."""
    from PIL import Image

    indices, palette, transparent = gif_indices(rgb, alpha)
    image = Image.fromarray(indices, "P")
    image.putpalette(palette.tobytes())
    options = {"transparency": transparent} if transparent is not None else {}
    image.save(path, format="GIF", optimize=False, **options)
