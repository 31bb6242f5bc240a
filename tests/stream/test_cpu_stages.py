"""The CPU forms of the stages (numpy/OpenCV, ``enlight.stream.core.cpu``) against the torch forms, through the
Enhancer; and a CPU run that never imports torch (issue 17: 1.2 s of start-up)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from enlight.models import build_generator
from enlight.ops import simd
from enlight.ops.detail import STRENGTH
from enlight.ops.device import Device
from enlight.stream.backends.base import create_backend
from enlight.stream.backends.options import OnnxRuntimeConfig, TorchBackendConfig
from enlight.stream.core.denoise_config import DenoiseConfig
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.smoothing_config import SmoothingConfig
from tests.media import dark_frames, make_clip

CPU = Device("cpu")


def _clip(count: int, height: int, width: int, *, noise: float, seed: int = 0) -> np.ndarray:
    """(count, H, W, 3) uint8: dim frames with a moving square and texture, a slow pan, Gaussian noise."""
    rng = np.random.default_rng(seed)
    frames = np.stack(dark_frames(count, width + count, height, seed=seed)).astype(np.float32)
    panned = np.stack([frame[:, i:i + width] for i, frame in enumerate(frames)])
    return np.clip(panned + rng.normal(0, noise, panned.shape), 0, 255).astype(np.uint8)


def _enhance(backend, clip: np.ndarray, batch: int, *, scale: float, denoise: DenoiseConfig, grey: bool,
             smoothing: SmoothingConfig, detail: float = 0.0, deband: bool = False) -> tuple[np.ndarray, Enhancer]:
    enhancer = Enhancer(backend, smoothing, scale=scale, grey=grey, denoise=denoise, detail=detail, deband=deband)
    out = [enhancer(clip[i:i + batch]) for i in range(0, len(clip), batch)]
    return np.concatenate(out), enhancer


def _both_forms(monkeypatch, backend, clip, batch, **settings) -> tuple[np.ndarray, np.ndarray, Enhancer]:
    cpu, enhancer = _enhance(backend, clip, batch, **settings)
    assert enhancer.cpu_forms and type(enhancer.stages[-1]).__module__ == "enlight.stream.core.cpu.stages"
    monkeypatch.setattr(simd, "available", lambda: False)  # without OpenCV: the torch forms, as on CUDA
    reference, torch_enhancer = _enhance(backend, clip, batch, **settings)
    monkeypatch.undo()
    assert not torch_enhancer.cpu_forms
    return cpu, reference, enhancer


@pytest.mark.parametrize("scale, denoise, grey, batch, noise, detail", [
    (4, DenoiseConfig("light", refine=False), False, 4, 8.0, STRENGTH),  # the fast preset on a CPU over 0.25 MP
    (4, DenoiseConfig("light", bilateral=False), False, 4, 8.0, STRENGTH),  # ... from 0.15 to 0.25 MP
    (4, DenoiseConfig("light"), False, 3, 8.0, 0.0),  # with the refinements (small frames)
    (2, DenoiseConfig("off"), True, 2, 0.0, STRENGTH),  # clean, grey output
    (1, DenoiseConfig("strong"), False, 4, 8.0, STRENGTH),  # full size (best, balanced)
])
def test_the_cpu_forms_give_the_torch_forms_output_within_one_code_value(monkeypatch, scale, denoise, grey, batch,
                                                                          noise, detail):
    torch.manual_seed(0)
    backend = create_backend(TorchBackendConfig(device=CPU, precision="fp32"), build_generator(base_channels=8))
    clip = _clip(12, 64, 96, noise=noise)
    cpu, reference, enhancer = _both_forms(monkeypatch, backend, clip, batch, scale=scale, denoise=denoise,
                                           grey=grey, smoothing=SmoothingConfig(), detail=detail)
    assert cpu.shape == reference.shape == clip.shape and cpu.dtype == np.uint8
    difference = np.abs(cpu.astype(int) - reference.astype(int))
    assert difference.max() <= 1 and (difference == 0).mean() > 0.99, (difference.max(), (difference == 0).mean())
    assert not np.array_equal(cpu, clip)  # enhanced
    if denoise.enabled:
        assert enhancer.denoiser.report() == ""  # every frame denoised (the clip is over the noise floor)


def test_attention_smoothing_and_a_scene_cut_match_too(monkeypatch):
    torch.manual_seed(1)
    backend = create_backend(TorchBackendConfig(device=CPU, precision="fp32"), build_generator(base_channels=8))
    clip = np.concatenate([_clip(6, 48, 64, noise=2.0), 255 - _clip(6, 48, 64, noise=2.0, seed=3)])
    cpu, reference, enhancer = _both_forms(monkeypatch, backend, clip, 4, scale=2, denoise=DenoiseConfig("off"),
                                           grey=False, smoothing=SmoothingConfig(target="both"))
    assert np.abs(cpu.astype(int) - reference.astype(int)).max() <= 1
    assert enhancer.correction_smoother.scene_cuts == enhancer.attention_smoother.scene_cuts == 1


@pytest.mark.parametrize("scale", [1, 4])
def test_the_deband_stage_matches_too(monkeypatch, scale):
    """A dark ramp kept as flat 8-pixel blocks, a lamp crossing it: both forms deband it alike."""
    torch.manual_seed(2)
    backend = create_backend(TorchBackendConfig(device=CPU, precision="fp32"), build_generator(base_channels=8))
    y, x = np.mgrid[0:64, 0:96]
    blocks = (12 + 4 * x / 96 + 2 * y / 64).reshape(8, 8, 12, 8).mean((1, 3))
    frame = np.repeat(np.rint(np.repeat(np.repeat(blocks, 8, 0), 8, 1))[..., None], 3, -1).astype(np.uint8)
    clip = np.stack([frame] * 6)
    for i, image in enumerate(clip):
        image[20:30, 8 * i:8 * i + 12] = (200, 160, 90)
    cpu, reference, enhancer = _both_forms(monkeypatch, backend, clip, 3, scale=scale, denoise=DenoiseConfig("off"),
                                           grey=False, smoothing=SmoothingConfig(), detail=STRENGTH, deband=True)
    assert np.abs(cpu.astype(int) - reference.astype(int)).max() <= 1
    assert enhancer.deband_summary() == "6 of 6 frames"
    plain, _ = _enhance(backend, clip, 3, scale=scale, denoise=DenoiseConfig("off"), grey=False,
                        smoothing=SmoothingConfig(), detail=STRENGTH)
    assert not np.array_equal(plain, cpu)  # the step changed what the model saw


def test_onnx_runtime_takes_and_returns_numpy_arrays_and_tensors_alike():
    pytest.importorskip("onnxruntime")
    generator = build_generator(base_channels=8)
    backend = create_backend(OnnxRuntimeConfig(device=CPU, threads=1), generator)
    frames = np.random.default_rng(0).random((2, 3, 20, 28), dtype=np.float32) * 2 - 1
    attention = np.ascontiguousarray(1 - (frames[:, :1] + 1) / 2)
    out = backend(frames, attention)
    assert isinstance(out, np.ndarray) and out.shape == frames.shape and out.dtype == np.float32
    tensor = backend(torch.from_numpy(frames), torch.from_numpy(attention))
    assert isinstance(tensor, torch.Tensor) and np.array_equal(tensor.numpy(), out)
    with torch.inference_mode():
        expected = generator.eval()(torch.from_numpy(frames), torch.from_numpy(attention)).numpy()
    assert np.abs(out - expected).max() < 1e-4


@pytest.mark.parametrize("quality", ["fast", "best"])
def test_a_cpu_run_whose_export_is_cached_never_imports_torch(tmp_path, quality):
    """The README's main command on a CPU, twice with one cache: the first run exports the bundled network (torch);
    the second reads the export back and runs decode, denoiser, model, smoother and encoder without torch. (With
    `best`, the check that the bundled default weights are there imported torch, about 1 s of every run's start.)"""
    pytest.importorskip("onnxruntime")
    clip = make_clip(tmp_path / "in.mp4", width=96, height=64, frames=8)
    code = ("import sys; from enlight.cli.video import main; rc = main(sys.argv[1:]); "
            "print('torch' in sys.modules); sys.exit(rc)")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    loaded = []
    for run in range(2):
        args = [str(clip), "-o", str(tmp_path / f"out{run}.mp4"), "--quality", quality, "--device", "auto"]
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        assert "denoise light" in out.stderr
        loaded.append(out.stdout.split()[-1])
    assert loaded == ["True", "False"]
    assert list((tmp_path / "cache" / "enlight-video" / "onnx").glob("w*.onnx"))
    first, second = (np.stack([f.to_ndarray(format="rgb24") for f in _frames(tmp_path / f"out{i}.mp4")])
                     for i in range(2))
    assert np.array_equal(first, second)


def _frames(path):
    import av

    with av.open(str(path)) as container:
        yield from container.decode(video=0)


