"""OpenCV (SIMD, one frame at a time, no full-size float copies) forms of the reduced-size path's
full-size work on CPU frames, equal to the torch forms in ``enlight.ops.scaled`` within float rounding.

On a 2-core CPU the torch forms cost more than the fast preset's network at 1920x1080 (issue 17:
area downscale 16 ms, guided filter and combine 69 ms per frame); these read the uint8 frames as
they are. ``available()`` says whether OpenCV can be imported (``opencv-python``, a dependency;
where it is missing or cannot load, e.g. without libGL, the torch forms run).

Arrays are numpy, channels last: frames (H, W, 3) uint8, maps (h, w, C) float32.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def available() -> bool:
    try:
        import cv2  # noqa: F401
    except ImportError:
        return False
    return True


def _window_edges(full: int, small: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's adaptive average pooling windows (what ``F.interpolate(mode='area')`` uses): output i
    averages input [floor(i * full / small), ceil((i + 1) * full / small))."""
    i = np.arange(small)
    return (i * full) // small, -((-(i + 1) * full) // small)


def area_downscale(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) uint8 -> (h, w, 3) float32 0..255: the mean of each output pixel's window, exactly
    torch's area interpolation: OpenCV's where the factors are whole numbers, else the integer sums of
    the summed-area table over torch's (overlapping) windows, then one division."""
    import cv2

    height, width = frame.shape[:2]
    h, w = size
    if height % h == 0 and width % w == 0:  # whole-pixel windows, side by side: OpenCV's area resize
        return cv2.resize(frame.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    exact = np.int32 if 255 * height * width < 2**31 else np.float64  # float64 is exact for these sums too
    table = cv2.integral(frame, sdepth=cv2.CV_32S if exact is np.int32 else cv2.CV_64F)  # (H+1, W+1, 3)
    y0, y1 = _window_edges(height, h)
    x0, x1 = _window_edges(width, w)
    y0, y1, x0, x1 = y0[:, None], y1[:, None], x0[None, :], x1[None, :]  # gather (h, w) corners directly
    sums = (table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]).astype(np.float32)
    counts = ((y1 - y0) * (x1 - x0)).astype(np.float32)
    return sums / counts[..., None]


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window of the pixels inside the image (``enlight.ops.guided.box_filter``).
    x: (h, w, C) float32 -> the same shape."""
    import cv2

    kernel = (2 * radius + 1, 2 * radius + 1)
    sums = cv2.boxFilter(x, -1, kernel, normalize=False, borderType=cv2.BORDER_CONSTANT)
    counts = cv2.boxFilter(np.ones(x.shape[:2], np.float32), -1, kernel, normalize=False,
                           borderType=cv2.BORDER_CONSTANT)
    return sums / (counts[..., None] if sums.ndim == 3 else counts)


def gain_offset(frame: np.ndarray, gain: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 frame, (h, w, 3) float32 gain and offset maps -> (H, W, 3) uint8
    round(gain * frame + offset), the maps bilinearly upsampled (half-pixel centres, as torch's
    ``align_corners=False``), rounded half to even and saturated."""
    import cv2

    size = (frame.shape[1], frame.shape[0])
    gain = cv2.resize(gain, size, interpolation=cv2.INTER_LINEAR)
    offset = cv2.resize(offset, size, interpolation=cv2.INTER_LINEAR)
    return cv2.add(cv2.multiply(frame, gain, dtype=cv2.CV_32F), offset, dtype=cv2.CV_8U)
