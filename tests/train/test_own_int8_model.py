"""The int8 model `enlight-train quantize` writes runs with `enlight-video --weights Q.onnx`, as the bundled one runs
for `--quality balanced`: ONNX Runtime on a CPU, its margin from its metadata, its colour handling in its graph.

Before, every such file was refused: 'error: Q.onnx is an ONNX model, not weights: give the .safetensors file it was
made from (`enlight-train export` writes one) or a released .pth'. Elsewhere than ONNX Runtime on a CPU it is
refused in one line that names the float weights it was quantised from. Its metadata says how it runs as an
`enlight-video export`'s does (``onnx_graph.graph_metadata``: margin, colour handling, size)."""

import numpy as np
import pytest
import torch
from PIL import Image

from enlight.cli.train import main as train_main
from enlight.models.weights import load_generator, save_weights
from enlight.ops.luma import attention_map
from enlight.quality.paired import psnr
from enlight.stream.core.plan import build_backend, make_plan
from tests.media import dark_frames, tiny_weights

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def quantised(tmp_path_factory):
    """(the .onnx, the .safetensors it was quantised from, a dark 64x48 photo): a base-8 student that keeps the
    input's colours and pads 8 px of reflection, quantised on six dim pictures."""
    root = tmp_path_factory.mktemp("own_int8")
    generator = load_generator(tiny_weights(root / "random.safetensors"))
    generator.keep_hue, generator.margin = True, 8
    source = save_weights(root / "student.safetensors", generator, provenance="test")
    (root / "calib").mkdir()
    for i, frame in enumerate(dark_frames(6, 80, 60, seed=1)):
        Image.fromarray(frame).save(root / "calib" / f"{i}.png")
    Image.fromarray(dark_frames(1, 64, 48, seed=2)[0]).save(root / "dark.png")
    out = root / "student_int8.onnx"
    assert train_main(["quantize", "--weights", str(source), "--images", str(root / "calib"), "-o", str(out),
                       "--max-side", "64"]) == 0
    return out, source, root / "dark.png"


def test_a_quantised_student_enhances_a_photo_close_to_its_float_weights(quantised, cli, tmp_path):
    model, source, photo = quantised
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    dry = cli(photo, "-o", tmp_path / "x.png", "--weights", model, "--dry-run", env=cache)
    assert dry.returncode == 0, dry.stderr  # was 2: 'is an ONNX model, not weights'
    assert f"weights: {model}" in dry.stdout and "runtime: onnxruntime int8 on cpu" in dry.stdout, dry.stdout
    runs = {}
    for name, weights in (("int8", model), ("float", source)):
        result = cli(photo, "-o", tmp_path / f"{name}.png", "--weights", weights, "--backend", "onnxruntime", env=cache)
        assert result.returncode == 0, result.stderr
        assert ("(onnxruntime int8, " in result.stderr) == (name == "int8"), result.stderr
        runs[name] = np.asarray(Image.open(tmp_path / f"{name}.png"))
    assert runs["int8"].shape == runs["float"].shape == (48, 64, 3)
    assert not np.array_equal(runs["int8"], runs["float"])  # really the int8 model
    assert psnr(runs["int8"], runs["float"]) > 30  # and the same network: colours kept, the same margin


def test_its_margin_is_read_from_its_metadata_as_the_bundled_models_is(quantised):
    """A frame smaller than the graph's reflection (margin 8 + 9 px) is edge-padded up to it first, which needs the
    margin: the plan's backend knows it and the output matches the float network's."""
    from enlight.stream.backends.onnxruntime import model_metadata

    model, source, _ = quantised
    backend = build_backend(make_plan(weights=model, backend="onnxruntime", device="cpu"))
    assert backend.name == "onnxruntime int8" and backend.margin == 8
    metadata = model_metadata(model)  # the keys `enlight-video export` writes too (the colours kept: in the graph)
    assert {k: metadata.get(k) for k in ("enlight.model", "enlight.margin", "enlight.keep_hue")} == {
        "enlight.model": "enlightengan", "enlight.margin": "8", "enlight.keep_hue": "1"}
    frames = torch.rand(1, 3, 12, 14, generator=torch.Generator().manual_seed(3)) * 0.4 - 0.9
    with torch.inference_mode():
        want = load_generator(source)(frames, attention_map(frames))
    got = backend(frames, attention_map(frames))
    assert got.shape == want.shape == (1, 3, 12, 14)
    assert float((got - want).abs().mean()) < 0.05


@pytest.mark.parametrize("option", [["--backend", "torch"], ["--precision", "fp32"]])
def test_elsewhere_it_is_refused_in_one_line_naming_its_float_weights(quantised, cli, tmp_path, option):
    model, source, photo = quantised
    result = cli(photo, "-o", tmp_path / "out.png", "--weights", model, *option)
    assert result.returncode == 2
    assert result.stderr_lines == [
        f"enlight-video: error: {model.name} is an int8 model, which only ONNX Runtime on a CPU runs (--backend "
        "onnxruntime or auto, --device cpu or auto, --precision auto); for " + " ".join(option) + " give --weights "
        f"the float weights it was quantised from ({source.name})"]
    assert not (tmp_path / "out.png").exists()


def test_an_onnx_model_neither_quantize_nor_export_wrote_is_refused_in_one_line(quantised, cli, tmp_path):
    """An .onnx without enlight's metadata (the graph alone, as `enlight-video export` wrote it before it recorded the
    margin and size; `enlight-video export`'s now runs: tests/stream/test_exported_onnx_weights.py)."""
    from enlight.models.onnx_export import export_onnx

    _, source, photo = quantised
    bare = export_onnx(load_generator(source), tmp_path / "float.onnx")
    result = cli(photo, "-o", tmp_path / "out.png", "--weights", bare)
    assert result.returncode == 2
    assert result.stderr_lines == [f"enlight-video: error: {bare} is an ONNX model that records neither how it runs "
                                   "(its margin and size) nor the weights it was made from (an `enlight-video export` "
                                   "of an earlier version, or another tool's): give --weights those weights "
                                   "(.safetensors or a released .pth), an .onnx that `enlight-video export` writes of "
                                   "them now, or an int8 model of `enlight-train quantize`"]
    assert not (tmp_path / "out.png").exists()


def test_the_bundled_int8_model_given_as_weights_gives_what_balanced_gives(quantised, cli, tmp_path):
    """The same path as the preset's: the bundled file as --weights, and --quality balanced on a CPU with int8 dot
    products (ENLIGHT_CPU_FLAGS), make the same picture to the byte."""
    from enlight.models.bundled import WEIGHTS_DIR

    photo = quantised[2]
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "ENLIGHT_CPU_FLAGS": "avx2 avx512_vnni"}
    own = cli(photo, "-o", tmp_path / "own.png", "--weights", WEIGHTS_DIR / "enlightengan_c16_int8.onnx", env=env)
    preset = cli(photo, "-o", tmp_path / "balanced.png", "--quality", "balanced", env=env)
    assert own.returncode == 0 and preset.returncode == 0, own.stderr + preset.stderr
    assert "onnxruntime int8" in own.stderr and "onnxruntime int8" in preset.stderr
    pictures = [np.asarray(Image.open(tmp_path / name)) for name in ("own.png", "balanced.png")]
    assert np.array_equal(*pictures)
