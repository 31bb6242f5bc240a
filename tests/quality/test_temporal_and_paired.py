"""Each metric on synthetic cases with known answers."""

import numpy as np
import pytest

from enlight.quality.flicker import (
    aligned_temporal_std,
    brightness_flicker,
    flicker_ratio,
    motion_compensated_flicker,
    static_temporal_std,
    warping_error,
)
from enlight.quality.paired import psnr, ssim


def textured(h=64, w=80, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.integers(30, 220, (h // 4, w // 4, 3)).astype(np.uint8)
    return np.kron(small, np.ones((4, 4, 1), np.uint8))


def test_identical_images_give_infinite_psnr_and_ssim_one():
    img = textured()
    assert psnr(img, img) == float("inf")
    assert ssim(img, img) == pytest.approx(1.0)


def test_psnr_of_a_known_error():
    a = np.full((10, 10, 3), 100, np.uint8)
    b = a + 5  # MSE 25
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / 25))


def test_ssim_drops_with_noise_and_is_symmetric():
    img = textured()
    noisy = np.clip(img + np.random.default_rng(1).normal(0, 25, img.shape), 0, 255).astype(np.uint8)
    assert 0 < ssim(img, noisy) < 0.9
    assert ssim(img, noisy) == pytest.approx(ssim(noisy, img))
    with pytest.raises(ValueError):
        ssim(img, img[:10])


def test_static_clip_has_zero_flicker_and_zero_warping_error():
    frames = [textured()] * 6
    assert brightness_flicker(frames) == 0
    assert static_temporal_std(frames, frames) == pytest.approx(0, abs=1e-9)
    assert warping_error(frames, frames) == pytest.approx(0, abs=1e-12)
    assert flicker_ratio(frames, frames) == 1.0


def test_known_brightness_oscillation():
    base = np.full((32, 32, 3), 100, np.uint8)
    frames = [base + (10 if t % 2 else 0) for t in range(8)]  # +-10 every frame
    assert brightness_flicker(frames) == pytest.approx(10.0)
    steady = [base] * 8
    assert flicker_ratio([base + t for t in range(8)], frames) == pytest.approx(10.0)
    assert static_temporal_std(steady, frames) == pytest.approx(5.0)  # std of a +-5 square wave


def test_warping_error_follows_motion_and_sees_flicker():
    img = textured(96, 128)
    moving = [np.roll(img, 2 * t, axis=1) for t in range(5)]  # a pan the flow can follow
    assert warping_error(moving, moving) < 2e-3
    flickering = [np.clip(f.astype(int) + (30 if t % 2 else 0), 0, 255).astype(np.uint8)
                  for t, f in enumerate(moving)]
    assert warping_error(moving, flickering) > 5 * warping_error(moving, moving) + 5e-3


def shaking(frames=8, seed=0):
    """A textured picture seen through a window that jumps by whole pixels (camera shake)."""
    rng = np.random.default_rng(seed)
    scene = textured(112, 144, seed)
    shifts = rng.integers(-4, 5, (frames, 2))
    return [scene[8 + dy : 8 + dy + 96, 8 + dx : 8 + dx + 128] for dx, dy in shifts]


def test_static_clip_has_zero_motion_compensated_flicker_and_aligned_std():
    frames = [textured()] * 6
    assert motion_compensated_flicker(frames, frames) == pytest.approx(0, abs=1e-9)
    assert aligned_temporal_std(frames, frames) == pytest.approx(0, abs=1e-4)


def test_shake_is_not_flicker_but_brightness_jumps_are():
    clip = shaking()
    plain = brightness_flicker(clip)  # the plain mean changes as content enters and leaves the frame
    assert plain > 0.1
    assert motion_compensated_flicker(clip, clip) < 0.1 * plain  # along the motion nothing changed
    assert aligned_temporal_std(clip, clip) < 0.5
    jumping = [np.clip(f.astype(int) + (10 if t % 2 else 0), 0, 255).astype(np.uint8) for t, f in enumerate(clip)]
    assert motion_compensated_flicker(clip, jumping) == pytest.approx(10, abs=0.2)
    assert aligned_temporal_std(clip, jumping) == pytest.approx(5, abs=0.3)  # std of a +-5 square wave


def test_aligned_std_equals_static_std_on_a_static_camera():
    base = np.full((32, 32, 3), 100, np.uint8)
    frames = [base + (10 if t % 2 else 0) for t in range(8)]
    assert aligned_temporal_std([base] * 8, frames) == pytest.approx(5.0)
    assert motion_compensated_flicker([base] * 8, frames) == pytest.approx(10.0)
