"""The torch form of ``--exposure``'s curve on a batch of frames (``enlight.ops.exposure``; ``simd.lift_exposure``
and ``simd.luma_histograms`` are the OpenCV forms, which the CPU runs: the two agree within one code value,
tests/stream/test_exposure.py)."""

from __future__ import annotations

import numpy as np
import torch

from enlight.ops.exposure import DARKEST, SAMPLE
from enlight.ops.luma import BT601_LUMA


def luma_histograms(result: torch.Tensor) -> np.ndarray:
    """result (B, H, W, 3) uint8 -> (B, 256) int64 counts (numpy) of the rounded BT.601 luma of every ``SAMPLE``-th
    row and column of each frame."""
    weights = torch.tensor(BT601_LUMA, device=result.device)
    luma = (result[:, ::SAMPLE, ::SAMPLE].float() * weights).sum(-1).round_().clamp_(0, 255).long()
    return torch.stack([torch.bincount(frame.flatten(), minlength=256) for frame in luma]).cpu().numpy()


def lift_exposure(result: torch.Tensor, powers: list[float]) -> torch.Tensor:
    """result (B, H, W, 3) uint8, one power p <= 1 per frame -> the same shape, uint8 (rounded half to even,
    saturated): each frame times the gain (y / 255)^(p - 1) of its own BT.601 luma y (at least ``DARKEST``), which
    takes y to 255 (y / 255)^p. Frames whose power is 1 come back as they are."""
    if all(p >= 1 for p in powers):
        return result
    out = result.float()
    luma = (out * torch.tensor(BT601_LUMA, device=result.device)).sum(-1, keepdim=True).clamp_(min=DARKEST) / 255
    exponent = torch.tensor([min(p, 1.0) - 1 for p in powers], device=result.device).view(-1, 1, 1, 1)
    return (out * luma.pow_(exponent)).round_().clamp_(0, 255).to(torch.uint8)
