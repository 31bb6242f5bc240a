"""The torch form of ``enlight.ops.detail``'s step on a batch of frames (``enlight.ops.simd.restore_detail`` is the
OpenCV form, which the CPU runs; the two agree within one code value, tests/stream/test_detail.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from enlight.ops.detail import RADIUS, detail_band, edge_weight
from enlight.ops.luma import BT601_LUMA


def reflected_box(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over a (2r+1)^2 window, the picture reflected at its edges. x: (B, C, H, W) float, H and W > radius."""
    return F.avg_pool2d(F.pad(x, (radius,) * 4, mode="reflect"), 2 * radius + 1, stride=1)


def edge_weights(height: int, width: int, device) -> torch.Tensor:
    """(1, 1, height, width) float32 ``detail.edge_weight`` of each pixel's distance to the nearest edge."""
    rows, cols = (torch.arange(n, device=device, dtype=torch.float32) for n in (height, width))
    rows, cols = torch.minimum(rows, rows.flip(0)), torch.minimum(cols, cols.flip(0))
    return edge_weight(torch.minimum(rows[:, None], cols[None, :]))[None, None]


def weighted_band(result_luma: torch.Tensor, source_luma: torch.Tensor, strength: float) -> torch.Tensor:
    """(B, 1, H, W) float luma of the result and of the input, in levels -> the luma to add to the result's
    channels: ``detail.detail_band`` times the edge weights and ``strength``, (B, 1, H, W)."""
    height, width = result_luma.shape[-2:]
    return detail_band(result_luma, source_luma, box=reflected_box) * (
        edge_weights(height, width, result_luma.device) * strength)


def restore_detail(result: torch.Tensor, source: torch.Tensor, strength: float) -> torch.Tensor:
    """result: (B, H, W, 3) uint8, the enhanced frames; source: the same shape, what the model saw (uint8, or
    float32 levels once denoised) -> (B, H, W, 3) uint8 (rounded half to even, saturated), with a share
    ``strength`` of the input's luma detail at the local gain in place of the result's own. Frames of
    ``RADIUS`` pixels or less on a side come back as they are."""
    height, width = result.shape[1:3]
    if min(height, width) <= RADIUS or strength == 0:
        return result
    weights = torch.tensor(BT601_LUMA, device=result.device)
    out, lumas = result.float(), [(x.float() * weights).sum(-1)[:, None] for x in (result, source)]
    band = weighted_band(*lumas, strength)
    return (out + band[:, 0, :, :, None]).round_().clamp_(0, 255).to(torch.uint8)


def detail_restored(output: torch.Tensor, source: torch.Tensor, strength: float) -> torch.Tensor:
    """``restore_detail`` on float tensors, differentiable (the NIQE training term scores what users see with it):
    output, source: (B, 3, H, W) RGB in [0, 1] -> (B, 3, H, W) in [0, 1], not rounded. Frames of ``RADIUS``
    pixels or less on a side come back as they are."""
    if min(output.shape[-2:]) <= RADIUS or strength == 0:
        return output
    weights = torch.tensor(BT601_LUMA, device=output.device, dtype=output.dtype)[None, :, None, None] * 255
    lumas = [(x * weights).sum(1, keepdim=True) for x in (output, source)]
    return (output + weighted_band(*lumas, strength) / 255).clamp(0, 1)
