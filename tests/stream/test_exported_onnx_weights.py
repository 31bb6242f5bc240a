"""`enlight-video export` writes into the .onnx what running its graph needs beside it (the margin, the colour
handling, the reduced size a student records, the weights it came from), and `enlight-video --weights G.onnx` runs
it on ONNX Runtime as the export of those weights runs.

Before, the file's metadata was empty (so a caller had no way to know the margin that frames under margin + 9 px
must be edge-padded to, nor that a student must run at 1/4 size), and `--weights G.onnx` was refused: 'G.onnx is an
ONNX model that `enlight-train quantize` did not write: --weights takes such int8 models, .safetensors weights or a
released .pth' (with --model retinexnet: 'is not a readable safetensors file (... header too large)')."""

import numpy as np
import pytest
import torch

from enlight.models.run_size import RunSize
from enlight.models.weights import load_generator, save_weights
from enlight.ops.luma import attention_map
from enlight.stream.core.plan import build_backend, make_plan
from tests.media import make_clip, tiny_weights

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(G.onnx, the .safetensors it was exported from): a base-8 student that keeps the input's colours, pads 8 px
    of reflection and was distilled to run at 1/4 size."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("exported")
    generator = load_generator(tiny_weights(root / "random.safetensors"))
    generator.keep_hue, generator.margin = True, 8
    source = save_weights(root / "s4.safetensors", generator, provenance="test", run_size=RunSize(4))
    out = root / "G.onnx"
    done = subprocess.run([sys.executable, "-m", "enlight.cli.video", "export", "-o", str(out), "--weights",
                           str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out, source


def _metadata(path) -> dict[str, str]:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return dict(session.get_modelmeta().custom_metadata_map)


def test_the_export_records_how_its_graph_must_be_run(exported):
    model, _ = exported
    assert _metadata(model) == {  # was {}
        "enlight.model": "enlightengan", "enlight.margin": "8", "enlight.keep_hue": "1", "enlight.scale": "4",
        "enlight.upsample": "guided", "enlight.exported_from": "s4.safetensors"}
    import onnx

    onnx.checker.check_model(onnx.load(str(model)))  # (the metadata is written without onnx: still a valid model)


def test_given_back_to_weights_it_runs_as_the_weights_it_came_from(exported, cli, tmp_path):
    model, source = exported
    clip = make_clip(tmp_path / "in.mp4", width=96, height=64, frames=6, audio=False)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = {}
    for name, weights in (("onnx", model), ("weights", source)):
        result = cli(clip, "-o", tmp_path / f"{name}.mp4", "--weights", weights, env=env)
        assert result.returncode == 0, result.stderr  # the .onnx was refused
        assert (f"quality auto -> fast: --weights {weights.name} was distilled to run at 1/4 size (its metadata)"
                in result.stderr and "onnxruntime (fast: 1/4 size) on cpu" in result.stderr), result.stderr
        runs[name] = _frames(tmp_path / f"{name}.mp4")
    assert runs["onnx"].shape == (6, 64, 96, 3) and np.array_equal(runs["onnx"], runs["weights"])
    dry = cli(clip, "-o", tmp_path / "x.mp4", "--weights", model, "--dry-run", env=env)
    assert f"weights: {model}\n" in dry.stdout and "runtime: onnxruntime (fast: 1/4 size) on cpu" in dry.stdout


def test_it_runs_without_torch_from_the_first_run(exported, tmp_path):
    """Its graph needs no export: an empty cache, and the run imports no torch (the weights' first run does)."""
    import subprocess
    import sys

    clip = make_clip(tmp_path / "in.mp4", width=64, height=48, frames=2, audio=False)
    code = ("import sys; from enlight.cli.video import main; rc = main(sys.argv[1:]); "
            "print('torch' in sys.modules); sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code, str(clip), "-o", str(tmp_path / "out.mp4"), "--weights",
                          str(exported[0]), "-q"], capture_output=True, text=True, timeout=120,
                         env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0 and out.stdout.split() == ["False"], out.stdout + out.stderr


def test_its_margin_comes_from_its_metadata(exported, tmp_path, monkeypatch):
    """A frame under the graph's reflection (margin 8 + 9 px) is edge-padded to it first, which needs the margin: the
    plan's backend knows it, and gives what the backend of the weights it came from gives."""
    model, source = exported
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # (the weights' export is cached there)
    plan = make_plan(weights=model, device="cpu")
    assert plan.onnx_model == model and plan.weights is None and plan.scale == 4 and plan.runtime == "onnxruntime"
    backend = build_backend(plan)
    assert backend.margin == 8
    frames = torch.rand(1, 3, 12, 14, generator=torch.Generator().manual_seed(3)) * 0.4 - 0.9
    want = build_backend(make_plan(weights=source, backend="onnxruntime", device="cpu"))(frames, attention_map(frames))
    got = backend(frames, attention_map(frames))
    assert got.shape == (1, 3, 12, 14) and torch.equal(got, want)
    with torch.inference_mode():  # and the network's own output, but at the edges the graph cannot reflect
        assert float((got - load_generator(source)(frames, attention_map(frames))).abs().mean()) < 0.01


@pytest.mark.parametrize("option", [["--backend", "torch"], ["--precision", "fp16"]])
def test_what_does_not_run_it_is_refused_naming_its_weights(exported, cli, tmp_path, option):
    model, source = exported
    clip = make_clip(tmp_path / "in.mp4", width=64, height=48, frames=2, audio=False)
    result = cli(clip, "-o", tmp_path / "out.mp4", "--weights", model, *option)
    assert result.returncode == 2 and result.stderr_lines == [
        f"enlight-video: error: {model.name} is an ONNX model, which ONNX Runtime runs (--backend onnxruntime or "
        f"auto, --precision auto or fp32); for {' '.join(option)} give --weights the weights it was exported from "
        f"({source.name})"]
    assert not (tmp_path / "out.mp4").exists()


def test_an_onnx_model_without_the_metadata_is_refused_saying_what_to_give(exported, cli, tmp_path):
    """What `enlight-video export` wrote before: the graph alone."""
    from enlight.models.onnx_export import export_onnx

    old = export_onnx(load_generator(exported[1]), tmp_path / "old.onnx")
    clip = make_clip(tmp_path / "in.mp4", width=64, height=48, frames=2, audio=False)
    result = cli(clip, "-o", tmp_path / "out.mp4", "--weights", old)
    assert result.returncode == 2 and result.stderr_lines == [
        f"enlight-video: error: {old} is an ONNX model that records neither how it runs (its margin and size) nor "
        "the weights it was made from (an `enlight-video export` of an earlier version, or another tool's): give "
        "--weights those weights (.safetensors or a released .pth), an .onnx that `enlight-video export` writes of "
        "them now, or an int8 model of `enlight-train quantize`"]


def test_a_retinexnet_export_runs_with_its_model_and_is_refused_without(cli, tmp_path):
    from enlight.models.zoo import DEFAULT_RETINEX_WEIGHTS

    if not DEFAULT_RETINEX_WEIGHTS.is_file():
        pytest.skip("no RetinexNet weights in this build")
    model = tmp_path / "R.onnx"
    assert cli("export", "--model", "retinexnet", "-o", model).returncode == 0
    assert _metadata(model)["enlight.model"] == "retinexnet"
    clip = make_clip(tmp_path / "in.mp4", width=64, height=48, frames=2, audio=False)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = cli(clip, "-o", tmp_path / "r.mp4", "--model", "retinexnet", "--weights", model, env=env)
    assert runs.returncode == 0, runs.stderr  # was 'R.onnx is not a readable safetensors file (... header too large)'
    refused = cli(clip, "-o", tmp_path / "e.mp4", "--weights", model)
    assert refused.returncode == 2 and refused.stderr_lines == [
        "enlight-video: error: R.onnx is an ONNX model of retinexnet, not enlightengan: give --model retinexnet"]


def _frames(path):
    import av

    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


def test_an_export_onto_a_full_disk_is_one_line_and_leaves_no_part_of_it(cli, small_disk):
    """The export was written straight to its name (``Path.write_bytes``): a full disk left the part that fitted, a
    broken G.onnx of 100 kB, beside the one-line error."""
    done = cli("export", "-o", small_disk / "G.onnx")
    assert done.returncode == 2 and len(done.stderr_lines) == 1, done.stderr
    assert "no space left" in done.stderr and "Traceback" not in done.stderr
    assert not list(small_disk.iterdir())
