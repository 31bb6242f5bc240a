"""The noise of the frames as a function of intensity: the numpy form of ``enlight.stream.core.denoise_noise``
(same names, same method, no torch). Tables are (NOISE_BINS,) float32 arrays; the arithmetic stays in float32
where the torch form's does, so the two agree within float rounding."""

from __future__ import annotations

import math

import numpy as np

from enlight.stream.core.denoise_config import (
    MIN_SAMPLES,
    NOISE_BINS,
    NOISE_MEMORY,
    NOISE_STRIDE,
    QUANTISATION,
    TRIM_SIGMAS,
)

_BIN_SCALE = np.float32(NOISE_BINS / math.sqrt(255.0))
_NINTH = np.float32(1 / 9)  # the box kernel's weight, as the torch form's float32 kernel holds it


def _truncated_mean_factor(k: float) -> float:
    """E[|r| : |r| < k s] / s for Gaussian r of standard deviation s."""
    return math.sqrt(2 / math.pi) * (1 - math.exp(-k * k / 2)) / math.erf(k / math.sqrt(2))


def _sums(bins: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(NOISE_BINS,) float32 sums of ``values`` (flat float32) by bin (flat int64, 0..NOISE_BINS-1), added in
    order in float32 as the torch form's ``scatter_add_`` adds them."""
    sums = np.zeros(NOISE_BINS, np.float32)
    np.add.at(sums, bins, values)
    return sums


def _counts(bins: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """(NOISE_BINS,) float32 counts by bin of the samples (of those where ``keep``, flat bool)."""
    return np.bincount(bins if keep is None else bins[keep], minlength=NOISE_BINS).astype(np.float32)


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``torch.lerp(start, end, weight)`` of float32 arrays, as its CPU kernel rounds it: one fused multiply-add,
    ``start + w (end - start)`` for w < 0.5, else ``end + (w - 1) (end - start)`` (a float32 product is exact
    in float64, so float64 arithmetic rounds like the fused one)."""
    weight = np.float32(weight)
    diff = (end - start).astype(np.float64)
    if weight < 0.5:
        return (start + np.float64(weight) * diff).astype(np.float32)
    return (end + np.float64(weight - np.float32(1)) * diff).astype(np.float32)


def intensity_bins(v: np.ndarray) -> np.ndarray:
    """Intensity bins (int64, same shape) of v (any shape, float32 0..255): uniform in sqrt(intensity)."""
    scaled = np.sqrt(np.clip(v, 0, 255)) * _BIN_SCALE
    return np.minimum(scaled.astype(np.int64), NOISE_BINS - 1)


def binned_sigma(residual: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """(NOISE_BINS,) float32 robust standard deviation of zero-mean Gaussian ``residual`` samples (flat
    float32) in each bin (``bins``, flat int64): the torch form's trimmed mean of |r|, three rounds; bins with
    fewer than MIN_SAMPLES samples take the pooled estimate."""
    residual = np.abs(residual)
    count = _counts(bins)
    sigma = _sums(bins, residual) / np.maximum(count, 1) / np.float32(math.sqrt(2 / math.pi))
    factor = np.float32(_truncated_mean_factor(TRIM_SIGMAS))
    for _ in range(3):
        keep = residual < np.float32(TRIM_SIGMAS) * np.take(sigma, bins)
        count = _counts(bins, keep)
        sigma = _sums(bins, np.where(keep, residual, np.float32(0))) / np.maximum(count, 1) / factor
    pooled = (sigma * count).sum() / max(count.sum(), np.float32(1))
    return np.where(count >= MIN_SAMPLES, sigma, pooled).astype(np.float32)


def _strided_taps(x: np.ndarray) -> list[list[np.ndarray]]:
    """x (C, H, W) -> 3x3 taps [a][b] (C, h, w): x[:, 4i + a, 4j + b], the inputs of a 3x3 convolution
    with stride NOISE_STRIDE and no padding (h = (H - 3) // 4 + 1, w likewise)."""
    h = (x.shape[1] - 3) // NOISE_STRIDE + 1
    w = (x.shape[2] - 3) // NOISE_STRIDE + 1
    return [[x[:, a::NOISE_STRIDE, b::NOISE_STRIDE][:, :h, :w] for b in range(3)] for a in range(3)]


def _residual_and_mean(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x (C, H, W) float32 -> (Immerkaer's residual, the 3x3 mean), each (C, h, w) float32, on every
    NOISE_STRIDE-th pixel of every NOISE_STRIDE-th row (the torch form's strided ``conv2d``)."""
    taps = _strided_taps(x)
    rows = [t[0] + t[2] for t in taps]  # the outer taps of each row
    residual = (rows[0] + rows[2]) - 2 * (taps[0][1] + taps[2][1] + rows[1]) + 4 * taps[1][1]
    total = rows[0] + rows[1] + rows[2] + taps[0][1] + taps[1][1] + taps[2][1]
    return residual, total * _NINTH


class NoiseEstimator:
    """The noise variance of the frames as a function of intensity, learned over the clip (the torch form's
    ``NoiseEstimator``). ``update(x)``: x (C, H, W) float32 0..255, one frame. ``variance(v)``: v (any shape)
    float32 0..255 -> the noise variance of one channel at v, same shape, float32, at least 1/12."""

    def __init__(self) -> None:
        self.table: np.ndarray | None = None  # (NOISE_BINS,) float32 variance per bin

    def _frame_table(self, x: np.ndarray) -> np.ndarray:
        residual, mean = _residual_and_mean(x)
        return np.square(binned_sigma(residual.ravel(), intensity_bins(mean).ravel()) / np.float32(6))

    def update(self, x: np.ndarray) -> None:
        table = np.maximum(self._frame_table(np.asarray(x, dtype=np.float32)), np.float32(QUANTISATION))
        self.table = table if self.table is None else lerp(table, self.table, NOISE_MEMORY)

    def variance(self, v: np.ndarray) -> np.ndarray:
        if self.table is None:
            raise RuntimeError("NoiseEstimator.variance before any update")
        return np.take(self.table, intensity_bins(v))


class MeasuredSpread:
    """The variance of a difference under noise alone, measured over time (the torch form's ``MeasuredSpread``).
    ``update(samples, bins)``: flat float32 samples and their int64 bins. ``variance(bins, white, cap)``: at
    each value, max(white, min(the table's, cap)) (arrays of the bins' shape); ``white`` before any update."""

    def __init__(self) -> None:
        self.table: np.ndarray | None = None  # (NOISE_BINS,) float32 variance per bin

    def update(self, samples: np.ndarray, bins: np.ndarray) -> None:
        measured = np.square(binned_sigma(samples, bins))
        self.table = measured if self.table is None else lerp(measured, self.table, NOISE_MEMORY)

    def variance(self, bins: np.ndarray, white: np.ndarray, cap: np.ndarray) -> np.ndarray:
        if self.table is None:
            return white
        return np.maximum(white, np.minimum(np.take(self.table, bins), cap))
