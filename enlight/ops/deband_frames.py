"""The torch form of ``enlight.ops.deband``'s step on a batch of frames (``enlight.ops.simd.deband`` is the OpenCV
form, which the CPU runs; the two agree within one code value, tests/stream/test_deband.py)."""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

from enlight.ops.deband import EQUAL, RADIUS, deband_offset, deband_weight, dither
from enlight.ops.detail_frames import reflected_box
from enlight.ops.luma import BT601_LUMA


def equal_neighbours(luma: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) float luma -> the share of each pixel's right and lower neighbours with the same luma (0, 0.5,
    1; a missing neighbour at the last column or row counts as equal)."""
    padded = F.pad(luma, (0, 1, 0, 1), mode="replicate")
    right = (padded[..., :-1, 1:] - luma).abs() < EQUAL
    down = (padded[..., 1:, :-1] - luma).abs() < EQUAL
    return (right.float() + down.float()) * 0.5


@lru_cache(maxsize=4)
def dither_on(height: int, width: int, device: str) -> torch.Tensor:
    """``deband.dither`` as a (height, width) float32 tensor on ``device``, made once per size and device."""
    return torch.from_numpy(dither(height, width).copy()).to(device)


def deband(pixels: torch.Tensor) -> tuple[torch.Tensor, int]:
    """pixels: (B, H, W, 3) uint8, or float32 levels once denoised -> (the same dtype, the dark piecewise-flat
    regions smoothed: uint8 is rounded with ``deband.dither`` as the OpenCV form rounds it, float is not; the
    number of frames changed). ``pixels`` itself when nothing changes (or a side of ``deband.RADIUS`` pixels or
    less)."""
    height, width = pixels.shape[1:3]
    if min(height, width) <= RADIUS:
        return pixels, 0
    frames = pixels.permute(0, 3, 1, 2).float()
    weights = torch.tensor(BT601_LUMA, device=pixels.device).view(1, 3, 1, 1)
    luma = (frames * weights).sum(1, keepdim=True)
    weight, mean = deband_weight(luma, equal_neighbours(luma), box=reflected_box)
    offset = deband_offset(luma, weight, mean, box=reflected_box)
    if pixels.dtype == torch.uint8:
        offset = (offset + dither_on(height, width, str(pixels.device)) + 0.5).floor_()
    changed = int(offset.flatten(1).any(1).sum())
    if changed == 0:
        return pixels, 0
    if pixels.dtype != torch.uint8:
        return (frames + offset).permute(0, 2, 3, 1), changed
    return (frames + offset).clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous(), changed
