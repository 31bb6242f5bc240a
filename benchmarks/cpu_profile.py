"""Where a frame's milliseconds go in a file run on this CPU (issue 17), printed as tables and written as JSON.

    python benchmarks/cpu_profile.py CLIP [CLIP ...] [--quality fast] [--denoise off] [--frames 90]
        [--json docs/img/cpu_profile.json]

Three measurements per clip, each with the thread counts the file command uses:

- parts: every part of a file run timed alone on the main thread, per frame (median over batches of
  the clip's frames; the file command's batch of 4): demux + decode (the source's decoder settings),
  the source's conversion for the enhancer (``VideoSource.convert``), each ``Enhancer`` stage, the
  sink's conversion for the encoder (``VideoSink.convert``) and the encoder (libx264 as the sink
  sets it up, muxing included). The sum is the CPU a frame needs when nothing overlaps.
- whole run: ``apps.pipeline.run`` on the clip (what ``enlight-video CLIP -o OUT`` does after the
  start-up): wall time, end-to-end fps, each thread's busy time, and the CPU seconds per OS thread
  (``/proc/self/task``), grouped into the pipeline's three Python threads and the native pools
  (ONNX Runtime, OpenMP, libavcodec, libx264) with the thread counts each runtime was given.
- start-up: a fresh ``enlight-video CLIP -o OUT --quality Q --denoise D --max-frames 4`` process,
  timed from the process's start to its imports, the backend, the opened input and output, and the
  first enhanced batch.

Every figure line starts with the CPU and its flags (``enlight.stream.apps.bench.machine_line``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np
import torch

from enlight.cli.video import probe_workload
from enlight.stream.apps.bench import machine_info, machine_line
from enlight.stream.apps.pipeline import PipelineConfig, run
from enlight.stream.core.choices import DEBAND_SETTING
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import build_backend, make_plan
from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.locations import input_location
from enlight.stream.io.sink import VideoSink
from enlight.stream.io.source import VideoSource

BATCH = 4  # the file command's default batch


def _ms(values: list[float]) -> float:
    return 1000 * statistics.median(values) if values else float("nan")


def _decoded(clip: Path, frames: int) -> tuple[list, float]:
    """The clip's first ``frames`` decoded frames (the source's decoder settings) and decode ms per frame."""
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        out, start = [], time.perf_counter()
        for frame in container.decode(stream):
            out.append(frame)
            if len(out) >= frames:
                break
        elapsed = time.perf_counter() - start
    return out, 1000 * elapsed / len(out)


def _timed(fn, *args) -> tuple[object, float]:
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def profile_parts(clip: Path, plan, frames: int, tmp: Path) -> dict:
    """Each part of a file run alone, in ms per frame."""
    decoded, decode_ms = _decoded(clip, frames)
    parts = {"decode (demux + libavcodec)": decode_ms}
    with VideoSource(clip) as source:
        info, convert = source.info, _source_convert(source)
    pixels, times = [], []
    for frame in decoded:
        value, seconds = _timed(convert, frame)
        pixels.append(value)
        times.append(seconds)
    parts["to the enhancer's pixels (source.convert)"] = _ms(times)
    enhancer = Enhancer.from_plan(plan, build_backend(plan))
    stage_times: dict[str, list[float]] = {}
    outputs = []
    with around_model_threads():
        for i in range(0, len(pixels) - BATCH + 1, BATCH):
            outputs.extend(_enhance_timed(enhancer, pixels[i:i + BATCH], stage_times))
    for name, values in stage_times.items():
        parts[f"enhancer: {name}"] = _ms(values[1:] or values) / BATCH  # the first batch warms up
    sink = VideoSink(tmp / "parts.mp4", info, encoder=EncoderConfig())
    convert_times, encode_times = [], []
    for i, rgb in enumerate(outputs):
        frame, seconds = _timed(_sink_convert(sink), rgb)
        convert_times.append(seconds)
        frame.pts = i
        frame.time_base = sink.time_base
        _, seconds = _timed(lambda f: sink.container.mux(sink.video_stream.encode(f)), frame)
        encode_times.append(seconds)
    _, flush = _timed(lambda: sink.finish(overwrite=True))
    parts["from the enhancer's pixels (sink.convert)"] = _ms(convert_times)
    parts["encode (libx264 + mux), incl. flush"] = 1000 * (sum(encode_times) + flush) / len(encode_times)
    return {"ms_per_frame": parts, "cpu_ms_per_frame": sum(parts.values()), "frames": len(outputs)}


# The commit before issue 17's pipeline work lacks the conversion hooks; these stand in for them there,
# so that the same script measures before and after (PYTHONPATH=<an export of that commit>).
def _source_convert(source: VideoSource):
    from enlight.stream.io.frames import frame_to_rgb

    return getattr(source, "convert", None) or (lambda frame: frame_to_rgb(frame, source.color))


def _sink_convert(sink: VideoSink):
    from enlight.stream.io.frames import rgb_to_frame

    return getattr(sink, "convert", None) or (lambda rgb: rgb_to_frame(rgb, sink.pix_fmt, sink.output_color))


def _batch_hooks(enhancer: Enhancer):
    if hasattr(enhancer, "to_batch"):
        return enhancer.to_batch, enhancer.from_batch
    if getattr(enhancer, "cpu_forms", False):  # the numpy forms of the stages (no torch)
        return np.stack, (lambda result: result)
    return (lambda pixels: torch.from_numpy(np.stack(pixels))), (lambda result: result.numpy())


def _enhance_timed(enhancer: Enhancer, pixels: list, stage_times: dict) -> list:
    try:
        from enlight.stream.core.work import Work
    except ImportError:  # before the CPU forms of the stages
        from enlight.stream.core.stages import Work

    to_batch, from_batch = _batch_hooks(enhancer)
    batch = to_batch(pixels)
    with torch.inference_mode():
        work = Work(pixels=batch)
        for stage in enhancer.stages:
            work, seconds = _timed(stage, work)
            stage_times.setdefault(type(stage).__name__, []).append(seconds)
        result, seconds = _timed(from_batch, work.result)
    stage_times.setdefault("to numpy", []).append(seconds)
    return list(result)


class ThreadCpu:
    """Samples /proc/self/task every 50 ms: CPU seconds per OS thread (the last reading before it ended)."""

    def __init__(self) -> None:
        self.cpu: dict[int, float] = {}
        self.first_seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cpu-sampler", daemon=True)
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start = time.perf_counter()

    def _sample(self) -> None:
        now = time.perf_counter() - self.start
        for tid in os.listdir("/proc/self/task"):
            try:
                fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.cpu[int(tid)] = (int(fields[11]) + int(fields[12])) / self.tick
            self.first_seen.setdefault(int(tid), now)

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    def __enter__(self) -> ThreadCpu:
        self._sample()
        self.before = dict(self.cpu)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def used(self) -> dict[int, float]:
        return {tid: cpu - self.before.get(tid, 0.0) for tid, cpu in self.cpu.items()}


def profile_run(clip: Path, plan, tmp: Path) -> dict:
    """The whole pipeline on the clip (backend built first, as the command does before its first frame)."""
    backend = build_backend(plan)
    load_before = os.getloadavg()[0]
    named: dict[int, str] = {threading.main_thread().native_id: "main (enhancer)"}
    original_start = threading.Thread.start

    def start(self):  # learn the pipeline threads' OS ids
        original_start(self)
        named[self.native_id] = self.name

    threading.Thread.start = start
    try:
        with ThreadCpu() as sampler:
            stats = run(PipelineConfig(input=clip, output=tmp / "run.mp4", plan=plan, progress=False,
                                       overwrite=True), backend=backend)
            with around_model_threads():
                budget = thread_budget(plan)
    finally:
        threading.Thread.start = original_start
    used = sampler.used()
    groups: dict[str, float] = {}
    natives = 0
    for tid, seconds in used.items():
        name = named.get(tid)
        if name == "cpu-sampler":
            continue
        natives += name is None
        key = name or "native pools (ORT, OpenMP, libavcodec, libx264)"
        groups[key] = groups.get(key, 0.0) + seconds
    return {"frames": stats.frames, "wall_s": stats.wall_s, "fps": stats.fps, "decode_s": stats.decode_s,
            "enhance_s": stats.enhance_s, "encode_s": stats.encode_s, "cpu_s_by_thread": groups,
            "cpu_s": sum(groups.values()), "native_threads": natives, "threads": budget,
            "load_before": load_before, "load_after": os.getloadavg()[0]}


def thread_budget(plan) -> dict:
    """What each runtime was told to use (FFmpeg's and ORT's automatic choice where the code sets nothing)."""
    budget = {"cores": os.cpu_count(), "torch intra-op (around the model)": torch.get_num_threads(),
              "swscale": "1 (on the calling thread)",
              "onnxruntime intra-op": getattr(plan.options, "threads", 0) or "auto (= cores)"}
    try:
        from enlight.stream.io.sink import encoder_threads
        from enlight.stream.io.source import decoder_threads
    except ImportError:  # before issue 17: nothing was set
        return {**budget, "libavcodec decoder": "auto (cores + 1)", "libx264": "auto (1.5 x cores + lookahead)"}
    return {**budget, "libavcodec decoder": decoder_threads(), "libx264": encoder_threads()}


def around_model_threads():
    """The torch threads a file run gives the work around the model (issue 17: one on a CPU)."""
    try:
        from enlight.ops.threads import torch_threads
    except ImportError:
        try:
            from enlight.stream.backends.torch import torch_threads
        except ImportError:  # before issue 17: torch's default, every core
            return contextlib.nullcontext()
    return torch_threads(1)


STARTUP = r"""
import sys, time, os
t0 = time.time()
ticks = os.sysconf("SC_CLK_TCK")
start = float(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]) / ticks
boot = time.time() - float(open("/proc/uptime").read().split()[0])
marks = {"interpreter up": t0 - (boot + start)}
def mark(name):
    marks.setdefault(name, time.time() - (boot + start))
import enlight.stream.apps.progress as progress
import enlight.stream.apps.pipeline as pipeline
mark("imports (cli, pipeline: torch, av)")
build = pipeline.build_backend
def timed_build(plan):
    mark("plan made")
    out = build(plan)
    mark("backend built")
    return out
pipeline.build_backend = timed_build
sink_init = pipeline.VideoSink.__init__
def timed_sink(self, *a, **k):
    mark("input opened (probe, first frame decoded)")
    sink_init(self, *a, **k)
    mark("output opened (encoder set up)")
pipeline.VideoSink.__init__ = timed_sink
advance = progress.FrameProgress.advance
def first(self, n):
    mark("first batch enhanced")
    advance(self, n)
progress.FrameProgress.advance = first
from enlight.cli.video import main
code = main(sys.argv[1:])
mark("exit")
print("STARTUP " + repr(marks))
"""


def profile_startup(clip: Path, quality: str, denoise: str, tmp: Path) -> dict:
    """Seconds from a fresh process's start to each step before its first enhanced batch."""
    import enlight

    argv = [str(clip.resolve()), "-o", str((tmp / "startup.mp4").resolve()), "--quality", quality, "--denoise",
            denoise, "--max-frames", str(BATCH), "--force", "-q"]
    # run from the folder holding the enlight this script imported: ``python -c`` puts the working directory
    # first on sys.path, ahead of PYTHONPATH, so from the repository root a PYTHONPATH export was not measured
    source_root = Path(enlight.__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", STARTUP, *argv], capture_output=True, text=True, check=True,
                          cwd=source_root)
    line = next(line for line in done.stdout.splitlines() if line.startswith("STARTUP "))
    return eval(line[len("STARTUP "):], {})  # noqa: S307 - our own repr of a dict of floats


def table(clip: str, size: str, result: dict) -> str:
    parts, whole = result["parts"], result["run"]
    lines = [f"### {clip} ({size}, {whole['frames']} frames)", "", "| part | ms per frame |", "|---|---|"]
    lines += [f"| {name} | {ms:.2f} |" for name, ms in parts["ms_per_frame"].items()]
    lines += [f"| **sum: CPU per frame, nothing overlapping** | **{parts['cpu_ms_per_frame']:.1f}** |", "",
              f"Whole run: {whole['wall_s']:.2f} s, {whole['fps']:.2f} fps (decode {whole['decode_s']:.1f} s, "
              f"enhance {whole['enhance_s']:.1f} s, encode {whole['encode_s']:.1f} s busy); CPU "
              f"{whole['cpu_s']:.1f} s = {1000 * whole['cpu_s'] / whole['frames']:.1f} ms per frame, "
              f"{whole['cpu_s'] / whole['wall_s']:.2f} cores busy; load average {whole['load_before']:.1f} before, "
              f"{whole['load_after']:.1f} after", "", "| thread | CPU s |", "|---|---|"]
    lines += [f"| {name} | {seconds:.2f} |" for name, seconds in whole["cpu_s_by_thread"].items()]
    lines += ["", "threads given: " + ", ".join(f"{k} {v}" for k, v in whole["threads"].items()), "",
              "| start-up step | s since process start |", "|---|---|"]
    lines += [f"| {name} | {seconds:.2f} |" for name, seconds in result["startup"].items()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clips", nargs="+", type=Path)
    parser.add_argument("--quality", default="fast")
    parser.add_argument("--denoise", default="off")
    parser.add_argument("--frames", type=int, default=48, help="frames decoded for the parts (the run takes all)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    machine = machine_info(torch.device("cpu"))
    machine["onednn_max_cpu_isa"] = os.environ.get("ONEDNN_MAX_CPU_ISA", "")
    print(machine_line(machine) + (f"; ONEDNN_MAX_CPU_ISA={machine['onednn_max_cpu_isa']}"
                                   if machine["onednn_max_cpu_isa"] else ""))
    results = {"machine": machine, "quality": args.quality, "denoise": args.denoise, "clips": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips:
            with av.open(str(clip)) as c:
                size = f"{c.streams.video[0].width}x{c.streams.video[0].height}"
            # per clip, with its size, as the file command plans it: --quality/--denoise auto depend on it
            plan = make_plan(quality=args.quality, device="cpu", denoise=args.denoise,
                             workload=probe_workload(input_location(str(clip))), deband=DEBAND_SETTING == "on")
            print(f"{clip.name}: quality {plan.quality}, denoise {plan.denoise.level}", flush=True)
            result = {"size": size, "parts": profile_parts(clip, plan, args.frames, Path(tmp)),
                      "run": profile_run(clip, plan, Path(tmp)),
                      "startup": profile_startup(clip, args.quality, args.denoise, Path(tmp))}
            results["clips"][clip.name] = result
            print(table(clip.name, size, result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
