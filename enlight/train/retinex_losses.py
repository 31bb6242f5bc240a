"""RetinexNet's losses (Wei et al. 2018 and its released code).

Decomposition: L = L_recon + lambda_ir * L_ir + lambda_is * L_is with
L_recon = sum_{i,j in {low, normal}} lambda_ij |R_i * I_j - S_j|_1 (1 for i = j, 0.001 across),
L_ir = |R_low - R_normal|_1 (R_normal held fixed, as released), and the structure-aware
smoothness L_is = mean(|grad I| * exp(-lambda_g * avg3x3(|grad R_grey|))) over x and y.
Relighting: |R_low * I_new - S_normal|_1 + 3 * L_is(I_new, R_low).
All means over pixels; images in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

GREY = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class DecomWeights:
    """lambda_ir 0.001 in the paper, 0.01 in the released code (the default here, as trained there)."""

    mutual: float = 0.001
    ir: float = 0.01
    smooth: float = 0.1
    gradient: float = 10.0


def gradient(image: torch.Tensor, direction: str) -> torch.Tensor:
    """|forward difference| of (B, 1, H, W) along x or y, zero-padded at the far edge (as 'SAME' conv)."""
    if direction == "x":
        diff = F.pad(image[..., :, 1:] - image[..., :, :-1], (0, 1, 0, 0))
    elif direction == "y":
        diff = F.pad(image[..., 1:, :] - image[..., :-1, :], (0, 0, 0, 1))
    else:
        raise ValueError(f"direction must be x or y, got {direction}")
    return diff.abs()


def smoothness_loss(illumination: torch.Tensor, reflectance: torch.Tensor, *, gradient_weight: float = 10.0):
    """Structure-aware smoothness: illumination gradients cost less where the reflectance has edges."""
    grey = sum(w * reflectance[:, c : c + 1] for c, w in enumerate(GREY))
    total = 0.0
    for direction in ("x", "y"):
        edges = F.avg_pool2d(gradient(grey, direction), 3, stride=1, padding=1, count_include_pad=True)
        total = total + (gradient(illumination, direction) * torch.exp(-gradient_weight * edges)).mean()
    return total


def recon_loss(r_low, i_low, r_high, i_high, low, high, *, mutual: float = 0.001) -> torch.Tensor:
    same = (r_low * i_low - low).abs().mean() + (r_high * i_high - high).abs().mean()
    cross = (r_high * i_low - low).abs().mean() + (r_low * i_high - high).abs().mean()
    return same + mutual * cross


def reflectance_loss(r_low: torch.Tensor, r_high: torch.Tensor) -> torch.Tensor:
    return (r_low - r_high.detach()).abs().mean()


def decom_loss(r_low, i_low, r_high, i_high, low, high, weights: DecomWeights = DecomWeights()) -> torch.Tensor:
    smooth = smoothness_loss(i_low, r_low, gradient_weight=weights.gradient) + smoothness_loss(
        i_high, r_high, gradient_weight=weights.gradient)
    return (recon_loss(r_low, i_low, r_high, i_high, low, high, mutual=weights.mutual)
            + weights.ir * reflectance_loss(r_low, r_high) + weights.smooth * smooth)


def relight_loss(r_low, i_new, high, *, smooth_weight: float = 3.0, gradient_weight: float = 10.0) -> torch.Tensor:
    return (r_low * i_new - high).abs().mean() + smooth_weight * smoothness_loss(i_new, r_low,
                                                                                 gradient_weight=gradient_weight)
