"""The denoiser's numpy/OpenCV form (enlight.stream.core.cpu.denoise*) against its torch form: the same
results within float rounding, on noisy synthetic clips, and no torch import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from enlight.stream.core import denoise as torch_denoise
from enlight.stream.core import denoise_local as torch_local
from enlight.stream.core import denoise_noise as torch_noise
from enlight.stream.core.cpu import denoise as cpu_denoise
from enlight.stream.core.cpu import denoise_local as cpu_local
from enlight.stream.core.cpu import denoise_noise as cpu_noise
from enlight.stream.core.denoise_config import MIN_SIDE, DenoiseConfig


def poisson_like(clean: np.ndarray, rng: np.random.Generator, gain: float = 0.6) -> np.ndarray:
    """Signal-dependent noise (variance gain * value + 1, in 0..255 units) on ``clean`` (any shape), uint8."""
    sigma = np.sqrt(gain * np.maximum(clean, 0) + 1)
    return np.clip(np.round(clean + rng.normal(0, 1, clean.shape) * sigma), 0, 255).astype(np.uint8)


def backdrop(height: int, width: int, seed: int) -> np.ndarray:
    """(3, height, width) float64 dark textured still picture: a ripple, a step and some grain, and a saturated
    patch over a black one (their edge makes the filters overshoot 0..255)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = 30 + 12 * np.sin(xx / 3.0 + seed) * np.cos(yy / 4.0) + rng.random((height, width)) * 10
    base += 8 * (xx > width // 2)
    picture = np.stack([base, base * 0.8 + 3, base * 0.6 + 5])
    picture[:, 30:50, 40:70] = 300
    picture[:, 50:60, 40:70] = -20
    return picture


def clip(height: int, width: int, frames: int = 24, cut: int | None = 16, seed: int = 0) -> np.ndarray:
    """(frames, 3, height, width) uint8 noisy clip: a camera panning over a textured picture, a bright object
    moving right and a dim one (darker by 30%) moving left; from frame ``cut`` on, another picture."""
    rng = np.random.default_rng(seed)
    pictures = backdrop(height + 40, width + 60, seed), backdrop(height + 40, width + 60, seed + 1)[:, ::-1] * 1.6
    out = []
    for t in range(frames):
        picture = pictures[cut is not None and t >= cut]
        x0, y0 = 2 * t % 40, t % 20  # the camera's pan
        frame = picture[:, y0:y0 + height, x0:x0 + width].copy()
        left = 3 * t % (width - 16)
        frame[:, height // 4:height // 4 + height // 4, left:left + 16] = np.array([150.0, 110, 80])[:, None, None]
        left = (width - 20 - 2 * t) % (width - 20)
        frame[:, height // 2 + 4:height // 2 + 16, left:left + 20] *= 0.7
        out.append(poisson_like(frame, rng))
    return np.stack(out)


def run_both(frames: np.ndarray, config: DenoiseConfig, batch: int
             ) -> tuple[np.ndarray, np.ndarray, torch_denoise.Denoiser, cpu_denoise.Denoiser]:
    """Both forms over ``frames`` (N, 3, H, W) uint8 or float32 in batches: (torch output, numpy output) (N, 3, H, W)
    float32, and the two denoisers."""
    reference, ours = torch_denoise.Denoiser(config), cpu_denoise.Denoiser(config)
    expected, got = [], []
    for start in range(0, len(frames), batch):
        chunk = frames[start:start + batch]
        expected.append(reference(torch.from_numpy(chunk.copy())).numpy())
        got.append(ours(chunk.copy()))
    return np.concatenate(expected), np.concatenate(got), reference, ours


def test_noise_tables_match_the_torch_form():
    frame = clip(120, 160, frames=3, cut=None, seed=4).astype(np.float32)
    reference, ours = torch_noise.NoiseEstimator(), cpu_noise.NoiseEstimator()
    mean_reference, mean_ours = torch_noise.NoiseEstimator(), cpu_noise.NoiseEstimator()
    for x in frame:  # the second and third enter by the exponential average
        reference.update(torch.from_numpy(x))
        ours.update(x)
        mean_reference.update(torch.from_numpy(x).mean(0, keepdim=True))
        mean_ours.update(x.mean(0, keepdims=True))
    assert ours.table.dtype == np.float32 and ours.table.shape == reference.table.shape
    np.testing.assert_allclose(ours.table, reference.table.numpy(), rtol=1e-4)
    np.testing.assert_allclose(mean_ours.table, mean_reference.table.numpy(), rtol=1e-4)
    assert not np.allclose(ours.table, mean_ours.table, rtol=0.1)  # two different tables: the test can tell
    values = np.linspace(0, 255, 1021, dtype=np.float32)
    expected_bins = torch_noise.intensity_bins(torch.from_numpy(values)).numpy()
    np.testing.assert_array_equal(cpu_noise.intensity_bins(values), expected_bins)
    np.testing.assert_allclose(ours.variance(values), reference.variance(torch.from_numpy(values)).numpy(), rtol=1e-4)


def test_measured_spread_matches_the_torch_form():
    rng = np.random.default_rng(5)
    samples = (rng.normal(0, 1, 5000) * np.repeat(np.arange(1, 11), 500) ** 0.5).astype(np.float32)
    samples[::97] *= 20  # outliers, which the trimming drops
    bins = np.repeat(np.arange(10), 500)
    reference, ours = torch_noise.MeasuredSpread(), cpu_noise.MeasuredSpread()
    white, cap = np.full(10, 0.5, np.float32), np.full(10, 6.0, np.float32)
    assert ours.variance(np.arange(10), white, cap) is white
    for shift in (0, 3):
        reference.update(torch.from_numpy(np.roll(samples, shift)), torch.from_numpy(bins))
        ours.update(np.roll(samples, shift), bins)
    np.testing.assert_allclose(ours.table, reference.table.numpy(), rtol=1e-5)
    expected = reference.variance(torch.arange(10), torch.from_numpy(white), torch.from_numpy(cap)).numpy()
    np.testing.assert_allclose(ours.variance(np.arange(10), white, cap), expected, rtol=1e-5)


def test_the_refinements_match_the_torch_form_on_the_same_input():
    frames = clip(96, 128, frames=2, cut=None, seed=6).astype(np.float32)
    x, past = frames[1], np.roll(frames[0], 1, axis=2)
    count = np.full((1, 48, 64), 3.0, np.float32)
    count[:, 10:20, 30:40] = 1
    reference, ours = torch_local.LocalMotion(), cpu_local.LocalMotion()
    moved_reference = reference(torch.from_numpy(x), torch.from_numpy(past), torch.from_numpy(count))
    moved = ours(x, past, count)
    assert ours._gain == reference._gain
    assert not np.array_equal(moved[0], past)  # the flow moved something
    for got, expected in zip(moved, moved_reference, strict=True):
        np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)
    estimator, torch_estimator = cpu_noise.NoiseEstimator(), torch_noise.NoiseEstimator()
    estimator.update(x)
    torch_estimator.update(torch.from_numpy(x))
    estimator.table = torch_estimator.table.numpy().copy()  # the same table: the filter alone is compared
    out, torch_out = x.copy(), torch.from_numpy(x.copy())
    cpu_local.NoiseBilateral()(past, count, estimator, out=out)
    torch_local.NoiseBilateral()(torch.from_numpy(past), torch.from_numpy(count), torch_estimator, out=torch_out)
    assert np.abs(out - x).max() > 5  # it filtered
    np.testing.assert_allclose(out, torch_out.numpy(), atol=1e-4)


def test_the_bilateral_filters_a_frame_wider_than_opencv_maps_in_pieces():
    """A frame over 10922 pixels wide (a phone's panorama, a 108-megapixel photo): OpenCV's remap refused the
    bilateral's table look-up (three samples a pixel, maps under 32767 a side): an internal error, in both forms. In
    pieces, each with its own margins, a column comes out as it does filtered with its neighbours alone."""
    rng = np.random.default_rng(0)
    past = np.clip(rng.normal(40, 8, (3, 16, 12_000)), 0, 255).astype(np.float32)
    count = np.ones((1, 8, 6_000), np.float32)  # one frame averaged everywhere: the bilateral's full weight
    estimator, torch_estimator = cpu_noise.NoiseEstimator(), torch_noise.NoiseEstimator()
    torch_estimator.update(torch.from_numpy(past))
    estimator.table = torch_estimator.table.numpy().copy()
    out, torch_out = past.copy(), torch.from_numpy(past.copy())
    cpu_local.NoiseBilateral()(past, count, estimator, out=out)
    torch_local.NoiseBilateral()(torch.from_numpy(past), torch.from_numpy(count), torch_estimator, out=torch_out)
    assert np.abs(out - past).max() > 5  # it filtered
    np.testing.assert_allclose(out, torch_out.numpy(), atol=1e-4)
    around = past[:, :, 9_900:10_100].copy()  # the first piece ends at column 10000
    alone = around.copy()
    cpu_local.NoiseBilateral()(around, count[:, :, 4_950:5_050], estimator, out=alone)
    np.testing.assert_allclose(out[:, :, 9_950:10_050], alone[:, :, 50:150], atol=1e-4)


def test_runs_cover_the_active_cells_like_the_torch_form():
    rng = np.random.default_rng(7)
    active = rng.random((90, 400)) > 0.999
    expected = torch_local._runs(torch.from_numpy(active), 32)
    assert cpu_local._runs(active, 32) == expected and len(expected) > 3


@pytest.mark.parametrize("size", [(96, 128), (61, 83)])
@pytest.mark.parametrize("level", ["light", "strong"])
@pytest.mark.parametrize("refine, bilateral", [(True, True), (True, False), (False, False)])
@pytest.mark.parametrize("batch", [1, 4])
def test_the_denoiser_matches_the_torch_form(size, level, refine, bilateral, batch):
    frames = clip(*size)
    expected, got, reference, ours = run_both(frames, DenoiseConfig(level, refine, bilateral), batch)
    assert got.dtype == np.float32 and got.shape == frames.shape
    assert got.min() >= 0 and got.max() <= 255
    assert np.abs(expected - frames).mean() > 1  # it denoised (the comparison is not of two copies)
    for t, (a, b) in enumerate(zip(np.round(got), np.round(expected), strict=True)):
        assert np.abs(a - b).max() <= 1, t
    assert (np.round(got) == np.round(expected)).mean() >= 0.999
    assert ours.scene_cuts == reference.scene_cuts == 1
    assert ours.report() == reference.report() == ""


def smooth_clip(frames: int = 8) -> np.ndarray:
    """(frames, 3, 48, 64) uint8 clean clip: a smooth picture, noise under the floor (sd 0.3)."""
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0:48, 0:64]
    smooth = 20 + 10 * np.sin(xx / 9.0) + 0.2 * yy
    clean = np.stack([smooth, smooth * 0.8 + 3, smooth * 0.6 + 5])
    return np.stack([np.clip(np.round(clean + rng.normal(0, 0.3, clean.shape)), 0, 255).astype(np.uint8)
                     for _ in range(frames)])


def test_a_clean_clip_passes_unchanged_as_the_same_object():
    quiet = smooth_clip()
    ours, reference = cpu_denoise.Denoiser(DenoiseConfig("light")), torch_denoise.Denoiser(DenoiseConfig("light"))
    for start in (0, 4):
        batch = quiet[start:start + 4]
        assert ours(batch) is batch
        reference(torch.from_numpy(batch))
    assert ours.report() == reference.report()
    assert ours.report().startswith("0 of 8 frames: noise 0.") and ours.report().endswith(" under the floor 1")
    np.testing.assert_allclose(ours.estimator.table, reference.estimator.table.numpy(), rtol=1e-4)
    floats = quiet[:4].astype(np.float32)
    assert ours(floats) is floats and ours.scene_cuts == 0


def test_a_clip_turning_noisy_and_tiny_frames_match_the_torch_form():
    quiet = smooth_clip(4)
    loud = poisson_like(quiet.astype(np.float64), np.random.default_rng(9))
    frames = np.concatenate([quiet, loud, loud[:, :, ::-1].copy()])
    expected, got, reference, ours = run_both(frames, DenoiseConfig("light"), 3)
    np.testing.assert_array_equal(got[:3], frames[:3])  # the first batch passed
    assert np.abs(np.round(got) - np.round(expected)).max() <= 1
    assert ours.report() == reference.report() == "8 of 12 frames"
    tiny = frames[:2, :, :MIN_SIDE - 1]
    copied = cpu_denoise.Denoiser(DenoiseConfig("strong"))(tiny)
    assert copied is not tiny and copied.dtype == np.float32 and copied.flags.c_contiguous
    np.testing.assert_array_equal(copied, tiny)


def test_float_frames_beyond_the_range_come_out_clamped_like_the_torch_form():
    frames = clip(64, 80, frames=8, cut=None, seed=2).astype(np.float32)
    frames[:, :, 10:20, 10:30] = 300.0  # beyond the range, which the mean and the filters carry
    frames[:, :, 40:50, 10:30] = -40.0
    expected, got, _, _ = run_both(frames, DenoiseConfig("light"), 4)
    assert got.min() == 0 and got.max() == 255
    assert np.abs(np.round(got) - np.round(expected)).max() <= 1


def test_a_change_of_frame_size_starts_the_average_afresh():
    # (the torch form fails here: its global shift pairs the last frame of the old size with the new one)
    denoiser = cpu_denoise.Denoiser(DenoiseConfig("light"))
    denoiser(clip(96, 128, frames=4, cut=None))
    smaller = clip(61, 83, frames=4, cut=None, seed=3)
    out = denoiser(smaller)
    assert out.shape == smaller.shape and denoiser._mean.shape == (3, 61, 83)
    assert np.abs(out - smaller).mean() > 1 and denoiser.scene_cuts == 0


def test_the_cpu_form_does_not_import_torch():
    code = "import sys, enlight.stream.core.cpu.denoise; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
