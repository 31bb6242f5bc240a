"""Luma and EnlightenGAN's self-regularised attention map (1 - luma of the input), for torch tensors and numpy
arrays alike (arithmetic only: importable without torch)."""

from __future__ import annotations

# ITU-R BT.601 luma weights, as in the released EnlightenGAN data loader.
BT601_LUMA = (0.299, 0.587, 0.114)


def luma(frames):
    """BT.601 luma of RGB frames.

    frames: (B, 3, H, W) float RGB in [-1, 1] (a torch tensor or a numpy array). Returns (B, 1, H, W) of the
    same kind and dtype, in [0, 1].
    """
    if frames.ndim != 4 or frames.shape[1] != 3:
        raise ValueError(f"frames must be (B, 3, H, W), got {tuple(frames.shape)}")
    r, g, b = frames[:, 0:1], frames[:, 1:2], frames[:, 2:3]
    return (BT601_LUMA[0] * (r + 1) + BT601_LUMA[1] * (g + 1) + BT601_LUMA[2] * (b + 1)) / 2


def attention_map(frames):
    """Attention map of RGB frames: (B, 3, H, W) float RGB in [-1, 1] -> (B, 1, H, W) in [0, 1],
    ``1 - luma``: close to 1 in dark regions, close to 0 in bright ones."""
    return 1 - luma(frames)


def grey_uint8(frames):
    """(B, H, W, 3) uint8 RGB (a torch tensor) -> the same shape, its BT.601 luma (rounded) on all three channels
    (``enlight.stream.core.cpu.stages.grey_uint8`` is the numpy form)."""
    import torch

    weights = torch.tensor(BT601_LUMA, device=frames.device)
    value = (frames.float() * weights).sum(-1, keepdim=True).round_().clamp_(0, 255).to(torch.uint8)
    return value.expand(-1, -1, -1, 3)
