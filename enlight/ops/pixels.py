"""uint8 frames <-> the model's float range."""

import torch


def to_model_input(batch: torch.Tensor) -> torch.Tensor:
    """(B, H, W, 3) uint8 RGB -> (B, 3, H, W) float32 RGB in [-1, 1], channels_last in memory."""
    return batch.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)


def to_uint8(frames: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) float RGB, nominally [-1, 1] -> (B, H, W, 3) uint8 (clamped, rounded)."""
    return frames.float().add(1.0).mul_(127.5).clamp_(0, 255).round_().to(torch.uint8).permute(0, 2, 3, 1)
