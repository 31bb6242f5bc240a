"""Codec blocks and bands in the dark, smoothed before the picture is lifted. Written once for torch tensors and numpy
maps alike (arithmetic only; the window mean is passed in), importable without torch.

A low-bitrate codec keeps a dark, nearly flat region as blocks or bands of one luma code value each (its transform
keeps their mean and drops the rest): a night sky, a dark verge, a shadow. The enhancer lifts such a region 4 to 8
times, and a step of one code value becomes a visible step of 4 to 8: the staircase of 8 and 16 pixel blocks that
real dashcam footage shows (docs/quality.md, "Codec blocks in the dark"). This step finds where the picture is
piecewise flat, that is, where most neighbouring pixels have exactly the same luma (``FLAT_FROM``..``FLAT_TO`` of
them within ``FLAT_RADIUS``; texture, noise and real gradients have few equal neighbours), and there only, in
regions dark enough to be lifted (window mean luma under ``DARK_FROM``..``DARK_TO``), replaces the luma by the
guided filter of itself (``RADIUS``, ``EPS`` code values: edges of a few code values and more are kept, the
one-code steps between blocks mostly are not). The change is one offset on the three channels (the hue stays), rounded
with a fixed dither pattern (``dither``) so that the sub-code ramp survives in 8 bits and does not move from frame
to frame. Elsewhere the frame is left bit for bit as it was.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

RADIUS = 8  # the guided filter's window radius, pixels: an H.264 macroblock is 16
EPS = 1.0  # code values: a window whose luma varies by about this or more keeps most of its own (an edge, texture);
#            chosen on synthetic clips with a truth and looked at on the real ones (docs/quality.md): 2 erased faint
#            shapes one or two code values from their surroundings, which 1 keeps
EQUAL = 0.25  # luma differences under this count as equal neighbours (uint8 RGB: exactly equal)
FLAT_RADIUS = 4  # the window over which the share of equal neighbours is counted
FLAT_FROM, FLAT_TO = 0.55, 0.8  # the step's weight rises from 0 to 1 as that share goes from FLAT_FROM to FLAT_TO
DARK_FROM, DARK_TO = 32.0, 64.0  # the weight falls from 1 to 0 as the window mean luma rises over these levels
TINY = 1e-3  # code values: smaller offsets are float rounding (a flat region's variance), not a change: 0


def deband_weight(luma, equal, *, box):
    """Where the step acts and how much, 0..1: darkness times flatness. Returns (weight, window mean of luma).

    luma: BT.601 luma in levels 0..255 (numpy (h, w) float32, or torch (B, 1, H, W)); equal: of the same shape, the
    share (0, 0.5 or 1) of each pixel's right and lower neighbours whose luma equals its own (``EQUAL``); box(x, r):
    the window mean, the picture reflected at its edges.
    """
    mean = box(luma, RADIUS)
    dark = ((DARK_TO - mean) / (DARK_TO - DARK_FROM)).clip(min=0, max=1)
    flat = ((box(equal, FLAT_RADIUS) - FLAT_FROM) / (FLAT_TO - FLAT_FROM)).clip(min=0, max=1)
    return dark * flat, mean


def deband_offset(luma, weight, mean, *, box):
    """The luma to add to every channel: weight * (guided filter of luma - luma), offsets under ``TINY`` 0.

    luma, weight, mean: as ``deband_weight`` takes and gives them. The guided filter with the luma as its own guide
    (He et al. 2013: a = var / (var + eps^2), b = (1 - a) mean, each box-averaged, luma * a + b).
    """
    var = (box(luma * luma, RADIUS) - mean * mean).clip(min=0)
    a = var / (var + EPS * EPS)
    offset = weight * (box(a, RADIUS) * luma + box((1 - a) * mean, RADIUS) - luma)
    return offset * (abs(offset) >= TINY)


@lru_cache(maxsize=4)
def dither(height: int, width: int) -> np.ndarray:
    """(height, width) float32 in [-0.5, 0.5): a fixed white-noise pattern (an integer hash of the position, the
    same on every frame and every machine), added before rounding. Where the offset is 0 the rounded value is the
    pixel's own. Read-only."""
    rows = np.arange(height, dtype=np.uint32)[:, None] * np.uint32(0x9E3779B1)
    value = rows ^ np.arange(width, dtype=np.uint32)[None, :] * np.uint32(0x85EBCA77)  # (height, width)
    value ^= value >> np.uint32(15)
    value *= np.uint32(0x2C1B3C6D)
    value ^= value >> np.uint32(12)
    pattern = (value >> np.uint32(8)).astype(np.float32) / np.float32(1 << 24) - np.float32(0.5)
    pattern.flags.writeable = False
    return pattern
