"""The inference plan: the user's choices (model, quality, weights, backend, device, precision,
smoothing) resolved once, by one pure function, into what runs: which network and weights (or an
int8 model), at which scale and upsampling, on which runtime with its own options, on one device.

``make_plan`` resolves (and refuses what cannot run, in one line); ``build_backend`` is the one
place a plan becomes a backend. The plan is printed by ``--dry-run`` and named in the summary line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from enlight.errors import EnlightError
from enlight.models.bundled import DEFAULT_WEIGHTS, WEIGHTS_DIR
from enlight.ops.detail import STRENGTH
from enlight.ops.device import Device, resolve_device
from enlight.ops.exposure import LIMIT as EXPOSURE_LIMIT
from enlight.stream.backends.base import Backend, auto_backend, available_backends, create_backend
from enlight.stream.backends.options import OnnxRuntimeConfig, TensorRTConfig, TorchBackendConfig
from enlight.stream.core.auto_quality import AutoChoice, Workload, choose_quality, fixed_choice
from enlight.stream.core.choices import PRECISIONS
from enlight.stream.core.cpu_kind import cpu_flags, cpu_kind, has_int8_dot
from enlight.stream.core.denoise_config import DenoiseConfig
from enlight.stream.core.own_weights import (
    OwnWeights,
    check_onnx_runs,
    int8_device,
    onnx_runtime,
    own_auto,
    own_preset,
    read_own_weights,
)
from enlight.stream.core.preset_costs import COSTS, CostTable
from enlight.stream.core.presets import QUALITIES, Quality, quality_preset
from enlight.stream.core.smoothing_config import SmoothingConfig

RuntimeOptions = TorchBackendConfig | OnnxRuntimeConfig | TensorRTConfig


@dataclass(frozen=True)
class InferencePlan:
    """What enhances the frames. weights: the network's file (None = the model's bundled default);
    int8_model: an int8 ONNX model run instead of the float network (ONNX Runtime on a CPU), or None;
    onnx_model: a float ONNX model of `enlight-video export` run instead of weights (ONNX Runtime), or None;
    scale: the model runs at 1/scale of the frame size, its correction carried back by ``upsample``;
    runtime: the backend's name; options: that runtime's own options (they hold the device); detail: the share of
    the input's luma detail put back at the local gain after the model (``enlight.ops.detail``; 0 = none); exposure:
    the mean luma (0-255) that darker frames are lifted to (``enlight.ops.exposure``; 0 = off); deband: the codec's
    blocks and bands in dark flat regions smoothed before the model (``enlight.ops.deband``)."""

    model: str
    quality: str
    weights: Path | None
    int8_model: Path | None
    scale: float
    upsample: str
    runtime: str
    options: RuntimeOptions
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    denoise: DenoiseConfig = field(default_factory=DenoiseConfig)  # off unless asked for (the CLI asks)
    auto: AutoChoice | None = None  # what --quality auto chose and why; None when a preset was named
    detail: float = 0.0  # make_plan gives the model's default (``default_detail``)
    exposure: float = 0.0
    deband: bool = False  # off unless asked for (the CLI asks for video)
    onnx_model: Path | None = None

    @property
    def device(self) -> Device:
        return self.options.device

    @property
    def runtime_name(self) -> str:
        """The runtime as the cost table names it: 'onnxruntime int8' for an int8 model, else ``runtime``."""
        return f"{self.runtime} int8" if self.int8_model is not None else self.runtime

    @property
    def label(self) -> str:
        """How the summary line names it, e.g. 'onnxruntime int8' or 'onnxruntime (fast: 1/4 size)'."""
        name = self.runtime_name
        return f"{name} ({self.quality}: 1/{self.scale:g} size)" if self.scale != 1 else name

    def describe(self) -> str:
        """Several lines saying everything the plan resolved (``--dry-run``)."""
        weights = self.int8_model or self.onnx_model or self.weights or f"bundled {self.model} weights"
        size = "full size" if self.scale == 1 else f"1/{self.scale:g} size, correction upsampled by {self.upsample}"
        smoothing = ("off" if self.smoothing.strength == 0
                     else f"{self.smoothing.target}, strength {self.smoothing.strength:g}")
        auto = [self.auto.why] if self.auto else []
        auto += [f"estimate: {self.auto.first_line}"] if self.auto and self.auto.seconds_per_frame else []
        return "\n".join([
            *auto,
            f"model: {self.model} ({self.quality}), {size}",
            f"weights: {weights}",
            f"runtime: {self.label} on {self.device}{_options_text(self.options)}{self._float_note()}",
            f"temporal smoothing: {smoothing}",
            f"denoising: {self.denoise.describe()}",
            f"deband: {'on (the codec blocks and bands of dark flat regions smoothed)' if self.deband else 'off'}",
            f"detail: {f'strength {self.detail:g}' if self.detail else 'off'} (the input's detail at the local gain)",
            f"exposure: {f'frames darker than mean luma {self.exposure:g} lifted to it' if self.exposure else 'off'}",
        ])

    def _float_note(self) -> str:
        """Why balanced runs its narrower float student where it could run int8 (``--dry-run``)."""
        preset = quality_preset(self.quality)
        if preset.cpu_narrow is None or self.weights is None or self.weights.name != preset.cpu_narrow:
            return ""
        return ("; the base-12 float student: this CPU has no int8 dot products (avx512_vnni, avx_vnni, amx_int8), "
                "without which int8 gains little")


def _options_text(options) -> str:
    """A runtime's options as ``--dry-run`` says them: ' (threads 2, int8)', its settings that are on, but the
    device (said beside it); '' where none is."""
    import dataclasses

    said = []
    for option in dataclasses.fields(options) if dataclasses.is_dataclass(options) else ():
        value = getattr(options, option.name)
        name = option.name.replace("_", " ")
        if option.name == "device" or value in (None, False, 0, "", ()):
            continue
        said.append(name if value is True else f"{name} {value}")
    return f" ({', '.join(said)})" if said else ""


def default_quality(live: bool, device: Device) -> str:
    """The preset when none is asked for: best for files; for live runs, fast on a CPU, best on a GPU."""
    return "best" if not live or device.type == "cuda" else "fast"


def _preset_weights(preset: Quality, model: str, weights: Path | None) -> Path | None:
    """Explicit weights, else the preset's student (EnlightenGAN), else None (the model's default)."""
    if weights is not None or model != "enlightengan" or preset.weights is None:
        return weights
    return WEIGHTS_DIR / preset.weights


def model_threads(preset: Quality, device: Device) -> int:
    """ONNX Runtime's intra-op threads for ``preset`` (0: every core). A reduced-size preset on a CPU leaves one
    core to the work around its model (decode, colour conversions, Combine, x264 take about as much CPU as its
    network at 1080p): cores - 1, at least 1. On 2 cores a second ORT thread took 15-25% more CPU per 1080p
    frame for the same or lower fps (docs/benchmarks.md, issue 17); the full-size presets are their model."""
    if device.type != "cpu" or preset.scale == 1:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores - 1)


def _runtime_options(runtime: str, device: Device, *, precision: str, cuda_graphs: bool, compile: bool,
                     int8: bool, max_batch: int, threads: int = 0, full_size: bool = True) -> RuntimeOptions:
    """The options of ``runtime``, built only from what that runtime takes."""
    if (cuda_graphs or compile) and (runtime != "torch" or device.type != "cuda"):
        raise EnlightError("--cuda-graphs and --compile are for the torch backend on a CUDA device")
    if runtime == "torch":
        return TorchBackendConfig(device=device, precision=precision, cuda_graphs=cuda_graphs, compile=compile)
    if runtime == "onnxruntime":
        if precision == "fp16":
            raise EnlightError("the onnxruntime backend runs fp32 (fp16 comes from its TensorRT provider)")
        return OnnxRuntimeConfig(device=device, threads=threads, int8=int8, memory_pattern=not full_size)
    if runtime == "tensorrt":
        if device.type != "cuda":
            raise EnlightError("--backend tensorrt needs a CUDA device")
        return TensorRTConfig(device=device, precision="fp32" if precision == "fp32" else "fp16", max_batch=max_batch)
    raise EnlightError(f"unknown backend '{runtime}' (available: {', '.join(available_backends())})")


FAST_DENOISE_MEGAPIXELS = 0.5  # --denoise auto: a reduced-size preset on a CPU denoises frames up to this size


def auto_denoise(preset: Quality, device: Device, workload: Workload | None = None) -> str:
    """``--denoise auto``: light (``denoise_config`` says in what form), except for a reduced-size preset on a
    CPU with frames over FAST_DENOISE_MEGAPIXELS: off. There the denoiser's full-size passes cost `fast` a
    quarter of its frame rate (1080p: 7.1 -> 5.4 fps end to end), against 0-13% at 854x480
    (docs/quality.md, "Denoising"). A stream or a camera of unknown size: light."""
    megapixels = workload.megapixels if workload is not None else None
    if device.type == "cpu" and preset.scale > 1 and megapixels is not None and megapixels > FAST_DENOISE_MEGAPIXELS:
        return "off"
    return "light"


FAST_REFINE_MEGAPIXELS = 0.15  # a reduced-size preset on a CPU keeps all the denoiser's refinements up to this size
FAST_FLOW_MEGAPIXELS = 0.25  # ... and its optical flow (without the bilateral) up to this one


def denoise_config(level: str, preset: Quality, device: Device, workload: Workload | None = None
                   ) -> DenoiseConfig:
    """The denoiser for a level name ('auto': ``auto_denoise``). A reduced-size preset on a CPU gets it without
    the bilateral on frames over FAST_REFINE_MEGAPIXELS, and without the optical flow too over
    FAST_FLOW_MEGAPIXELS or of unknown size: on its own thread the rest costs `fast` 0-5% of its frame rate on
    the noisy synthetic 854x480 clip and 13% on a real dashcam clip, with both refinements 27-55%, against a 15%
    budget. Up to 0.15 MP (320x240, CIF, 426x240) `fast` with them still ran 47-72 fps here, about twice a
    video's rate, and they win the moving clips; up to 0.25 MP (640x360) the flow alone in its lean form, which
    takes the speckles off a moving object, costs a noisy clip 15-20% there (34-36 fps here; docs/quality.md,
    "The flow for `fast` on small frames")."""
    why = ""
    if level == "auto":
        level = auto_denoise(preset, device, workload)
        why = (f"auto: {preset.name} on a CPU, frames over {FAST_DENOISE_MEGAPIXELS:g} megapixels; --denoise light "
               "turns it on") if level == "off" else ""
    if not (device.type == "cpu" and preset.scale > 1):
        return DenoiseConfig(level)
    megapixels = workload.megapixels if workload is not None else None
    return DenoiseConfig(level, refine=megapixels is not None and megapixels <= FAST_FLOW_MEGAPIXELS,
                         bilateral=megapixels is not None and megapixels <= FAST_REFINE_MEGAPIXELS, why=why)


def _cpu_model(preset: Quality, *, model: str, weights: Path | None, precision: str, device: Device,
               runtime: str, own: OwnWeights | None = None) -> str | None:
    """What ``preset`` runs on ONNX Runtime on a CPU, with precision auto and the bundled EnlightenGAN weights:
    'int8' (its int8 model) where the CPU has int8 dot products (``cpu_kind``), else 'narrow' (its narrower
    float student) where it has one; None otherwise (its float network). Own weights that are an ONNX model
    (``own``), on what runs it (``check_onnx_runs`` refuses the rest): 'int8' for an int8 model, None for an export."""
    if own is not None and own.onnx:
        check_onnx_runs(own, runtime=runtime, device=device, precision=precision)
        return "int8" if own.int8 else None
    if not (weights is None and model == "enlightengan" and precision == "auto" and device.type == "cpu"
            and runtime == "onnxruntime"):
        return None
    if has_int8_dot(cpu_flags()):
        return "int8" if preset.cpu_int8 is not None else None
    return "narrow" if preset.cpu_narrow is not None else None


def photo_estimate(plan: InferencePlan, megapixels: float, table: CostTable = COSTS) -> float | None:
    """The seconds a photo of ``megapixels`` takes with ``plan`` on this CPU, from the cost table's photo line (as
    ``--quality auto``'s first line gives them); None on a GPU, for another model, or where the table has no cost."""
    if plan.device.type != "cpu" or plan.model != "enlightengan":
        return None
    return table.photo_seconds(plan.quality, plan.runtime_name, megapixels)


def resolve_auto(workload: Workload | None, *, model: str, weights: Path | None, precision: str,
                 device: Device, runtime: str, live: bool) -> AutoChoice:
    """``--quality auto`` for these settings: ``choose_quality`` with the runtime each preset would
    run on here. Own weights or another model run at full size (``best``): the cost table and the
    reduced-size students are the bundled EnlightenGAN's."""
    if weights is not None or model != "enlightengan":  # (own weights that record a size: ``own_auto``)
        who = f"--weights {weights.name}" if weights is not None else f"--model {model}"
        return fixed_choice("best", f"{who} runs at full size{' (it records no reduced size)' if weights else ''}")
    labels, narrow = {}, set()
    for name in QUALITIES:
        chosen = _cpu_model(quality_preset(name), model=model, weights=weights, precision=precision, device=device,
                            runtime=runtime)
        labels[name] = f"{runtime} int8" if chosen == "int8" else runtime
        if chosen == "narrow":
            narrow.add(name)
    return choose_quality(workload or Workload("live" if live else "stream"), labels, device.type,
                          cpu=cpu_kind(cpu_flags()), narrow=frozenset(narrow))


def make_plan(*, model: str = "enlightengan", quality: str | None = None, weights: Path | None = None,
              backend: str = "auto", device: str = "auto", precision: str = "auto", cuda_graphs: bool = False,
              compile: bool = False, smoothing: SmoothingConfig = SmoothingConfig(), live: bool = False,
              max_batch: int = 4, denoise: DenoiseConfig | str = DenoiseConfig(),
              workload: Workload | None = None, detail: float | None = None, exposure: float = 0.0,
              deband: bool = False) -> InferencePlan:
    """Resolve the user's choices into an ``InferencePlan``. quality None: ``default_quality``; 'auto':
    ``resolve_auto`` for ``workload`` (what the run enhances; None: a stream of unknown size, or live).
    denoise: a ``DenoiseConfig``, or a level name (``denoise_config``: 'auto' is ``auto_denoise``'s choice,
    for ``workload``'s frame size). detail: ``enlight.ops.detail``'s share, 0..1 (None: ``default_detail``).
    exposure: ``enlight.ops.exposure``'s level, 0 (off) .. ``exposure.LIMIT``. deband: ``enlight.ops.deband``'s step.

    The int8 model of a preset runs when that is what these settings run on (``_cpu_model``);
    ``--precision fp32`` runs the float network it was made from. Own weights (``own_weights``) run at the size a
    student records; an int8 model given as --weights runs as a preset's does, an exported ONNX model on ONNX Runtime.
    """
    if precision not in PRECISIONS:
        raise EnlightError(f"unknown precision '{precision}' (use {', '.join(PRECISIONS)})")
    own = read_own_weights(weights, model) if weights is not None else None
    resolved = resolve_device(int8_device(own, device))
    runtime = onnx_runtime(own, backend) or (auto_backend(resolved) if backend == "auto" else backend)
    auto = None
    if quality == "auto":
        auto = own_auto(own) or resolve_auto(workload, model=model, weights=weights, precision=precision,
                                             device=resolved, runtime=runtime, live=live)
    preset = quality_preset(auto.quality if auto else quality or default_quality(live, resolved))
    preset = own_preset(own, preset, named=quality not in (None, "auto"))
    chosen = _cpu_model(preset, model=model, weights=weights, precision=precision, device=resolved, runtime=runtime,
                        own=own)
    int8 = chosen == "int8"
    options = _runtime_options(runtime, resolved, precision=precision, cuda_graphs=cuda_graphs, compile=compile,
                               int8=int8, max_batch=max_batch, threads=model_threads(preset, resolved),
                               full_size=preset.scale == 1)
    if isinstance(denoise, str):
        denoise = denoise_config(denoise, preset, resolved, workload)
    if model != "enlightengan" and smoothing.target != "correction":  # (its attention smoother fed nothing)
        raise EnlightError(f"--smooth {smoothing.target} smooths the attention map EnlightenGAN is given, and --model "
                           f"{model} takes none; use --smooth correction (the default)")
    if detail is not None and not 0 <= detail <= 1:
        raise EnlightError(f"--detail must be within 0..1, got {detail:g}")
    if not 0 <= exposure <= EXPOSURE_LIMIT:
        raise EnlightError(f"--exposure must be within 0..{EXPOSURE_LIMIT:g}, got {exposure:g}")
    network = WEIGHTS_DIR / preset.cpu_narrow if chosen == "narrow" else _preset_weights(preset, model, weights)
    if own is not None and own.onnx:  # the file given is the ONNX model: no network to load
        network, int8_model = None, own.path if own.int8 else None
    else:
        int8_model = WEIGHTS_DIR / preset.cpu_int8 if int8 else None
    return InferencePlan(
        model=model, quality=preset.name, weights=network, int8_model=int8_model,
        onnx_model=own.path if own is not None and own.exported else None, scale=preset.scale, upsample=preset.upsample,
        runtime=runtime, options=options, smoothing=smoothing, denoise=denoise, auto=auto,
        detail=default_detail(model) if detail is None else detail, exposure=exposure, deband=deband,
    )


def default_detail(model: str) -> float:
    """The share of the input's detail put back after ``model`` unless the user says otherwise: chosen for the
    EnlightenGAN generator (``enlight.ops.detail.STRENGTH``); none after RetinexNet, which it was not measured on."""
    return STRENGTH if model == "enlightengan" else 0.0


def build_backend(plan: InferencePlan, network=None) -> Backend:
    """The plan's backend. network: run this module instead of loading the plan's weights (tests, benchmarks).
    ONNX Runtime gets the network as its export cached by the weights file (``cached_weights_export``), so that
    a run whose export is cached imports no torch."""
    model_file = plan.int8_model or plan.onnx_model
    if model_file is not None and network is None:
        return create_backend(plan.options, model_file.read_bytes())
    weights = plan.weights or (DEFAULT_WEIGHTS if plan.model == "enlightengan" else None)
    if network is None and plan.runtime == "onnxruntime" and weights is not None and weights.is_file():
        from enlight.stream.backends.onnxruntime import cached_weights_export

        return create_backend(plan.options, cached_weights_export(plan.model, weights))
    if network is None:
        from enlight.models.zoo import load_model

        network = load_model(plan.model, plan.weights)
    return create_backend(plan.options, network)
