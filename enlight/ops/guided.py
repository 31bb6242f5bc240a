"""The fast guided filter (He & Sun 2015) that carries a low-resolution correction to full size.

Per channel, the correction is modelled as locally linear in the low-resolution input
(``delta ~ a * input + b`` in small windows); ``a`` and ``b`` are upsampled and applied to the
full-resolution input, so the correction follows the input's edges instead of blurring across them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from enlight.ops.guided_fit import EPS, RADIUS, fit_coefficients

__all__ = ["EPS", "RADIUS", "box_filter", "guided_coefficients", "guided_upsample"]


def box_filter(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over a (2r+1)^2 window (edges use the pixels available). x: (B, C, H, W) float."""
    kernel = 2 * radius + 1
    return F.avg_pool2d(x, kernel, stride=1, padding=radius, count_include_pad=False)


def guided_coefficients(delta_low: torch.Tensor, guide_low: torch.Tensor, *, radius: int = 2,
                        eps: float = 1e-3) -> tuple[torch.Tensor, torch.Tensor]:
    """``guided_fit.fit_coefficients`` of (B, C, h, w) tensors with ``box_filter``: (a, b), delta ~ a * I + b."""
    return fit_coefficients(delta_low, guide_low, radius=radius, eps=eps, box=box_filter)


def guided_upsample(
    delta_low: torch.Tensor, guide_low: torch.Tensor, guide_high: torch.Tensor, *, radius: int = 2, eps: float = 1e-3
) -> torch.Tensor:
    """Upsample ``delta_low`` (B, C, h, w) to the size of ``guide_high`` (B, C, H, W), steered by it.

    guide_low is guide_high downscaled to (h, w). ``guided_coefficients`` fits delta ~ a * I + b at
    low resolution; a, b are bilinearly upsampled and the result is a * I_high + b.
    """
    a, b = guided_coefficients(delta_low, guide_low, radius=radius, eps=eps)
    size = guide_high.shape[-2:]
    a_high = F.interpolate(a, size=size, mode="bilinear", align_corners=False)
    b_high = F.interpolate(b, size=size, mode="bilinear", align_corners=False)
    return a_high * guide_high + b_high
