"""``--weights FILE`` as the plan runs it: the size a distilled student records, and `enlight-train quantize`'s int8
ONNX models.

A student distilled with ``--scale 4`` records its scale and upsampling in its metadata (``enlight.models.run_size``):
it runs at that size with ``--quality auto`` (or none), as the bundled ``fast`` student runs at its preset's; a preset
of another size, named, is refused in one line (it ran the student at full size, which it was not trained for).
Weights that record no size run at full size, or at the size of the preset named, as before.

An int8 model (``.onnx``, written by `enlight-train quantize`) runs as the ``balanced`` preset's bundled one does
(``plan.make_plan``'s int8 choice, ``plan.build_backend``): by ONNX Runtime on a CPU, ``--device auto`` taking the
CPU; its margin (``onnx_graph.MARGIN_KEY``) and run size are in its metadata, its colour handling in its graph.
Another backend, device or precision is refused in one line that names the float weights it was quantised from.

A float ONNX model of `enlight-video export` (``.onnx``; its metadata names the weights it was exported from,
``onnx_graph.EXPORTED_FROM_KEY``) runs on ONNX Runtime as the export of those weights does, on the device asked for,
at the size it records. Torch, TensorRT or fp16 are refused in one line that names those weights; an ``.onnx``
that records neither how it runs nor where it came from (an export of an earlier version, another tool's) is
refused in one line that says what to give.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from enlight.errors import EnlightError
from enlight.models.onnx_graph import EXPORTED_FROM_KEY, MODEL_KEY, SOURCE_WEIGHTS_KEY
from enlight.models.run_size import ONNX_PREFIX, RunSize, recorded_run_size, safetensors_metadata
from enlight.ops.device import Device
from enlight.stream.core.auto_quality import AutoChoice, fixed_choice
from enlight.stream.core.presets import QUALITIES, Quality


@dataclass(frozen=True)
class OwnWeights:
    """path: the --weights file; run_size: the reduced size it records (None: none); int8: an int8 ONNX model of
    `enlight-train quantize`; exported: a float ONNX model of `enlight-video export`; source: the name of the weights
    an ONNX model was quantised or exported from."""

    path: Path
    run_size: RunSize | None = None
    int8: bool = False
    exported: bool = False
    source: str = ""

    @property
    def onnx(self) -> bool:
        """An ONNX model, run instead of a network loaded from weights (by ONNX Runtime only)."""
        return self.int8 or self.exported


def read_own_weights(path: Path, model: str) -> OwnWeights:
    """What ``path`` says of how it runs, read without torch. Only EnlightenGAN weights record a size; an ONNX model
    is taken when `enlight-train quantize` or `enlight-video export` wrote it (``onnx_weights``)."""
    if path.suffix.lower() == ".onnx":
        return onnx_weights(path, model)
    if model != "enlightengan":
        return OwnWeights(path)
    return OwnWeights(path, recorded_run_size(safetensors_metadata(path), str(path)))


def onnx_weights(path: Path, model: str) -> OwnWeights:
    """An ONNX model given as --weights for ``model``, from its metadata: an int8 model (its metadata names its source
    weights) or a float export; else, or for another model than the one it is of, an EnlightError in one line."""
    from enlight.stream.backends.onnxruntime import model_metadata

    metadata = model_metadata(path)
    if SOURCE_WEIGHTS_KEY not in metadata and EXPORTED_FROM_KEY not in metadata:
        raise EnlightError(f"{path} is an ONNX model that records neither how it runs (its margin and size) nor the "
                           "weights it was made from (an `enlight-video export` of an earlier version, or another "
                           "tool's): give --weights those weights (.safetensors or a released .pth), an .onnx that "
                           "`enlight-video export` writes of them now, or an int8 model of `enlight-train quantize`")
    made = metadata.get(MODEL_KEY, "enlightengan")  # (the bundled int8 model, of an earlier quantize, names none)
    if made != model:
        runs = f"give --model {made}" if made != "enlightengan" else f"it runs without --model {model}"
        raise EnlightError(f"{path.name} is an ONNX model of {made}, not {model}: {runs}")
    size = recorded_run_size(metadata, str(path), ONNX_PREFIX)
    if SOURCE_WEIGHTS_KEY in metadata:
        return OwnWeights(path, size, int8=True, source=metadata[SOURCE_WEIGHTS_KEY])
    return OwnWeights(path, size, exported=True, source=metadata[EXPORTED_FROM_KEY])


def own_auto(own: OwnWeights | None) -> AutoChoice | None:
    """``--quality auto`` for weights that record their size: the preset of that size; None for any other."""
    if own is None or own.run_size is None:
        return None
    return fixed_choice(_sized(own.run_size).name,
                        f"--weights {own.path.name} was distilled to run at {own.run_size.words()} (its metadata)")


def own_preset(own: OwnWeights | None, preset: Quality, *, named: bool) -> Quality:
    """The preset ``own`` runs with: ``preset``, at the size ``own`` records where it records one. named: the user
    named ``preset`` (--quality best|balanced|fast), which must then be of that size (an EnlightError otherwise)."""
    if own is None or own.run_size is None:
        return preset
    size = own.run_size
    if named and preset.scale != size.scale:
        runs = "at full size" if preset.scale == 1 else f"at 1/{preset.scale:g} size"
        fits = [name for name, q in QUALITIES.items() if q.scale == size.scale]
        raise EnlightError(f"{own.path.name} was distilled to run at {size.words()} (its metadata), and --quality "
                           f"{preset.name} runs it {runs}: give --quality {' or '.join(['auto (the default)', *fits])}")
    return replace(_sized(size) if not named else preset, scale=size.scale, upsample=size.upsample)


def _sized(size: RunSize) -> Quality:
    """The preset that runs at ``size``'s scale (``fast`` for 4), else ``fast`` (its reduced-size path)."""
    return next((q for q in QUALITIES.values() if q.scale == size.scale), QUALITIES["fast"])


def int8_device(own: OwnWeights | None, device: str) -> str:
    """The device asked for, ``cpu`` for ``auto`` with an int8 model (the one device it runs on)."""
    return "cpu" if own is not None and own.int8 and device == "auto" else device


def onnx_runtime(own: OwnWeights | None, backend: str) -> str | None:
    """The runtime ``--backend auto`` takes for ``own``: ONNX Runtime for an ONNX model; None (the device's) else."""
    return "onnxruntime" if own is not None and own.onnx and backend == "auto" else None


def check_onnx_runs(own: OwnWeights, *, runtime: str, device: Device, precision: str) -> None:
    """Refuse, in one line, an ONNX model on what does not run it: a backend other than ONNX Runtime; for an int8
    model a GPU, or a --precision other than auto (it is int8); for a float export fp16. The line names the weights
    it was quantised or exported from, which run there."""
    if runtime != "onnxruntime":
        asked = f"--backend {runtime}"
    elif own.int8 and device.type != "cpu":
        asked = f"--device {device}"
    elif precision not in (("auto",) if own.int8 else ("auto", "fp32")):
        asked = f"--precision {precision}"
    else:
        return
    if own.int8:
        raise EnlightError(f"{own.path.name} is an int8 model, which only ONNX Runtime on a CPU runs (--backend "
                           f"onnxruntime or auto, --device cpu or auto, --precision auto); for {asked} give --weights "
                           f"the float weights it was quantised from ({own.source})")
    raise EnlightError(f"{own.path.name} is an ONNX model, which ONNX Runtime runs (--backend onnxruntime or auto, "
                       f"--precision auto or fp32); for {asked} give --weights the weights it was exported from "
                       f"({own.source})")


__all__ = ["OwnWeights", "check_onnx_runs", "int8_device", "onnx_runtime", "onnx_weights", "own_auto", "own_preset",
           "read_own_weights"]
