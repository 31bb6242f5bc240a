import torch

from enlight.models import attention_map, build_generator
from enlight.ops.scaled import ScaledBackend, guided_upsample
from enlight.stream.backends import create_backend


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


def test_guided_upsampling_keeps_a_linear_correction_exact_and_edges_sharp():
    x = edge_image()
    exact = Gain()(x, None)
    for scale in (2, 4):
        guided = ScaledBackend(Gain(), scale=scale)(x, attention_map(x))
        bilinear = ScaledBackend(Gain(), scale=scale, upsample="bilinear")(x, attention_map(x))
        guided_err = (guided - exact).abs()
        bilinear_err = (bilinear - exact).abs()
        assert guided_err.max() < 0.05  # a locally linear correction is recovered almost exactly
        assert bilinear_err.max() > 4 * guided_err.max()  # bilinear smears it across the edge


def test_scale_one_is_the_inner_backend():
    generator = build_generator(base_channels=8).eval()
    inner = create_backend("torch", generator, device="cpu")
    x = torch.rand(1, 3, 40, 56) * 2 - 1
    a = attention_map(x)
    assert torch.equal(ScaledBackend(inner, scale=1)(x, a), inner(x, a))
    out = ScaledBackend(inner, scale=2)(x, a)
    assert out.shape == x.shape and torch.isfinite(out).all()


def test_guided_upsample_of_constant_is_constant():
    guide_high = torch.rand(1, 3, 32, 32)
    guide_low = torch.nn.functional.interpolate(guide_high, size=(16, 16), mode="area")
    delta = torch.full((1, 3, 16, 16), 0.25)
    torch.testing.assert_close(guided_upsample(delta, guide_low, guide_high), torch.full((1, 3, 32, 32), 0.25),
                               atol=1e-4, rtol=0)


def test_uint8_path_matches_the_float_path_within_one_level():
    """enhance_uint8 (attention on the small frames, one fused multiply-add) = to_uint8 of the float path."""
    from enlight.stream.io.frames import to_model_input, to_uint8

    generator = build_generator(base_channels=8).eval()
    inner = create_backend("torch", generator, device="cpu")
    batch = (torch.rand(2, 48, 80, 3) * 90).to(torch.uint8)
    x = to_model_input(batch)
    for scale, upsample in ((2, "guided"), (4, "guided"), (4, "bilinear")):
        backend = ScaledBackend(inner, scale=scale, upsample=upsample)
        with torch.inference_mode():
            reference = to_uint8(backend(x, attention_map(x))).int()
            fused = backend.enhance_uint8(batch)
        assert fused.shape == batch.shape and fused.dtype == torch.uint8
        assert (fused.int() - reference).abs().max() <= 1, (scale, upsample)
        assert (fused.int() - batch.int()).abs().float().mean() > 1  # it did change the picture
    assert ScaledBackend(inner, scale=1).enhance_uint8 is None  # full size: the Enhancer's own path
