"""A 16-bit photo's result through the model itself (enlight.stream.apps.photo_deep), with the shipped weights."""

from __future__ import annotations

from dataclasses import replace

import av
import numpy as np
import pytest

from enlight.stream.apps.photo import apply_to_16bit, enhance_picture, still_plan
from enlight.stream.apps.photo_deep import deep_result, takes_deep
from enlight.stream.core.denoise_config import DenoiseConfig
from enlight.stream.core.plan import build_backend, make_plan


def _ramp(height: int = 96, width: int = 320, grey: bool = False) -> np.ndarray:
    """(H, W, 3) uint16: a dark horizontal ramp from level 0 to about 12 (of 255), bluish unless ``grey``."""
    ramp = np.linspace(0, 3000, width)[None, :, None] * np.ones((height, 1, 1))
    tint = np.ones(3) if grey else np.array([0.8, 0.9, 1.0])
    return np.round(ramp * tint).astype(np.uint16)


def _steps(rgb16: np.ndarray) -> float:
    """The 99th percentile of the jumps between neighbours along the ramp's rows, in 8-bit levels."""
    jumps = np.abs(np.diff(rgb16[8:-8, 16:-16].astype(np.float64) / 257, axis=1))
    return float(np.percentile(jumps, 99))


@pytest.fixture(scope="module")
def best():
    plan = still_plan(make_plan())
    return plan, build_backend(plan)


def _enhanced(rgb8, best, grey=False):
    plan, backend = best
    return enhance_picture(rgb8, replace(plan, deband=False, denoise=DenoiseConfig()), backend, grey=grey,
                           layout=None)


def test_a_lifted_16_bit_ramp_comes_out_smooth_not_in_the_models_8_bit_steps(best):
    """The 8-bit correction added to the 16-bit pixels left each of the model's 8-bit steps as a jump of 2-5
    levels; through the model the ramp rises smoothly, at the same brightness."""
    rgb16 = _ramp()
    rgb8 = ((rgb16.astype(np.uint32) + 128) // 257).astype(np.uint8)
    enhanced = _enhanced(rgb8, best)
    before = apply_to_16bit(rgb16, rgb8, enhanced)
    after = deep_result(rgb16, rgb8, enhanced, best[1], detail=best[0].detail)
    assert _steps(before) > 3.0 and _steps(after) < 0.4 * _steps(before), (_steps(before), _steps(after))
    assert abs(after.mean() - before.mean()) / 257 < 1.0


def test_a_grey_photo_stays_grey_through_the_model(best):
    rgb16 = _ramp(grey=True)
    rgb8 = ((rgb16.astype(np.uint32) + 128) // 257).astype(np.uint8)
    after = deep_result(rgb16, rgb8, _enhanced(rgb8, best, grey=True), best[1], detail=best[0].detail, grey=True)
    assert np.array_equal(after[..., 0], after[..., 1]) and np.array_equal(after[..., 1], after[..., 2])


def test_only_a_photo_at_full_size_on_a_cpu_takes_it(best):
    plan = best[0]
    assert takes_deep(plan) and not takes_deep(replace(plan, scale=0.25))


def test_in_tiles_the_difference_is_the_whole_pictures_within_the_seams(best):
    """A photo enhanced in tiles gets the difference in the same tiles, cross-faded."""
    rgb16 = _ramp(height=128, width=384)
    rgb8 = ((rgb16.astype(np.uint32) + 128) // 257).astype(np.uint8)
    enhanced = _enhanced(rgb8, best)
    whole = deep_result(rgb16, rgb8, enhanced, best[1], detail=best[0].detail).astype(np.float64)
    tiled = deep_result(rgb16, rgb8, enhanced, best[1], detail=best[0].detail, layout=(128, 32)).astype(np.float64)
    assert np.abs(whole - tiled).mean() / 257 < 0.3 and _steps(tiled.astype(np.uint16)) < 2.0


def test_the_command_writes_a_16_bit_png_through_the_model(tmp_path, cli):
    source, out = tmp_path / "ramp.png", tmp_path / "day.png"
    frame = av.VideoFrame.from_ndarray(_ramp(), format="rgb48le")
    with av.open(str(source), "w", format="image2") as container:
        stream = container.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 320, 96, "rgb48be"
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    result = cli(source, "-o", out, "--quality", "best")
    assert result.returncode == 0, result.stderr
    assert "16 bits through the model (" in result.stderr
    assert "16 bits through" not in cli(source, "-o", tmp_path / "day.jpg", "--quality", "best").stderr
    with av.open(str(out)) as container:
        written = next(container.decode(video=0)).to_ndarray(format="rgb48le")
    assert _steps(written) < 2.0  # (the 8-bit correction added: 4.0)
