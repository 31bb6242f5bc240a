"""keep_hue: the network's luma in the input's colours (enlight.ops.hue), in the generator and its weights."""

import pytest
import torch

from enlight.models.generator import EnlightenGANGenerator
from enlight.models.weights import load_generator, save_weights
from enlight.ops.hue import chromaticity, keep_hue
from enlight.ops.luma import attention_map, luma


def _rgb(values, size=(6, 8)):
    """(1, 3, H, W) in [-1, 1] of one colour given in [0, 1]."""
    return (torch.tensor(values).view(1, 3, 1, 1).expand(1, 3, *size) * 2 - 1).clone()


def test_output_luma_with_input_colour():
    source = _rgb([0.40, 0.20, 0.08])  # orange
    output = _rgb([0.30, 0.40, 0.60])  # bright blue: a cast the network made up
    kept = keep_hue(output, source)
    assert torch.allclose(luma(kept), luma(output), atol=2e-3)
    rgb = (kept + 1) / 2
    ratio = rgb[:, :, 2, 3] / rgb[:, 1:2, 2, 3]
    assert torch.allclose(ratio, torch.tensor([[2.0, 1.0, 0.4]]), atol=0.03)  # the input's r:g:b


def test_grey_stays_grey_and_black_stays_black():
    grey = keep_hue(_rgb([0.6, 0.2, 0.9]), _rgb([0.2, 0.2, 0.2]))
    assert (grey[:, 0] - grey[:, 2]).abs().max() < 1e-3
    black = keep_hue(_rgb([0.5, 0.5, 0.5]), _rgb([0.0, 0.0, 0.0]))
    assert torch.allclose(black, torch.full_like(black, 2 * 0.5 - 1), atol=1e-3)  # luma kept, no colour invented


def test_dark_colour_noise_is_desaturated():
    torch.manual_seed(0)
    noisy = (torch.rand(1, 3, 32, 32) * 0.02) * 2 - 1  # luma ~0.01: colour is noise
    c = chromaticity(noisy)
    raw = chromaticity(noisy, dark=1e-6, floor=0)  # the same colour without the desaturation
    assert (raw - 1).abs().mean() > 0.05
    assert (c - 1).abs().mean() < 0.5 * (raw - 1).abs().mean()


def test_a_level_of_tint_in_black_is_no_colour_but_a_dark_tail_light_is():
    """The real night street's dark tree: rgb (8.9, 6.9, 7.8) levels, a magenta offset of 1.5 levels
    that came out as a mauve haze once lifted; a tail light of the same darkness keeps its red."""
    tree = _rgb([8.9 / 255, 6.9 / 255, 7.8 / 255])
    assert (chromaticity(tree) - 1).abs().max() < 0.25 * (chromaticity(tree, floor=0) - 1).abs().max()
    light = keep_hue(_rgb([0.4, 0.4, 0.4]), _rgb([40 / 255, 3 / 255, 4 / 255]))
    rgb = (light + 1) / 2
    assert rgb[0, 0].mean() > 3 * rgb[0, 2].mean()
    unfloored = chromaticity(_rgb([40 / 255, 3 / 255, 4 / 255]), floor=0)
    hue = chromaticity(_rgb([40 / 255, 3 / 255, 4 / 255])) - 1
    cos = (hue * (unfloored - 1)).sum(1) / (hue.norm(dim=1) * (unfloored - 1).norm(dim=1))
    assert cos.min() > 0.9999  # never turned
    assert (hue.norm(dim=1) > 0.9 * (unfloored - 1).norm(dim=1)).all()  # and shortened only a little


def test_channels_below_black_take_no_light_from_a_saturated_colour():
    """The bundled network puts red and green far below black on a pure blue of 200 levels (-123 and -60 levels,
    blue 470): that was negative light in the luma, and the blue came out black."""
    source = _rgb([0.0, 0.0, 200 / 255])
    output = _rgb([-123 / 255, -60 / 255, 470 / 255])
    rgb = (keep_hue(output, source) + 1) / 2
    assert rgb[0, 2].min() > 1.0  # blue at least white (shown as 255), not black
    assert rgb[0, :2].abs().max() < 0.01  # no red or green invented
    lifted = keep_hue(_rgb([0.05, 0.05, 0.9]), source)  # channels above black: their luma as before
    assert torch.allclose(luma(lifted), luma(_rgb([0.05, 0.05, 0.9])), atol=2e-3)


def test_generator_keep_hue_and_weights_metadata(tmp_path):
    torch.manual_seed(1)
    net = EnlightenGANGenerator(base_channels=4, keep_hue=True).eval()
    frames = torch.rand(2, 3, 20, 28) * 2 - 1
    with torch.no_grad():
        out = net(frames, attention_map(frames))
        net.keep_hue = False
        free = net(frames, attention_map(frames))
    assert torch.allclose(luma(out), luma(free.clamp(min=-1)), atol=1e-4)
    assert not torch.allclose(out, free, atol=1e-2)
    net.keep_hue = True
    path = save_weights(tmp_path / "g.safetensors", net, provenance="{}")
    loaded = load_generator(path)
    assert loaded.keep_hue and loaded.margin == 0
    with torch.no_grad():
        assert torch.allclose(loaded(frames, attention_map(frames)), out, atol=1e-5)
    net.keep_hue = False
    assert not load_generator(save_weights(tmp_path / "f.safetensors", net, provenance="{}")).keep_hue


@pytest.mark.parametrize("margin, sizes", [(0, [(30, 44)]), (32, [(48, 80), (70, 45)])])
def test_onnx_export_keeps_the_hue_and_reflects_the_margin(margin, sizes):
    import numpy as np
    import onnxruntime as ort

    from enlight.models.onnx_export import export_onnx_bytes

    torch.manual_seed(2 + margin)
    net = EnlightenGANGenerator(base_channels=4, margin=margin, keep_hue=True).eval()
    session = ort.InferenceSession(export_onnx_bytes(net), providers=["CPUExecutionProvider"])
    for size in sizes:  # with a margin of 32 a trace at 37x53 would have baked in edge replication
        frames = torch.rand(1, 3, *size) * 2 - 1
        attention = attention_map(frames)
        got = session.run(None, {"frames": frames.numpy(), "attention": attention.numpy()})[0]
        with torch.no_grad():
            want = net(frames, attention).numpy()
        np.testing.assert_allclose(got, want, atol=1e-4)


def test_frames_smaller_than_the_margin_run_in_onnx_runtime():
    from enlight.stream.backends.onnxruntime import OnnxRuntimeBackend, OnnxRuntimeConfig

    torch.manual_seed(4)
    net = EnlightenGANGenerator(base_channels=4, margin=32, keep_hue=True).eval()
    backend = OnnxRuntimeBackend(net, OnnxRuntimeConfig(device=torch.device("cpu")))
    assert backend.margin == 32
    frames = torch.rand(1, 3, 24, 32) * 2 - 1  # the graph reflects 32 + up to 8 px: needs 41
    got = backend(frames, attention_map(frames))
    assert got.shape == frames.shape and torch.isfinite(got).all()
    big = torch.rand(1, 3, 48, 64) * 2 - 1
    with torch.no_grad():  # large enough frames are untouched
        assert torch.allclose(backend(big, attention_map(big)), net(big, attention_map(big)), atol=1e-4)


def test_frames_too_small_to_reflect_run_in_onnx_runtime_without_a_margin():
    """The released generator has no margin, and its graph reflects up to 8 pixels a side too: a 17x3 photo (or one
    16 pixels high under --quality fast, at 4) was an internal error, 'Pad reflect: pre-pad (6) exceeds maximum
    allowed (3)'."""
    from enlight.stream.backends.onnxruntime import OnnxRuntimeBackend, OnnxRuntimeConfig

    torch.manual_seed(5)
    net = EnlightenGANGenerator(base_channels=4).eval()
    backend = OnnxRuntimeBackend(net, OnnxRuntimeConfig(device=torch.device("cpu")))
    for size in ((3, 17), (4, 300), (1, 1)):
        frames = torch.rand(1, 3, *size) * 2 - 1
        got = backend(frames, attention_map(frames))
        assert got.shape == frames.shape and torch.isfinite(got).all()
