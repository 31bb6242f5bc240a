"""NIQE as a training term: ``enlight.quality.niqe`` written in torch, so that its gradient reaches the generator.

The same computation as the MATLAB release that ``enlight.quality.niqe`` follows (MATLAB's luma, MSCN with the
pristine model's 7x7 window, 96x96 blocks at two scales, 36 features each, the distance of their Gaussian to the
pristine one). Two steps are made differentiable, leaving the value within about 0.005 of the reference's:

- the luma is rounded to whole levels as the release does (near black that rounding moves NIQE by 0.1-0.3), with
  the gradient passed straight through it;
- each asymmetric generalised Gaussian's shape alpha comes from linear interpolation in the moment-ratio table
  (alpha 0.2 to 10 by 0.001) instead of the nearest entry of that table.

``niqe_scores`` gives one value per image (checked against ``enlight.quality.niqe``); ``niqe_loss`` pools the blocks
of the whole batch into one Gaussian (a crop of 192 has only 4 blocks), the distance a batch of crops is from
natural statistics. Lower is more natural.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from enlight.quality.niqe import BLOCK, pristine_model, resize_weights

SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))  # the four neighbour products, as enlight.quality.niqe.block_features


@lru_cache(maxsize=4)
def _ratio_table(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(alphas, r(alpha)) in float64: r = Gamma(2/a)^2 / (Gamma(1/a) Gamma(3/a)), increasing in alpha."""
    alphas = torch.arange(2000, 100001, dtype=torch.float64, device=device) / 10000
    lg = torch.lgamma
    return alphas, torch.exp(2 * lg(2 / alphas) - lg(1 / alphas) - lg(3 / alphas))


def _alpha_from_ratio(ratio: torch.Tensor) -> torch.Tensor:
    alphas, table = _ratio_table(ratio.device)
    ratio = ratio.clamp(float(table[0]), float(table[-1]))
    upper = torch.searchsorted(table, ratio.detach()).clamp(1, table.numel() - 1)
    r0, r1 = table[upper - 1], table[upper]
    return alphas[upper - 1] + (ratio - r0) / (r1 - r0) * (alphas[upper] - alphas[upper - 1])


def aggd_parameters(values: torch.Tensor, eps: float = 1e-12) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """values: (N, M), N samples of M values -> (alpha, left scale, right scale), each (N,): the asymmetric
    generalised Gaussian fitted by moments, as ``enlight.quality.niqe.aggd_parameters``."""
    negative, positive = (values < 0).to(values.dtype), (values > 0).to(values.dtype)
    squares = values * values
    left = torch.sqrt((squares * negative).sum(1) / negative.sum(1).clamp(min=1) + eps)
    right = torch.sqrt((squares * positive).sum(1) / positive.sum(1).clamp(min=1) + eps)
    g = left / right
    r_hat = values.abs().mean(1) ** 2 / (squares.mean(1) + eps)
    alpha = _alpha_from_ratio(r_hat * (g**3 + 1) * (g + 1) / (g**2 + 1) ** 2)
    factor = torch.exp(0.5 * (torch.lgamma(1 / alpha) - torch.lgamma(3 / alpha)))
    return alpha, left * factor, right * factor


def block_features(blocks: torch.Tensor) -> torch.Tensor:
    """blocks: (N, S, S) MSCN blocks -> (N, 18) features, as ``enlight.quality.niqe.block_features``."""
    flat = blocks.flatten(1)
    alpha, left, right = aggd_parameters(flat)
    features = [alpha, (left + right) / 2]
    for shift in SHIFTS:
        product = (blocks * torch.roll(blocks, shifts=shift, dims=(1, 2))).flatten(1)
        alpha, left, right = aggd_parameters(product)
        mean = (right - left) * torch.exp(torch.lgamma(2 / alpha) - torch.lgamma(1 / alpha))
        features += [alpha, mean, left, right]
    return torch.stack(features, dim=1)


@lru_cache(maxsize=8)
def _half_matrix(length: int, device: torch.device) -> torch.Tensor:
    """(ceil(length / 2), length) float64: MATLAB's bicubic, antialiased ``imresize(x, 0.5)`` along one axis."""
    weights, indices = resize_weights(length, int(np.ceil(length * 0.5)), 0.5)
    matrix = np.zeros((weights.shape[0], length))
    np.add.at(matrix, (np.repeat(np.arange(weights.shape[0]), weights.shape[1]), indices.ravel()), weights.ravel())
    return torch.from_numpy(matrix).to(device)


def _mscn(luma: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """luma: (B, 1, H, W) float64 levels -> the mean-subtracted, contrast-normalised coefficients, same shape."""
    pad = window.shape[-1] // 2
    padded = F.pad(luma, (pad, pad, pad, pad), mode="replicate")
    mu = F.conv2d(padded, window)
    variance = F.conv2d(padded * padded, window) - mu * mu
    return (luma - mu) / (torch.sqrt(variance.abs() + 1e-8) + 1)


def _blocks(mscn: torch.Tensor, size: int) -> torch.Tensor:
    """(B, 1, rows * size, cols * size) -> (B, rows * cols, size, size)."""
    b, _, h, w = mscn.shape
    tiles = mscn.reshape(b, h // size, size, w // size, size).permute(0, 1, 3, 2, 4)
    return tiles.reshape(b, -1, size, size)


def image_features(images: torch.Tensor) -> torch.Tensor:
    """images: (B, 3, H, W) RGB in [0, 1], H and W at least 96 -> (B, blocks, 36) float64 NIQE features, the image
    cropped to whole 96x96 blocks from its top left as ``enlight.quality.niqe`` does."""
    b, _, h, w = images.shape
    rows, cols = h // BLOCK, w // BLOCK
    if rows == 0 or cols == 0:
        raise ValueError(f"NIQE needs images of at least {BLOCK}x{BLOCK}, got {w}x{h}")
    x = images[:, :, : rows * BLOCK, : cols * BLOCK].to(torch.float64)
    luma = 16.0 + 65.481 * x[:, 0:1] + 128.553 * x[:, 1:2] + 24.966 * x[:, 2:3]
    luma = luma + (torch.round(luma) - luma).detach()  # whole levels, the gradient passed straight through
    window = torch.from_numpy(pristine_model()["gaussian_window"]).to(luma)[None, None]
    per_scale = []
    for scale in (1, 2):
        size = BLOCK // scale
        blocks = _blocks(_mscn(luma, window), size)
        per_scale.append(block_features(blocks.reshape(-1, size, size)).reshape(b, rows * cols, 18))
        if scale == 1:
            rows_half, cols_half = _half_matrix(luma.shape[2], luma.device), _half_matrix(luma.shape[3], luma.device)
            luma = rows_half @ luma @ cols_half.T
    return torch.cat(per_scale, dim=2)


def distance(features: torch.Tensor) -> torch.Tensor:
    """features: (N, 36), N >= 2 blocks -> the NIQE distance of their Gaussian to the pristine model's (scalar)."""
    model = pristine_model()
    mu_p = torch.from_numpy(model["mu_pris_param"][0]).to(features)
    cov_p = torch.from_numpy(model["cov_pris_param"]).to(features)
    diff = mu_p - features.mean(0)
    pooled = (cov_p + torch.cov(features.T)) / 2
    return torch.sqrt(diff @ torch.linalg.solve(pooled, diff))


def niqe_scores(images: torch.Tensor) -> torch.Tensor:
    """images: (B, 3, H, W) RGB in [0, 1], at least 2 blocks of 96x96 each -> (B,) NIQE of each image."""
    return torch.stack([distance(f) for f in image_features(images)])


def niqe_loss(images: torch.Tensor) -> torch.Tensor:
    """images: (B, 3, H, W) RGB in [0, 1] -> the NIQE distance of all their blocks together (scalar, float32)."""
    features = image_features(images)
    return distance(features.reshape(-1, features.shape[-1])).to(images.dtype)
