"""--model retinexnet through the CLI, the pipeline and ONNX; --quality presets build the right backend."""

import numpy as np
import onnxruntime as ort
import torch

from enlight.models.zoo import load_model
from tests.media import make_clip, read_video


def test_retinexnet_enhances_a_video_end_to_end(tmp_path, cli):
    clip = make_clip(tmp_path / "c.mp4", width=64, height=36, frames=5)
    out = tmp_path / "out.mp4"
    result = cli(clip, "-o", out, "--model", "retinexnet", "-q")
    assert result.returncode == 0, result.stderr
    before, after = read_video(clip), read_video(out)
    assert len(after["images"]) == 5 and after["times"] == before["times"]
    assert np.mean(after["images"]) > np.mean(before["images"]) + 10  # visibly brighter


def test_retinexnet_onnx_export_keeps_both_inputs_and_matches(tmp_path, cli):
    path = tmp_path / "R.onnx"
    result = cli("export", "--model", "retinexnet", "-o", path)
    assert result.returncode == 0, result.stderr
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["frames", "attention"]
    model = load_model("retinexnet")
    x = torch.rand(1, 3, 37, 50) * 2 - 1
    a = torch.rand(1, 1, 37, 50)
    with torch.no_grad():
        expected = model(x, a).numpy()
    got = session.run(None, {"frames": x.numpy(), "attention": a.numpy()})[0]
    assert np.abs(got - expected).max() <= 1e-4


def test_unknown_model_and_wrong_weights_are_one_line_errors(tmp_path, cli, weights):
    clip = make_clip(tmp_path / "c.mp4", width=32, height=32, frames=2)
    result = cli(clip, "-o", tmp_path / "o.mp4", "--model", "nope")
    assert result.returncode == 2 and len(result.stderr_lines) == 1
    result = cli(clip, "-o", tmp_path / "o.mp4", "--model", "retinexnet", "--weights", weights)
    assert result.returncode == 2 and "not retinexnet" in result.stderr_lines[-1]
    assert not (tmp_path / "o.mp4").exists()
