"""CPU form of ``enlight.stream.core.denoise_ops``: the denoiser's planar image helpers on (C, H, W) float32
numpy arrays, without torch. Same names, signatures and results (within float32 rounding).

Every function takes and returns C-ordered (C, H, W) float32 arrays (values of any range; the denoiser's are
0..255). The 2x2 means, 3x3 box and bilinear upsampling are OpenCV's (per plane; 1.5-3x faster than
strided numpy on one thread); their rounding differs from the torch form's by about one float32 ulp.
"""

from __future__ import annotations

import cv2
import numpy as np


def _planes(x: np.ndarray, shape: tuple[int, int], op) -> np.ndarray:
    """(C, ...) -> (C, *shape) float32: ``op(plane, dst)`` writing each output plane from each input plane."""
    out = np.empty((x.shape[0], *shape), np.float32)
    for source, plane in zip(x, out, strict=True):
        op(source, plane)
    return out


def half(x: np.ndarray) -> np.ndarray:
    """(C, H, W) float32 -> (C, ceil(H/2), ceil(W/2)) float32, 2x2 means; an odd last row or column is
    replicated. OpenCV's area resize (the sum of the four, times 1/4)."""
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        x = np.pad(x, ((0, 0), (0, h % 2), (0, w % 2)), mode="edge")
        h, w = h + h % 2, w + w % 2
    return _planes(x, (h // 2, w // 2),
                   lambda plane, dst: cv2.resize(plane, (w // 2, h // 2), dst=dst, interpolation=cv2.INTER_AREA))


def half_of_squares(x: np.ndarray) -> np.ndarray:
    """``half(x * x)``: (C, H, W) float32 -> (C, ceil(H/2), ceil(W/2)) float32 (through the full-size square,
    which OpenCV makes cheaper than the torch form's strided products)."""
    return half(np.square(x))


def box(x: np.ndarray) -> np.ndarray:
    """(C, h, w) float32 -> (C, h, w) float32, the mean over 3x3 windows, edges replicated (OpenCV's box
    filter: the sum times 1/9, where the torch form divides by 9)."""
    return _planes(x, x.shape[-2:],
                   lambda plane, dst: cv2.blur(plane, (3, 3), dst=dst, borderType=cv2.BORDER_REPLICATE))


def _median(x: np.ndarray) -> np.float32:
    """The median of all of x as torch's ``median()`` takes it: of an even count, the lower middle value."""
    flat = x.ravel()
    k = (flat.size - 1) // 2
    return np.partition(flat, k)[k]


def region_excess(z2: np.ndarray, cap: float, sigmas: float) -> np.ndarray:
    """(1, h, w) float32 squared motion scores on the half grid (>= 0) -> (1, h, w) float32 (>= 0), what the
    region around each adds: the mean of ``min(z2, cap)`` over 12x12 half-grid windows (on a grid 4 times
    coarser), less the frame's median of it, over 1.4826 x its median absolute deviation (at least 1e-3),
    less ``sigmas``, at least 0, squared, bilinear back to the half grid (see the torch form for why)."""
    mean = box(half(half(np.minimum(z2, np.float32(cap)))))
    median = _median(mean)
    mean -= median
    spread = max(_median(np.abs(mean)) * np.float32(1.4826), np.float32(1e-3))
    mean /= spread
    mean -= np.float32(sigmas)
    excess = np.maximum(mean, np.float32(0), out=mean)
    return smooth_full(np.square(excess, out=excess), z2.shape[-2:])


def full(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(C, h, w) float32 on the half grid -> (C, H, W) float32 (H <= 2h, W <= 2w): each value repeated over its
    2x2 block. A new C-ordered array (the torch form's is a view of a (C, 2h, 2w) one)."""
    height, width = size
    out = np.empty((x.shape[0], height, width), np.float32)
    top = out[:, 0::2]
    top[:, :, 0::2] = x[:, :top.shape[1], :(width + 1) // 2]
    top[:, :, 1::2] = x[:, :top.shape[1], :width // 2]
    out[:, 1::2] = top[:, :height // 2]
    return out


def smooth_full(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(C, h, w) float32 on the half grid -> (C, H, W) float32, bilinear (half-pixel centres, edges
    replicated): OpenCV's INTER_LINEAR, which is the torch form's ``interpolate(align_corners=False)``."""
    out = np.empty((x.shape[0], *size), np.float32)
    for channel, plane in zip(out, x, strict=True):
        cv2.resize(plane, (size[1], size[0]), dst=channel, interpolation=cv2.INTER_LINEAR)
    return out


def move(image: np.ndarray, dx: int, dy: int, *, border: np.ndarray | float) -> np.ndarray:
    """(C, H, W) float32 moved by whole pixels, out(x) = image(x - shift); the uncovered border holds ``border``
    (a (C, H, W) array whose values are taken there, or a number). A new array unless the shift is 0."""
    if dx == 0 and dy == 0:
        return image
    h, w = image.shape[-2:]
    dx, dy = max(-w, min(w, dx)), max(-h, min(h, dy))
    out = np.empty_like(image)
    rows, columns = slice(max(0, dy), h + min(0, dy)), slice(max(0, dx), w + min(0, dx))
    out[:, rows, columns] = image[:, max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    entering = [(slice(0, dy) if dy > 0 else slice(h + dy, h), slice(None)),  # whole rows
                (rows, slice(0, dx) if dx > 0 else slice(w + dx, w))]  # the rest of the columns
    for strip_rows, strip_columns in entering:
        out[:, strip_rows, strip_columns] = border[:, strip_rows, strip_columns] if isinstance(
            border, np.ndarray) else border
    return out


def guided_self(x: np.ndarray, small: np.ndarray, eps: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """The fast guided filter (He & Sun 2015, subsampling 2) of each channel of x (C, H, W) float32 0..255 by
    itself: small = half(x) (C, h, w), ``eps`` (1, h, w) float32 per window on that half grid (h, w =
    ceil(H/2), ceil(W/2)); coefficients repeated over each 2x2 block. Writes and returns ``out`` (C, H, W)
    float32 (it may be x itself)."""
    mean = box(small)
    var = box(half_of_squares(x))
    var -= mean * mean
    np.maximum(var, np.float32(0), out=var)
    a = var / (var + eps)
    b = mean - a * mean
    coefficients = box(np.concatenate([a, b]))
    np.multiply(full(coefficients[:len(a)], x.shape[-2:]), x, out=out)
    out += full(coefficients[len(a):], x.shape[-2:])
    return out
