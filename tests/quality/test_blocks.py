"""``enlight.quality.blocks.block_ratio``: 1 for pictures without a grid, well above 1 for a lifted blocky one, nan
where nothing was dark."""

import math

import numpy as np

from enlight.quality.blocks import block_ratio


def grey(levels: np.ndarray) -> np.ndarray:
    return np.repeat(np.clip(np.rint(levels), 0, 255)[..., None], 3, -1).astype(np.uint8)


def test_a_block_grid_stands_out_and_texture_or_a_ramp_does_not():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:64, 0:96]
    source = grey(10 + 8 * x / 96 + rng.normal(0, 0.3, (64, 96)))
    means = (10 + 8 * x / 96).reshape(8, 8, 12, 8).mean((1, 3))
    blocks = grey(6 * np.repeat(np.repeat(means, 8, 0), 8, 1) + rng.normal(0, 1, (64, 96)))  # lifted 6x, noisy
    smooth = grey(6 * (10 + 8 * x / 96) + rng.normal(0, 1, (64, 96)))
    assert block_ratio(blocks, source) > 1.5
    assert abs(block_ratio(smooth, source) - 1) < 0.1
    assert block_ratio(blocks, source, grid=8) > block_ratio(blocks, source, grid=7)  # the grid it is on


def test_nothing_dark_or_too_small_is_nan():
    bright = grey(np.full((64, 96), 120.0))
    assert math.isnan(block_ratio(bright, bright))
    tiny = grey(np.full((8, 8), 10.0))
    assert math.isnan(block_ratio(tiny, tiny))
