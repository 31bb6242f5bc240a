"""Enhancing in tiles: they cover the picture, sit on the model's grid, and give the whole picture's result
for a local operation; a photo too big for the memory budget goes through them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import uniform_filter

from enlight.errors import EnlightError
from enlight.stream.apps.photo import PHOTO_BYTES_PER_PIXEL, enhance_picture, still_plan, tile_layout
from enlight.stream.core.memory import WORK_BYTES_PER_PIXEL, Budget
from enlight.stream.core.plan import build_backend, make_plan
from enlight.stream.core.tiles import ALIGN, enhance_in_tiles, margin_for, tile_count, tile_side, tiles
from tests.media import dark_frames


@pytest.mark.parametrize("height, width, side, margin", [(100, 130, 32, 16), (64, 64, 64, 32), (37, 200, 48, 0)])
def test_tiles_cover_the_picture_once_from_the_grid(height, width, side, margin):
    covered = np.zeros((height, width), int)
    for rows, columns, inner_rows, inner_columns in tiles(height, width, side, margin):
        assert rows.start % ALIGN == 0 and columns.start % ALIGN == 0  # the pooling grid of the whole picture
        top, left = rows.start + inner_rows.start, columns.start + inner_columns.start
        assert top % side == 0 and left % side == 0
        assert inner_rows.start == min(margin, top) and inner_columns.start == min(margin, left)
        covered[top:rows.start + inner_rows.stop, left:columns.start + inner_columns.stop] += 1
    assert (covered == 1).all()


def test_a_local_operation_in_tiles_equals_it_on_the_whole():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (200, 170, 3), dtype=np.uint8)

    def blur(x):  # 9x9 mean per channel: reaches 4 pixels, well inside a 16-pixel margin
        return np.rint(uniform_filter(x.astype(np.float64), size=(9, 9, 1), mode="nearest")).astype(np.uint8)

    whole = blur(rgb)
    tiled = enhance_in_tiles(blur, rgb, 48, 16)
    inside = (slice(4, -4), slice(4, -4))  # the picture's own edge is where "nearest" differs from a tile's
    assert np.array_equal(tiled[inside], whole[inside])
    assert tile_side((48 + 2 * 16) ** 2, 16) == 48 and tile_side(100, 16) == 0
    assert margin_for(1) == 128 and margin_for(4) == 512
    assert tile_count(200, 170, 48) == len(list(tiles(200, 170, 48, 16))) == 20


def test_the_tiles_are_joined_without_whole_picture_temporaries():
    """The tiles' sum was divided, rounded and clipped whole: three float32 pictures more (36 bytes a pixel), which
    took a 48-megapixel photo past --max-memory. Now the sum and weights (16 bytes), the result (3) and strips."""
    import tracemalloc

    rgb = np.random.default_rng(0).integers(0, 256, (1000, 1200, 3), dtype=np.uint8)
    tracemalloc.start()
    try:
        out = enhance_in_tiles(lambda tile: tile, rgb, 256, 16)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(out, rgb)
    assert peak / rgb.shape[0] / rgb.shape[1] < 22, peak


def test_a_photo_over_the_budget_is_enhanced_in_tiles(weights):
    plan = still_plan(make_plan(weights=weights, backend="torch", device="cpu"))
    backend = build_backend(plan)
    rgb = np.ascontiguousarray(dark_frames(1, 640, 480)[0])
    assert tile_layout(480, 640, plan, Budget(1 << 40)) is None
    whole = enhance_picture(rgb, plan, backend, grey=False, layout=None)
    side = 4 * ALIGN  # the smallest tile it takes: 3 x 2 ... of them here, each with its 128-pixel margin
    budget = (side + 2 * 128) ** 2 * WORK_BYTES_PER_PIXEL["best"] + PHOTO_BYTES_PER_PIXEL * 480 * 640
    layout = tile_layout(480, 640, plan, Budget(budget))
    assert layout == (side, 128)
    tiled = enhance_picture(rgb, plan, backend, grey=False, layout=layout)
    diff = np.abs(tiled.astype(int) - whole.astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 3  # (upsampling with align_corners: not exact)
    with pytest.raises(EnlightError, match="even in tiles"):
        tile_layout(480, 640, plan, Budget(budget // 2))


def test_the_photo_command_says_it_used_tiles(weights, tmp_path, monkeypatch):
    from PIL import Image

    import enlight.stream.apps.photo as photo_app

    src = tmp_path / "dusk.png"
    Image.fromarray(np.ascontiguousarray(dark_frames(1, 400, 300)[0])).save(src)
    plan = make_plan(weights=weights, backend="torch", device="cpu")
    budget = (4 * ALIGN + 2 * 128) ** 2 * WORK_BYTES_PER_PIXEL["best"] + PHOTO_BYTES_PER_PIXEL * 400 * 300
    monkeypatch.setattr(photo_app, "memory_budget", lambda max_memory_gb: Budget(budget))
    stats = photo_app.enhance_photo(photo_app.PhotoConfig(src, tmp_path / "day.png", plan=plan))
    assert stats.tiles == 35 and "in 35 tiles to fit in memory" in stats.summary()  # 7 x 5 tiles of 64
    assert Image.open(tmp_path / "day.png").size == (400, 300)


def test_in_tiles_the_exposure_and_detail_steps_see_the_whole_picture(weights):
    """``--exposure``'s power comes from the whole picture's histogram, not one per tile (which would give each
    tile a brightness of its own); the detail step runs after it on the whole picture, as it does untiled."""
    plan = still_plan(make_plan(weights=weights, backend="torch", device="cpu", exposure=120))
    backend = build_backend(plan)
    rgb = np.ascontiguousarray(dark_frames(1, 640, 480)[0])
    rgb[:, :320] //= 4  # one half much darker: its tiles alone would take a much stronger curve
    whole = enhance_picture(rgb, plan, backend, grey=False, layout=None)
    tiled = enhance_picture(rgb, plan, backend, grey=False, layout=(4 * ALIGN, 128))
    diff = np.abs(tiled.astype(int) - whole.astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 3
    grey = enhance_picture(rgb, plan, backend, grey=True, layout=(4 * ALIGN, 128))
    assert (grey[..., 0] == grey[..., 2]).all()
