import importlib.util
import re

import pytest
import torch

from enlight.errors import EnlightError
from enlight.models import attention_map, build_generator
from enlight.ops.device import Device, resolve_device
from enlight.stream.backends import Backend, available_backends, create_backend
from enlight.stream.backends.onnxruntime import OnnxRuntimeConfig
from enlight.stream.backends.torch import TorchBackendConfig
from enlight.stream.core.plan import build_backend, make_plan

CPU = torch.device("cpu")


def torch_backend(generator, device="cpu", **options):
    return create_backend(TorchBackendConfig(device=torch.device(device), **options), generator)


def test_torch_backend_matches_the_module_on_cpu():
    generator = build_generator(base_channels=8).eval()
    backend = torch_backend(generator)
    assert isinstance(backend, Backend) and backend.name == "torch" and backend.device.type == "cpu"
    x = torch.rand(2, 3, 21, 35) * 2 - 1
    a = attention_map(x)
    with torch.no_grad():
        expected = generator(x, a)
    torch.testing.assert_close(backend(x, a), expected, atol=1e-5, rtol=1e-5)
    assert generator.training is False and next(generator.parameters()).requires_grad  # the original is untouched


@pytest.mark.parametrize("device, onnxruntime_installed, tensorrt_usable, expected", [
    ("cpu", True, False, "onnxruntime"),
    ("cpu", False, False, "torch"),
    ("cpu", True, True, "onnxruntime"),  # TensorRT is for CUDA devices only
    ("cuda", True, True, "tensorrt"),
    ("cuda", True, False, "torch"),
    ("cuda", False, False, "torch"),
])
def test_auto_picks_by_device(monkeypatch, device, onnxruntime_installed, tensorrt_usable, expected):
    from enlight.stream.backends import tensorrt
    from enlight.stream.backends.base import auto_backend

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        if name == "onnxruntime":
            return real_find_spec(name) if onnxruntime_installed else None
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(tensorrt, "tensorrt_available", lambda: tensorrt_usable)
    assert auto_backend(torch.device(device)) == expected


def test_auto_plan_on_this_cpu_runs_onnxruntime():
    """This project installs onnxruntime (setup.cfg [onnx], in make install), so auto on a CPU is ORT."""
    pytest.importorskip("onnxruntime")
    plan = make_plan(device="cpu", quality="best")
    assert plan.runtime == "onnxruntime" and isinstance(plan.options, OnnxRuntimeConfig)
    assert build_backend(plan, network=build_generator(base_channels=8)).name == "onnxruntime"


def test_registry_and_device_errors():
    assert "torch" in available_backends() and "auto" in available_backends()
    assert {"onnxruntime", "tensorrt"} <= set(available_backends())
    with pytest.raises(EnlightError, match="device"):
        resolve_device("tpu")
    assert resolve_device("cpu") == Device("cpu") and str(resolve_device("cpu").torch()) == "cpu"
    for bad in ("cpu:0", "cuda:x", "gpu"):
        with pytest.raises(EnlightError, match="unknown device"):
            resolve_device(bad)
    if not torch.cuda.is_available():
        with pytest.raises(EnlightError, match="no CUDA GPU"):
            resolve_device("cuda:0")
    with pytest.raises(EnlightError, match="no backend takes options of type dict"):
        create_backend({"device": CPU}, build_generator(base_channels=8))


@pytest.mark.parametrize("choices, message", [
    (dict(backend="torch", device="cpu", precision="fp16"), "fp16 is for CUDA devices"),
    (dict(backend="onnxruntime", device="cpu", cuda_graphs=True), "--cuda-graphs and --compile are for the torch"),
    (dict(backend="torch", device="cpu", cuda_graphs=True), "--cuda-graphs and --compile are for the torch"),
    (dict(backend="torch", device="cpu", compile=True), "--cuda-graphs and --compile are for the torch"),
    (dict(backend="onnxruntime", device="cpu", precision="fp16"), "onnxruntime backend runs fp32"),
    (dict(backend="tensorrt", device="cpu"), "tensorrt needs a CUDA device"),
    (dict(backend="nope", device="cpu"), "unknown backend 'nope'"),
    (dict(backend="torch", device="cpu", precision="int4"), "unknown precision 'int4'"),
    (dict(backend="torch", device="cpu", quality="ultra"), "unknown quality 'ultra'"),
    (dict(backend="torch", device="tpu"), "unknown device 'tpu'"),
])
def test_make_plan_refuses_what_cannot_run(choices, message):
    with pytest.raises(EnlightError, match=re.escape(message)):
        make_plan(**choices)


def test_torch_options_refuse_fp16_and_cuda_features_on_a_cpu():
    with pytest.raises(EnlightError, match="fp16"):
        TorchBackendConfig(device=CPU, precision="fp16")
    with pytest.raises(EnlightError, match="cuda-graphs"):
        TorchBackendConfig(device=CPU, cuda_graphs=True)
    assert not TorchBackendConfig(device=CPU).half and TorchBackendConfig(device=Device("cuda")).half


@pytest.mark.gpu
def test_cuda_fp16_backend_close_to_fp32():
    generator = build_generator(base_channels=8).eval()
    x = torch.rand(4, 3, 64, 96, device="cuda") * 2 - 1
    a = attention_map(x)
    fp32 = torch_backend(generator, "cuda", precision="fp32")(x, a)
    fp16 = torch_backend(generator, "cuda")(x, a)
    assert fp16.dtype == torch.float32 and fp16.device.type == "cuda"
    assert (fp16 - fp32).abs().max() < 2e-2
    graphs = torch_backend(generator, "cuda", cuda_graphs=True)
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
    from enlight.stream.io.source import VideoSource
    from enlight.stream.io.source_items import DecodedFrame
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
    from enlight.stream.core.smoothing_config import SmoothingConfig

    generator = build_generator(base_channels=8).eval()
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, 80, (3, 40, 56, 3), dtype=np.uint8) for _ in range(4)]
    cpu = Enhancer(torch_backend(generator), SmoothingConfig())
    gpu = Enhancer(torch_backend(generator, "cuda", precision="fp32"), SmoothingConfig())
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
    backend = torch_backend(generator)
    rng = np.random.default_rng(0)
    grey = np.repeat(rng.integers(0, 60, (2, 24, 32, 1), dtype=np.uint8), 3, axis=-1)
    colour = rng.integers(0, 60, (2, 24, 32, 3), dtype=np.uint8)
    out = Enhancer(backend, grey=True)(grey)
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    assert out.mean() > grey.mean()  # still enhanced
    tinted = Enhancer(backend)(colour)
    assert np.abs(tinted[..., 0].astype(int) - tinted[..., 1]).mean() > 5
    # the reduced-size path (its uint8 stages) keeps grey grey too, and brightens like the float path
    from enlight.ops.luma import grey_uint8
    from enlight.ops.pixels import to_model_input, to_uint8
    from enlight.ops.scaled import scaled_enhance
    from enlight.stream.core.smoothing_config import SmoothingConfig

    scaled = Enhancer(backend, SmoothingConfig(strength=0), grey=True, scale=2)(grey)
    assert (scaled[..., 0] == scaled[..., 1]).all() and (scaled[..., 1] == scaled[..., 2]).all()
    x = to_model_input(torch.from_numpy(grey))
    reference = grey_uint8(to_uint8(scaled_enhance(backend, x, attention_map(x), scale=2))).numpy()
    assert np.abs(scaled.astype(int) - reference).max() <= 1


def test_auto_asks_pytorch_about_cuda_only_where_a_gpu_driver_shows(tmp_path, monkeypatch):
    """No GPU driver (no /proc/driver/nvidia, /dev/dxg, ...): the CPU, without asking torch (which a CPU run does
    not import); where one shows, PyTorch's answer."""
    from enlight.ops import device as device_module

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(device_module, "GPU_SIGNS", (tmp_path / "absent",))
    assert resolve_device("auto") == Device("cpu")
    with pytest.raises(EnlightError, match="no CUDA GPU"):
        resolve_device("cuda")
    (tmp_path / "dxg").touch()  # e.g. WSL2's GPU device
    monkeypatch.setattr(device_module, "GPU_SIGNS", (tmp_path / "absent", tmp_path / "dxg"))
    assert resolve_device("auto") == Device("cuda") and resolve_device("cuda:1") == Device("cuda", 1)
    with pytest.raises(EnlightError, match="only 2 CUDA device"):
        resolve_device("cuda:2")
