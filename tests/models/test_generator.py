import json
import math

import numpy as np
import pytest
import torch

from enlight.models import attention_map, build_generator
from enlight.models.generator import pad_amounts


def released_state_dict(shared):
    return json.loads((shared / "fixtures" / "official_generator_state_dict.json").read_text())["state_dict"]


def golden_weights(names):
    """The fixture README's recipe for rebuilding the golden pass's weights and input."""
    g = torch.Generator().manual_seed(1234)
    weights = {}
    for name, shape in names:
        if name.endswith("num_batches_tracked"):
            continue
        if name.endswith("running_var"):
            t = torch.rand(shape, generator=g) * 0.5 + 0.75
        elif name.endswith("running_mean"):
            t = torch.randn(shape, generator=g) * 0.1
        elif name.startswith("bn") and name.endswith("weight"):
            t = 1 + 0.1 * torch.randn(shape, generator=g)
        elif name.endswith("bias"):
            t = 0.05 * torch.randn(shape, generator=g)
        else:
            t = torch.randn(shape, generator=g) * math.sqrt(2 / (shape[1] * shape[2] * shape[3]))
        weights[name] = t
    x = torch.rand(1, 3, 52, 76, generator=g) * 2 - 1
    return weights, x


def test_same_names_shapes_and_order_as_release(shared):
    names = released_state_dict(shared)
    ours = build_generator().state_dict()
    assert [(k, list(v.shape)) for k, v in ours.items()] == [(k, list(s)) for k, s in names]


def test_parameter_count_matches_release():
    assert sum(p.numel() for p in build_generator().parameters()) == 8_636_675


def test_golden_forward_pass(shared):
    golden = np.load(shared / "fixtures" / "generator_golden.npz")
    weights, x = golden_weights(released_state_dict(shared))
    np.testing.assert_array_equal(x.numpy(), golden["x"])
    generator = build_generator().eval()
    missing, unexpected = generator.load_state_dict(weights, strict=False)
    assert unexpected == [] and all(k.endswith("num_batches_tracked") for k in missing)
    attention = attention_map(x)
    np.testing.assert_allclose(attention.numpy(), golden["attention"], atol=1e-6)
    with torch.no_grad():
        output, latent = generator.forward_with_latent(x, attention)
    assert np.abs(output.numpy() - golden["output"]).max() < 1e-4
    assert np.abs(latent.numpy() - golden["latent"]).max() < 1e-4


@pytest.mark.parametrize("base_channels", [8, 16])
@pytest.mark.parametrize("size", [(37, 53), (16, 32), (2, 3), (1, 1)])
def test_any_size_and_width(base_channels, size):
    generator = build_generator(base_channels=base_channels).eval()
    x = torch.rand(2, 3, *size) * 2 - 1
    with torch.no_grad():
        out = generator(x, attention_map(x))
    assert out.shape == x.shape and torch.isfinite(out).all()
    assert generator.conv1_1.out_channels == base_channels and generator.conv5_2.out_channels == 16 * base_channels


@pytest.mark.parametrize("size", [(32, 48), (37, 53)])  # a multiple of 16, and one padded and cropped back
def test_output_is_input_plus_attention_times_residual(size):
    """output = input + A * residual, with the residual (conv10's output) taken by a hook on conv10 and a
    non-trivial attention map: zero on the left, one on the right, a random ramp in between."""
    height, width = size
    generator = build_generator(base_channels=8).eval()
    with torch.no_grad():
        generator.conv10.bias.copy_(torch.tensor([0.3, -0.2, 0.1]))  # a residual clearly away from 0
    rng = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, height, width, generator=rng) * 2 - 1
    a = torch.rand(2, 1, height, width, generator=rng) * torch.linspace(0, 1, width)
    a[..., : width // 4] = 0
    a[..., -(width // 4) :] = 1
    residuals = []
    hook = generator.conv10.register_forward_hook(lambda module, inputs, output: residuals.append(output))
    with torch.no_grad():
        out, latent = generator.forward_with_latent(x, a)
    hook.remove()
    left, _, top, _ = pad_amounts(height, width)
    residual = residuals[0][..., top : top + height, left : left + width]
    assert residual.shape == x.shape and residual.abs().mean() > 0.05
    torch.testing.assert_close(out, x + a * residual, atol=1e-6, rtol=0)
    torch.testing.assert_close(latent, a * residual, atol=1e-6, rtol=0)
    assert torch.equal(out[..., : width // 4], x[..., : width // 4])  # attention 0: the input itself
    torch.testing.assert_close(out[..., -(width // 4) :], (x + residual)[..., -(width // 4) :], atol=1e-6, rtol=0)
    assert (out - x).abs()[..., -(width // 4) :].mean() > 0.05  # attention 1: the whole residual is added
    with torch.no_grad():
        torch.testing.assert_close(generator(x, torch.zeros(2, 1, height, width)), x)


def test_pad_amounts_split_like_release():
    assert pad_amounts(52, 76) == (2, 2, 6, 6)
    assert pad_amounts(48, 77) == (1, 2, 0, 0)
    assert pad_amounts(32, 64) == (0, 0, 0, 0)


def test_attention_map_is_one_minus_bt601_luma():
    black = -torch.ones(1, 3, 2, 2)
    white = torch.ones(1, 3, 2, 2)
    red = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    torch.testing.assert_close(attention_map(black), torch.ones(1, 1, 2, 2))
    torch.testing.assert_close(attention_map(white), torch.zeros(1, 1, 2, 2))
    torch.testing.assert_close(attention_map(red), torch.full((1, 1, 2, 2), 1 - 0.299))
    with pytest.raises(ValueError):
        attention_map(torch.zeros(1, 4, 2, 2))


def test_margin_pads_more_and_crops_back():
    assert pad_amounts(52, 76, margin=16) == (18, 18, 22, 22)
    assert pad_amounts(48, 64, margin=8) == (8, 8, 8, 8)
    torch.manual_seed(0)
    generator = build_generator(base_channels=8).eval()
    frames = torch.rand(1, 3, 40, 52) * 2 - 1
    plain = generator(frames, attention_map(frames))
    generator.margin = 24
    padded = generator(frames, attention_map(frames))
    assert padded.shape == plain.shape
    assert not torch.equal(padded, plain)  # the network saw reflected context at the edges
    generator.margin = 0
    assert torch.equal(generator(frames, attention_map(frames)), plain)  # default: as released
