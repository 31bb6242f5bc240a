"""OpenCV (SIMD, one frame at a time, no full-size float copies) forms of the reduced-size path's
full-size work on CPU frames, equal to the torch forms in ``enlight.ops.scaled`` within float rounding.

On a 2-core CPU the torch forms cost more than the fast preset's network at 1920x1080 (issue 17:
area downscale 16 ms, guided filter and combine 69 ms per frame); these read the uint8 frames as
they are. ``available()`` says whether OpenCV can be imported (``opencv-python``, a dependency;
where it is missing or cannot load, e.g. without libGL, the torch forms run).

Arrays are numpy, channels last: frames (H, W, 3) uint8, maps (h, w, C) float32; ``downscale`` and ``combine``
take batches, and are what the CPU forms of the stages (``enlight.stream.core.cpu.stages``) call.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from enlight.ops.deband import DARK_TO as DEBAND_DARK
from enlight.ops.deband import EQUAL as DEBAND_EQUAL
from enlight.ops.deband import RADIUS as DEBAND_RADIUS
from enlight.ops.deband import deband_offset, deband_weight, dither
from enlight.ops.detail import RADIUS as DETAIL_RADIUS
from enlight.ops.detail import detail_band, edge_weight
from enlight.ops.exposure import DARKEST, SAMPLE, luma_histogram
from enlight.ops.guided_fit import fit_coefficients
from enlight.ops.luma import BT601_LUMA


def reduced_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """(h, w) of a frame of (height, width) at ``1/scale`` of the size, at least 1x1."""
    return max(1, round(height / scale)), max(1, round(width / scale))


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


@lru_cache(maxsize=8)
def _window_counts(height: int, width: int, radius: int) -> np.ndarray:
    """(height, width, 1) float32: how many pixels of the image each (2r+1)^2 window holds (read-only)."""
    import cv2

    kernel = (2 * radius + 1, 2 * radius + 1)
    counts = cv2.boxFilter(np.ones((height, width), np.float32), -1, kernel, normalize=False,
                           borderType=cv2.BORDER_CONSTANT)[..., None]
    counts.flags.writeable = False
    return counts


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window of the pixels inside the image (``enlight.ops.guided.box_filter``).
    x: (h, w, C) float32 -> the same shape."""
    import cv2

    kernel = (2 * radius + 1, 2 * radius + 1)
    sums = cv2.boxFilter(x, -1, kernel, normalize=False, borderType=cv2.BORDER_CONSTANT)
    counts = _window_counts(x.shape[0], x.shape[1], radius)
    return sums / (counts if sums.ndim == 3 else counts[..., 0])


# Small-map rows per strip of ``gain_offset``: the strip's upsampled maps (4 x 16 rows of a 1080p frame,
# 1.5 MB each) stay in cache; 8.6 instead of 14.9 ms per 1080p frame, 1.5 instead of 4.0 at 854x480.
STRIP_ROWS = 16


def gain_offset(frame: np.ndarray, gain: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 frame, (h, w, 3) float32 gain and offset maps -> (H, W, 3) uint8
    round(gain * frame + offset), the maps bilinearly upsampled (half-pixel centres, as torch's
    ``align_corners=False``), rounded half to even and saturated.

    Where H is a whole multiple of h, in strips of ``STRIP_ROWS`` small rows, each upsampled from its rows
    and one more on either side (the bilinear weights of a whole factor repeat every small row, so the
    strips' values are those of the whole map's upsampling, bit for bit); otherwise in one piece."""
    import cv2

    height, width = frame.shape[:2]
    small = gain.shape[0]
    if height % small or height == small:
        size = (width, height)
        gain = cv2.resize(gain, size, interpolation=cv2.INTER_LINEAR)
        offset = cv2.resize(offset, size, interpolation=cv2.INTER_LINEAR)
        return cv2.add(cv2.multiply(frame, gain, dtype=cv2.CV_32F), offset, dtype=cv2.CV_8U)
    factor = height // small
    out = np.empty_like(frame)
    for first in range(0, small, STRIP_ROWS):
        top, bottom = max(0, first - 1), min(small, first + STRIP_ROWS + 1)  # the strip's rows and a margin
        size = (width, (bottom - top) * factor)
        gains = cv2.resize(gain[top:bottom], size, interpolation=cv2.INTER_LINEAR)
        offsets = cv2.resize(offset[top:bottom], size, interpolation=cv2.INTER_LINEAR)
        y0, y1 = first * factor, min(small, first + STRIP_ROWS) * factor  # the strip, in frame rows
        inside = slice(y0 - top * factor, y1 - top * factor)
        product = cv2.multiply(frame[y0:y1], gains[inside], dtype=cv2.CV_32F)
        cv2.add(product, offsets[inside], dst=out[y0:y1], dtype=cv2.CV_8U)
    return out


def downscale(batch: np.ndarray, scale: float) -> np.ndarray:
    """(B, H, W, 3) uint8 RGB -> (B, 3, h, w) float32 RGB in [-1, 1], each frame ``area_downscale``d to 1/scale
    (``reduced_size``): the reduced-size model's input."""
    size = reduced_size(batch.shape[1], batch.shape[2], scale)
    small = np.stack([area_downscale(frame, size) for frame in batch])
    small = np.ascontiguousarray(small.transpose(0, 3, 1, 2))
    small /= np.float32(127.5)
    small -= np.float32(1.0)
    return small


def combine(pixels: np.ndarray, small: np.ndarray, delta: np.ndarray, *, upsample: str, radius: int,
            eps: float) -> np.ndarray:
    """Full-size uint8 output from the small correction (``enlight.ops.scaled.combine_uint8``'s method), frame by
    frame: pixels (B, H, W, 3) uint8, small and delta (B, 3, h, w) float32 in the [-1, 1] range (the model's input
    and output - input) -> (B, H, W, 3) uint8. The coefficient maps are fitted at the small size, channels last."""
    guides = np.ascontiguousarray(small.transpose(0, 2, 3, 1), dtype=np.float32)
    deltas = np.ascontiguousarray(delta.transpose(0, 2, 3, 1), dtype=np.float32)
    out = np.empty_like(pixels)
    for i, frame in enumerate(pixels):
        if upsample == "bilinear":
            a, b = np.zeros_like(deltas[i]), deltas[i]
        else:
            a, b = fit_coefficients(deltas[i], guides[i], radius=radius, eps=eps, box=box_mean)
        out[i] = gain_offset(frame, a + 1, (b - a) * 127.5)
    return out


@lru_cache(maxsize=8)
def _edge_weights(height: int, width: int, strength: float) -> np.ndarray:
    """(height, width) float32 ``detail.edge_weight`` of each pixel's distance to the nearest edge, times
    ``strength`` (read-only: made once per frame size, not per batch)."""
    rows = edge_weight(np.minimum(np.arange(height), np.arange(height)[::-1]).astype(np.float32))
    cols = edge_weight(np.minimum(np.arange(width), np.arange(width)[::-1]).astype(np.float32))
    # the weight rises with the distance, so the weight of the nearer edge is the smaller of the two: one pass
    weights = np.minimum(rows[:, None], cols[None, :]) * np.float32(strength)
    weights.flags.writeable = False
    return weights


def _reflected_box(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, the picture reflected at its edges (as torch's 'reflect' padding): (h, w) float32
    -> the same (a separable filter: 1.9 against boxFilter's 2.9 ms per 1080p map, equal within float rounding)."""
    import cv2

    kernel = np.full(2 * radius + 1, 1 / (2 * radius + 1), np.float32)
    return cv2.sepFilter2D(x, -1, kernel, kernel, borderType=cv2.BORDER_REFLECT_101)


_TO_LUMA = np.asarray([BT601_LUMA], np.float32)  # cv2.transform's 1x3 matrix: RGB -> BT.601 luma
DEBAND_MARGIN = 2 * DEBAND_RADIUS  # rows the deband step's offset at a row depends on, either side (two window means)

# Rows per strip of the full-size float work after ``Combine`` (``restore_detail``, ``lift_exposure``): a 1920-wide
# strip's float maps stay in cache (detail: 16-17 against 21-27 ms per 1080p frame in one piece on the 2-core EPYC,
# 32 rows: 21 ms; exposure: 10.7 against 18.6 ms).
CACHED_ROWS = 128


def restore_detail(result: np.ndarray, source: np.ndarray, strength: float) -> np.ndarray:
    """``enlight.ops.detail``'s step on a batch (``enlight.ops.detail_frames`` has the torch form): result, source
    (B, H, W, 3) uint8, the enhanced frames and what the model saw, at full size -> (B, H, W, 3) uint8 (rounded,
    saturated). Frames of ``detail.RADIUS`` pixels or less on a side come back as they are.

    In strips of ``CACHED_ROWS`` rows, each read with the window's ``RADIUS`` rows on either side, so that
    its window means are the whole frame's, bit for bit (the picture's own edges reflect as in one piece)."""
    import cv2

    height, width = result.shape[1:3]
    if min(height, width) <= DETAIL_RADIUS or strength == 0:
        return result
    weights = _edge_weights(height, width, strength)
    out = np.empty(result.shape, np.uint8)  # contiguous: ``Combine``'s result may be a transposed view
    for i in range(result.shape[0]):
        for top in range(0, height, CACHED_ROWS):
            bottom = min(height, top + CACHED_ROWS)
            first, last = max(0, top - DETAIL_RADIUS), min(height, bottom + DETAIL_RADIUS)
            band = _detail_rows(result[i, first:last], source[i, first:last])[top - first:bottom - first]
            band *= weights[top:bottom]
            frame = np.ascontiguousarray(result[i, top:bottom])
            cv2.add(frame, cv2.merge((band, band, band)), dst=out[i, top:bottom], dtype=cv2.CV_8U)
    return out


def detail_shift(result: np.ndarray, fine: np.ndarray, coarse: np.ndarray, strength: float) -> np.ndarray:
    """How much more ``restore_detail`` adds to ``result`` from the source ``fine`` than from ``coarse``, unrounded:
    result (H, W, 3) uint8, fine and coarse (H, W, 3) float32 or uint8 levels (a 16-bit picture at 8-bit scale, and
    its 8-bit rounding) -> (H, W) float32 luma levels, for every channel (``photo_deep``)."""
    height, width = result.shape[:2]
    if min(height, width) <= DETAIL_RADIUS or strength == 0:
        return np.zeros((height, width), np.float32)
    shift = _detail_rows(result, fine) - _detail_rows(result, coarse)
    return shift * _edge_weights(height, width, strength)


def _detail_rows(result: np.ndarray, source: np.ndarray) -> np.ndarray:
    """``detail.detail_band`` of some whole rows: (h, W, 3) uint8 each -> (h, W) float32."""
    import cv2

    lumas = [cv2.transform(np.asarray(x, dtype=np.float32), _TO_LUMA) for x in (result, source)]
    return detail_band(*lumas, box=_reflected_box)


def luma_histograms(result: np.ndarray) -> np.ndarray:
    """``exposure_frames.luma_histograms``' OpenCV form: (B, H, W, 3) uint8 -> (B, 256) counts of the rounded BT.601
    luma of every ``exposure.SAMPLE``-th row and column of each frame."""
    import cv2

    return np.stack([luma_histogram(cv2.cvtColor(np.ascontiguousarray(frame[::SAMPLE, ::SAMPLE]), cv2.COLOR_RGB2GRAY))
                     for frame in result])


def lift_exposure(result: np.ndarray, powers: list[float]) -> np.ndarray:
    """``exposure_frames.lift_exposure``'s OpenCV form: (B, H, W, 3) uint8, one power p <= 1 per frame -> the same,
    each frame times the gain (y / 255)^(p - 1) of its own BT.601 luma (at least ``exposure.DARKEST``), rounded
    and saturated. Frames whose power is 1 are copied as they are; a batch with no other comes back itself."""
    import cv2

    if all(power >= 1 for power in powers):
        return result
    out = np.array(result, dtype=np.uint8, copy=True, order="C")
    for i, power in enumerate(powers):
        if power >= 1:
            continue
        for top in range(0, out.shape[1], CACHED_ROWS):  # a pixel's own work: strips need no margin
            frame = out[i, top:top + CACHED_ROWS].astype(np.float32)
            gain = cv2.max(cv2.transform(frame, _TO_LUMA), DARKEST)
            gain *= np.float32(1 / 255)
            cv2.pow(gain, power - 1, dst=gain)
            cv2.multiply(frame, cv2.merge((gain, gain, gain)), dst=frame)
            out[i, top:top + CACHED_ROWS] = cv2.convertScaleAbs(frame)
    return out


def _equal_neighbours(luma: np.ndarray) -> np.ndarray:
    """(h, w) float32 luma -> the share of each pixel's right and lower neighbours with the same luma (0, 0.5, 1;
    a missing neighbour at the last column or row counts as equal)."""
    import cv2

    padded = cv2.copyMakeBorder(luma, 0, 1, 0, 1, cv2.BORDER_REPLICATE)
    right = cv2.absdiff(padded[:-1, 1:], luma) < DEBAND_EQUAL
    down = cv2.absdiff(padded[1:, :-1], luma) < DEBAND_EQUAL
    return (right.astype(np.float32) + down.astype(np.float32)) * np.float32(0.5)


def deband(pixels: np.ndarray) -> tuple[np.ndarray, int]:
    """``enlight.ops.deband``'s step on a batch (``enlight.ops.deband_frames`` has the torch form): (B, H, W, 3) uint8
    -> (the same, its dark piecewise-flat regions smoothed and dithered to uint8; the number of frames changed).
    ``pixels`` itself when no frame has such a region (or a side of ``deband.RADIUS`` pixels or less).

    In strips of ``CACHED_ROWS`` rows, each read with ``DEBAND_MARGIN`` rows on either side (the guided filter's two
    window means and the flatness count's), so that the result is the whole frame's, bit for bit."""
    height, width = pixels.shape[1:3]
    out, changed = None, 0
    for i in range(pixels.shape[0] if min(height, width) > DEBAND_RADIUS else 0):
        touched = False
        for top in range(0, height, CACHED_ROWS):  # each strip read from ``pixels``, so ``out`` can take it at once
            step = _deband_steps(pixels[i], top)
            if step is None:
                continue
            if out is None:
                out = pixels.copy()
            _add_to_channels(out[i, top:top + step.shape[0]], step)
            touched = True
        changed += touched
    return (pixels if out is None else out), changed


def _deband_steps(frame: np.ndarray, top: int) -> np.ndarray | None:
    """The whole code values to add to rows top..top + CACHED_ROWS of one (H, W, 3) uint8 frame (float32 (h, W),
    ``deband_offset`` plus ``dither``, rounded down), or None where they are all 0."""
    import cv2

    height, width = frame.shape[:2]
    bottom = min(height, top + CACHED_ROWS)
    first, last = max(0, top - DEBAND_MARGIN), min(height, bottom + DEBAND_MARGIN)
    luma = cv2.transform(frame[first:last].astype(np.float32), _TO_LUMA)
    if luma.min() >= DEBAND_DARK:
        return None
    weight, mean = deband_weight(luma, _equal_neighbours(luma), box=_blurred)
    if not weight.any():  # no dark flat region: the guided filter is not needed
        return None
    offset = deband_offset(luma, weight, mean, box=_blurred)[top - first:bottom - first]
    offset += dither(height, width)[top:bottom]
    step = np.floor(offset + np.float32(0.5), out=offset)
    return step if step.any() else None


def _blurred(x: np.ndarray, radius: int) -> np.ndarray:
    """``_reflected_box`` by OpenCV's normalised box filter (equal within float rounding): 0.4 against 0.5 ms per
    128-row strip of a 1920-wide map, which the deband step's five window means notice."""
    import cv2

    return cv2.blur(x, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT_101)


def _add_to_channels(rows: np.ndarray, step: np.ndarray) -> None:
    """rows (h, W, 3) uint8 += step (h, W) float32 of whole values on every channel, saturated, in place."""
    import cv2

    cv2.add(rows, cv2.merge((step, step, step)), dst=rows, dtype=cv2.CV_8U)
