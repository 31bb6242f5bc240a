"""``enlight-video bench``: how many frames per second this machine enhances.

Measured, each on its own and then together:

- model-only fps per backend x precision x batch x size: frames already on the device, one
  warm-up call, then the median of ``repeats`` timed calls (CUDA synchronised), batch / median;
- decode-only and encode-only ceilings on a clip generated for the purpose (PyAV, libx264);
- end-to-end pipeline fps (file in, file out) on a clip of that size, with the stage busy times;
- per ``--quality`` preset (best / balanced / fast): model-only fps at each size (batch 1, the
  preset's enhancer with its reduced-size inference, without the denoiser, deband and smoothing, which
  need a clip) and end-to-end fps on a clip of ``preset_size`` (854x480 by default: the size the fast
  preset's target is stated at).

Every end-to-end row runs the plan `enlight-video IN -o OUT` makes (``plan.make_plan`` with the command's defaults:
``--denoise auto``, ``--deband on``, its default detail and smoothing, its default batch and encoder settings; the
``denoise`` and ``deband`` settings change the first two, as the command's options do), and records what the denoiser
and the deband step did, as the command's summary line says it. The clips are clean unless ``clip_noise`` adds
sensor-like noise: the denoiser measures the clean one under its floor and passes it unchanged, as it does the real
night clips measured (their codec removed the pixel noise); with ``SENSOR_NOISE`` it works, as on a noisy video.

With own weights (``weights``: `enlight-video bench --weights FILE`) every case runs the plan `enlight-video IN -o OUT
--weights FILE` makes (``plan.make_plan``): a student at the size it records (the model timed on frames of that size,
its rows say so), an int8 or exported ``.onnx`` on ONNX Runtime; the presets' part times ``auto`` (what that command
runs) unless ``qualities`` names others, each row naming the preset, size and runtime that ran.

Results print as a markdown table and can be written as JSON and a PNG chart.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from enlight.errors import EnlightError
from enlight.models.generator import EnlightenGANGenerator
from enlight.ops.luma import attention_map
from enlight.ops.simd import reduced_size
from enlight.stream.apps.bench_memory import check_sizes_fit, skip_reason
from enlight.stream.core.auto_quality import Workload
from enlight.stream.core.choices import DEBAND_SETTING, DENOISE_LEVEL
from enlight.stream.core.cpu_kind import FLAGS_ENV
from enlight.stream.core.plan import InferencePlan


@dataclass(frozen=True)
class BenchConfig:
    backends: tuple[str, ...] = ("torch", "onnxruntime")
    sizes: tuple[tuple[int, int], ...] = ((640, 360), (1280, 720), (1920, 1080))
    batch_sizes: tuple[int, ...] = (1, 4, 8)
    precisions: tuple[str, ...] = ("auto",)
    device: str = "auto"
    repeats: int = 5
    clip_frames: int = 48
    pipeline_frames: int = 16
    pipeline_size: tuple[int, int] = (640, 360)
    qualities: tuple[str, ...] = ("best", "balanced", "fast")
    preset_size: tuple[int, int] = (854, 480)
    preset_frames: int = 48
    weights: Path | None = None  # own weights, run as `enlight-video IN -o OUT --weights FILE` plans them
    denoise: str = DENOISE_LEVEL  # the end-to-end rows' --denoise (the file command's default)
    deband: str = DEBAND_SETTING  # ... and --deband ('on' or 'off')
    clip_noise: float = 0.0  # the end-to-end clips' sensor-like noise (``make_clip``; 0: none)

    @classmethod
    def quick(cls, **changes) -> BenchConfig:
        base = dict(sizes=((640, 360),), batch_sizes=(1,), repeats=3, clip_frames=48, pipeline_frames=8,
                    preset_frames=24)
        base.update(changes)
        return cls(**base)


@dataclass
class BenchResult:
    machine: dict
    model: list[dict] = field(default_factory=list)
    io: list[dict] = field(default_factory=list)
    pipeline: list[dict] = field(default_factory=list)
    presets: list[dict] = field(default_factory=list)
    weights: str | None = None  # the own weights every case ran (None: the bundled network and presets)
    stages: dict = field(default_factory=dict)  # the end-to-end rows' --denoise and --deband, and the clips' noise


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(str(device))


# CPU features that decide the speed of the CPU backends: AVX2 (the baseline kernels), AVX-512,
# int8 dot products (VNNI: the int8 `balanced` preset) and Intel AMX; asimddp / i8mm on ARM
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16",
             "asimddp", "i8mm")


def cpu_info(cpuinfo: str | None = None) -> dict:
    """The CPU's model name and which of ``CPU_FLAGS`` it has (from /proc/cpuinfo; empty where unreadable)."""
    import platform

    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            cpuinfo = ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip().lower(), value.strip())
    model = fields.get("model name") or fields.get("hardware") or platform.processor() or platform.machine()
    present = set((fields.get("flags") or fields.get("features") or "").split())
    info = {"cpu_model": model, "cpu_flags": [flag for flag in CPU_FLAGS if flag in present],
            "cpu_flags_known": bool(present)}
    if "cpu family" in fields:  # virtual machines often hide the model name ("AMD EPYC"): these still tell it
        info["cpu_id"] = f"family {fields['cpu family']} model {fields.get('model', '?')}"
    return info


def machine_info(device) -> dict:
    import os
    import platform

    info = {"cpu": platform.machine(), **cpu_info(), "cores": os.cpu_count(), "torch": torch.__version__,
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(), "device": str(device),
            "threads": torch.get_num_threads(), "flags_override": os.environ.get(FLAGS_ENV)}
    try:
        import onnxruntime
    except ImportError:
        pass
    else:
        info["onnxruntime"] = onnxruntime.__version__
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(str(device))
    return info


def machine_line(machine: dict) -> str:
    """One line naming the CPU and its speed-relevant flags, e.g.
    ``CPU: AMD EPYC, 2 cores; flags: avx2 avx512f avx512_vnni; no amx_tile ...``."""
    text = f"CPU: {machine.get('cpu_model', machine.get('cpu', '?'))}"
    text += f" ({machine['cpu_id']})" if machine.get("cpu_id") else ""
    text += f", {machine.get('cores', '?')} cores"
    if machine.get("cpu_flags_known"):
        flags = machine.get("cpu_flags", [])
        text += f"; flags: {' '.join(flags) or 'none of ' + ' '.join(CPU_FLAGS)}"
        if machine.get("cpu") in ("x86_64", "AMD64", "i686"):
            missing = [flag for flag in ("avx2", "avx512f", "avx512_vnni", "amx_int8") if flag not in flags]
            text += f"; no {' '.join(missing)}" if missing else ""
    elif "cpu_flags" in machine:
        text += "; flags: unknown (no /proc/cpuinfo)"
    if "avx512f" in machine.get("cpu_flags", []) and machine.get("torch_cpu_capability") == "AVX2":
        text += "; torch held to AVX2"  # ATEN_CPU_CAPABILITY (benchmarks/avx2_proxy.py holds every library)
    if machine.get("flags_override") is not None:  # the plan's choices follow these flags, not the CPU's
        given = set(machine["flags_override"].replace(",", " ").split())
        text += f"; planned as ENLIGHT_CPU_FLAGS says: {' '.join(f for f in CPU_FLAGS if f in given) or 'none'}"
    if machine.get("gpu"):
        text += f"; GPU: {machine['gpu']}"
    return text


def time_model(backend, batch: int, size: tuple[int, int], repeats: int, scale: float = 1.0) -> dict:
    """Median seconds per call of ``backend`` on a (batch, 3, h, w) input already on its device: (h, w) the size
    its plan runs the network at for frames of ``size`` (W, H), 1/scale of it (``reduced_size``; the row then gives it
    as model_width and model_height)."""
    width, height = size
    small = reduced_size(height, width, scale) if scale != 1 else (height, width)
    g = torch.Generator().manual_seed(0)
    frames = (torch.rand(batch, 3, *small, generator=g) * 0.4 - 1).to(str(backend.device))
    attention = attention_map(frames)
    backend(frames, attention)  # warm-up (allocations, autotuning, engine build)
    _sync(backend.device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        backend(frames, attention)
        _sync(backend.device)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    scaled = {"model_width": small[1], "model_height": small[0]} if scale != 1 else {}
    return {"batch": batch, "width": width, "height": height, **scaled, "median_s": median, "fps": batch / median,
            "repeats": repeats}


def time_enhancer(plan, backend, size: tuple[int, int], repeats: int) -> dict:
    """Median seconds per frame of a preset's Enhancer on one uint8 frame, without the stages that need a clip (the
    denoiser, the deband step, smoothing: the end-to-end rows run them): for the reduced-size presets the model's
    cost is only part of it."""
    from dataclasses import replace

    from enlight.ops.threads import torch_threads
    from enlight.stream.core.denoise_config import DenoiseConfig
    from enlight.stream.core.enhancer import Enhancer
    from enlight.stream.core.smoothing_config import SmoothingConfig

    alone = replace(plan, smoothing=SmoothingConfig(strength=0), denoise=DenoiseConfig("off"), deband=False)
    enhancer = Enhancer.from_plan(alone, backend)
    width, height = size
    frames = (np.random.default_rng(0).random((1, height, width, 3)) * 60).astype(np.uint8)
    times = []
    with torch_threads(1 if backend.device.type == "cpu" else 0):  # as a file run does (apps.pipeline)
        enhancer(frames)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            enhancer(frames)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {"batch": 1, "width": width, "height": height, "median_s": median, "fps": 1 / median, "repeats": repeats}


# a sensor-like noise (``make_clip``'s) that the denoiser measures over its floor of 1 and removes: Gaussian, this
# standard deviation (0-255) before x264 (crf 20) leaves its estimate at 2.5 (854x480) to 6.3 (640x360, 1280x720) on
# 12-frame clips, about samples/night.mp4's 2.3; the clean clip measures 0.29 and passes it unchanged, as do the real
# night clips measured (0.29-0.81: docs/benchmarks.md, "The bench's rows and the command's stages")
SENSOR_NOISE = 12.0


def make_clip(path: Path, size: tuple[int, int], frames: int, noise: float = 0.0) -> Path:
    """A dark clip at 25 fps (libx264, crf 20): random blocks of 8x8 pixels (0-60) moving 2 pixels a frame to the
    right, with Gaussian noise of standard deviation ``noise`` (0-255) added to each frame (0: none)."""
    import av

    width, height = size
    rng = np.random.default_rng(0)
    base = (rng.random((height // 8, width // 8, 3)) * 60).astype(np.uint8).repeat(8, 0).repeat(8, 1)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"preset": "fast", "crf": "20"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            img = np.roll(base, 2 * i, axis=1)
            if noise:
                img = np.clip(img + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def time_decode(path: Path) -> dict:
    from enlight.stream.io.source import VideoSource
    from enlight.stream.io.source_items import DecodedFrame

    start = time.perf_counter()
    with VideoSource(path) as source:
        count = sum(1 for item in source if isinstance(item, DecodedFrame))
        info = source.info
    elapsed = time.perf_counter() - start
    return {"stage": "decode (to RGB)", "width": info.width, "height": info.height, "frames": count,
            "fps": count / elapsed}


def time_encode(path: Path, out: Path) -> dict:
    from enlight.stream.io.encoder_settings import EncoderConfig, resolve_preset
    from enlight.stream.io.sink import VideoSink
    from enlight.stream.io.source import VideoSource
    from enlight.stream.io.source_items import DecodedFrame

    with VideoSource(path) as source:
        frames = [item for item in source if isinstance(item, DecodedFrame)]
        sink = VideoSink(out, source.info, encoder=EncoderConfig())
    start = time.perf_counter()
    for frame in frames:
        sink.write_frame(frame.rgb, frame.pts)
    sink.finish(overwrite=True)
    elapsed = time.perf_counter() - start
    preset = resolve_preset(EncoderConfig(), speed=False).preset
    return {"stage": f"encode (libx264 {preset})", "width": sink.info.width, "height": sink.info.height,
            "frames": len(frames), "fps": len(frames) / elapsed}


def bench_plan(config: BenchConfig, device, **choices) -> InferencePlan:
    """``make_plan`` with the bench's device and own weights (None: the bundled network's plan), and its --denoise
    and --deband as `enlight-video IN -o OUT` passes them (the command's defaults unless the bench was given others);
    the rest of the command's defaults are make_plan's own."""
    from enlight.stream.core.plan import make_plan

    return make_plan(weights=config.weights, device=str(device), denoise=config.denoise,
                     deband=config.deband == "on", **choices)


def clip_workload(size: tuple[int, int], frames: int) -> Workload:
    """What `enlight-video` reads of the bench's clip of ``size`` (W, H) and ``frames`` (at 25 fps): ``--quality
    auto`` and ``--denoise auto`` decide for it."""
    return Workload("video", size[0], size[1], frames, 25.0)


def model_cases(config: BenchConfig, device, log) -> list[tuple[str, str, InferencePlan]]:
    """(backend, precision label, plan) of each --backends x --precisions case that runs here, the others skipped with a
    line; where none does, the first one's EnlightError (before any timing: all would have been skipped)."""
    cases, skipped = [], []
    for name in config.backends:
        for variant in config.precisions:
            precision, _, extra = variant.partition("+")
            try:
                plan = bench_plan(config, device, backend=name, precision=precision, cuda_graphs=extra == "graphs",
                                  compile=extra == "compile")
            except EnlightError as exc:
                skipped.append((f"skipping {name} {variant}: {exc}", exc))
                continue
            label = "int8" if plan.int8_model is not None else (
                precision if precision != "auto" else ("fp16" if device.type == "cuda" else "fp32"))
            cases.append((name, label + (f"+{extra}" if extra else ""), plan))
    if skipped and not cases:
        raise skipped[0][1]
    for line, _ in skipped:
        log(line)
    return cases


def preset_plans(config: BenchConfig, device) -> list[tuple[str, InferencePlan]]:
    """(name, plan) of each of ``qualities`` as `enlight-video CLIP -o OUT --quality Q` (with --weights) plans it for
    the presets' clip ('auto': for a video of preset_size, preset_frames at 25 fps); an EnlightError, before any
    timing, for one that does not run here (a size the weights were not distilled for)."""
    workload = clip_workload(config.preset_size, config.preset_frames)
    plans = [(q, bench_plan(config, device, quality=q, workload=workload)) for q in config.qualities]
    return [(f"auto -> {plan.quality}" if q == "auto" else q, plan) for q, plan in plans]


def time_models(config: BenchConfig, cases, generator, result: BenchResult, log) -> None:
    """Model-only fps of each case at each size and batch (``time_model``), into ``result.model``."""
    from enlight.stream.core.plan import build_backend

    failed = skipped = None
    for name, label, plan in cases:
        try:
            backend = build_backend(plan, network=generator)
        except EnlightError as exc:
            log(f"skipping {name} {label}: {exc}")
            failed = failed or exc
            continue
        at = f" (model at 1/{plan.scale:g} size)" if plan.scale != 1 else ""
        for size in config.sizes:
            for batch in config.batch_sizes:
                try:
                    row = time_model(backend, batch, size, config.repeats, plan.scale)
                except (RuntimeError, MemoryError) as exc:  # e.g. out of memory at 1080p x 8
                    skipped = skipped or f"{name} {label} {size[0]}x{size[1]} x{batch}: {skip_reason(exc)}"
                    log(f"skipping {name} {label} {size[0]}x{size[1]} x{batch}: {skip_reason(exc)}")
                    continue
                row.update(backend=name, precision=label)
                result.model.append(row)
                log(f"model {name:12s} {label} {size[0]}x{size[1]}{at} x{batch}: {row['fps']:.2f} fps")
    if failed is not None and not result.model:  # (own weights that do not load: every case failed the same way)
        raise failed
    if skipped and not result.model:  # (every size and batch ran out of memory: nothing to time the rest against)
        raise EnlightError(f"nothing could be timed: {skipped}; give smaller --sizes or --batch-sizes")


def run_bench(config: BenchConfig, generator: EnlightenGANGenerator | None = None, *, log=print) -> BenchResult:
    """Every part of the bench. generator: the network the model and pipeline parts run (None: the plan's weights,
    ``config.weights`` or the bundled ones)."""
    from enlight.ops.device import resolve_device

    device = resolve_device(config.device)
    cases, presets = model_cases(config, device, log), preset_plans(config, device)  # (refused before any timing)
    scale = max((plan.scale for *_, plan in cases), default=1.0)
    check_sizes_fit((*config.sizes, *((config.preset_size,) if presets else ())), device.type == "cuda", scale)
    result = BenchResult(machine=machine_info(device), weights=str(config.weights) if config.weights else None,
                         stages={"denoise": config.denoise, "deband": config.deband,
                                 "clip_noise": config.clip_noise})
    time_models(config, cases, generator, result, log)
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "clip.mp4", config.pipeline_size, config.clip_frames)
        result.io.append(time_decode(clip))
        result.io.append(time_encode(clip, Path(tmp) / "encoded.mp4"))
        for row in result.io:
            log(f"{row['stage']}: {row['fps']:.1f} fps")
        time_pipelines(config, device, generator, Path(tmp), result, log)
        if presets:
            preset_clip = make_clip(Path(tmp) / "preset.mp4", config.preset_size, config.preset_frames,
                                    config.clip_noise)
            for name, plan in presets:
                result.presets += time_preset(name, plan, config, preset_clip, Path(tmp), log)
    return result


def time_end_to_end(plan: InferencePlan, clip: Path, output: Path, backend, batch: int | None = None,
                    max_frames: int | None = None) -> dict:
    """``plan`` on ``clip``, file in, file out (``apps.pipeline.run``, as `enlight-video IN -o OUT` runs it: batch None
    is its default batch; max_frames: the first frames only) -> its row: fps end to end, the stages' busy seconds, and
    what the denoiser and the deband step did, as the command's summary line says it ('light', 'light (0 of 48
    frames: noise 0.29 under the floor 1)'; '12 of 48 frames', 'off')."""
    from enlight.stream.apps.pipeline import PipelineConfig, run

    pipeline = PipelineConfig(input=clip, output=output, plan=plan, progress=False, overwrite=True,
                              max_frames=max_frames, **({"batch_size": batch} if batch else {}))
    stats = run(pipeline, backend=backend)
    return {"batch": pipeline.batch_size, "frames": stats.frames, "fps": stats.fps, "wall_s": stats.wall_s,
            "decode_s": stats.decode_s, "enhance_s": stats.enhance_s, "encode_s": stats.encode_s,
            "denoise": stats.denoise, "deband": stats.deband or "off"}


def time_pipelines(config: BenchConfig, device, generator, tmp: Path, result: BenchResult, log) -> None:
    """End-to-end fps of each of --backends (the full-size default preset, batch 1 on a CPU, 4 on a GPU) on a clip
    of ``pipeline_size``, into ``result.pipeline``."""
    from enlight.stream.core.plan import build_backend

    short = make_clip(tmp / "short.mp4", config.pipeline_size, config.pipeline_frames, config.clip_noise)
    workload = clip_workload(config.pipeline_size, config.pipeline_frames)
    for name in config.backends:
        try:
            plan = bench_plan(config, device, backend=name, workload=workload)
            backend = build_backend(plan, network=generator)
        except EnlightError:
            continue
        warm = torch.zeros(1, 3, *config.pipeline_size[::-1], device=str(backend.device))
        backend(warm, attention_map(warm))
        batch = 1 if device.type == "cpu" else 4
        row = {"backend": plan.label, "width": config.pipeline_size[0], "height": config.pipeline_size[1],
               **time_end_to_end(plan, short, tmp / f"out_{name}.mp4", backend, batch)}
        row["model_fps_in_pipeline"] = row["frames"] / row["enhance_s"] if row["enhance_s"] else None
        result.pipeline.append(row)
        log(f"pipeline {plan.label}: {row['fps']:.2f} fps end to end ({_stages_text(row)})")


def _stages_text(row: dict) -> str:
    """What an end-to-end row's denoiser and deband step did: 'denoise light, deband 3 of 48 frames'."""
    return f"denoise {row['denoise']}, deband {row['deband']}"


def time_preset(name: str, plan: InferencePlan, config: BenchConfig, clip: Path, tmp: Path, log) -> list[dict]:
    """Enhancer-only fps of ``plan`` (a --quality preset's, ``name``) at each size (batch 1: from uint8 frames to
    uint8 frames, without the denoiser, deband and smoothing), and its end-to-end fps on ``clip`` (every stage, the
    file command's default batch)."""
    from enlight.stream.core.plan import build_backend

    backend = build_backend(plan)
    weights = f", --weights {config.weights}" if config.weights else ""
    log(f"{plan.auto.why if plan.auto else 'quality ' + name}: runs {plan.label} on {plan.device}{weights}")
    rows, chosen = [], {"quality": name, "preset": plan.quality, "backend": plan.label,
                        "why": plan.auto.why if plan.auto else ""}
    for size in dict.fromkeys((*config.sizes, config.preset_size)):
        try:
            row = time_enhancer(plan, backend, size, config.repeats)
        except (RuntimeError, MemoryError) as exc:  # (a GPU's memory: the host's was checked before)
            log(f"skipping preset {name} model {size[0]}x{size[1]}: {skip_reason(exc)}")
            continue
        row.update(chosen, kind="model")
        rows.append(row)
        log(f"preset {name:8s} model {size[0]}x{size[1]}: {row['fps']:.2f} fps")
    row = time_end_to_end(plan, clip, tmp / f"preset_{plan.quality}.mp4", backend)
    rows.append({**chosen, "kind": "pipeline", "width": config.preset_size[0], "height": config.preset_size[1], **row})
    log(f"preset {name:8s} pipeline {config.preset_size[0]}x{config.preset_size[1]}: {row['fps']:.2f} fps "
        f"({_stages_text(row)})")
    return rows


def markdown(result: BenchResult) -> str:
    weights = [f"weights: {result.weights} (every row runs it as `enlight-video IN -o OUT --weights` does)"
               ] if result.weights else []
    lines = [machine_line(result.machine), f"machine: {json.dumps(result.machine)}", *weights, "",
             "| backend | precision | size | batch | model fps | ms/frame |", "|---|---|---|---|---|---|"]
    for r in result.model:
        model = f" (model {r['model_width']}x{r['model_height']})" if "model_width" in r else ""
        lines.append(f"| {r['backend']} | {r['precision']} | {r['width']}x{r['height']}{model} | {r['batch']} | "
                     f"{r['fps']:.2f} | {1000 * r['median_s'] / r['batch']:.0f} |")
    lines += ["", "| stage | size | fps |", "|---|---|---|"]
    for r in result.io:
        lines.append(f"| {r['stage']} | {r['width']}x{r['height']} | {r['fps']:.1f} |")
    lines += ["", "| pipeline backend | size | batch | frames | end-to-end fps | decode s | enhance s | encode s | "
              "denoise | deband |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in result.pipeline:
        lines.append(f"| {r['backend']} | {r['width']}x{r['height']} | {r['batch']} | {r['frames']} | "
                     f"{r['fps']:.2f} | {r['decode_s']:.1f} | {r['enhance_s']:.1f} | {r['encode_s']:.1f} | "
                     f"{r.get('denoise', '?')} | {r.get('deband', '?')} |")
    return "\n".join(lines + _preset_lines(result.presets) + stages_lines(result))


def stages_lines(result: BenchResult) -> list[str]:
    """What the end-to-end rows ran: every stage `enlight-video IN -o OUT` runs by default, or which of its
    --denoise and --deband were changed; and what the presets' model-only rows leave out."""
    stages = result.stages
    if not stages or not (result.pipeline or result.presets):
        return []
    given = [f"--{name} {stages[name]}" for name, default in (("denoise", DENOISE_LEVEL), ("deband", DEBAND_SETTING))
             if stages[name] != default]
    ran = (f"with {' '.join(given)} (`enlight-video IN -o OUT` runs --denoise {DENOISE_LEVEL} --deband "
           f"{DEBAND_SETTING} by default)" if given else
           f"every stage `enlight-video IN -o OUT` runs by default (--denoise {DENOISE_LEVEL}, --deband "
           f"{DEBAND_SETTING})")
    noise = (f", on clips with sensor-like noise (--clip-noise {stages['clip_noise']:g})" if stages.get("clip_noise")
             else f", on clean clips (the denoiser passes footage under its noise floor unchanged; --clip-noise "
             f"{SENSOR_NOISE:g} gives it noise to remove)")
    lines = ["", f"end to end: file in, file out, {ran}{noise}; 'denoise' and 'deband' say what they did, as the "
             "command's summary line does"]
    if result.presets:
        lines.append("model only: the preset's enhancer on one frame in memory, without the denoiser, the deband "
                     "step and smoothing")
    return lines


def _preset_lines(presets: list[dict]) -> list[str]:
    """The presets' table ('x best': against the row of the same size and kind that ran the best preset, 'auto -> best'
    too; '-' where none did), and why ``auto`` chose each preset it ran."""
    if not presets:
        return []
    best = {(r["width"], r["height"], r["kind"]): r["fps"] for r in presets if r.get("preset", r["quality"]) == "best"}
    lines = ["", "| --quality | measured | size | fps | x best | backend | denoise | deband |",
             "|---|---|---|---|---|---|---|---|"]
    for r in presets:
        key = (r["width"], r["height"], r["kind"])
        ratio = f"{r['fps'] / best[key]:.1f}" if key in best else "-"
        what = "model only" if r["kind"] == "model" else "end to end"
        stages = ("-", "-") if r["kind"] == "model" else (r.get("denoise", "?"), r.get("deband", "?"))
        lines.append(f"| {r['quality']} | {what} | {r['width']}x{r['height']} | {r['fps']:.2f} | {ratio} | "
                     f"{r['backend']} | {stages[0]} | {stages[1]} |")
    whys = dict.fromkeys(r["why"] for r in presets if r.get("why"))  # ('quality auto -> fast: --weights ...')
    return lines + ([""] if whys else []) + list(whys)


def chart(result: BenchResult, path: Path) -> bool:
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['backend']} {r['precision']}\n{r['width']}x{r['height']} x{r['batch']}" for r in result.model]
    fps = [r["fps"] for r in result.model]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(labels) + 2), 4))
    ax.bar(range(len(fps)), fps, color="#3a6ea5")
    for r in result.io:
        ax.axhline(r["fps"], linestyle="--", linewidth=1, color="#999")
        ax.text(len(fps) - 0.5, r["fps"], r["stage"], fontsize=7, ha="right", va="bottom")
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_ylabel("frames per second (model only)")
    ax.set_yscale("log")
    machine = result.machine
    ax.set_title(f"enlight-video bench on {machine.get('gpu') or machine.get('cpu_model', machine['cpu'])}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def write_json(result: BenchResult, path: Path) -> None:
    path.write_text(json.dumps(asdict(result), indent=2))


def log_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
