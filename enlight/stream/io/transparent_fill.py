"""Colour for the pixels of a frame that are fully transparent and carry none of their own, before the model sees it.

    rgb = fill_transparent(rgb, alpha)    # (H, W, 3) uint8 and (H, W) uint8 alpha -> (H, W, 3) uint8

FFmpeg's GIF decoder gives every transparent pixel as white (255, 255, 255, 0): not picture, but the enhancer saw it
as such, and lifted a dark picture around it less (a dark animated GIF with a transparent corner, opaque mean 22.4:
72.7 through the video path against 94.0 for the same frames as PNGs through the photo path). Those pixels take the
colour of the opaque picture near them instead (``push_pull``: the mean of the opaque pixels in ever larger squares,
the nearest one that has some), which the model sees as more of the picture around them; the alpha is carried past
the enhancer as before, so they stay transparent. A frame with no opaque pixel is left as it is. A still photo's
are filled the same way (``enlight.stream.apps.photo``): a PNG that stores them white, as some editors write it, was
lifted less around them (a dark 256x192 picture with a transparent corner, opaque mean 88.5 against 102.6 where the
same corner is stored black).
"""

from __future__ import annotations

import cv2
import numpy as np

# decoders whose fully transparent pixels carry no colour of the picture (FFmpeg's GIF decoder: white)
COLOURLESS_DECODERS = ("gif",)


def fill_transparent(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 (or uint16) ``rgb`` whose pixels of (H, W) ``alpha`` 0 take the colour of the opaque picture
    near them (module docstring); the same array where none is, or none is opaque."""
    clear = alpha == 0
    if not clear.any() or clear.all():
        return rgb
    filled = push_pull(rgb.astype(np.float32), (~clear).astype(np.float32))
    top = np.iinfo(rgb.dtype).max
    return np.where(clear[..., None], np.clip(np.rint(filled), 0, top).astype(rgb.dtype), rgb)


def push_pull(colour: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 ``colour`` kept where (H, W) float32 ``weight`` (the share of opaque picture, 0 to 1) is
    above 0, and where it is 0 the colour of the finest coarser level that has some: each level halves the picture
    (area means of colour x weight and of weight), and is made full size again (bilinear) for the pixels below it.
    Some weight must be above 0."""
    if (weight > 0).all():
        return colour
    height, width = weight.shape
    size = ((width + 1) // 2, (height + 1) // 2)
    coarse_weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0])
    coarse_sum = cv2.resize(colour * weight[..., None], size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], 3)
    coarse = push_pull(coarse_sum / np.maximum(coarse_weight, 1e-12)[..., None], coarse_weight)
    up = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR).reshape(height, width, 3)
    return np.where(weight[..., None] > 0, colour, up)
