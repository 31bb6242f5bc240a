"""The numpy/OpenCV forms (``enlight.stream.core.cpu``: denoise_ops, motion, smoothing) against the torch forms
on the same inputs, and their import without torch."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from enlight.stream.core import denoise_ops as torch_ops
from enlight.stream.core import motion as torch_motion
from enlight.stream.core import smoothing as torch_smoothing
from enlight.stream.core.cpu import denoise_ops, motion, smoothing
from enlight.stream.core.smoothing_config import SmoothingConfig, analysis_crop, dft_side

SIZES = [(1, 37, 53), (3, 48, 64), (3, 37, 64), (1, 48, 53)]
K = 60
_WAVES = np.random.default_rng(7)
FX, FY = _WAVES.uniform(-0.25, 0.25, K), _WAVES.uniform(-0.25, 0.25, K)
PHASE, AMPLITUDE = _WAVES.uniform(0, 2 * np.pi, K), _WAVES.uniform(0.01, 0.05, K)


def scene(h, w, dx=0.0, dy=0.0, noise=0.003, seed=0):
    """(h, w) float32 about 0.1..0.6: a gradient plus 60 plane waves, sampled at (x - dx, y - dy) (so an exact
    sub-pixel translation of the content), plus white noise of rms ``noise``."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    xx, yy = xx - dx, yy - dy
    v = 0.3 + 0.001 * xx + 0.0005 * yy
    for fx, fy, phase, amplitude in zip(FX, FY, PHASE, AMPLITUDE, strict=True):
        v += amplitude * np.sin(2 * np.pi * (fx * xx + fy * yy) + phase)
    return (v + np.random.default_rng(seed).normal(0, noise, v.shape)).astype(np.float32)


def image(c, h, w, seed=0):
    """(c, h, w) float32 0..255: a smooth gradient and texture per channel plus noise."""
    return np.stack([scene(h, w, seed=seed + i, noise=0.04) * 255 + 20 * i for i in range(c)])


def close(numpy_value, torch_value, atol):
    torch_value = torch_value.numpy() if isinstance(torch_value, torch.Tensor) else np.asarray(torch_value)
    assert numpy_value.dtype == np.float32 and numpy_value.shape == torch_value.shape
    np.testing.assert_allclose(numpy_value, torch_value, rtol=0, atol=atol)


@pytest.mark.parametrize("size", SIZES)
def test_half_box_full_smooth_full_equal_the_torch_forms(size):
    x = image(*size)
    t = torch.from_numpy(x)
    close(denoise_ops.half(x), torch_ops.half(t), 1e-4)
    close(denoise_ops.half_of_squares(x), torch_ops.half_of_squares(t), 1e-2)  # values up to 9e4
    close(denoise_ops.box(x), torch_ops.box(t), 1e-4)
    small = denoise_ops.half(x)
    close(denoise_ops.full(small, size[1:]), torch_ops.full(torch.from_numpy(small), size[1:]), 0)
    close(denoise_ops.smooth_full(small, size[1:]), torch_ops.smooth_full(torch.from_numpy(small), size[1:]), 2e-4)
    tiny = x[:, :5, :7]  # another upsampling ratio than 2
    close(denoise_ops.smooth_full(tiny, (12, 31)), torch_ops.smooth_full(torch.from_numpy(tiny.copy()), (12, 31)), 2e-4)


@pytest.mark.parametrize("size", [(37, 53), (48, 64), (120, 214)])
def test_region_excess_equals_the_torch_form(size):
    h, w = size
    z2 = np.random.default_rng(1).chisquare(1, (1, h, w)).astype(np.float32)
    z2[:, h // 3:h // 3 + 10, w // 4:w // 4 + 12] *= 6  # a region that moved a little
    z2[:, 0, 0] = 1000  # one value over the cap
    expected = torch_ops.region_excess(torch.from_numpy(z2), 16.0, 3.0)
    assert expected.max() > 10 and (expected == 0).float().mean() > 0.5  # both branches of the clamp
    close(denoise_ops.region_excess(z2, 16.0, 3.0), expected, 1e-5 * float(expected.max()))


def test_region_excess_of_a_still_frame_uses_the_least_spread():
    z2 = np.zeros((1, 48, 64), np.float32)  # no noise: the median absolute deviation is 0
    z2[:, 20:28, 30:42] = 0.01
    expected = torch_ops.region_excess(torch.from_numpy(z2), 16.0, 3.0)
    close(denoise_ops.region_excess(z2, 16.0, 3.0), expected, 1e-5 * float(expected.max()))


def test_the_median_of_an_even_count_is_the_lower_middle_value():
    z2 = np.zeros((1, 8, 16), np.float32)  # a 1x2 grid after two halvings: two values
    z2[:, :, 8:] = 5
    close(denoise_ops.region_excess(z2, 16.0, 0.0), torch_ops.region_excess(torch.from_numpy(z2), 16.0, 0.0), 1e-5)


@pytest.mark.parametrize("shift", [(3, -2), (-5, 7), (0, 0), (0, 4), (-9, 0), (80, -60)])
@pytest.mark.parametrize("size", SIZES[:2])
def test_move_equals_the_torch_form(size, shift):
    x = image(*size)
    t = torch.from_numpy(x)
    close(denoise_ops.move(x, *shift, border=x * 2), torch_ops.move(t, *shift, border=t * 2), 0)
    close(denoise_ops.move(x, *shift, border=7.0), torch_ops.move(t, *shift, border=7.0), 0)
    assert (denoise_ops.move(x, *shift, border=0.0) is x) == (shift == (0, 0))


@pytest.mark.parametrize("size", SIZES)
def test_guided_self_equals_the_torch_form_and_writes_out(size):
    x = image(*size)
    small = denoise_ops.half(x)
    eps = np.random.default_rng(2).uniform(10, 500, (1, *small.shape[1:])).astype(np.float32)
    out = np.full_like(x, np.nan)
    assert denoise_ops.guided_self(x, small, eps, out=out) is out
    expected = torch_ops.guided_self(torch.from_numpy(x), torch.from_numpy(small), torch.from_numpy(eps),
                                     out=torch.empty(size))
    close(out, expected, 1e-3)  # values 0..300
    assert np.abs(out - x).max() > 1  # it filtered
    in_place = x.copy()
    denoise_ops.guided_self(in_place, small, eps, out=in_place)
    close(in_place, expected, 1e-3)


def test_analysis_luma_equals_the_torch_form():
    for h, w in [(481, 857), (120, 214), (200, 301)]:
        luma = np.random.default_rng(3).random((2, 1, h, w), dtype=np.float32)
        small, factor = motion.analysis_luma(luma)
        expected, expected_factor = torch_motion.analysis_luma(torch.from_numpy(luma))
        assert factor == expected_factor
        close(small, expected, 1e-6)


def test_the_analysis_picture_has_dft_friendly_sides_about_the_centre():
    def smooth(m):  # no prime factor over 5
        for prime in (2, 3, 5):
            while m % prime == 0:
                m //= prime
        return m == 1

    for n in range(1, 400):
        side = dft_side(n)
        assert side <= n and smooth(side) and not any(smooth(m) for m in range(side + 1, n + 1))  # the largest
    assert (dft_side(213), dft_side(120), dft_side(182), dft_side(1)) == (200, 120, 180, 1)
    assert analysis_crop(120, 213) == (0, 120, 6, 206)
    luma = np.random.default_rng(4).random((1, 1, 360, 640), dtype=np.float32)  # 640x360: 213x120 before
    small, factor = motion.analysis_luma(luma)
    assert factor == 3 and small.shape == (1, 1, 120, 200)
    np.testing.assert_allclose(small[0, 0, 0, 0], luma[0, 0, :3, 18:21].mean(), rtol=1e-6)  # the centred crop


@pytest.mark.parametrize("size", [(360, 640), (480, 854), (181, 113)])
def test_a_camera_move_is_found_through_the_cropped_analysis_picture(size):
    import cv2

    h, w = size
    canvas = cv2.GaussianBlur(np.random.default_rng(5).random((h + 40, w + 40), dtype=np.float32), (0, 0), 4)
    before, after = canvas[20:20 + h, 20:20 + w], canvas[24:24 + h, 13:13 + w]  # after(x) = before(x - (7, -4))
    analysis, factor = motion.analysis_luma(np.stack([before, after])[:, None])
    found = motion.global_shift(analysis[:1], analysis[1:])[0] * factor
    np.testing.assert_allclose(found, (7.0, -4.0), atol=0.5 * factor)
    expected, _ = torch_motion.analysis_luma(torch.from_numpy(np.stack([before, after])[:, None]))
    close(analysis, expected, 1e-5)


@pytest.mark.parametrize("size", [(120, 214), (96, 170), (37, 53), (48, 64)])
@pytest.mark.parametrize("shift", [(3, -2), (1.4, -0.6), (-2.25, 1.75), (0, 0)])
def test_global_shift_equals_the_torch_form(size, shift):
    before = scene(*size, seed=1)[None, None]
    after = scene(*size, *shift, seed=2)[None, None]
    previous, current = np.concatenate([before, after, before]), np.concatenate([after, before, before + 0.5])
    found = motion.global_shift(previous, current)
    expected = torch_motion.global_shift(torch.from_numpy(previous), torch.from_numpy(current))
    close(found, expected, 1e-3)
    if shift in ((3, -2), (-2.25, 1.75)):
        assert np.abs(found[1] + np.array(shift)).max() < 0.75  # the right way round, about


def test_subpixel_offset_equals_the_torch_form_with_negative_neighbours():
    before, peak, after = (np.array(v, np.float32) for v in ([-0.2, 0.1, -0.1, 0.3, 0.2], [0.5, 0.4, 0.3, 0.3, 0.0],
                                                             [-0.1, 0.1, -0.3, 0.2, 0.0]))
    found = motion._subpixel(before, peak, after)
    expected = torch_motion._subpixel(*(torch.from_numpy(v) for v in (before, peak, after)))
    close(found.astype(np.float32), expected, 1e-6)


def test_global_shift_reports_zero_for_unrelated_frames_and_large_shifts():
    h, w = 96, 170
    texture = np.random.default_rng(5).random((h, w + 30), dtype=np.float32)
    texture = (texture + np.roll(texture, 1, 0) + np.roll(texture, 1, 1)) / 3  # not periodic, a little smooth
    previous = np.stack([scene(h, w, seed=1), texture[:, 30:]])[:, None]
    current = np.stack([np.random.default_rng(6).random((h, w), dtype=np.float32), texture[:, :w]])[:, None]
    assert np.abs(motion.global_shift(previous[1:], texture[None, None, :, 10:w + 10])).max() > 19  # traceable
    found = motion.global_shift(previous, current)
    close(found, torch_motion.global_shift(torch.from_numpy(previous), torch.from_numpy(current)), 1e-3)
    assert (found == 0).all()


@pytest.mark.parametrize("size", [(3, 37, 53), (1, 48, 64), (3, 120, 214)])
@pytest.mark.parametrize("shift", [(0.3, -1.7), (3, -2), (-100, 50), (0.999, 1e-4), (-0.5, 0.5)])
def test_translate_equals_the_torch_form(size, shift):
    x = image(*size) / 255
    shift = np.array(shift, np.float32)
    close(motion.translate(x, shift), torch_motion.translate(torch.from_numpy(x), torch.from_numpy(shift)), 1e-6)


def clip(frames=20, h=48, w=64, cut=12, pan=(1.3, -0.7)):
    """(frames, 3, h, w) RGB in [-1, 1] (a camera pan of ``pan`` pixels per frame, a bright square moving across,
    a scene cut at ``cut``) and a stand-in generator's output (a brightening curve plus a flickering offset and
    noise)."""
    rng = np.random.default_rng(4)
    frames_ = []
    for t in range(frames):
        seed = 0 if t < cut else 100
        grey = [scene(h, w, pan[0] * t, pan[1] * t, seed=seed + 10 * t + i) for i in range(3)]
        rgb = np.stack(grey) * 2 - 1.2 + (0.4 if t >= cut else 0)
        rgb[:, 10:20, 2 + 2 * t:12 + 2 * t] = 0.5
        frames_.append(rgb)
    x = np.clip(np.stack(frames_), -1, 1).astype(np.float32)
    flicker = rng.normal(0, 0.1, (frames, 1, 1, 1))
    enhanced = np.tanh(1.5 * x + 0.6) + flicker + rng.normal(0, 0.02, x.shape)
    return x, enhanced.astype(np.float32)


def run_both(numpy_smoother, torch_smoother, frames, values, batches):
    """Both smoothers over the clip in batches of the given sizes: the largest difference of any frame's output."""
    start, worst = 0, 0.0
    for size in batches:
        part, value = frames[start:start + size], values[start:start + size]
        found = numpy_smoother(part, value)
        expected = torch_smoother(torch.from_numpy(part), torch.from_numpy(value)).numpy()
        assert found.dtype == np.float32 and found.shape == expected.shape
        worst = max(worst, float(np.abs(found - expected).max()))
        start += size
    assert start == len(frames)
    return worst


@pytest.mark.parametrize("follow_camera", [True, False])
@pytest.mark.parametrize("size", [(48, 64), (120, 214), (200, 301)])
def test_correction_smoother_follows_the_torch_form_over_a_clip(size, follow_camera):
    frames, enhanced = clip(h=size[0], w=size[1])
    config = SmoothingConfig(strength=0.9, follow_camera=follow_camera)
    numpy_smoother, torch_smoother = smoothing.CorrectionSmoother(config), torch_smoothing.CorrectionSmoother(config)
    assert run_both(numpy_smoother, torch_smoother, frames, enhanced, [1, 3, 1, 5, 4, 6]) < 1e-3
    assert numpy_smoother.scene_cuts == torch_smoother.scene_cuts == 1
    assert np.abs(numpy_smoother(frames[-1:], enhanced[-1:]) - enhanced[-1:]).max() > 1e-2  # it smoothed


def test_attention_smoother_follows_the_torch_form_and_resets_on_a_new_size():
    frames, _ = clip()
    attention = np.clip(1 - (frames.mean(1, keepdims=True) + 1) / 2 + np.random.default_rng(6).normal(
        0, 0.05, (len(frames), 1, *frames.shape[2:])), 0, 1).astype(np.float32)
    config = SmoothingConfig(strength=0.8, target="attention")
    numpy_smoother, torch_smoother = smoothing.AttentionSmoother(config), torch_smoothing.AttentionSmoother(config)
    assert run_both(numpy_smoother, torch_smoother, frames, attention, [2, 8, 10]) < 1e-3
    assert numpy_smoother.scene_cuts == torch_smoother.scene_cuts == 1
    cropped, cropped_attention = frames[:4, :, :40, :60].copy(), attention[:4, :, :40, :60].copy()
    assert run_both(numpy_smoother, torch_smoother, cropped, cropped_attention, [4]) < 1e-3  # a new size: reset
    np.testing.assert_array_equal(numpy_smoother(cropped[:1], cropped_attention[:1])[0], numpy_smoother._value)
    numpy_smoother.reset()
    np.testing.assert_array_equal(numpy_smoother(cropped[:1], cropped_attention[:1]), cropped_attention[:1])


def test_strength_zero_returns_the_input_and_the_config_may_be_replaced():
    frames, enhanced = clip(frames=4)
    smoother = smoothing.CorrectionSmoother(SmoothingConfig(strength=0))
    assert smoother(frames, enhanced) is enhanced
    attention = enhanced[:, :1]
    assert smoothing.AttentionSmoother(SmoothingConfig(strength=0))(frames, attention) is attention
    smoother.config = SmoothingConfig(strength=0.5)
    first = smoother(frames[:1], enhanced[:1])
    np.testing.assert_allclose(first, enhanced[:1], atol=1e-6)  # the first frame: itself
    assert smoother.scene_cuts == 0


def test_gate_luma_equals_the_torch_form():
    frames, _ = clip(frames=3, h=37, w=53)
    close(smoothing.gate_luma(frames), torch_smoothing.gate_luma(torch.from_numpy(frames)), 1e-6)


def test_the_cpu_forms_import_without_torch():
    code = ("import sys; import enlight.stream.core.cpu.smoothing, enlight.stream.core.cpu.motion, "
            "enlight.stream.core.cpu.denoise_ops; print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
