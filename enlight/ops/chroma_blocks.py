"""A JPEG's chroma blocks smoothed in the dark regions of a photo, before the enhancer (numpy and OpenCV).

A JPEG stores colour at half resolution in 16x16-pixel blocks (4:2:0), each with its own coarsely quantised average.
In a dark region those averages are a code value or two apart from block to block, which nobody sees; the enhancer
keeps the input's hue and saturation and lifts the brightness, and the blocks come out as a patchwork of greenish and
greyish squares (a night river's water in the Fusion set, 4-6x lifted). The luma's own blocks are the deband step's
(``enlight.ops.deband``); this step is its colour half.

Each chroma plane (BT.601 full range, as JPEG codes it) goes through a guided filter whose guide is the luma (radius
``RADIUS``, regularisation ``EPS`` in code values squared): within a block's reach the colour follows the luma's
edges, not the block grid. The result is used where the local mean luma is under ``DARK[0]``, faded out by
``DARK[1]``, so lit colour (signs, lamps, skin) is left as it was.

Chosen on the choosing sets only (``python benchmarks/photo_chroma.py``; docs/quality.md, "JPEG chroma blocks"):
radius 4 against 8 and 12 and eps 25 against 100, for the chroma steps across the 16-pixel grid over those inside it
(20 validation shots 1.90 -> 1.39; synthetic JPEG quality 60: 2.15 -> 1.36) at no cost in PSNR against the truth
(+0.22 dB at quality 60, -0.03 at 80) or NIQE, where radius 8 lost 0.7 dB at quality 80.
"""

from __future__ import annotations

import numpy as np

RADIUS = 4  # pixels: the guided filter's box radius
# the JPEG's chroma DC quantisation step from which the step runs: its blocks are coarse (the standard tables give 8
# at quality 77, 10 at 70, 14 at 60; 7 at 80, 3 at 92); finer chroma keeps its own detail (docs/quality.md)
COARSE_CHROMA_STEP = 8
EPS = 25.0  # code values squared: the luma variance under which the colour is averaged rather than followed
DARK = (32.0, 64.0)  # local mean luma: smoothed fully under the first, faded out by the second


def smooth_dark_chroma(rgb: np.ndarray) -> np.ndarray:
    """rgb (H, W, 3) uint8 -> the same with its dark regions' chroma guided-filtered by its luma (uint8); pixels
    outside them are the input's, and inside the luma is kept to within the conversion's rounding (a code value)."""
    import cv2

    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    luma = ycc[..., 0]
    size = (2 * RADIUS + 1, 2 * RADIUS + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, size, borderType=cv2.BORDER_REFLECT)

    mean_luma = box(luma)
    var_luma = box(luma * luma) - mean_luma * mean_luma
    weight = np.clip((DARK[1] - mean_luma) / (DARK[1] - DARK[0]), 0.0, 1.0)
    if not weight.any():
        return rgb
    for c in (1, 2):
        chroma = ycc[..., c]
        mean_chroma = box(chroma)
        a = (box(luma * chroma) - mean_luma * mean_chroma) / (var_luma + EPS)
        b = mean_chroma - a * mean_luma
        smoothed = box(a) * luma + box(b)
        ycc[..., c] = weight * smoothed + (1.0 - weight) * chroma
    out = cv2.cvtColor(np.clip(np.rint(ycc), 0, 255).astype(np.uint8), cv2.COLOR_YCrCb2RGB)
    return np.where((weight > 0)[..., None], out, rgb)
