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

from enlight.ops.guided import box_filter
from enlight.ops.luma import luma

RADIUS = 1  # 3x3 window for the input's chromaticity
DARK = 0.03  # luma in [0, 1] below which the input's colour counts in proportion to its brightness
_EPS = 1e-3


def chromaticity(source: torch.Tensor, *, radius: int = RADIUS, dark: float = DARK) -> torch.Tensor:
    """The input's colour as a per-channel factor on luma.

    source: (B, 3, H, W) RGB in [-1, 1]. Returns (B, 3, H, W) ``c`` with luma(c) = 1 (up to eps):
    ``rgb ~ luma * c``; 1 on every channel is grey. Read from a (2r+1)^2 box average (edges use the
    pixels available) and desaturated below luma ``dark``.
    """
    source = source.float()
    if radius > 0:
        source = box_filter(source, radius)
    y = luma(source)
    colour = ((source + 1) / 2 + _EPS) / (y + _EPS)
    weight = (y / dark).clamp(0, 1)
    return 1 + weight * (colour - 1)


def keep_hue(output: torch.Tensor, source: torch.Tensor, *, radius: int = RADIUS, dark: float = DARK) -> torch.Tensor:
    """The output's luma with the source's colours.

    output, source: (B, 3, H, W) RGB in [-1, 1] (output not clamped). Returns (B, 3, H, W) in the
    same range, not clamped: ``luma(output) * chromaticity(source)``, so its luma is the output's
    and its hue and saturation the (box-averaged) source's. Differentiable in ``output``.
    """
    return luma(output.float()) * chromaticity(source, radius=radius, dark=dark) * 2 - 1


__all__ = ["DARK", "RADIUS", "chromaticity", "keep_hue"]
