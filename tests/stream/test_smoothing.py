import numpy as np
import pytest
import torch

from enlight.quality.flicker import motion_compensated_flicker
from enlight.stream.core.smoothing import SmoothingConfig, TemporalSmoother
from enlight.stream.io.frames import to_model_input, to_uint8


def noisy_static(frames=40, noise=0.02, seed=0):
    """(frames, 3, 16, 32) RGB in [-1, 1]: a dark horizontal ramp with per-pixel noise."""
    g = torch.Generator().manual_seed(seed)
    base = torch.linspace(-0.9, -0.3, 32).view(1, 1, 1, 32).expand(frames, 3, 16, 32)
    return base + noise * torch.randn(frames, 3, 16, 32, generator=g)


def jittery_enhancement(x, jitter=0.1, seed=1):
    """A stand-in generator: brightens by 0.5 plus a global offset that jumps from frame to frame."""
    g = torch.Generator().manual_seed(seed)
    return x + 0.5 + jitter * torch.randn(x.shape[0], 1, 1, 1, generator=g)


def test_strength_zero_is_exactly_frame_by_frame():
    x = noisy_static()
    y = jittery_enhancement(x)
    assert TemporalSmoother(SmoothingConfig(strength=0))(x, y) is y


def test_static_jitter_is_reduced_and_mean_kept():
    x = noisy_static()
    y = jittery_enhancement(x)
    s = TemporalSmoother(SmoothingConfig(strength=0.8))(x, y)
    assert s.shape == y.shape and s.dtype == torch.float32
    added, raw = s - x, y - x
    assert added[10:].mean((1, 2, 3)).std() < 0.4 * raw[10:].mean((1, 2, 3)).std()
    assert (added[10:].mean() - raw[10:].mean()).abs() < 0.03


def test_batches_continue_one_clip():
    x = noisy_static()
    y = jittery_enhancement(x)
    whole = TemporalSmoother()(x, y)
    smoother = TemporalSmoother()
    parts = torch.cat([smoother(x[i : i + 7], y[i : i + 7]) for i in range(0, len(x), 7)])
    torch.testing.assert_close(parts, whole)
    one_by_one = TemporalSmoother()
    torch.testing.assert_close(torch.cat([one_by_one(x[i : i + 1], y[i : i + 1]) for i in range(len(x))]), whole)


def test_moving_region_follows_the_generator_without_ghosting():
    x = noisy_static(noise=0.0)
    x[20:, :, 4:8, 4:8] = 0.6  # a bright object appears: a large local change
    y = jittery_enhancement(x, jitter=0.0)
    y[20:, :, 4:8, 4:8] = 0.7  # the generator barely changes it
    s = TemporalSmoother(SmoothingConfig(strength=0.9))(x, y)
    assert (s[20, :, 4:8, 4:8] - 0.7).abs().max() < 1e-3


def test_scene_cut_resets_state():
    x = torch.cat([torch.full((5, 3, 8, 8), 0.8), torch.full((5, 3, 8, 8), -0.6)])
    x += 0.01 * torch.randn_like(x)
    y = jittery_enhancement(x)
    smoother = TemporalSmoother(SmoothingConfig(strength=0.95, motion_threshold=10.0))
    s = smoother(x, y)
    assert smoother.scene_cuts == 1
    torch.testing.assert_close(s[5], y[5])


def shaky_clip(frames=16, seed=0):
    """(frames, H, W, 3) uint8: a dark textured picture that shakes by whole pixels, with sensor noise."""
    rng = np.random.default_rng(seed)
    small = rng.integers(5, 70, (14, 20, 3)).astype(np.uint8)
    scene = np.kron(small, np.ones((8, 8, 1), np.uint8)).astype(float)
    clip = []
    for _ in range(frames):
        dx, dy = rng.integers(-3, 4, 2)
        window = scene[8 + dy : 8 + dy + 96, 8 + dx : 8 + dx + 144]
        clip.append(np.clip(window + rng.normal(0, 2, window.shape), 0, 255).astype(np.uint8))
    return np.stack(clip)


def test_stabiliser_halves_flicker_on_a_shaky_jittery_clip():
    clip = shaky_clip()
    x = to_model_input(torch.from_numpy(clip))
    y = jittery_enhancement(x, jitter=0.05)
    flicker = {}
    for strength in (0.0, 0.8):
        out = to_uint8(TemporalSmoother(SmoothingConfig(strength=strength))(x, y)).numpy()
        flicker[strength] = motion_compensated_flicker(list(clip), list(out))
    assert flicker[0.8] < 0.5 * flicker[0.0]


def test_bad_config_is_refused():
    with pytest.raises(ValueError):
        SmoothingConfig(strength=1.5)
    with pytest.raises(ValueError):
        SmoothingConfig(motion_threshold=0)


def test_enhancer_with_smoothing_zero_gives_the_generators_output():
    from enlight.models.generator import build_generator
    from enlight.ops.luma import attention_map
    from enlight.stream.backends import create_backend
    from enlight.stream.core.enhancer import Enhancer

    backend = create_backend("torch", build_generator(base_channels=8).eval(), device="cpu")
    clip = shaky_clip(frames=6)
    x = to_model_input(torch.from_numpy(clip))
    with torch.inference_mode():
        expected = to_uint8(backend(x, attention_map(x))).numpy()
    enhancer = Enhancer(backend, SmoothingConfig(strength=0), grey=False)
    got = np.concatenate([enhancer(clip[i : i + 2]) for i in range(0, 6, 2)])
    assert np.array_equal(got, expected)
    smoothed = Enhancer(backend, SmoothingConfig(), grey=False)
    assert not np.array_equal(np.concatenate([smoothed(clip[i : i + 2]) for i in range(0, 6, 2)]), expected)
