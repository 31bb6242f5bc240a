"""enlight-train quantize: a real int8 ONNX model that ONNX Runtime runs, close to the float network."""

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from enlight.cli.train import main as train_main
from enlight.models.weights import load_generator
from enlight.ops.luma import attention_map
from enlight.stream.backends.onnxruntime import OnnxRuntimeBackend, OnnxRuntimeConfig
from enlight.train.quantize import QuantizeConfig, calibration_inputs


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    """Six dark photos-alike: smooth gradients and blocks, 40x56, plus one large one to be downscaled."""
    folder = tmp_path_factory.mktemp("calib")
    rng = np.random.default_rng(0)
    for i in range(6):
        y, x = np.mgrid[0:40, 0:56]
        base = (x * (1 + i) % 56) / 56 * 60 + (y / 40) * 20
        img = np.clip(base[..., None] * rng.uniform(0.5, 1.2, 3) + rng.normal(0, 3, (40, 56, 3)), 0, 255)
        Image.fromarray(img.astype(np.uint8)).save(folder / f"c{i}.png")
    Image.fromarray((rng.random((600, 300, 3)) * 50).astype(np.uint8)).save(folder / "big.png")
    return folder


def test_calibration_inputs_are_model_feeds_of_one_size(calibration, weights, tmp_path):
    feeds = calibration_inputs(QuantizeConfig(weights=weights, images=(calibration,), out=tmp_path / "q.onnx",
                                              max_side=128))
    assert len(feeds) == 7
    big = feeds[0]  # sorted by name: big.png first
    assert {f["frames"].shape for f in feeds} == {(1, 3, 96, 128)}  # one size: the calibration stacks them
    assert big["attention"].shape == (1, 1, 96, 128)
    assert -1 <= big["frames"].min() and big["frames"].max() <= 1
    held = calibration_inputs(QuantizeConfig(weights=weights, images=(calibration,), out=tmp_path / "q.onnx",
                                             max_side=128, holdout=2))
    assert len(held) == 5  # the first and last by name are the validation split's: never calibrated on
    assert not any(np.array_equal(big["frames"], f["frames"]) for f in held)


def test_quantized_model_runs_in_onnx_runtime_close_to_float(calibration, weights, tmp_path, capsys):
    out = tmp_path / "tiny_int8.onnx"
    assert train_main(["quantize", "--weights", str(weights), "--images", str(calibration), "-o", str(out)]) == 0
    said = capsys.readouterr()
    err = said.err
    assert said.out == ""  # (ONNX Runtime's calibration prints its steps: not on our stdout)
    # 7 images: the zerodce recipe holds none out of so few, and it says so (it calibrated on all without a word); and
    # ONNX Runtime's 17 lines on BatchNorm scales quantized per tensor, as intended, are not printed
    assert "(calibrated on 7 images, none held out: the zerodce recipe holds out none of 7 images (fewer than 10))" \
        in err, err
    assert "out-of-range" not in err, err
    model = onnx.load(str(out))
    ops = {n.op_type for n in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops  # really quantised
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["enlight.source_weights"] == weights.name and meta["enlight.calibration"].startswith("7 images")
    head = meta["enlight.float_head"].split(",")
    assert head[0].startswith("/conv10/") and len(head) >= 3  # the head conv, x attention, + input (and slices)
    # the head convolution's weights stay float: no DequantizeLinear feeds it a weight
    conv10 = next(n for n in model.graph.node if n.name == head[0])
    assert conv10.input[1].endswith("weight")

    device = torch.device("cpu")
    int8 = OnnxRuntimeBackend(out.read_bytes(), OnnxRuntimeConfig(device=device))
    fp32 = OnnxRuntimeBackend(load_generator(weights), OnnxRuntimeConfig(device=device))
    x = torch.from_numpy(np.array(Image.open(calibration / "c3.png"))).permute(2, 0, 1)[None].float() / 127.5 - 1
    a = attention_map(x)
    got, want = int8(x, a), fp32(x, a)
    assert got.shape == want.shape == x.shape
    mse = float(((got.clamp(-1, 1) - want.clamp(-1, 1)) / 2).pow(2).mean())
    assert 0 < mse and 10 * np.log10(1 / mse) > 25  # close, but not the float model itself


def test_cli_errors_are_one_line(weights, tmp_path, capsys):
    assert train_main(["quantize", "--weights", str(tmp_path / "none.safetensors"), "--images", str(tmp_path),
                       "-o", str(tmp_path / "q.onnx")]) == 2
    assert train_main(["quantize", "--weights", str(weights), "--images", str(tmp_path / "nothing"),
                       "-o", str(tmp_path / "q.onnx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "weights not found" in err[0] and "not a folder" in err[1]
    assert not (tmp_path / "q.onnx").exists()


@pytest.mark.parametrize("option, value, why", [("--calibration-images", "0", "must be at least 1"),
                                               ("--max-side", "4", "must be at least 64"),
                                               ("--max-side", "abc", "takes a whole number, not 'abc'"),
                                               ("--percentile", "150", "must be above 50 and at most 100"),
                                               ("--percentile", "nan", "takes a number"),
                                               ("--holdout", "-3", "must be 0 or more")])
def test_quantize_options_out_of_range_are_refused_before_work(weights, tmp_path, capsys, option, value, why):
    """They ran: 0 images said 'no calibration images in FOLDER', --max-side 4 and --percentile 150 ended in an
    internal error from ONNX Runtime after the export, a negative --holdout held nothing out."""
    out = tmp_path / "q.onnx"
    assert train_main(["quantize", "--weights", str(weights), "--images", str(tmp_path), "-o", str(out),
                       option, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"argument {option}: {why}" in err[0], err
    assert not out.exists()


def test_export_and_quantize_write_over_nothing_they_were_not_told_to(weights, tmp_path, capsys):
    """They wrote over whatever -o named (a video, a photo): now a .onnx or .safetensors file, in a folder that
    exists, and an existing one only with --force."""
    video = tmp_path / "holiday.mp4"
    video.write_bytes(b"a video")
    existing = tmp_path / "q.onnx"
    existing.write_bytes(b"an older model")
    for argv in (["quantize", "--weights", str(weights), "--images", str(tmp_path), "-o", str(video)],
                 ["quantize", "--weights", str(weights), "--images", str(tmp_path), "-o", str(existing)],
                 ["export", str(tmp_path), "-o", str(video)],
                 ["export", str(tmp_path), "-o", str(tmp_path / "nodir" / "w.safetensors")]):
        assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert [line.split(": error: ")[1] for line in err] == [
        "the output is a .onnx file, not holiday.mp4", f"output exists: {existing} (use --force to overwrite)",
        "the output is a .safetensors file, not holiday.mp4", f"output folder does not exist: {tmp_path / 'nodir'}"]
    assert video.read_bytes() == b"a video" and existing.read_bytes() == b"an older model"


def test_hue_keeping_generator_keeps_its_colour_branch_float(calibration, weights, tmp_path):
    from enlight.models.weights import save_weights
    from enlight.ops.hue import chromaticity

    generator = load_generator(weights)
    generator.keep_hue = True
    source = save_weights(tmp_path / "kh.safetensors", generator, provenance="{}")
    out = tmp_path / "kh_int8.onnx"
    assert train_main(["quantize", "--weights", str(source), "--images", str(calibration), "-o", str(out)]) == 0
    model = onnx.load(str(out))
    quantized = {n.input[0] for n in model.graph.node if n.op_type == "QuantizeLinear"}
    pools = [n for n in model.graph.node if n.op_type == "AveragePool"]  # the colour branch's 3x3 average
    assert pools and not any(i in quantized for n in pools for i in n.output)
    int8 = OnnxRuntimeBackend(out.read_bytes(), OnnxRuntimeConfig(device=torch.device("cpu")))
    x = torch.from_numpy(np.array(Image.open(calibration / "c3.png"))).permute(2, 0, 1)[None].float() / 127.5 - 1
    got = int8(x, attention_map(x))
    colour = chromaticity(x)
    lifted = (got + 1) / 2 / ((got + 1) / 2 * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, True)
    assert (lifted - colour).abs().mean() < 0.02  # the input's colours, exactly as in float
