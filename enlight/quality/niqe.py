"""NIQE (Mittal, Soundararajan & Bovik, 2013), computed as the authors' MATLAB release does.

Compatibility points with ``niqe.m`` / ``computequality.m``:

- the image is the luma Y of MATLAB's ``rgb2ycbcr`` (BT.601, limited range, 0-255), rounded;
- local mean/variance normalisation (MSCN) with the 7x7 Gaussian window of the pristine model,
  replicate-padded (``imfilter(..., 'replicate')``), ``(I - mu) / (sigma + 1)``;
- 96x96 blocks (the image cropped to whole blocks), 18 features per block at two scales (the
  second from MATLAB's ``imresize(I, 0.5)``: bicubic with antialiasing), giving 36;
- AGGD parameters by the moment-matching grid search over alpha in 0.2:0.001:10;
- distance sqrt((mu_p - mu_d) pinv((C_p + C_d) / 2) (mu_p - mu_d)^T).

The pristine model (``data/niqe_pris_params.npz``: mu 1x36, cov 36x36, window 7x7) is the one
shipped with the MATLAB release (Apache-2.0 copy from basicsr). Lower is better.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

BLOCK = 96
_PARAMS = Path(__file__).with_name("data") / "niqe_pris_params.npz"


@lru_cache(maxsize=1)
def pristine_model() -> dict[str, np.ndarray]:
    with np.load(_PARAMS) as data:
        return {k: data[k] for k in ("mu_pris_param", "cov_pris_param", "gaussian_window")}


def matlab_luma(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float64 Y in [16, 235], as MATLAB's rgb2ycbcr, rounded."""
    x = rgb.astype(np.float64) / 255.0
    y = 16.0 + 65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]
    return np.round(y)


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    return (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))


def resize_weights(in_len: int, out_len: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """MATLAB imresize's contributions along one axis (bicubic, antialiased when shrinking)."""
    width = 4.0 / scale if scale < 1 else 4.0
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = int(np.ceil(width)) + 2
    indices = left[:, None] + np.arange(taps)[None, :]
    distance = u[:, None] - indices
    weights = scale * _cubic(distance * scale) if scale < 1 else _cubic(distance)
    weights /= weights.sum(axis=1, keepdims=True)
    indices = indices - 1  # to 0-based
    # symmetric padding at the borders, as MATLAB does
    period = 2 * in_len
    indices = np.mod(indices, period)
    indices = np.where(indices >= in_len, period - 1 - indices, indices).astype(np.int64)
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], indices[:, keep]


def imresize_half(image: np.ndarray) -> np.ndarray:
    """MATLAB ``imresize(image, 0.5)`` (bicubic, antialiasing) of a 2-D float array."""
    out = image
    for axis in (0, 1):
        n = out.shape[axis]
        weights, indices = resize_weights(n, int(np.ceil(n * 0.5)), 0.5)
        moved = np.moveaxis(out, axis, 0)
        resized = np.einsum("ok,ok...->o...", weights, moved[indices])
        out = np.moveaxis(resized, 0, axis)
    return out


def _gamma(x):
    from scipy.special import gamma

    return gamma(x)


@lru_cache(maxsize=1)
def _aggd_table() -> tuple[np.ndarray, np.ndarray]:
    alphas = np.arange(0.2, 10.001, 0.001)
    r = _gamma(2 / alphas) ** 2 / (_gamma(1 / alphas) * _gamma(3 / alphas))
    return alphas, r


def aggd_parameters(values: np.ndarray) -> tuple[float, float, float]:
    """(alpha, left scale, right scale) of an asymmetric generalised Gaussian fitted by moments."""
    values = values.ravel()
    left = values[values < 0]
    right = values[values > 0]
    left_std = np.sqrt(np.mean(left**2)) if left.size else 0.0
    right_std = np.sqrt(np.mean(right**2)) if right.size else 0.0
    gamma_hat = left_std / right_std if right_std > 0 else np.inf
    r_hat = np.mean(np.abs(values)) ** 2 / np.mean(values**2)
    r_hat_norm = r_hat * (gamma_hat**3 + 1) * (gamma_hat + 1) / (gamma_hat**2 + 1) ** 2
    alphas, r = _aggd_table()
    alpha = float(alphas[np.argmin((r - r_hat_norm) ** 2)])
    factor = np.sqrt(_gamma(1 / alpha) / _gamma(3 / alpha))
    return alpha, float(left_std * factor), float(right_std * factor)


def block_features(block: np.ndarray) -> list[float]:
    """The 18 NIQE features of one MSCN block."""
    alpha, left, right = aggd_parameters(block)
    features = [alpha, (left + right) / 2]
    for shift in ((0, 1), (1, 0), (1, 1), (1, -1)):
        product = block * np.roll(block, shift, axis=(0, 1))
        alpha, left, right = aggd_parameters(product)
        mean = (right - left) * (_gamma(2 / alpha) / _gamma(1 / alpha))
        features += [alpha, mean, left, right]
    return features


def niqe_luma(luma: np.ndarray) -> float:
    """NIQE of a (H, W) float luma image in 0-255; H and W at least 96 (one block)."""
    from scipy.ndimage import convolve

    model = pristine_model()
    window = model["gaussian_window"]
    h, w = luma.shape
    rows, cols = h // BLOCK, w // BLOCK
    if rows == 0 or cols == 0:
        raise ValueError(f"NIQE needs an image of at least {BLOCK}x{BLOCK}, got {w}x{h}")
    image = luma[: rows * BLOCK, : cols * BLOCK].astype(np.float64)
    per_scale = []
    for scale in (1, 2):
        mu = convolve(image, window, mode="nearest")
        sigma = np.sqrt(np.abs(convolve(image * image, window, mode="nearest") - mu * mu))
        mscn = (image - mu) / (sigma + 1)
        size = BLOCK // scale
        feats = [
            block_features(mscn[r * size : (r + 1) * size, c * size : (c + 1) * size])
            for c in range(cols)
            for r in range(rows)
        ]
        per_scale.append(np.array(feats))
        if scale == 1:
            image = imresize_half(image / 255.0) * 255.0
    features = np.concatenate(per_scale, axis=1)
    mu_d = np.nanmean(features, axis=0)
    clean = features[~np.isnan(features).any(axis=1)]
    cov_d = np.cov(clean, rowvar=False)
    diff = model["mu_pris_param"][0] - mu_d
    inv = np.linalg.pinv((model["cov_pris_param"] + cov_d) / 2)
    return float(np.sqrt(diff @ inv @ diff))


def niqe(rgb: np.ndarray) -> float:
    """NIQE of an (H, W, 3) uint8 RGB image (lower = more natural)."""
    return niqe_luma(matlab_luma(rgb))
