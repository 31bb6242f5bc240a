"""Full-reference scores for pixel-aligned image pairs: PSNR and SSIM.

Both take (H, W, 3) uint8 RGB (or (H, W) grey). PSNR is over all channels with peak 255;
SSIM is Wang et al. (2004): 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, on each channel
and averaged (the usual multi-channel convention, e.g. scikit-image's with gaussian weights).
"""

from __future__ import annotations

import numpy as np

PEAK = 255.0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB; ``inf`` for identical images."""
    if a.shape != b.shape:
        raise ValueError(f"PSNR needs images of one shape, got {a.shape} and {b.shape}")
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(PEAK**2 / mse))


def _gaussian_filter(image: np.ndarray) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(image, sigma=1.5, truncate=3.5, mode="reflect")  # 11x11 support


def _ssim_channel(a: np.ndarray, b: np.ndarray) -> float:
    c1, c2 = (0.01 * PEAK) ** 2, (0.03 * PEAK) ** 2
    mu_a, mu_b = _gaussian_filter(a), _gaussian_filter(b)
    var_a = _gaussian_filter(a * a) - mu_a**2
    var_b = _gaussian_filter(b * b) - mu_b**2
    cov = _gaussian_filter(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(ssim_map[5:-5, 5:-5].mean())  # valid region, as the reference implementation


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity in [-1, 1]; 1 for identical images."""
    if a.shape != b.shape:
        raise ValueError(f"SSIM needs images of one shape, got {a.shape} and {b.shape}")
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if a64.ndim == 2:
        return _ssim_channel(a64, b64)
    return float(np.mean([_ssim_channel(a64[..., c], b64[..., c]) for c in range(a64.shape[-1])]))
