"""The detail step after the model (``enlight.ops.detail``): its torch and OpenCV forms agree, it puts the input's
luma detail back at the local gain, leaves the picture's outer rows, flat regions and a pure gain alone, and the
plan, the Enhancer and the command line carry it."""

import numpy as np
import pytest
import torch

from enlight.ops import simd
from enlight.ops.detail import INNER, RADIUS, STRENGTH
from enlight.ops.detail_frames import restore_detail


def _texture(seed: int, shape=(2, 72, 104, 3), low=10, high=50) -> np.ndarray:
    """Dark frames with detail at every scale: smooth shading plus per-pixel texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[1], : shape[2]]
    shading = (high - low) * (0.5 + 0.5 * np.sin(x / 9.0) * np.cos(y / 13.0))
    frames = low + shading[None, ..., None] + rng.normal(0, 4, shape)
    return np.clip(frames, 0, 255).round().astype(np.uint8)


def _lifted(source: np.ndarray, offset: float) -> np.ndarray:
    """What a residual network does to detail: the picture lifted by an offset, its detail kept at gain 1."""
    return np.clip(source.astype(np.float32) + offset, 0, 255).round().astype(np.uint8)


def test_torch_and_opencv_forms_agree_within_one_code():
    source = _texture(0)
    result = _lifted(source, 50) ^ np.uint8(1)  # and an odd result, not a function of the source
    cpu = simd.restore_detail(result, source, STRENGTH)
    torch_uint8 = restore_detail(torch.from_numpy(result), torch.from_numpy(source), STRENGTH).numpy()
    torch_float = restore_detail(torch.from_numpy(result), torch.from_numpy(source).float(), STRENGTH).numpy()
    for other in (torch_uint8, torch_float):
        assert np.abs(cpu.astype(int) - other).max() <= 1
    assert np.abs(cpu.astype(int) - result).max() > 3  # it did something


def test_the_input_detail_comes_back_at_the_local_gain():
    source = _texture(1, low=30, high=30)  # texture on an even level: one local gain, 90 / 30
    result = _lifted(source, 60)
    out = simd.restore_detail(result, source, 1.0)
    inner = (slice(None), slice(30, 42), slice(30, 74))  # away from the edges' taper

    def detail(frames):  # the per-pixel band: what a 3x3 mean leaves out, luma of all three channels alike
        f = frames.astype(np.float32).mean(-1)
        return f[:, 1:-1, 1:-1] - (sum(np.roll(np.roll(f, dy, 1), dx, 2) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
                                     / 9)[:, 1:-1, 1:-1]

    gain = result[inner].astype(np.float32).mean() / source[inner].astype(np.float32).mean()
    before, after = detail(result)[inner].std(), detail(out)[inner].std()
    assert before == pytest.approx(detail(source)[inner].std(), rel=0.05)  # the residual kept gain 1
    assert gain == pytest.approx(3, rel=0.02)
    assert after == pytest.approx(gain * before, rel=0.1)  # now at the brightness it is shown at
    assert out[inner].astype(np.float32).mean() == pytest.approx(result[inner].astype(np.float32).mean(), abs=1.0)


def test_a_pure_gain_flat_regions_and_the_outer_rows_are_left_alone():
    source = _texture(2)
    gained = np.clip(source.astype(np.float32) * 3, 0, 255).round().astype(np.uint8)
    assert np.abs(simd.restore_detail(gained, source, 1.0).astype(int) - gained).max() <= 2  # rounding of x3 only
    flat = np.full((1, 40, 50, 3), 20, np.uint8)
    assert np.array_equal(simd.restore_detail(flat + 70, flat, 1.0), flat + 70)
    result = _lifted(source, 60)
    out = simd.restore_detail(result, source, 1.0)
    edge = np.zeros(out.shape[1:3], bool)
    edge[: INNER + 1], edge[-INNER - 1:], edge[:, : INNER + 1], edge[:, -INNER - 1:] = True, True, True, True
    assert np.array_equal(out[:, edge], result[:, edge])  # no frame can come from it
    assert not np.array_equal(out[:, ~edge], result[:, ~edge])


def test_off_and_tiny_frames_pass_unchanged():
    source = _texture(3)
    result = _lifted(source, 40)
    assert simd.restore_detail(result, source, 0.0) is result
    tiny, tiny_out = source[:, : RADIUS, : RADIUS + 5], result[:, : RADIUS, : RADIUS + 5]
    assert simd.restore_detail(tiny_out, tiny, 1.0) is tiny_out
    assert restore_detail(torch.from_numpy(tiny_out), torch.from_numpy(tiny), 1.0).numpy() is not None


def test_the_plan_the_enhancer_and_the_command_line_carry_it(tmp_path, cli):
    from enlight.errors import EnlightError
    from enlight.models import build_generator
    from enlight.stream.core.enhancer import Enhancer
    from enlight.stream.core.plan import build_backend, make_plan
    from tests.media import make_clip

    plan = make_plan(device="cpu")
    assert plan.detail == STRENGTH and "detail: strength 0.35" in plan.describe()
    assert make_plan(device="cpu", model="retinexnet").detail == 0
    off = make_plan(device="cpu", detail=0)
    assert off.detail == 0 and "detail: off" in off.describe()
    with pytest.raises(EnlightError, match="within 0..1"):
        make_plan(device="cpu", detail=1.5)
    backend = build_backend(make_plan(backend="torch", device="cpu"), network=build_generator(base_channels=8))
    frames = _texture(4, shape=(1, 48, 64, 3))
    kinds = {type(stage).__name__ for stage in Enhancer.from_plan(plan, backend).stages}
    assert "Detail" in kinds
    assert "Detail" not in {type(stage).__name__ for stage in Enhancer.from_plan(off, backend).stages}
    plain = Enhancer(backend)(frames)
    with_detail = Enhancer(backend, detail=1.0)(frames)
    assert np.array_equal(with_detail, simd.restore_detail(plain, frames, 1.0))

    clip = make_clip(tmp_path / "clip.mp4", frames=3)
    result = cli(clip, "-o", tmp_path / "out.mp4", "--detail", "0.5", "--device", "cpu", "--dry-run")
    assert result.returncode == 0 and "detail: strength 0.5" in result.stdout, result.stderr
    bad = cli(clip, "-o", tmp_path / "out.mp4", "--detail", "2")
    assert bad.returncode == 2 and "within 0..1" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "out.mp4").exists()
