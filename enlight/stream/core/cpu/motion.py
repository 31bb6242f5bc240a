"""CPU form of ``enlight.stream.core.motion``: global camera motion between consecutive frames (phase
correlation) and translating an image by it, on float32 numpy arrays, without torch.

Differences from the torch form: the correlation runs in float64 (OpenCV's DFT; the torch form's is float32),
so the shift agrees within about 1e-5 pixel on images with any noise, not bit for bit (on noise-free,
band-limited images the phase normalisation is ill-conditioned and the two can differ by a tenth of a pixel);
the shift is a numpy array (the host is the device here).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from enlight.stream.core.smoothing_config import ANALYSIS_SHORT_SIDE, MAX_SHIFT_FRACTION, PEAK_SIGMAS, analysis_crop


def analysis_luma(luma: np.ndarray) -> tuple[np.ndarray, int]:
    """(B, 1, H, W) float32 luma -> ((B, 1, h, w) float32 means over f x f blocks, f); f makes the short side
    about ANALYSIS_SHORT_SIDE; the remainder rows and columns are dropped, as by ``avg_pool2d``, and the result
    is cropped about its centre to ``analysis_crop``'s DFT-friendly sides (only those blocks are averaged).
    A view when f is 1."""
    factor = max(1, min(luma.shape[-2:]) // ANALYSIS_SHORT_SIDE)
    top, bottom, left, right = analysis_crop(luma.shape[-2] // factor, luma.shape[-1] // factor)
    if factor == 1:
        return luma[..., top:bottom, left:right], factor
    b, c = luma.shape[:2]
    h, w = bottom - top, right - left
    out = np.empty((b, c, h, w), np.float32)
    region = luma[..., top * factor:bottom * factor, left * factor:right * factor]
    for source, plane in zip(region.reshape(b * c, *region.shape[-2:]), out.reshape(b * c, h, w), strict=True):
        cv2.resize(source, (w, h), dst=plane, interpolation=cv2.INTER_AREA)
    return out, factor


def _subpixel(before: np.ndarray, peak: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(N,) offset of the true peak from the integer one, from its neighbours (Foroosh et al., IEEE TIP 2002)."""
    side = np.where(after > before, 1.0, -1.0)
    neighbour = np.maximum(np.maximum(before, after), 0)
    return side * neighbour / np.maximum(neighbour + peak, 1e-9)


@lru_cache(maxsize=8)
def _window(h: int, w: int) -> np.ndarray:
    """(h, w) float64 2-D Hann window (``torch.hann_window(periodic=False)`` is ``np.hanning``)."""
    return np.outer(np.hanning(h), np.hanning(w))


def _spectrum(image: np.ndarray) -> np.ndarray:
    """(h, w) -> (h, w, 2) float64 (real, imaginary), the DFT of the mean-free, windowed image."""
    image = image.astype(np.float64)
    image -= image.mean()
    image *= _window(*image.shape)
    return cv2.dft(image, flags=cv2.DFT_COMPLEX_OUTPUT)


def _phase_correlation(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """(h, w) images -> (h, w) float64, the inverse DFT of their cross-power spectrum over its magnitude."""
    cross = cv2.mulSpectrums(_spectrum(current), _spectrum(previous), 0, conjB=True)
    magnitude = cv2.magnitude(cross[..., 0], cross[..., 1])
    magnitude += 1e-12
    cross /= magnitude[..., None]
    return cv2.idft(cross, flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT)


def global_shift(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Translation of the content from ``previous`` to ``current``: current(x) ~ previous(x - shift).

    previous, current: (N, 1, h, w) float luma (any range), pairwise. Returns (N, 2) float32 (dx, dy) in
    pixels of these images, sub-pixel; 0 where the correlation peak is too weak to trust (under PEAK_SIGMAS /
    sqrt(h w)) or the shift is too large for shake (MAX_SHIFT_FRACTION of a side or more).
    """
    n, _, h, w = current.shape
    corr = np.stack([_phase_correlation(p[0], c[0]) for p, c in zip(previous, current, strict=True)])
    index = corr.reshape(n, -1).argmax(-1)
    iy, ix = index // w, index % w
    rows = np.arange(n)
    peak = corr[rows, iy, ix]
    dx = ix + _subpixel(corr[rows, iy, (ix - 1) % w], peak, corr[rows, iy, (ix + 1) % w])
    dy = iy + _subpixel(corr[rows, (iy - 1) % h, ix], peak, corr[rows, (iy + 1) % h, ix])
    dx = np.where(dx > w / 2, dx - w, dx)
    dy = np.where(dy > h / 2, dy - h, dy)
    trusted = (peak > PEAK_SIGMAS / (h * w) ** 0.5) & (np.abs(dx) < MAX_SHIFT_FRACTION * w) & (
        np.abs(dy) < MAX_SHIFT_FRACTION * h)
    shift = np.stack([dx, dy], -1).astype(np.float32)
    shift[~trusted] = 0
    return shift


def _sources(n: int, amount: float) -> tuple[int, np.ndarray]:
    """Where out[i] = image[i - amount] reads along an axis of n samples, the position clamped into it:
    (k, weight) with out[i] = lerp(image[clamp(i + k)], image[clamp(i + k + 1)], weight[i]); weight (n,)
    float32 in [0, 1] from the same float32 positions as the torch form (0 where clamped)."""
    amount = np.float32(amount)
    source = np.clip(np.arange(n, dtype=np.float32) - amount, 0, n - 1)
    k = max(-n - 1, min(n, int(np.floor(-amount))))
    return k, source - np.clip(np.arange(n) + k, 0, n - 1).astype(np.float32)


def _shift_columns(rows: np.ndarray, amount: float) -> np.ndarray:
    """(R, W) float32 moved by ``amount`` pixels along its rows, edges replicated: (R, W) float32."""
    n = rows.shape[1]
    k, weight = _sources(n, amount)
    p = abs(k) + 1
    padded = cv2.copyMakeBorder(rows, 0, 0, p, p, cv2.BORDER_REPLICATE)
    low = padded[:, p + k:p + k + n]
    out = padded[:, p + k + 1:p + k + 1 + n] - low
    out *= weight
    out += low
    return out


def _shift_rows(image: np.ndarray, amount: float) -> np.ndarray:
    """(C, H, W) float32 moved by ``amount`` pixels down its columns, edges replicated: (C, H, W) float32."""
    n = image.shape[1]
    k, weight = _sources(n, amount)
    weight = weight[:, None]
    p = abs(k) + 1
    out = np.empty_like(image)
    for plane, dst in zip(image, out, strict=True):
        padded = cv2.copyMakeBorder(plane, p, p, 0, 0, cv2.BORDER_REPLICATE)
        low = padded[p + k:p + k + n]
        np.subtract(padded[p + k + 1:p + k + 1 + n], low, out=dst)
        dst *= weight
        dst += low
    return out


def translate(image: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """(C, H, W) float32 image moved by ``shift`` (2,) (dx, dy) pixels: out(x) = image(x - shift), (C, H, W)
    float32 (a new array).

    Exact bilinear interpolation with the sample positions clamped into the image (edges replicated), as a
    shift along the rows, then along the columns, like the torch form; the two samples of each output are
    read from an edge-padded copy by slicing rather than gathered. (OpenCV's ``remap`` and ``warpAffine``
    round the weight to 1/32 in OpenCV 4, which the project allows, hence not used.)
    """
    c, h, w = image.shape
    along_rows = _shift_columns(np.ascontiguousarray(image, np.float32).reshape(c * h, w), shift[0])
    return _shift_rows(along_rows.reshape(c, h, w), shift[1])
