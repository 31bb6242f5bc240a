"""`enlight-video bench --weights FILE` times what `enlight-video IN -o OUT --weights FILE` runs, and says what.

Before, an int8 model of `enlight-train quantize` was refused ('Q.onnx is an ONNX model, not weights: give the
.safetensors file it was made from ...'); a student distilled with --scale 4 was timed at full size (the model at
640x360 where the run gives it 160x90, 'pipeline onnxruntime: 5.80 fps' against 44 at its 1/4 size), and the
presets' part timed the bundled presets, not the weights, without a word; a size the weights were not distilled for
(--qualities best) was not refused."""

import pytest
from PIL import Image

from enlight.cli.train import main as train_main
from enlight.models.run_size import RunSize
from enlight.models.weights import load_generator, save_weights
from enlight.stream.apps.bench import BenchConfig, markdown, run_bench
from tests.media import dark_frames, tiny_weights

pytest.importorskip("onnxruntime")
SMALL = dict(sizes=((64, 48),), batch_sizes=(1,), clip_frames=6, pipeline_frames=4, pipeline_size=(64, 48),
             device="cpu", repeats=1, preset_size=(96, 64), preset_frames=4)


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """(a student distilled to run at 1/4 size, an int8 model of a full-size one): base 8, margin 8, colours kept."""
    root = tmp_path_factory.mktemp("bench_own")
    generator = load_generator(tiny_weights(root / "random.safetensors"))
    generator.keep_hue, generator.margin = True, 8
    s4 = save_weights(root / "s4.safetensors", generator, provenance="test", run_size=RunSize(4))
    full = save_weights(root / "student.safetensors", generator, provenance="test")
    (root / "calib").mkdir()
    for i, frame in enumerate(dark_frames(4, 80, 60, seed=1)):
        Image.fromarray(frame).save(root / "calib" / f"{i}.png")
    int8 = root / "student_int8.onnx"
    assert train_main(["quantize", "--weights", str(full), "--images", str(root / "calib"), "-o", str(int8),
                       "--max-side", "64"]) == 0
    return s4, int8


def test_a_reduced_size_student_is_timed_at_its_size(own, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    s4 = own[0]
    result = run_bench(BenchConfig(weights=s4, backends=("onnxruntime",), qualities=("auto",), **SMALL),
                       log=lambda _: None)
    assert [(r["width"], r["height"], r["model_width"], r["model_height"]) for r in result.model] == [(64, 48, 16, 12)]
    assert [r["backend"] for r in result.pipeline] == ["onnxruntime (fast: 1/4 size)"]  # the plan the run makes
    assert {(r["quality"], r["backend"]) for r in result.presets} == {("auto -> fast", "onnxruntime (fast: 1/4 size)")}
    table = markdown(result)
    assert f"weights: {s4} (every row runs it as `enlight-video IN -o OUT --weights` does)" in table
    assert "| onnxruntime | fp32 | 64x48 (model 16x12) | 1 |" in table
    assert "| auto -> fast | end to end | 96x64 |" in table and "| - | onnxruntime (fast: 1/4 size) |" in table
    assert (f"quality auto -> fast: --weights {s4.name} was distilled to run at 1/4 size (its metadata)"
            in table.splitlines())


def test_an_int8_model_is_timed_on_onnx_runtime(own, cli, tmp_path):
    int8 = own[1]
    result = cli("bench", "--quick", "--weights", int8, "--sizes", "64x48", "--preset-size", "96x64", "--repeats", "1",
                 env={"XDG_CACHE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr  # was 2: 'student_int8.onnx is an ONNX model, not weights'
    assert "| onnxruntime | int8 | 64x48 | 1 |" in result.stdout and "| torch |" not in result.stdout, result.stdout
    assert "| onnxruntime int8 | 640x360 | 1 | 8 |" in result.stdout
    assert "| auto -> best | end to end | 96x64 |" in result.stdout and "| 1.0 | onnxruntime int8 |" in result.stdout
    assert (f"quality auto -> best: --weights {int8.name} runs at full size (it records no reduced size): runs "
            f"onnxruntime int8 on cpu, --weights {int8}") in result.stderr_lines


@pytest.mark.parametrize("which, args, message", [
    (1, ["--backends", "torch"], "student_int8.onnx is an int8 model, which only ONNX Runtime on a CPU runs (--backend "
     "onnxruntime or auto, --device cpu or auto, --precision auto); for --backend torch give --weights the float "
     "weights it was quantised from (student.safetensors)"),
    (0, ["--qualities", "best"], "s4.safetensors was distilled to run at 1/4 size (its metadata), and --quality best "
     "runs it at full size: give --quality auto (the default) or fast"),
])
def test_what_the_weights_do_not_run_on_is_refused_before_any_timing(own, cli, which, args, message):
    result = cli("bench", "--quick", "--weights", own[which], *args, timeout=120)
    assert result.returncode == 2 and result.stderr_lines == [f"enlight-video: error: {message}"], result.stderr
