"""Enhancing a picture too big for memory in one piece: overlapping tiles, each cut back to its own part.

The model's working memory grows with the pixels it sees (``enlight.stream.core.memory``: about 1 kB per
pixel for the full generator on a CPU), so a 24-megapixel photo needs more than a 24 GB machine has, and a
12-megapixel phone photo most of a laptop's. The generator is local (convolutions, max-pooling by 2 four
times, a per-pixel attention map; no global statistic), so a tile enhanced with a margin around it gives
the whole picture's pixels inside that margin: tiles start on the model's 16-pixel grid (its pooling
windows fall where they fall in the whole picture), and the margin (``MARGIN`` model pixels, scaled with
a reduced-size preset's scale) covers what the convolutions see near the tile's edge. Neighbouring tiles
are cross-faded over the 2 x margin pixels they share (``enhance_in_tiles`` says why they are not exact).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

ALIGN = 16  # the generator's pooling grid (four halvings)
MARGIN = 128  # model pixels each side: measured in docs/quality.md ("Photos in tiles")


def margin_for(scale: float) -> int:
    """The margin in picture pixels for a model that runs at 1/scale of the picture, on the 16-pixel grid."""
    return int(math.ceil(MARGIN * scale / ALIGN)) * ALIGN


def tiles(height: int, width: int, side: int, margin: int) -> Iterator[tuple[slice, slice, slice, slice]]:
    """Tiles of at most ``side`` x ``side`` pixels (a multiple of ``ALIGN``) covering a height x width picture:
    (rows, columns) of the tile with its margin in the picture, and (rows, columns) of its interior inside
    that."""
    for top in range(0, height, side):
        for left in range(0, width, side):
            y0, x0 = max(0, top - margin), max(0, left - margin)
            y1, x1 = min(height, top + side + margin), min(width, left + side + margin)
            inner_y = slice(top - y0, min(height, top + side) - y0)
            inner_x = slice(left - x0, min(width, left + side) - x0)
            yield slice(y0, y1), slice(x0, x1), inner_y, inner_x


def tile_count(height: int, width: int, side: int) -> int:
    """How many tiles ``tiles`` makes for a height x width picture."""
    return -(-height // side) * -(-width // side)


def tile_side(pixels_that_fit: int, margin: int) -> int:
    """The largest tile side (a multiple of ``ALIGN``) whose tile with its margins holds at most
    ``pixels_that_fit`` pixels; 0 when not even a tile of ``ALIGN`` fits."""
    side = (math.isqrt(max(0, pixels_that_fit)) - 2 * margin) // ALIGN * ALIGN
    return max(0, side)


def _ramp(length: int, start_open: bool, end_open: bool, margin: int) -> np.ndarray:
    """(length,) float32 weights along one side of a tile: 1 inside; on a side shared with a neighbour (the
    2 x margin pixels both tiles cover), 0 for the outer margin / 2 pixels (the nearest the tile's own edge,
    where its result differs most from the whole picture's), rising linearly over the next ``margin`` pixels,
    so that the two tiles' weights add up to 1. The picture's own edges keep weight 1."""
    weight = np.ones(length, np.float32)
    if margin == 0:
        return weight
    ramp = np.clip((np.arange(2 * margin, dtype=np.float32) - margin / 2 + 0.5) / margin, 0, 1)
    if start_open:
        weight[:2 * margin] = np.minimum(weight[:2 * margin], ramp[:length])
    if end_open:
        weight[-2 * margin:] = np.minimum(weight[-2 * margin:], ramp[::-1][-length:])
    return weight


_STRIP_ROWS = 256  # rows rounded at a time at the end of ``enhance_in_tiles``


def enhance_in_tiles(enhance: Callable[[np.ndarray], np.ndarray], rgb: np.ndarray, side: int,
                     margin: int, on_tile: Callable[[], None] | None = None, *, rounded: bool = True) -> np.ndarray:
    """rgb (H, W, 3) uint8 -> (H, W, 3) uint8, ``enhance`` (one (h, w, 3) uint8 picture -> the same shape)
    run on each tile with its margin; with ``rounded`` False, any (H, W, 3) array -> (H, W, 3) float32, the
    cross-faded values as they are (``enhance``: its tile -> float values). Neighbouring tiles overlap by 2 x
    margin and are cross-faded there:
    the generator's upsampling (bilinear, ``align_corners=True`` as released) maps positions by the input's
    size, so a tile is not exactly the whole picture's pixels and cutting them edge to edge leaves seams.
    ``on_tile`` is called after each tile (a progress bar)."""
    height, width = rgb.shape[:2]
    total = np.zeros(rgb.shape, np.float32)
    weights = np.zeros((height, width, 1), np.float32)
    for rows, columns, _, _ in tiles(height, width, side, margin):
        enhanced = enhance(np.ascontiguousarray(rgb[rows, columns]))
        wy = _ramp(rows.stop - rows.start, rows.start > 0, rows.stop < height, margin)
        wx = _ramp(columns.stop - columns.start, columns.start > 0, columns.stop < width, margin)
        weight = wy[:, None, None] * wx[None, :, None]
        total[rows, columns] += enhanced * weight
        weights[rows, columns] += weight
        if on_tile is not None:
            on_tile()
    total /= weights  # in place, and rounded in strips below: whole-picture temporaries of 12 bytes a pixel
    if not rounded:   # each took a 48-megapixel photo 0.6 GB past --max-memory (issue: a photo's peak)
        return total
    out = np.empty(rgb.shape, np.uint8)
    for top in range(0, height, _STRIP_ROWS):
        block = total[top:top + _STRIP_ROWS]
        np.rint(block, out=block)
        np.clip(block, 0, 255, out=block)
        out[top:top + _STRIP_ROWS] = block
    return out
