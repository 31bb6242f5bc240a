"""Reduced-resolution inference: a model run on downscaled frames, its correction carried to full size.

The generator's output is ``input + attention * residual``, so what it adds is a smooth-ish
correction. Run at ``1/scale`` of the frame size, the correction (output - input) comes back to full
size either by plain ``bilinear`` upsampling or, by default, by the ``guided`` filter
(``enlight.ops.guided``), which makes it follow the input's edges. Cost falls with the square of
``scale``; this is what makes CPU real time reachable.

Two forms: ``scaled_enhance`` (float, differentiable: distillation trains students through it) and
the uint8 form used at run time, split into ``downscale_uint8`` and ``combine_uint8`` so that the
Enhancer's stages can smooth in between; ``scaled_enhance_uint8`` composes them. These are the torch forms
(CUDA); the CPU forms of the stages run ``enlight.ops.simd``'s OpenCV ``downscale`` and ``combine`` instead.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from enlight.ops.guided import EPS, RADIUS, guided_coefficients, guided_upsample
from enlight.ops.luma import attention_map
from enlight.ops.simd import reduced_size

UPSAMPLERS = ("guided", "bilinear")


def scaled_enhance(model, frames: torch.Tensor, attention: torch.Tensor, *, scale: float, upsample: str = "guided",
                   radius: int = RADIUS, eps: float = EPS) -> torch.Tensor:
    """Run ``model(frames, attention)`` at ``1/scale`` of the size and carry its correction back.

    frames (B, 3, H, W) in [-1, 1], attention (B, 1, H, W) -> (B, 3, H, W) float32, not clamped.
    Differentiable. upsample: 'guided' or 'bilinear'.
    """
    # standard (NCHW-contiguous) layout: the pooling and bilinear kernels run several times slower on
    # channels_last tensors (measured: 6.8 vs 0.9 ms per 854x480 upsample)
    frames = frames.float().contiguous()
    attention = attention.float().contiguous()
    if scale == 1:
        return model(frames, attention).float()
    height, width = frames.shape[-2:]
    size = reduced_size(height, width, scale)
    small = F.interpolate(frames, size=size, mode="area")
    delta = model(small, F.interpolate(attention, size=size, mode="area")).float() - small
    if upsample == "bilinear":
        return frames + F.interpolate(delta, size=(height, width), mode="bilinear", align_corners=False)
    return frames + guided_upsample(delta, small, frames, radius=radius, eps=eps)


def downscale_uint8(batch: torch.Tensor, scale: float) -> torch.Tensor:
    """(B, H, W, 3) RGB, uint8 (or float32 0..255) -> (B, 3, h, w) float32 RGB in [-1, 1], area-downscaled
    to ``1/scale``: the model's input (``simd.downscale`` is the CPU form: the same windows and means)."""
    height, width = batch.shape[1:3]
    size = reduced_size(height, width, scale)
    full = batch.permute(0, 3, 1, 2).contiguous().float()
    return F.interpolate(full, size=size, mode="area").div_(127.5).sub_(1.0)


def combine_uint8(pixels: torch.Tensor, small: torch.Tensor, delta: torch.Tensor, *, upsample: str = "guided",
                  radius: int = RADIUS, eps: float = EPS) -> torch.Tensor:
    """Full-size uint8 output from the small correction, in one multiply-add on the input's 0-255 values.

    pixels (B, H, W, 3) RGB, uint8 (or float32 0..255): the full-size input; small, delta (B, 3, h, w): the
    model's input and its correction (output - input) in the [-1, 1] range. Returns (B, H, W, 3) uint8 RGB.
    With y = (a + 1) * I + b in [-1, 1] and I = u / 127.5 - 1, 127.5 * (y + 1) = (a + 1) * u + 127.5 * (b - a),
    whose two coefficient maps are upsampled together. ``simd.combine`` is the CPU form (equal within one code
    value: float rounding).
    """
    if upsample == "bilinear":
        a, b = torch.zeros_like(delta), delta
    else:
        a, b = guided_coefficients(delta, small, radius=radius, eps=eps)
    full = pixels.permute(0, 3, 1, 2).float()
    height, width = full.shape[-2:]
    maps = F.interpolate(torch.cat([a + 1, (b - a) * 127.5]), size=(height, width), mode="bilinear",
                         align_corners=False)  # (2B, 3, H, W): the gain maps, then the offset maps
    count = full.shape[0]
    y = torch.addcmul(maps[count:], maps[:count], full)
    return y.clamp_(0, 255).round_().to(torch.uint8).permute(0, 2, 3, 1)


def scaled_enhance_uint8(model, batch: torch.Tensor, *, scale: float, upsample: str = "guided",
                         radius: int = RADIUS, eps: float = EPS) -> torch.Tensor:
    """``scaled_enhance`` from uint8 frames to uint8 frames, with the fewest full-size passes.

    batch (B, H, W, 3) uint8 RGB -> (B, H, W, 3) uint8 RGB. ``scale`` must be > 1. Equal to
    ``to_uint8(scaled_enhance(...))`` within one grey level (float rounding); the attention map is
    taken on the small frames (it is linear in RGB, so this equals downscaling the full-size one).
    """
    small = downscale_uint8(batch, scale)
    delta = model(small, attention_map(small)).float() - small
    return combine_uint8(batch, small, delta, upsample=upsample, radius=radius, eps=eps)
