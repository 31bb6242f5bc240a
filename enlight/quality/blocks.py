"""Codec blocks made visible: how much more the enhanced picture steps across the codec's block grid than inside its
blocks, in the regions that were dark (numpy only).

A lifted low-bitrate video shows its dark flat regions as a staircase of blocks (``enlight.ops.deband``): luma
steps at every ``grid``-th column and row and none in between. ``block_ratio`` is the mean absolute luma difference
between neighbouring pixels that straddle a grid line over the same between neighbours that do not, counted only
where the input's luma is under ``dark``: 1 is a picture with no grid in it (texture, noise and smooth gradients
step alike everywhere); a blocky one is 1.3-1.7 (the night highway dashcam, 8-pixel grid: 1.49 enhanced as it is).
The grid starts at the picture's top-left corner, as H.264's, HEVC's and JPEG's do.
"""

from __future__ import annotations

import numpy as np

from enlight.ops.luma import BT601_LUMA

GRID = 8  # pixels: the transform size of JPEG and H.264's high profile (4 and 16 also tell)
DARK = 40.0  # levels of the input's luma: the regions that were lifted most


def _luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float32) @ np.asarray(BT601_LUMA, np.float32)


CHROMA_GRID = 16  # pixels: a JPEG's 4:2:0 block of chroma (8x8 samples at half resolution)
# BT.601's Cb and Cr rows (JPEG's), without their offset: only their steps are measured
_CHROMA = np.array([[-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], np.float32).T


def _steps_ratio(planes: list[np.ndarray], src_luma: np.ndarray, grid: int, dark: float) -> float:
    """Mean |step| across the grid lines / elsewhere, over ``planes`` (each (H, W) float), between the pixel pairs
    whose first pixel is darker than ``dark`` in ``src_luma``; nan where there are none."""
    across, inside = [], []
    for plane in planes:
        for axis in (0, 1):
            steps = np.abs(np.diff(plane, axis=axis))
            dark_pairs = (src_luma[:-1] if axis == 0 else src_luma[:, :-1]) < dark
            line = (np.arange(steps.shape[axis]) % grid) == grid - 1
            line = np.broadcast_to(line[:, None] if axis == 0 else line[None, :], steps.shape)
            across.append(steps[line & dark_pairs])
            inside.append(steps[~line & dark_pairs])
    across, inside = np.concatenate(across), np.concatenate(inside)
    if min(src_luma.shape) < 2 * grid or not across.size or not inside.size or inside.mean() == 0:
        return float("nan")
    return float(across.mean() / inside.mean())


def chroma_block_ratio(output: np.ndarray, source: np.ndarray, *, grid: int = CHROMA_GRID, dark: float = DARK
                       ) -> float:
    """``block_ratio`` of the output's two chroma planes (BT.601 Cb and Cr) on a JPEG's 16-pixel chroma grid: 1 is
    colour with no grid in it; a dark JPEG enhanced as it is, 1.8-2.2 (docs/quality.md, "JPEG chroma blocks")."""
    chroma = np.asarray(output, np.float32) @ _CHROMA
    return _steps_ratio([chroma[..., 0], chroma[..., 1]], _luma(source), grid, dark)


def block_ratio(output: np.ndarray, source: np.ndarray, *, grid: int = GRID, dark: float = DARK) -> float:
    """output, source: (H, W, 3) RGB, 0..255 (uint8 or float), the enhanced frame and the frame it was made from ->
    mean |step| across the grid lines / mean |step| elsewhere, both between the pixel pairs whose first pixel is
    darker than ``dark`` in ``source``; nan where there are none (no dark region, or a side under 2 * grid)."""
    return _steps_ratio([_luma(output)], _luma(source), grid, dark)
