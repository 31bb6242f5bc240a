"""The denoiser's OpenCV refinements, local motion and the noise-stabilised bilateral: the numpy form of
``enlight.stream.core.denoise_local`` (same names, same method, without the torch glue). Planes are
(C, H, W) float32 numpy arrays, 0..255; counts (1, h, w) float32 on the half grid."""

from __future__ import annotations

import math

import cv2
import numpy as np

from enlight.stream.core.cpu.denoise_noise import NoiseEstimator
from enlight.stream.core.cpu.denoise_ops import box, full, half
from enlight.stream.core.denoise_config import (
    BAND,
    BILATERAL_DIAMETER,
    BILATERAL_RANGE,
    BILATERAL_SPACE,
    FLOW_LEVEL,
    FLOW_MIN_SIDE,
    FLOW_SNAP,
    INVERSE_ENTRIES,
    SPATIAL_FRAMES,
    WHOLE,
    bilateral_pieces,
)


def channel_mean(x: np.ndarray) -> np.ndarray:
    """(3, ...) float32 -> (...) float32, the mean of the three channels (summed in order, then divided)."""
    return (x[0] + x[1] + x[2]) / np.float32(3)


def _quantile(values: np.ndarray, q: float) -> float:
    """``torch.quantile(values, q)`` of flat float32 ``values`` (linear between the two nearest ranks), rounded
    as torch rounds it: the rank of the float32 q, and one rounding of the interpolation."""
    rank = float(np.float32(q)) * (values.size - 1)
    below, above = int(rank), math.ceil(rank)
    ordered = np.partition(values, [below, above])
    low, high = float(ordered[below]), float(ordered[above])
    return float(np.float32(low + (rank - below) * (high - low)))


def _grey(luma: np.ndarray, gain: float) -> np.ndarray:
    """(H, W) float32 0..255 (a channel mean) -> (H, W) uint8 luma x gain, rounded (the flow's input)."""
    return np.clip(np.rint(luma * np.float32(gain)), 0, 255).astype(np.uint8)


class LocalMotion:
    """What the global shift leaves (the torch form's ``LocalMotion``): DIS optical flow on the half grid. One
    per clip."""

    def __init__(self, *, lean: bool = False) -> None:
        self._lean = lean  # DIS's ultrafast preset instead of its fast one (``DenoiseConfig.bilateral`` off)
        self._flow = None  # cv2.DISOpticalFlow, made on first use
        self._gain: float | None = None  # the flow input's stretch, fixed per scene

    def new_scene(self) -> None:
        """After a scene cut: the flow input's stretch is measured again on the next frame."""
        self._gain = None

    def __call__(self, x: np.ndarray, past: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x (3, H, W) the frame, past (3, H, W) the running mean moved by the global shift, count (1, h, w)
        its frame count on the half grid, all float32 -> (past, count), moved further where the flow fits
        better (the same arrays when it fits nowhere better or the frame is too small)."""
        if self._flow is None:
            self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST if self._lean
                                                   else cv2.DISOPTICAL_FLOW_PRESET_FAST)
        if self._gain is None:
            top = _quantile(channel_mean(x[:, ::4, ::4]).ravel(), 0.99)
            self._gain = FLOW_LEVEL / max(top, 8.0)
        if min(count.shape[-2:]) < FLOW_MIN_SIDE:
            return past, count
        luma, past_luma = channel_mean(x), channel_mean(past)
        small_luma, small_past = half(luma[None])[0], half(past_luma[None])[0]
        flow = self._flow.calc(_grey(small_luma, self._gain), _grey(small_past, self._gain), None)  # on the half
        length = flow[..., 0] * flow[..., 0]  #                                         grid: x(p) ~ past(p + flow)
        length += flow[..., 1] * flow[..., 1]
        far = length >= (FLOW_SNAP / 2) ** 2
        if not far.any():
            return past, count
        flow *= far[..., None]
        return self._moved(flow, small_luma, small_past, past, count)

    @staticmethod
    def _moved(flow: np.ndarray, small_luma: np.ndarray, small_past: np.ndarray, past: np.ndarray,
               count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """flow (h, w, 2) float32 on the half grid (x(p) ~ past(p + flow)), small_luma and small_past (h, w) the
        half-grid channel means of the frame and of past -> (past, count), each value moved by the flow where
        that fits the frame better (3x3 means of squared half-grid differences), else kept."""
        h, w = past.shape[-2:]
        small_h, small_w = flow.shape[:2]
        half_x = np.round(flow[..., 0] + np.arange(small_w, dtype=np.float32))
        half_y = np.round(flow[..., 1] + np.arange(small_h, dtype=np.float32)[:, None])
        moved_count = cv2.remap(np.ascontiguousarray(count[0]), half_x, half_y, cv2.INTER_NEAREST,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)[None]
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
        flow *= 2
        map_x = flow[..., 0] + np.arange(w, dtype=np.float32)
        map_y = flow[..., 1] + np.arange(h, dtype=np.float32)[:, None]
        # outside the picture the edge is repeated: that fits the frame badly, so the global move stays
        moved = np.empty_like(past)
        for plane, target in zip(past, moved, strict=True):
            cv2.remap(plane, map_x, map_y, cv2.INTER_LINEAR, dst=target, borderMode=cv2.BORDER_REPLICATE)
        misfit_global = np.square(box((small_luma - small_past)[None]))
        misfit_flow = np.square(box((small_luma - half(channel_mean(moved)[None])[0])[None]))
        better = misfit_flow < misfit_global  # (1, h, w)
        keep = _blocks(~better[0], (h, w))
        for plane, target in zip(past, moved, strict=True):
            cv2.copyTo(plane, keep, target)  # SIMD: 0.05 ms a 640x360 plane, numpy's masked copy 1.4 ms
        return moved, np.where(better, moved_count, count)


def _blocks(cells: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(h, w) bool on the half grid -> (H, W) uint8 0/1 (a view; an OpenCV mask), each value repeated over its
    2x2 block."""
    h, w = cells.shape
    doubled = cv2.resize(cells.view(np.uint8), (2 * w, 2 * h), interpolation=cv2.INTER_NEAREST)
    return doubled[:size[0], :size[1]]


class NoiseBilateral:
    """The strong spatial part where few frames were averaged (the torch form's ``NoiseBilateral``): OpenCV's
    bilateral filter of the running mean on a variance-stabilised scale, blended in by weight."""

    def __init__(self) -> None:
        self._table: np.ndarray | None = None  # the noise table the look-up tables were made from
        self._forward: np.ndarray | None = None  # (256,) float32: T(v), noise units
        self._inverse: np.ndarray | None = None  # (1, INVERSE_ENTRIES) float32: v at T = i * step
        self._scale = 1.0  # 1 / step = (INVERSE_ENTRIES - 1) / top
        self._rows: np.ndarray | None = None  # zeros, the y map of the inverse's remap (per shape)

    def _tables(self, estimator: NoiseEstimator) -> None:
        if self._table is not None and estimator.table is self._table:
            return
        self._table = estimator.table
        inverse_sigma = np.float32(1) / np.sqrt(estimator.variance(np.arange(256, dtype=np.float32)))
        # the torch form's cumsum accumulates float32 in double: T(v), T(0) = 0
        transform = np.cumsum(inverse_sigma, dtype=np.float64).astype(np.float32) - inverse_sigma[0]
        top = max(float(transform[-1]), 1e-6)
        self._forward = transform
        values = np.interp(np.linspace(0, top, INVERSE_ENTRIES), transform, np.arange(256.0))
        self._inverse = values.astype(np.float32)[None]
        self._scale = (INVERSE_ENTRIES - 1) / top

    def __call__(self, mean: np.ndarray, count: np.ndarray, estimator: NoiseEstimator, *,
                 out: np.ndarray) -> np.ndarray:
        """mean (3, H, W) float32 the running mean, count (1, h, w) float32 its frame count on the half grid,
        out (3, H, W) float32 the guided filter's output, blended in place with the bilateral where
        count < SPATIAL_FRAMES. Returns ``out``."""
        weight = np.clip(np.float32(SPATIAL_FRAMES) - count[0], 0, SPATIAL_FRAMES - 1) / np.float32(SPATIAL_FRAMES - 1)
        if not weight.any():
            return out
        self._tables(estimator)
        h, w = out.shape[-2:]
        boxes = _runs(weight > 0, BAND // 2)
        if sum((y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in boxes) > WHOLE * weight.size:
            boxes = [(0, weight.shape[0], 0, weight.shape[1])]  # most of it: one call, no margins
        for cell_y0, cell_y1, cell_x0, cell_x1 in boxes:  # on the full grid, in pieces OpenCV takes
            for y0, y1, x0, x1 in bilateral_pieces(2 * cell_y0, min(h, 2 * cell_y1), 2 * cell_x0, min(w, 2 * cell_x1)):
                self._filter(mean, full(weight[None, y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2],
                                        (y1 - y0, x1 - x0)), (y0, y1, x0, x1), out)
        return out

    def _filter(self, mean: np.ndarray, weight: np.ndarray, box: tuple[int, int, int, int],
                out: np.ndarray) -> None:
        """out[box] += (bilateral(mean)[box] - out[box]) * weight; mean, out (3, H, W), weight
        (1, y1 - y0, x1 - x0), float32; box (y0, y1, x0, x1) on the full grid."""
        y0, y1, x0, x1 = box
        h, w = out.shape[-2:]
        r = BILATERAL_DIAMETER // 2
        top, left = max(0, y0 - r), max(0, x0 - r)
        region = mean[:, top:min(h, y1 + r), left:min(w, x1 + r)]
        pixels = cv2.merge([np.clip(np.rint(plane), 0, 255).astype(np.uint8) for plane in region])
        stable = cv2.LUT(pixels, self._forward)  # (h, w, 3) float32, noise units
        smooth = cv2.bilateralFilter(stable, BILATERAL_DIAMETER, BILATERAL_RANGE * 3**0.5, BILATERAL_SPACE)
        smooth = smooth[y0 - top:y1 - top, x0 - left:x1 - left]
        positions = np.multiply(smooth.reshape(smooth.shape[0], -1), self._scale, dtype=np.float32)
        if self._rows is None or self._rows.shape != positions.shape:
            self._rows = np.zeros(positions.shape, np.float32)
        back = cv2.remap(self._inverse, positions, self._rows, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        back = back.reshape(smooth.shape).transpose(2, 0, 1)
        target = out[:, y0:y1, x0:x1]
        target += (back - target) * weight


def _runs(active: np.ndarray, band: int, gap: int = 32) -> list[tuple[int, int, int, int]]:
    """Boxes (y0, y1, x0, x1) covering the True cells of ``active`` (h, w) bool: per band of ``band`` rows, the
    runs of columns that hold one, runs closer than ``gap`` columns merged (each box costs a call)."""
    h = active.shape[0]
    boxes = []
    for y0 in range(0, h, band):
        columns = np.flatnonzero(active[y0:y0 + band].any(0)).tolist()
        if not columns:
            continue
        start = previous = columns[0]
        for x in columns[1:] + [None]:
            if x is None or x - previous > gap:
                boxes.append((y0, min(h, y0 + band), start, previous + 1))
                if x is not None:
                    start = x
            if x is not None:
                previous = x
    return boxes
