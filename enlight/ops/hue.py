"""Hue kept: a network's brightness applied to the input's own colours.

An unpaired generator is free to change colour, and on night scenes every training recipe we ran
drifted into a cast (mauve, orange, olive, green; docs/training.md). ``keep_hue`` takes only the
output's luma from the network and the chromaticity from the input, so the enhanced frame is the
input's colours at the network's brightness: a cast cannot appear, a grey input stays grey, and the
black of the input stays black at any gain.

The input's chromaticity is read from a (2r+1)^2 box average, so per-pixel colour noise of a dark
frame is not turned into coloured speckle. Two things keep the colour of near-black from being
invented: a chroma floor (the colour vector rgb - luma of length L is scaled by L^2 / (L^2 + floor^2),
so offsets of a level or two, which a codec or a sensor's black level leaves in dark video, become
grey: lifted 5-10x they were a mauve haze over black shadows; a real colour of the same darkness, a
tail light, has far more chroma and keeps its hue), and pixels darker than ``dark`` are desaturated
in proportion to their brightness.
"""

from __future__ import annotations

import torch

from enlight.ops.guided import box_filter
from enlight.ops.luma import luma

RADIUS = 1  # 3x3 window for the input's chromaticity
DARK = 0.03  # luma in [0, 1] below which the input's colour counts in proportion to its brightness
# Chroma (length of rgb - luma, 0-1 units, after the box average) that keeps half its length, less below: the
# dark tree of the real night street clip (luma 5-13 levels) has 1.5 levels of magenta, its lit street 6-27.
FLOOR = 3 / 255
_EPS = 1e-3


def chromaticity(source: torch.Tensor, *, radius: int = RADIUS, dark: float = DARK,
                 floor: float = FLOOR) -> torch.Tensor:
    """The input's colour as a per-channel factor on luma.

    source: (B, 3, H, W) RGB in [-1, 1]. Returns (B, 3, H, W) ``c`` with luma(c) = 1 (up to eps):
    ``rgb ~ luma * c``; 1 on every channel is grey. Read from a (2r+1)^2 box average (edges use the
    pixels available); the chroma vector ``rgb - luma`` (0-1 units) of length L is scaled by
    L^2 / (L^2 + floor^2) (a chroma of ``floor`` keeps half, its hue unchanged), and desaturated
    below luma ``dark``.
    """
    source = source.float()
    if radius > 0:
        source = box_filter(source, radius)
    y = luma(source)
    chroma = (source + 1) / 2 - y
    squared = (chroma * chroma).sum(1, keepdim=True)  # L^2
    kept = squared / (squared + floor * floor + 1e-12)
    weight = (y / dark).clamp(0, 1)
    return 1 + weight * kept * chroma / (y + _EPS)


def keep_hue(output: torch.Tensor, source: torch.Tensor, *, radius: int = RADIUS, dark: float = DARK,
             floor: float = FLOOR) -> torch.Tensor:
    """The output's luma with the source's colours, never darker than the source.

    output, source: (B, 3, H, W) RGB in [-1, 1] (output not clamped). Returns (B, 3, H, W) in the
    same range, not clamped: ``max(luma(output), luma(source)) * chromaticity(source)``, so its luma
    is the output's (or the source's, where the network darkened) and its hue and saturation the
    (box-averaged) source's. Differentiable in ``output``: the gradient is the raw luma's (the two rules below
    pass it straight through), so training sees every pixel, where the floor alone gave a darkening network none
    (a fresh generator's fine-tune did not move).

    The output's luma is taken with each channel held at black (-1) from below: on a saturated colour
    the network overshoots the channels that the input lacks far below black (a pure blue of 200
    levels: red -123, green -60 levels), which a picture shows as 0 but which weighed in the luma as
    negative light. And on such a colour, whose luma is low (pure blue: 0.114 of its level), a network
    trained to lift dark pictures may also lower the channel the colour has (``fast``'s student took a
    purple's red from 60 to 20). So bright blues and purples came out darker than they went in, a blue
    LED or a police light black. An enhancer of dark pictures has no business darkening: on natural
    pictures the bundled network's luma falls more than 2 levels below the input's on 0-0.09% of the
    pixels, all in highlights (docs/quality.md, "Saturated colours"). Above white the channels are left
    as they are (the lift's headroom).
    """
    raw = luma(output.float())
    shown = torch.maximum(luma(output.float().clamp(min=-1)), luma(source.float()))
    lifted = raw + (shown - raw).detach()  # the value shown; the gradient the raw luma's, as before both rules
    return lifted * chromaticity(source, radius=radius, dark=dark, floor=floor) * 2 - 1


__all__ = ["DARK", "FLOOR", "RADIUS", "chromaticity", "keep_hue"]
