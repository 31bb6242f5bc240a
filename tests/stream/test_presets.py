"""--quality presets: each builds the bundled student at its scale, and runs through the CLI."""

import numpy as np
import pytest
import torch

from enlight.errors import EnlightError
from enlight.models.bundled import WEIGHTS_DIR
from enlight.ops.device import Device
from enlight.ops.luma import attention_map
from enlight.ops.scaled import scaled_enhance
from enlight.stream.backends.onnxruntime import OnnxRuntimeConfig
from enlight.stream.backends.torch import TorchBackendConfig
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import build_backend, make_plan, model_threads
from enlight.stream.core.presets import QUALITIES, quality_preset
from enlight.stream.core.smoothing_config import SmoothingConfig
from tests.media import make_clip, read_video


@pytest.fixture(autouse=True)
def int8_dot_products(monkeypatch):
    """These tests are for a CPU with int8 dot products, where balanced runs int8 (whatever CPU runs them);
    tests/stream/test_auto_quality.py covers the others."""
    monkeypatch.setenv("ENLIGHT_CPU_FLAGS", "avx2 avx512f avx512_vnni")


@pytest.mark.parametrize("name, channels, scale", [("best", 32, 1.0), ("balanced", 16, 1.0), ("fast", 8, 4.0)])
def test_each_preset_builds_its_bundled_network_at_its_scale(name, channels, scale):
    plan = make_plan(quality=name, backend="torch", device="cpu")
    assert plan.quality == name and plan.scale == scale and plan.upsample == "guided" and plan.int8_model is None
    assert plan.weights == (None if name == "best" else WEIGHTS_DIR / quality_preset(name).weights)
    backend = build_backend(plan)
    assert backend.model.base_channels == channels
    frames = np.random.default_rng(0).integers(0, 50, (1, 48, 80, 3), dtype=np.uint8)
    enhancer = Enhancer.from_plan(plan, backend)
    assert [type(stage).__name__ for stage in enhancer.stages] == [
        "ModelInput", "RunModel", "CorrectionSmoothing", "Combine", "Detail"]
    assert enhancer.stages[0].scale == scale and enhancer.stages[-2].scale == scale
    out = enhancer(frames)
    assert out.shape == frames.shape and out.mean() > frames.mean() + 10  # it brightens


def test_presets_track_the_full_model_on_a_real_photo(shared):
    from enlight.train.data import load_rgb

    photo = load_rgb(sorted((shared / "data" / "eval" / "MEF").iterdir())[0])[:192, :320]
    x = torch.from_numpy(photo.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1
    a = attention_map(x)
    outs = {}
    for name in QUALITIES:
        plan = make_plan(quality=name, backend="torch", device="cpu")
        outs[name] = scaled_enhance(build_backend(plan), x, a, scale=plan.scale, upsample=plan.upsample).clamp(-1, 1)
    for name in ("balanced", "fast"):
        mse = float(((outs[name] - outs["best"]) / 2).pow(2).mean())
        assert 10 * np.log10(1 / mse) > 25, name  # the targets (30 / 35 dB) are measured in docs, on whole sets


@pytest.mark.parametrize("choices, int8, label", [
    (dict(quality="balanced", backend="onnxruntime"), True, "onnxruntime int8"),
    (dict(quality="balanced", backend="auto"), True, "onnxruntime int8"),  # what auto picks on a CPU
    (dict(quality="balanced", backend="onnxruntime", precision="fp32"), False, "onnxruntime"),
    (dict(quality="balanced", backend="torch"), False, "torch"),
    (dict(quality="balanced", backend="onnxruntime", weights=WEIGHTS_DIR / "enlightengan_c16.safetensors"),
     False, "onnxruntime"),  # explicit weights run as given
    (dict(quality="balanced", backend="onnxruntime", model="retinexnet"), False, "onnxruntime"),
    (dict(quality="best", backend="onnxruntime"), False, "onnxruntime"),
    (dict(quality="fast", backend="onnxruntime"), False, "onnxruntime (fast: 1/4 size)"),
    (dict(quality="fast", backend="torch"), False, "torch (fast: 1/4 size)"),
])
def test_plan_runs_the_int8_model_only_for_balanced_on_a_cpu_with_onnxruntime(choices, int8, label):
    pytest.importorskip("onnxruntime")
    plan = make_plan(device="cpu", **choices)
    assert (plan.int8_model is not None) == int8 and plan.label == label
    if int8:
        assert plan.int8_model == WEIGHTS_DIR / "enlightengan_c16_int8.onnx" and plan.int8_model.exists()
        assert plan.options == OnnxRuntimeConfig(device=Device("cpu"), int8=True, memory_pattern=False)
    elif plan.runtime == "torch":
        assert plan.options == TorchBackendConfig(device=Device("cpu")) and not plan.options.half
    else:
        preset = quality_preset(choices["quality"])
        threads = model_threads(preset, Device("cpu"))  # 0 but for fast
        assert plan.options == OnnxRuntimeConfig(device=Device("cpu"), threads=threads, int8=False,
                                                 memory_pattern=preset.scale != 1)  # (memory: full size only)
    assert plan.label in plan.describe()


def test_live_plans_default_to_fast_on_a_cpu_and_files_to_best():
    assert make_plan(device="cpu", backend="torch", live=True).quality == "fast"
    assert make_plan(device="cpu", backend="torch").quality == "best"
    plan = make_plan(device="cpu", backend="torch", smoothing=SmoothingConfig(strength=0.5, target="both"))
    assert "both, strength 0.5" in plan.describe() and plan.smoothing.target == "both"


def test_balanced_on_a_cpu_runs_the_bundled_int8_model_unless_fp32_is_asked():
    pytest.importorskip("onnxruntime")
    int8 = build_backend(make_plan(quality="balanced", backend="onnxruntime", device="cpu"))
    fp32 = build_backend(make_plan(quality="balanced", backend="onnxruntime", device="cpu", precision="fp32"))
    assert int8.name == "onnxruntime int8" and fp32.name == "onnxruntime"
    assert build_backend(make_plan(quality="balanced", backend="torch", device="cpu")).name == "torch"
    frames = torch.rand(1, 3, 96, 128) * 0.4 - 1
    a = attention_map(frames)
    got, want = int8(frames, a).clamp(-1, 1), fp32(frames, a).clamp(-1, 1)
    mse = float(((got - want) / 2).pow(2).mean())
    assert mse > 0 and 10 * np.log10(1 / mse) > 30  # quantised, and close to the float student
    assert got.mean() > frames.mean()


SATURATED = [(0, 0, 130), (0, 0, 200), (0, 0, 255), (60, 0, 230), (0, 60, 230), (230, 0, 230), (200, 0, 0)]


@pytest.mark.parametrize("choices", [dict(quality="best"), dict(quality="balanced"), dict(quality="fast"),
                                     dict(quality="balanced", precision="fp32")])
def test_bright_saturated_colours_are_not_darkened(choices):
    """Bars of bright blue, purple and red (a blue LED, a police light, neon), through each preset's bundled
    network as a run makes it: none comes out darker than it went in (pure blue came out black)."""
    pytest.importorskip("onnxruntime")
    plan = make_plan(device="cpu", backend="onnxruntime", smoothing=SmoothingConfig(strength=0.0), **choices)
    frames = np.zeros((1, 64, 32 * len(SATURATED), 3), np.uint8)
    for i, colour in enumerate(SATURATED):
        frames[0, :, 32 * i:32 * (i + 1)] = colour
    out = Enhancer.from_plan(plan, build_backend(plan))(frames)
    for i, colour in enumerate(SATURATED):
        centre = out[0, 24:40, 32 * i + 12:32 * i + 20].reshape(-1, 3).astype(float).mean(0)
        strongest = int(np.argmax(colour))
        assert centre[strongest] >= colour[strongest] - 3, (plan.label, colour, centre.round())


def test_cli_fast_preset_and_bad_quality(tmp_path, cli):
    clip = make_clip(tmp_path / "c.mp4", width=96, height=64, frames=4)
    out = tmp_path / "o.mp4"
    result = cli(clip, "-o", out, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert len(read_video(out)["images"]) == 4
    assert "fast: 1/4 size" in result.stderr_lines[-1]  # the summary names the backend
    result = cli(clip, "-o", tmp_path / "x.mp4", "--quality", "turbo")
    assert result.returncode == 2 and len(result.stderr_lines) == 1
    with pytest.raises(EnlightError, match="unknown quality"):
        quality_preset("turbo")


@pytest.mark.parametrize("flags, precision, weights", [
    ("avx2 fma", "auto", "enlightengan_c12.safetensors"),  # no int8 dot products: the narrower float student
    ("avx2 fma", "fp32", "enlightengan_c16.safetensors"),  # fp32 asked: the network the int8 model was made from
    ("asimd asimddp", "auto", None),  # ARM with the dot product: int8
])
def test_balanced_on_a_cpu_without_int8_dot_products_runs_its_narrower_float_student(flags, precision, weights,
                                                                                     monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("ENLIGHT_CPU_FLAGS", flags)
    plan = make_plan(quality="balanced", backend="onnxruntime", device="cpu", precision=precision)
    if weights is None:
        assert plan.int8_model is not None and plan.label == "onnxruntime int8"
        return
    assert plan.int8_model is None and plan.weights == WEIGHTS_DIR / weights and plan.label == "onnxruntime"
    assert plan.weights.exists()
    assert ("base-12 float student: this CPU has no int8 dot products" in plan.describe()) == (precision == "auto")
    assert build_backend(plan).name == "onnxruntime"
    assert make_plan(quality="balanced", backend="torch", device="cpu").weights.name == "enlightengan_c16.safetensors"


def test_the_narrower_balanced_student_tracks_the_full_model_on_a_real_photo(shared, monkeypatch):
    from enlight.models.weights import load_generator
    from enlight.train.data import load_rgb

    monkeypatch.setenv("ENLIGHT_CPU_FLAGS", "avx2 fma")
    plan = make_plan(quality="balanced", backend="onnxruntime", device="cpu")
    assert load_generator(plan.weights).base_channels == 12
    photo = load_rgb(sorted((shared / "data" / "eval" / "MEF").iterdir())[0])[:192, :320]
    x = torch.from_numpy(photo.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1
    a = attention_map(x)
    best = build_backend(make_plan(quality="best", backend="onnxruntime", device="cpu"))(x, a).clamp(-1, 1)
    narrow = build_backend(plan)(x, a).clamp(-1, 1)
    mse = float(((narrow - best) / 2).pow(2).mean())
    assert 10 * np.log10(1 / mse) > 30  # the 35 dB target is measured in docs, on whole sets
