"""``--quality best|balanced|fast``: which network width and inference scale enhance the frames.

| preset   | EnlightenGAN weights                    | runs at      | correction to full size |
|----------|-----------------------------------------|--------------|-------------------------|
| best     | full generator (base 32)                | full size    | -                       |
| balanced | student, base 16 (int8 on a CPU)        | full size    | -                       |
| fast     | student, base 8, distilled at 1/4 size  | 1/4 size     | fast guided filter      |

The students were distilled (``enlight-train distill``) to reproduce the full generator's
full-size output; the fast one was then fine-tuned (``--scale 4``) through exactly the reduced-size
path it runs on, so it is not simply a smaller copy. On a CPU with ONNX Runtime, ``balanced`` runs
the base-16 student quantised to int8 (``enlight-train quantize``; about 1.6x faster than its
float32 form, the output head kept float); ``--precision fp32`` or another backend runs it in
float. docs/benchmarks.md has their speed and their PSNR against ``best``.

With ``--weights`` or ``--model retinexnet`` the preset only sets the inference scale. Files default
to ``best``; live runs (``--camera``) to ``fast`` on a CPU and ``best`` on a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from enlight.errors import EnlightError
from enlight.models.weights import WEIGHTS_DIR


@dataclass(frozen=True)
class Quality:
    name: str
    weights: str | None  # a file in enlight/models/weights; None = the model's default
    scale: float = 1.0
    upsample: str = "guided"
    cpu_int8: str | None = None  # an int8 ONNX model of ``weights`` (enlight/models/weights) for ORT on a CPU


QUALITIES = {
    "best": Quality("best", None),
    "balanced": Quality("balanced", "enlightengan_c16.safetensors", cpu_int8="enlightengan_c16_int8.onnx"),
    "fast": Quality("fast", "enlightengan_c8_s4.safetensors", scale=4.0),
}


def quality_preset(name: str) -> Quality:
    try:
        return QUALITIES[name]
    except KeyError:
        raise EnlightError(f"unknown quality '{name}' (choose from {', '.join(QUALITIES)})") from None


def live_quality(quality: str | None, device: str = "auto") -> str:
    """The preset of a live run: the one asked for, else ``fast`` on a CPU and ``best`` on a GPU."""
    if quality is not None:
        return quality
    from enlight.stream.backends.base import resolve_device

    return "best" if resolve_device(device).type == "cuda" else "fast"


def preset_weights(quality: Quality, model: str, weights: Path | None) -> Path | None:
    """The weights a run uses: explicit ones, else the preset's student (EnlightenGAN), else the default."""
    if weights is not None or model != "enlightengan" or quality.weights is None:
        return weights
    return WEIGHTS_DIR / quality.weights


def cpu_int8_backend(preset: Quality, *, model: str, weights: Path | None, backend: str, device: str,
                     precision: str):
    """The preset's bundled int8 model on ONNX Runtime, when that is what these settings run on: a CPU,
    ONNX Runtime (asked for, or what ``auto`` picks there), precision ``auto`` and no ``--weights``.
    None otherwise (``--precision fp32`` runs the float network the int8 model was made from)."""
    if preset.cpu_int8 is None or weights is not None or model != "enlightengan" or precision != "auto":
        return None
    from enlight.stream.backends.base import auto_backend, resolve_device

    resolved = resolve_device(device)
    if resolved.type != "cpu" or (auto_backend(resolved) if backend == "auto" else backend) != "onnxruntime":
        return None
    from enlight.stream.backends.onnxruntime import OnnxRuntimeBackend, OnnxRuntimeConfig

    inner = OnnxRuntimeBackend((WEIGHTS_DIR / preset.cpu_int8).read_bytes(), OnnxRuntimeConfig(device=resolved))
    inner.name = "onnxruntime int8"
    return inner


def build_backend(*, model: str = "enlightengan", weights: Path | None = None, quality: str = "best",
                  backend: str = "auto", device: str = "auto", precision: str = "auto", cuda_graphs: bool = False,
                  compile: bool = False):
    """The backend that enhances frames for these settings (a ``ScaledBackend`` below full scale)."""
    from enlight.models.zoo import load_model
    from enlight.ops.scaled import ScaledBackend
    from enlight.stream.backends.base import create_backend

    preset = quality_preset(quality)
    inner = cpu_int8_backend(preset, model=model, weights=weights, backend=backend, device=device,
                             precision=precision)
    if inner is None:  # the float network (not loaded when the int8 model runs instead)
        network = load_model(model, preset_weights(preset, model, weights))
        inner = create_backend(backend, network, device=device, precision=precision, cuda_graphs=cuda_graphs,
                               compile=compile)
    if preset.scale == 1:
        return inner
    scaled = ScaledBackend(inner, scale=preset.scale, upsample=preset.upsample)
    scaled.name = f"{inner.name} ({preset.name}: 1/{preset.scale:g} size)"
    return scaled


__all__ = ["QUALITIES", "Quality", "build_backend", "live_quality", "quality_preset"]
