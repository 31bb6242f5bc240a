"""Hue kept: a network's brightness applied to the input's own colours.

An unpaired generator is free to change colour, and on night scenes every training recipe we ran
drifted into a cast (mauve, orange, olive, green; docs/training.md). ``keep_hue`` takes only the
output's luma from the network and the chromaticity from the input, so the enhanced frame is the
input's colours at the network's brightness: a cast cannot appear, a grey input stays grey, and the
black of the input stays black at any gain.

The input's chromaticity is read from a (2r+1)^2 box average, so per-pixel colour noise of a dark
frame is not turned into coloured speckle, and pixels darker than ``dark`` (where the colour is
mostly noise) are desaturated in proportion to their brightness.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from enlight.ops.luma import BT601_LUMA

RADIUS = 1  # 3x3 window for the input's chromaticity
DARK = 0.03  # luma in [0, 1] below which the input's colour counts in proportion to its brightness
_EPS = 1e-3


def _luma01(rgb01: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) RGB in [0, 1] -> (B, 1, H, W) BT.601 luma."""
    return BT601_LUMA[0] * rgb01[:, 0:1] + BT601_LUMA[1] * rgb01[:, 1:2] + BT601_LUMA[2] * rgb01[:, 2:3]


def chromaticity(source: torch.Tensor, *, radius: int = RADIUS, dark: float = DARK) -> torch.Tensor:
    """The input's colour as a per-channel factor on luma.

    source: (B, 3, H, W) RGB in [-1, 1]. Returns (B, 3, H, W) ``c`` with luma(c) = 1 (up to eps):
    ``rgb ~ luma * c``; 1 on every channel is grey. Read from a (2r+1)^2 box average (edges use the
    pixels available) and desaturated below luma ``dark``.
    """
    rgb = (source.float() + 1) / 2
    if radius > 0:
        rgb = F.avg_pool2d(rgb, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)
    y = _luma01(rgb)
    colour = (rgb + _EPS) / (y + _EPS)
    weight = (y / dark).clamp(0, 1)
    return 1 + weight * (colour - 1)


def keep_hue(output: torch.Tensor, source: torch.Tensor, *, radius: int = RADIUS, dark: float = DARK) -> torch.Tensor:
    """The output's luma with the source's colours.

    output, source: (B, 3, H, W) RGB in [-1, 1] (output not clamped). Returns (B, 3, H, W) in the
    same range, not clamped: ``luma(output) * chromaticity(source)``, so its luma is the output's
    and its hue and saturation the (box-averaged) source's. Differentiable in ``output``.
    """
    y_out = _luma01((output.float() + 1) / 2)
    return y_out * chromaticity(source, radius=radius, dark=dark) * 2 - 1


__all__ = ["DARK", "RADIUS", "chromaticity", "keep_hue"]
