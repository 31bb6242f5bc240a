"""ONNX export checked against PyTorch with the real ONNX Runtime on the CPU."""

import numpy as np
import pytest
import torch

from enlight.models import attention_map, load_generator
from enlight.stream.backends import create_backend
from enlight.stream.backends.onnxruntime import OnnxRuntimeConfig
from tests.media import make_clip, read_video

ort = pytest.importorskip("onnxruntime")


def test_export_matches_pytorch_on_sizes_not_multiple_of_16(tmp_path, weights, cli):
    path = tmp_path / "G.onnx"
    result = cli("export", "--format", "onnx", "-o", path, "--weights", weights)
    assert result.returncode == 0, result.stderr
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["frames", "attention"]
    assert session.get_inputs()[0].shape == ["batch", 3, "height", "width"]
    generator = load_generator(weights)
    for shape in ((2, 3, 45, 70), (1, 3, 101, 67)):
        x = torch.rand(*shape, generator=torch.Generator().manual_seed(shape[2])) * 2 - 1
        a = attention_map(x)
        with torch.no_grad():
            expected = generator(x, a).numpy()
        got = session.run(None, {"frames": x.numpy(), "attention": a.numpy()})[0]
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= 1e-4
    assert cli("export", "-o", path, "--weights", weights).returncode == 2  # exists


def test_onnxruntime_video_matches_torch_video(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "c.mp4", width=72, height=40, frames=6)
    outputs = []
    for backend in ("torch", "onnxruntime"):
        out = tmp_path / f"{backend}.mp4"
        result = cli(clip, "-o", out, "--weights", weights, "--backend", backend, "-q")
        assert result.returncode == 0, result.stderr
        outputs.append(np.stack(read_video(out)["images"]).astype(int))
    diff = np.abs(outputs[0] - outputs[1])
    assert (diff <= 1).mean() >= 0.999


def test_backend_reports_cpu_provider(weights):
    backend = create_backend(OnnxRuntimeConfig(device=torch.device("cpu")), load_generator(weights))
    assert backend.providers == ["CPUExecutionProvider"] and backend.name == "onnxruntime"
