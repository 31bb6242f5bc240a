import pytest
import torch

from enlight.stream.smoothing import SmoothingConfig, TemporalSmoother


def noisy_static(frames=40, noise=0.02, seed=0):
    g = torch.Generator().manual_seed(seed)
    base = torch.linspace(0.3, 0.9, 32).view(1, 1, 1, 32).expand(frames, 1, 16, 32)
    return base + noise * torch.randn(frames, 1, 16, 32, generator=g)


def test_strength_zero_is_identity():
    a = noisy_static()
    assert TemporalSmoother(SmoothingConfig(strength=0))(a) is a


def test_static_noise_is_reduced_and_mean_kept():
    a = noisy_static()
    s = TemporalSmoother(SmoothingConfig(strength=0.8))(a)
    assert s.shape == a.shape
    assert s[10:].std(dim=0).mean() < 0.5 * a[10:].std(dim=0).mean()
    assert (s[10:].mean() - a[10:].mean()).abs() < 0.01


def test_batches_continue_one_clip():
    a = noisy_static()
    whole = TemporalSmoother()(a)
    smoother = TemporalSmoother()
    parts = torch.cat([smoother(a[i : i + 7]) for i in range(0, len(a), 7)])
    torch.testing.assert_close(parts, whole)


def test_moving_region_follows_input_without_ghosting():
    a = noisy_static(noise=0.0)
    a[20:, :, 4:8, 4:8] = 0.05  # a bright object appears: a large local change
    s = TemporalSmoother(SmoothingConfig(strength=0.9, motion_threshold=0.08))(a)
    assert (s[20, :, 4:8, 4:8] - 0.05).abs().max() < 1e-3


def test_scene_cut_resets_state():
    a = torch.cat([torch.full((5, 1, 8, 8), 0.9), torch.full((5, 1, 8, 8), 0.2)])
    a += 0.01 * torch.randn_like(a)
    smoother = TemporalSmoother(SmoothingConfig(strength=0.95, motion_threshold=10.0))
    s = smoother(a)
    assert smoother.scene_cuts == 1
    torch.testing.assert_close(s[5], a[5])


def test_bad_config_is_refused():
    with pytest.raises(ValueError):
        SmoothingConfig(strength=1.5)
    with pytest.raises(ValueError):
        SmoothingConfig(motion_threshold=0)
