import importlib.util

import pytest
import torch

from enlight.errors import EnlightError
from enlight.models import attention_map, build_generator
from enlight.stream.backends import Backend, available_backends, create_backend, resolve_device


def test_torch_backend_matches_the_module_on_cpu():
    generator = build_generator(base_channels=8).eval()
    backend = create_backend("torch", generator, device="cpu")
    assert isinstance(backend, Backend) and backend.name == "torch" and backend.device.type == "cpu"
    x = torch.rand(2, 3, 21, 35) * 2 - 1
    a = attention_map(x)
    with torch.no_grad():
        expected = generator(x, a)
    torch.testing.assert_close(backend(x, a), expected, atol=1e-5, rtol=1e-5)
    assert generator.training is False and next(generator.parameters()).requires_grad  # the original is untouched


def test_auto_picks_by_device():
    from enlight.stream.backends.base import auto_backend

    expected = "onnxruntime" if importlib.util.find_spec("onnxruntime") else "torch"
    assert auto_backend(torch.device("cpu")) == expected
    assert create_backend("auto", build_generator(base_channels=8), device="cpu").name == expected
    with pytest.raises(EnlightError, match="cuda-graphs"):
        create_backend("torch", build_generator(base_channels=8), device="cpu", cuda_graphs=True)


def test_registry_and_device_errors():
    assert "torch" in available_backends() and "auto" in available_backends()
    generator = build_generator(base_channels=8)
    with pytest.raises(EnlightError, match="unknown backend"):
        create_backend("nope", generator, device="cpu")
    with pytest.raises(EnlightError, match="fp16"):
        create_backend("torch", generator, device="cpu", precision="fp16")
    with pytest.raises(EnlightError, match="device"):
        resolve_device("tpu")
    assert resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(EnlightError, match="no CUDA GPU"):
            resolve_device("cuda:0")


@pytest.mark.gpu
def test_cuda_fp16_backend_close_to_fp32():
    generator = build_generator(base_channels=8).eval()
    x = torch.rand(4, 3, 64, 96, device="cuda") * 2 - 1
    a = attention_map(x)
    fp32 = create_backend("torch", generator, device="cuda", precision="fp32")(x, a)
    fp16 = create_backend("torch", generator, device="cuda")(x, a)
    assert fp16.dtype == torch.float32 and fp16.device.type == "cuda"
    assert (fp16 - fp32).abs().max() < 2e-2
    graphs = create_backend("torch", generator, device="cuda", cuda_graphs=True)
    torch.testing.assert_close(graphs(x, a), fp16)
    torch.testing.assert_close(graphs(x, a), fp16)  # replayed


def test_hw_decode_resolution():
    from enlight.stream.apps.pipeline import resolve_hw_decode

    assert resolve_hw_decode("off", torch.device("cuda")) is None
    assert resolve_hw_decode("auto", torch.device("cpu")) is None
    with pytest.raises(EnlightError, match="hw-decode"):
        resolve_hw_decode("nosuchdevice", torch.device("cpu"))


@pytest.mark.gpu
def test_nvdec_decode_matches_software(tmp_path):
    from enlight.stream.io.source import DecodedFrame, VideoSource
    from tests.media import make_clip

    clip = make_clip(tmp_path / "c.mp4", width=128, height=96, frames=5)
    frames = []
    for hw in (None, "cuda"):
        with VideoSource(clip, hw_decode=hw) as source:
            frames.append([i.rgb for i in source if isinstance(i, DecodedFrame)])
    assert len(frames[0]) == len(frames[1]) == 5
    assert max(abs(a.astype(int) - b).max() for a, b in zip(*frames, strict=True)) <= 2


@pytest.mark.gpu
def test_pipelined_cuda_enhancer_matches_cpu():
    import numpy as np

    from enlight.stream.core.enhancer import Enhancer
    from enlight.stream.core.smoothing import SmoothingConfig

    generator = build_generator(base_channels=8).eval()
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, 80, (3, 40, 56, 3), dtype=np.uint8) for _ in range(4)]
    cpu = Enhancer(create_backend("torch", generator, device="cpu"), SmoothingConfig())
    gpu = Enhancer(create_backend("torch", generator, device="cuda", precision="fp32"), SmoothingConfig())
    expected = [cpu.submit(b, tag=i)[0] for i, b in enumerate(batches)]
    got = [r for i, b in enumerate(batches) for r in gpu.submit(b, tag=i)] + gpu.drain()
    assert [tag for _, tag in got] == [0, 1, 2, 3]
    for (a, _), (b, _) in zip(expected, got, strict=True):
        assert np.abs(a.astype(int) - b).max() <= 1


def test_grey_sources_stay_grey():
    import numpy as np

    from enlight.stream.core.enhancer import Enhancer

    generator = build_generator(base_channels=8).eval()
    with torch.no_grad():
        generator.conv10.bias.copy_(torch.tensor([0.6, 0.2, 0.4]))  # brightens with a red tint
    backend = create_backend("torch", generator, device="cpu")
    rng = np.random.default_rng(0)
    grey = np.repeat(rng.integers(0, 60, (2, 24, 32, 1), dtype=np.uint8), 3, axis=-1)
    colour = rng.integers(0, 60, (2, 24, 32, 3), dtype=np.uint8)
    out = Enhancer(backend, grey=True)(grey)
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    assert out.mean() > grey.mean()  # still enhanced
    tinted = Enhancer(backend)(colour)
    assert np.abs(tinted[..., 0].astype(int) - tinted[..., 1]).mean() > 5
    # reduced-size backends (their uint8 path) keep grey grey too, and brighten like the float path
    from enlight.ops.scaled import ScaledBackend

    scaled = Enhancer(ScaledBackend(backend, scale=2), grey=True)(grey)
    assert (scaled[..., 0] == scaled[..., 1]).all() and (scaled[..., 1] == scaled[..., 2]).all()
    float_path = ScaledBackend(backend, scale=2)
    float_path.enhance_uint8 = None  # the float path, for comparison
    reference = Enhancer(float_path, grey=True)
    assert np.abs(scaled.astype(int) - reference(grey)).max() <= 1
