"""Reduced-size inference: enlight.ops.scaled (float and uint8 forms) and the Enhancer's stages at scale 2 and 4."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from enlight.models import attention_map, build_generator
from enlight.ops.pixels import to_model_input, to_uint8
from enlight.ops.scaled import guided_upsample, reduced_size, scaled_enhance, scaled_enhance_uint8
from enlight.stream.backends import create_backend
from enlight.stream.backends.torch import TorchBackendConfig
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.stream.core.stages import Combine, ModelInput, Work

OFF = SmoothingConfig(strength=0)


class Gain:
    """A stand-in 'generator' with a known answer: output = input + 0.5 * (input + 1) (a brightening gain)."""

    name = "gain"
    device = torch.device("cpu")

    def __call__(self, frames, attention):
        return frames + 0.5 * (frames + 1)


def edge_image(h=64, w=96):
    x = torch.full((1, 3, h, w), -0.8)
    x[..., :, w // 2 + 1 :] = 0.6  # a sharp vertical edge off the 2x/4x grid
    x += 0.02 * torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(0))
    return x


def smooth_batch(h=48, w=80):
    """(1, h, w, 3) uint8: a dark, slowly varying picture (no detail finer than a few pixels)."""
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    rgb = torch.stack([20 + 30 * xx, 25 + 25 * yy, 15 + 20 * xx * yy], dim=-1)
    return rgb.round().to(torch.uint8)[None]


def torch_backend(generator):
    return create_backend(TorchBackendConfig(device=torch.device("cpu")), generator)


def test_guided_upsampling_keeps_a_linear_correction_exact_and_edges_sharp():
    x = edge_image()
    exact = Gain()(x, None)
    for scale in (2, 4):
        guided = scaled_enhance(Gain(), x, attention_map(x), scale=scale)
        bilinear = scaled_enhance(Gain(), x, attention_map(x), scale=scale, upsample="bilinear")
        guided_err = (guided - exact).abs()
        bilinear_err = (bilinear - exact).abs()
        assert guided_err.max() < 0.05  # a locally linear correction is recovered almost exactly
        assert bilinear_err.max() > 4 * guided_err.max()  # bilinear smears it across the edge


def test_scale_one_is_the_inner_backend():
    """Scale 1 is the backend's own output, exactly; scale 2 is close to it on a smooth picture, not equal."""
    inner = torch_backend(build_generator(base_channels=8).eval())
    batch = smooth_batch()
    x = to_model_input(batch)
    a = attention_map(x)
    with torch.inference_mode():
        own = inner(x, a)
        assert torch.equal(scaled_enhance(inner, x, a, scale=1), own)
        assert torch.equal(torch.from_numpy(Enhancer(inner, OFF, scale=1)(batch.numpy())), to_uint8(own))
        half = scaled_enhance(inner, x, a, scale=2)
        staged = torch.from_numpy(Enhancer(inner, OFF, scale=2)(batch.numpy()))
    assert half.shape == own.shape
    assert not torch.equal(half, own) and (half - own).abs().max() > 1e-4  # it did run at another size
    assert (half - own).abs().mean() < 0.02 and (half - own).abs().max() < 0.1  # ~2.5 / 12 grey levels
    diff = (staged.int() - to_uint8(own).int()).abs()
    assert diff.max() > 0 and diff.float().mean() < 3 and diff.max() <= 13


def test_guided_upsample_of_constant_is_constant():
    guide_high = torch.rand(1, 3, 32, 32)
    guide_low = torch.nn.functional.interpolate(guide_high, size=(16, 16), mode="area")
    delta = torch.full((1, 3, 16, 16), 0.25)
    torch.testing.assert_close(guided_upsample(delta, guide_low, guide_high), torch.full((1, 3, 32, 32), 0.25),
                               atol=1e-4, rtol=0)


def test_uint8_path_matches_the_float_path_within_one_level(monkeypatch):
    """scaled_enhance_uint8 (attention on the small frames, one fused multiply-add) = to_uint8 of the float path.
    The Enhancer's torch forms (CUDA, or a CPU without OpenCV) are exactly that path; its numpy/OpenCV forms on a CPU
    are within one code value of it (their float rounding: tests/stream/test_cpu_stages.py). This test held the CPU
    forms to exact equality, which only some random weights met: it failed or passed with the tests run before it."""
    from enlight.ops import simd

    inner = torch_backend(build_generator(base_channels=8).eval())
    batch = (torch.rand(2, 48, 80, 3, generator=torch.Generator().manual_seed(0)) * 90).to(torch.uint8)
    x = to_model_input(batch)
    for scale, upsample in ((2, "guided"), (4, "guided"), (4, "bilinear")):
        with torch.inference_mode():
            reference = to_uint8(scaled_enhance(inner, x, attention_map(x), scale=scale, upsample=upsample)).int()
            fused = scaled_enhance_uint8(inner, batch, scale=scale, upsample=upsample)
        assert fused.shape == batch.shape and fused.dtype == torch.uint8
        assert (fused.int() - reference).abs().max() <= 1, (scale, upsample)
        assert (fused.int() - batch.int()).abs().float().mean() > 1  # it did change the picture
        # the Enhancer's stages at this scale (smoothing off): the CPU forms within one code value of that uint8
        # path, the torch forms exactly it
        cpu = Enhancer(inner, OFF, scale=scale, upsample=upsample)(batch.numpy())
        assert np.abs(np.asarray(cpu).astype(int) - fused.numpy()).max() <= 1, (scale, upsample)
        with monkeypatch.context() as patch:
            patch.setattr(simd, "available", lambda: False)
            staged = Enhancer(inner, OFF, scale=scale, upsample=upsample)(batch.numpy())
        assert np.array_equal(np.asarray(staged), fused.numpy()), (scale, upsample)


def test_model_input_and_combine_stages_alone():
    batch = smooth_batch(48, 80)
    full_size = ModelInput(1)(Work(pixels=batch))
    assert full_size.frames.shape == (1, 3, 48, 80)
    torch.testing.assert_close(full_size.frames, to_model_input(batch))
    for scale in (2, 4):
        work = ModelInput(scale)(Work(pixels=batch))
        h, w = reduced_size(48, 80, scale)
        assert work.frames.shape == (1, 3, h, w) and work.attention.shape == (1, 1, h, w)
        torch.testing.assert_close(work.attention, attention_map(work.frames))
        # no correction: the input comes back unchanged; a constant correction shifts every pixel by it
        work.output = work.frames.clone()
        assert torch.equal(Combine(scale)(work).result, batch)
        work.output = work.frames + 20 / 127.5
        shifted = Combine(scale, "bilinear")(work).result
        assert ((shifted.int() - batch.int()) == 20).all()


def test_simd_forms_equal_the_torch_forms():
    """The OpenCV forms of the uint8 path (downscale, guided coefficients, combine; issue 17) against the
    torch forms and the float reference, at sizes whose area windows overlap (854 / 4 = 213.5 -> 214) or
    tile (1080 / 4), on frames with edges, noise and clipping: the model input within float rounding, the
    output within one code value."""
    from enlight.ops import simd
    from enlight.ops.guided import EPS, RADIUS
    from enlight.ops.scaled import combine_uint8, downscale_uint8

    assert simd.available()
    g = torch.Generator().manual_seed(3)
    inner = torch_backend(build_generator(base_channels=8).eval())
    for height, width, scale in ((58, 106, 4), (48, 80, 2), (61, 77, 3), (48, 96, 4)):
        batch = (torch.rand(2, height, width, 3, generator=g) * 120).to(torch.uint8)
        batch[:, :, width // 3:] += 120  # a bright band: outputs clip at 255 there
        fast = torch.from_numpy(simd.downscale(batch.numpy(), scale))
        slow = downscale_uint8(batch, scale)
        reference = F.interpolate(to_model_input(batch).contiguous(), size=reduced_size(height, width, scale),
                                  mode="area")
        with torch.inference_mode():
            delta = inner(slow, attention_map(slow)) - slow
        outputs = {"guided": combine_uint8(batch, slow, delta), "bilinear": combine_uint8(batch, slow, delta,
                                                                                          upsample="bilinear")}
        torch.testing.assert_close(fast, slow, atol=1e-5, rtol=0)
        torch.testing.assert_close(fast, reference, atol=1e-5, rtol=0)
        for upsample, torch_form in outputs.items():
            simd_form = torch.from_numpy(simd.combine(batch.numpy(), slow.numpy(), delta.numpy(), upsample=upsample,
                                                      radius=RADIUS, eps=EPS))
            assert simd_form.shape == batch.shape and simd_form.dtype == torch.uint8
            assert (simd_form.int() - torch_form.int()).abs().max() <= 1, (height, width, upsample)
            assert (simd_form == torch_form).float().mean() > 0.99
            with torch.inference_mode():
                float_path = to_uint8(scaled_enhance(inner, to_model_input(batch), attention_map(to_model_input(batch)),
                                                     scale=scale, upsample=upsample))
            assert (simd_form.int() - float_path.int()).abs().max() <= 1, (height, width, upsample)
        assert (outputs["guided"].int() - batch.int()).abs().float().mean() > 1  # it did change the picture


@pytest.mark.parametrize("small, factor, width", [(37, 4, 166), (40, 3, 61), (16, 2, 30), (50, 4, 854)])
def test_simd_gain_offset_in_strips_is_the_whole_maps_upsampling_bit_for_bit(monkeypatch, small, factor, width):
    """Issue 17: ``gain_offset`` upsamples the maps strip by strip where the frame's height is a whole multiple
    of theirs (several strips, a short last one, strips touching the top and the bottom); the result is the
    one-piece upsampling's exactly, gains and offsets large enough to clip at 0 and 255."""
    from enlight.ops import simd

    rng = np.random.default_rng(small)
    frame = rng.integers(0, 256, (small * factor, width, 3), dtype=np.uint8)
    maps = (small, max(1, round(width / factor)), 3)
    gain = rng.uniform(0.2, 3.0, maps).astype(np.float32)
    offset = rng.uniform(-80, 120, maps).astype(np.float32)
    strips = simd.gain_offset(frame, gain, offset)
    monkeypatch.setattr(simd, "STRIP_ROWS", 10**6)  # one strip: the whole maps upsampled at once
    whole = simd.gain_offset(frame, gain, offset)
    assert np.array_equal(strips, whole)
    assert (whole == 0).any() and (whole == 255).any()
    if small > 16:
        monkeypatch.setattr(simd, "STRIP_ROWS", 1)  # strips of one small row
        assert np.array_equal(simd.gain_offset(frame, gain, offset), whole)


def test_simd_box_mean_is_the_torch_box_filter():
    from enlight.ops import simd
    from enlight.ops.guided import box_filter

    x = torch.rand(1, 3, 13, 17, generator=torch.Generator().manual_seed(4))
    for radius in (1, 2):
        ours = simd.box_mean(x[0].permute(1, 2, 0).contiguous().numpy(), radius)
        torch.testing.assert_close(torch.from_numpy(ours).permute(2, 0, 1)[None], box_filter(x, radius),
                                   atol=1e-6, rtol=0)
