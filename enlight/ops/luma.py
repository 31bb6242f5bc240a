"""The self-regularised attention map of EnlightenGAN: 1 - luminance of the input."""

import torch

# ITU-R BT.601 luma weights, as in the released EnlightenGAN data loader.
BT601_LUMA = (0.299, 0.587, 0.114)


def attention_map(frames: torch.Tensor) -> torch.Tensor:
    """Attention map of RGB frames.

    frames: (B, 3, H, W) float RGB in [-1, 1].
    Returns (B, 1, H, W) of the same dtype, ``1 - (0.299 R + 0.587 G + 0.114 B)`` computed on
    the frames mapped to [0, 1]: close to 1 in dark regions, close to 0 in bright ones.
    """
    if frames.dim() != 4 or frames.shape[1] != 3:
        raise ValueError(f"frames must be (B, 3, H, W), got {tuple(frames.shape)}")
    r, g, b = frames[:, 0:1], frames[:, 1:2], frames[:, 2:3]
    luma = (BT601_LUMA[0] * (r + 1) + BT601_LUMA[1] * (g + 1) + BT601_LUMA[2] * (b + 1)) / 2
    return 1 - luma
