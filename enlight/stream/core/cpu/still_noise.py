"""The noise of one still photo as a function of intensity, from its flattest blocks (``DenoiseConfig.still``).

A video's noise table (``denoise_noise.NoiseEstimator``: Immerkaer's residual, trimmed per intensity bin) is learned
over many frames, and the temporal average does most of the work anyway. A photo has one frame, and there fine texture
(foliage, water, knit) passes for noise: on the synthetic choosing set a textured Kodak scene measured 1.70 levels for
0.97 added, and the filter, set by the estimate, took the texture with the noise (docs/quality.md, "Noise in photos").
Here the residual's variance is taken over 8x8 blocks, and each intensity bin's noise is a low percentile of its
blocks' variances (the flattest: texture only adds to a block's variance), scaled by what that percentile is for noise
alone (``CALIBRATION``, measured on white noise). Same interface as ``NoiseEstimator``: ``update(x)``, ``variance(v)``,
``table``.
"""

from __future__ import annotations

import numpy as np

from enlight.stream.core.cpu.denoise_noise import NoiseEstimator, intensity_bins
from enlight.stream.core.denoise_config import NOISE_BINS, QUANTISATION

BLOCK = 8  # pixels per side of the blocks whose residual variance is taken
PERCENTILE = 2.0  # of each intensity bin's block variances (the flattest blocks)
CALIBRATION = 0.481  # that percentile over the mean, for white noise (512x512x3 at 128, sd 4; tests re-measure it)
MIN_BLOCKS = 16  # a bin with fewer blocks takes the percentile over all blocks
_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32) / 6  # white noise: the same variance


def block_variances(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x (C, H, W) float32 0..255 -> (the residual's mean square over each whole 8x8 block of each channel, the
    block's mean intensity), flat float32 arrays of one value per block (interior pixels: 1 off each border)."""
    import cv2

    variances, means = [], []
    for channel in x:
        residual = cv2.filter2D(channel, -1, _IMMERKAER)[1:-1, 1:-1]
        h, w = residual.shape[0] // BLOCK * BLOCK, residual.shape[1] // BLOCK * BLOCK
        shape = (h // BLOCK, BLOCK, w // BLOCK, BLOCK)
        variances.append(np.square(residual[:h, :w]).reshape(shape).mean((1, 3)).ravel())
        means.append(channel[1:h + 1, 1:w + 1].reshape(shape).mean((1, 3)).ravel())
    return np.concatenate(variances), np.concatenate(means)


class StillNoiseEstimator(NoiseEstimator):
    """``NoiseEstimator`` for one still frame: each bin's variance from its flattest blocks (see the module); at least
    the 8-bit rounding's 1/12. A picture too small for one block falls back to ``NoiseEstimator``'s table."""

    def _frame_table(self, x: np.ndarray) -> np.ndarray:
        variances, means = block_variances(x)
        if variances.size == 0:
            return super()._frame_table(x)
        bins = intensity_bins(means)
        pooled = np.percentile(variances, PERCENTILE)
        table = np.full(NOISE_BINS, pooled, np.float64)
        for b in range(NOISE_BINS):
            chosen = variances[bins == b]
            if chosen.size >= MIN_BLOCKS:
                table[b] = np.percentile(chosen, PERCENTILE)
        return np.maximum(table / CALIBRATION, QUANTISATION).astype(np.float32)
