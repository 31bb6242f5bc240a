"""The noise of the frames as a function of intensity (for ``enlight.stream.core.denoise``).

Low-light noise is signal-dependent (Poisson shot noise plus read noise), so its variance is kept as a
table over intensity bins (uniform in sqrt(intensity): finer where it is dark), learned from the clip:
Immerkaer's (1996) residual, the difference of two Laplacians, is blind to planes and nearly so to
edges; white noise of variance s2 gives it a variance of 36 s2. A robust, trimmed spread per bin keeps
edges and texture (the tails) out of the estimate.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from enlight.stream.core.denoise_config import (
    MIN_SAMPLES,
    NOISE_BINS,
    NOISE_MEMORY,
    NOISE_STRIDE,
    QUANTISATION,
    TRIM_SIGMAS,
)

_IMMERKAER = ((1.0, -2.0, 1.0), (-2.0, 4.0, -2.0), (1.0, -2.0, 1.0))


def _truncated_mean_factor(k: float) -> float:
    """E[|r| : |r| < k s] / s for Gaussian r of standard deviation s."""
    return math.sqrt(2 / math.pi) * (1 - math.exp(-k * k / 2)) / math.erf(k / math.sqrt(2))


def _sums(bins: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """(NOISE_BINS,) sums of ``values`` by bin (``bincount`` without its scan for the range)."""
    return torch.zeros(NOISE_BINS, dtype=values.dtype, device=values.device).scatter_add_(0, bins, values)


def intensity_bins(v: torch.Tensor) -> torch.Tensor:
    """Intensity bins of v (any shape, 0..255): uniform in sqrt(intensity), finer where it is dark."""
    scaled = v.clamp(0, 255).sqrt() * (NOISE_BINS / math.sqrt(255.0))
    return scaled.long().clamp_(max=NOISE_BINS - 1)


def binned_sigma(residual: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """(NOISE_BINS,) robust standard deviation of zero-mean Gaussian ``residual`` samples (flat) in each
    bin: the mean of |r|, then three times the mean of the |r| under TRIM_SIGMAS of the last estimate
    (what is not noise, edges and texture or motion, falls in the trimmed tail). Bins with fewer than
    MIN_SAMPLES samples take the pooled estimate."""
    residual = residual.abs()
    count = _sums(bins, torch.ones_like(residual))
    sigma = _sums(bins, residual) / count.clamp(min=1) / math.sqrt(2 / math.pi)
    factor = _truncated_mean_factor(TRIM_SIGMAS)
    for _ in range(3):
        keep = (residual < TRIM_SIGMAS * torch.take(sigma, bins)).float()
        count = _sums(bins, keep)
        sigma = _sums(bins, residual * keep) / count.clamp(min=1) / factor
    pooled = (sigma * count).sum() / count.sum().clamp(min=1)
    return torch.where(count >= MIN_SAMPLES, sigma, pooled)


class NoiseEstimator:
    """The noise variance of the frames as a function of intensity, learned over the clip.

    ``update(x)``: x (C, H, W) float 0..255 (one frame). Immerkaer's residual is taken on every
    fourth pixel, binned by the local 3x3 mean, and ``binned_sigma`` of it (divided by 6, the
    operator's gain on white noise) is that frame's table, which enters the clip's by an exponential
    average. ``variance(v)``: v (any shape) float 0..255 -> the noise variance of one channel at v,
    same shape, never below the 8-bit quantisation's 1/12.
    """

    def __init__(self) -> None:
        self.table: torch.Tensor | None = None  # (NOISE_BINS,) variance per bin

    def _frame_table(self, x: torch.Tensor) -> torch.Tensor:
        kernel = torch.tensor([_IMMERKAER, [[1 / 9] * 3] * 3], dtype=x.dtype, device=x.device)[:, None]
        both = F.conv2d(x[:, None], kernel, stride=NOISE_STRIDE)  # (C, 2, h, w): residual, local mean
        return (binned_sigma(both[:, 0].flatten(), intensity_bins(both[:, 1]).flatten()) / 6).square()

    def update(self, x: torch.Tensor) -> None:
        table = self._frame_table(x.float()).clamp_(min=QUANTISATION)
        self.table = table if self.table is None else torch.lerp(table, self.table, NOISE_MEMORY)

    def variance(self, v: torch.Tensor) -> torch.Tensor:
        if self.table is None:
            raise RuntimeError("NoiseEstimator.variance before any update")
        return torch.take(self.table, intensity_bins(v))


class MeasuredSpread:
    """The variance of a difference under noise alone, measured over time: its robust spread per intensity bin
    (most of a picture is static), which also sees noise correlated between pixels (compressed video) or
    between channels (grey sources); per-frame tables enter by an exponential average (NOISE_MEMORY).
    ``update(samples, bins)``: flat samples of the difference and their bins. ``variance(bins, white, cap)``:
    at each value, the larger of the prediction ``white`` and the measurement held to at most ``cap`` (so that
    a frame full of motion cannot pass for noise); ``white`` itself before any measurement."""

    def __init__(self) -> None:
        self.table: torch.Tensor | None = None  # (NOISE_BINS,) variance per bin

    def update(self, samples: torch.Tensor, bins: torch.Tensor) -> None:
        measured = binned_sigma(samples, bins).square_()
        self.table = measured if self.table is None else torch.lerp(measured, self.table, NOISE_MEMORY)

    def variance(self, bins: torch.Tensor, white: torch.Tensor, cap: torch.Tensor) -> torch.Tensor:
        if self.table is None:
            return white
        return torch.maximum(white, torch.minimum(torch.take(self.table, bins), cap))
