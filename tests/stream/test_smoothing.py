import numpy as np
import pytest
import torch

from enlight.ops.luma import attention_map, luma
from enlight.ops.pixels import to_model_input, to_uint8
from enlight.quality.flicker import motion_compensated_flicker
from enlight.stream.core.smoothing import AttentionSmoother, CorrectionSmoother, gate_luma
from enlight.stream.core.smoothing_config import SmoothingConfig


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
    assert CorrectionSmoother(SmoothingConfig(strength=0))(x, y) is y


def test_static_jitter_is_reduced_and_mean_kept():
    x = noisy_static()
    y = jittery_enhancement(x)
    s = CorrectionSmoother(SmoothingConfig(strength=0.8))(x, y)
    assert s.shape == y.shape and s.dtype == torch.float32
    added, raw = s - x, y - x
    assert added[10:].mean((1, 2, 3)).std() < 0.4 * raw[10:].mean((1, 2, 3)).std()
    assert (added[10:].mean() - raw[10:].mean()).abs() < 0.03


def test_batches_continue_one_clip():
    x = noisy_static()
    y = jittery_enhancement(x)
    whole = CorrectionSmoother()(x, y)
    smoother = CorrectionSmoother()
    parts = torch.cat([smoother(x[i : i + 7], y[i : i + 7]) for i in range(0, len(x), 7)])
    torch.testing.assert_close(parts, whole)
    one_by_one = CorrectionSmoother()
    torch.testing.assert_close(torch.cat([one_by_one(x[i : i + 1], y[i : i + 1]) for i in range(len(x))]), whole)


def test_moving_region_follows_the_generator_without_ghosting():
    x = noisy_static(noise=0.0)
    x[20:, :, 4:8, 4:8] = 0.6  # a bright object appears: a large local change
    y = jittery_enhancement(x, jitter=0.0)
    y[20:, :, 4:8, 4:8] = 0.7  # the generator barely changes it
    s = CorrectionSmoother(SmoothingConfig(strength=0.9))(x, y)
    assert (s[20, :, 4:8, 4:8] - 0.7).abs().max() < 1e-3


def test_scene_cut_resets_state():
    x = torch.cat([torch.full((5, 3, 8, 8), 0.8), torch.full((5, 3, 8, 8), -0.6)])
    x += 0.01 * torch.randn_like(x)
    y = jittery_enhancement(x)
    smoother = CorrectionSmoother(SmoothingConfig(strength=0.95, motion_threshold=10.0))
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
        out = to_uint8(CorrectionSmoother(SmoothingConfig(strength=strength))(x, y)).numpy()
        flicker[strength] = motion_compensated_flicker(list(clip), list(out))
    assert flicker[0.8] < 0.5 * flicker[0.0]


def test_bad_config_is_refused():
    with pytest.raises(ValueError):
        SmoothingConfig(strength=1.5)
    with pytest.raises(ValueError, match="0.95"):
        SmoothingConfig(strength=0.96)  # one limit, MAX_SMOOTHING
    assert SmoothingConfig(strength=0.95).strength == 0.95
    with pytest.raises(ValueError, match="target"):
        SmoothingConfig(target="residual")
    with pytest.raises(ValueError):
        SmoothingConfig(motion_threshold=0)


def cpu_backend():
    from enlight.models.generator import build_generator
    from enlight.stream.backends import create_backend
    from enlight.stream.backends.torch import TorchBackendConfig

    return create_backend(TorchBackendConfig(device=torch.device("cpu")), build_generator(base_channels=8).eval())


def test_enhancer_with_smoothing_zero_gives_the_generators_output():
    from enlight.stream.core.enhancer import Enhancer

    backend = cpu_backend()
    clip = shaky_clip(frames=6)
    x = to_model_input(torch.from_numpy(clip))
    with torch.inference_mode():
        expected = to_uint8(backend(x, attention_map(x))).numpy()
    enhancer = Enhancer(backend, SmoothingConfig(strength=0), grey=False)
    got = np.concatenate([enhancer(clip[i : i + 2]) for i in range(0, 6, 2)])
    assert np.array_equal(got, expected)
    smoothed = Enhancer(backend, SmoothingConfig(), grey=False)
    assert not np.array_equal(np.concatenate([smoothed(clip[i : i + 2]) for i in range(0, 6, 2)]), expected)


# the attention-map smoother (--smooth attention|both): the same gated average, before the model


def test_attention_strength_zero_is_the_identity():
    x = noisy_static()
    a = attention_map(x)
    assert AttentionSmoother(SmoothingConfig(strength=0, target="attention"))(x, a) is a


def test_attention_of_a_static_clip_converges():
    x = noisy_static(frames=60, noise=0.05)
    a = attention_map(x)
    s = AttentionSmoother(SmoothingConfig(strength=0.9, target="attention"))(x, a)
    assert s.shape == a.shape and s.dtype == torch.float32
    truth = attention_map(noisy_static(frames=1, noise=0.0))  # the noiseless picture's attention
    raw_error = (a[30:] - truth).abs().mean()
    smoothed_error = (s[30:] - truth).abs().mean()
    assert smoothed_error < 0.4 * raw_error
    assert s[30:].std(0).mean() < 0.4 * a[30:].std(0).mean()  # it barely changes from frame to frame
    assert (s[30:].mean() - truth.mean()).abs() < 0.005  # and keeps the level


def test_attention_motion_gate_keeps_a_moving_regions_own_value():
    x = noisy_static(noise=0.0)
    x[20:, :, 4:8, 4:8] = 0.6  # a bright object appears: a large local change
    a = attention_map(x)
    s = AttentionSmoother(SmoothingConfig(strength=0.9, target="attention"))(x, a)
    torch.testing.assert_close(s[20, :, 5:7, 5:7], a[20, :, 5:7, 5:7], atol=1e-3, rtol=0)
    assert (s[20, :, 5:7, 5:7] - a[19, :, 5:7, 5:7]).abs().min() > 0.3  # not the past's value


def test_attention_scene_cut_resets_state():
    x = torch.cat([torch.full((5, 3, 8, 8), 0.8), torch.full((5, 3, 8, 8), -0.6)])
    x += 0.01 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    a = attention_map(x)
    smoother = AttentionSmoother(SmoothingConfig(strength=0.95, motion_threshold=10.0, target="attention"))
    s = smoother(x, a)
    assert smoother.scene_cuts == 1
    torch.testing.assert_close(s[5], a[5])
    assert (s[4] - a[4]).abs().max() > 0  # before the cut it was averaging


@pytest.mark.parametrize("target, stages", [
    ("correction", ["ModelInput", "RunModel", "CorrectionSmoothing", "Combine"]),
    ("attention", ["ModelInput", "AttentionSmoothing", "RunModel", "Combine"]),
    ("both", ["ModelInput", "AttentionSmoothing", "RunModel", "CorrectionSmoothing", "Combine"]),
])
def test_enhancer_chains_the_smoothers_its_target_names(target, stages):
    from enlight.stream.core.enhancer import Enhancer

    backend = cpu_backend()
    enhancer = Enhancer(backend, SmoothingConfig(target=target))
    assert [type(stage).__name__ for stage in enhancer.stages] == stages
    clip = shaky_clip(frames=4)
    plain = Enhancer(backend, SmoothingConfig(strength=0))
    assert np.array_equal(enhancer(clip[:1]), plain(clip[:1]))  # the first frame has no past
    assert not np.array_equal(enhancer(clip[1:]), plain(clip[1:]))
    enhancer.set_smoothing(0.5)
    for smoother in (enhancer.attention_smoother, enhancer.correction_smoother):
        assert smoother is None or smoother.config.strength == 0.5
    assert enhancer.smoothing == SmoothingConfig(strength=0.5, target=target)
    with pytest.raises(ValueError):
        enhancer.set_smoothing(0.99)


def test_cli_smooth_attention_and_both_run_and_smooth(tmp_path, weights, cli):
    """--smooth attention|both run end to end; on a noisy static scene they change the frames after the
    first (which has no past), each in its own way."""
    import av

    from tests.media import read_video

    clip = tmp_path / "static.mkv"
    rng = np.random.default_rng(0)
    base = rng.integers(10, 60, (64, 96, 3))
    with av.open(str(clip), "w") as c:
        s = c.add_stream("ffv1", rate=24)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv444p"
        for i in range(6):
            img = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv444p")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    outputs = {}
    for name, args in (("off", ("--smoothing", "0")), ("attention", ("--smooth", "attention")),
                       ("both", ("--smooth", "both", "--smoothing", "0.9"))):
        out = tmp_path / f"{name}.mkv"
        result = cli(clip, "-o", out, "--weights", weights, "--device", "cpu", "--codec", "ffv1", "-q", *args)
        assert result.returncode == 0, result.stderr
        outputs[name] = np.stack(read_video(out)["images"]).astype(int)
        assert len(outputs[name]) == 6
    for name in ("attention", "both"):
        assert np.abs(outputs[name][0] - outputs["off"][0]).max() <= 1, name
        assert np.abs(outputs[name][1:] - outputs["off"][1:]).mean() > 0.2, name  # measured 0.61, 0.75
    assert np.abs(outputs["attention"][1:] - outputs["both"][1:]).mean() > 0.1  # measured 0.32


def test_gate_luma_is_the_replicate_padded_3x3_mean_of_the_luma():
    frames = torch.rand(2, 3, 23, 31, generator=torch.Generator().manual_seed(3)) * 2 - 1
    value = luma(frames)
    expected = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(value, (1, 1, 1, 1), mode="replicate"), 3,
                                              stride=1)
    torch.testing.assert_close(gate_luma(frames), expected, atol=1e-6, rtol=0)
