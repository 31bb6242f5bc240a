"""``run(config)``: a video file or stream in, an enhanced video file or stream out.

Three threads, joined by bounded queues, so decode, inference and encode overlap::

    VideoSource thread ──items──> main thread: batch, Enhancer ──batches──> encoder thread: VideoSink

Audio and subtitle packets travel beside the frames, in demux order, and are muxed unchanged.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from enlight.errors import EnlightError
from enlight.stream.apps.progress import FrameProgress
from enlight.stream.backends.base import Backend
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.memory import GiB, MemoryPlan, budget_bytes, plan_memory
from enlight.stream.core.presets import build_backend
from enlight.stream.core.smoothing import SmoothingConfig
from enlight.stream.io.checks import check_paths
from enlight.stream.io.chroma import GreyDecision
from enlight.stream.io.locations import Location, input_location, output_location
from enlight.stream.io.sink import EncoderConfig, VideoSink, encoder_codec
from enlight.stream.io.source import Damage, DecodedFrame, VideoSource

_END = object()


@dataclass(frozen=True)
class PipelineConfig:
    """Everything one run needs. weights None = the bundled default of ``model`` and ``quality``
    (see enlight.stream.core.presets).

    input/output: a file path, a URL, ``-`` (stdin/stdout), or a ready ``Location``.
    format: the output muxer (default: from the extension; MPEG-TS for ``-`` and most URLs).
    timeout_s: the longest a network read or write may block before the run fails.
    """

    input: Path | str | Location
    output: Path | str | Location
    weights: Path | None = None
    model: str = "enlightengan"
    quality: str = "best"
    backend: str = "auto"
    device: str = "auto"
    precision: str = "auto"
    cuda_graphs: bool = False
    compile: bool = False
    hw_decode: str = "auto"  # auto: NVDEC when the backend runs on CUDA; off; or an FFmpeg device type
    batch_size: int = 4
    grey: str = "auto"  # auto: grey output while the source carries no chroma; on; off (enlight.stream.io.chroma)
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    overwrite: bool = False
    progress: bool = True
    queue_batches: int = 4  # batches buffered between inference and the encoder (fewer for big frames)
    max_memory_gb: float | None = None  # None: 80% of the memory available (enlight.stream.core.memory)
    format: str | None = None
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise EnlightError(f"--batch-size must be at least 1, got {self.batch_size}")


@dataclass(frozen=True)
class RunStats:
    """What a run did; times in seconds (stage times are busy time on that stage's thread)."""

    frames: int
    wall_s: float
    decode_s: float
    enhance_s: float
    encode_s: float
    output: Path | str
    backend: str
    device: str
    notes: tuple[str, ...] = ()
    damage: Damage | None = None  # what a damaged or cut-short input lost (the CLI warns, exit code 3)
    colour: str = "colour"  # what --grey decided (GreyDecision.describe)

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> str:
        return (
            f"{self.frames} frames in {self.wall_s:.1f} s ({self.fps:.2f} fps, {self.backend} on {self.device}, "
            f"{self.colour}): "
            f"decode {self.decode_s:.1f} s, enhance {self.enhance_s:.1f} s, encode {self.encode_s:.1f} s "
            f"-> {self.output}"
        )


class Interrupted(Exception):
    """The run was stopped (Ctrl-C); ``partial`` holds what was encoded, or None."""

    def __init__(self, partial: Path | None, frames: int) -> None:
        super().__init__(f"interrupted after {frames} frames")
        self.partial = partial
        self.frames = frames


def resolve_hw_decode(setting: str, device) -> str | None:
    """The hardware decoder to ask PyAV for: 'auto' means NVDEC ('cuda') when inference runs on CUDA."""
    from av.codec.hwaccel import hwdevices_available

    if setting == "off":
        return None
    if setting == "auto":
        return "cuda" if getattr(device, "type", None) == "cuda" and "cuda" in hwdevices_available() else None
    if setting not in hwdevices_available():
        raise EnlightError(f"--hw-decode {setting}: this FFmpeg build has {', '.join(hwdevices_available())}")
    return setting


class _EncoderThread(threading.Thread):
    """Takes ('frames', [(rgb, pts), ...]) and ('packet', packet) items and writes them to the sink."""

    def __init__(self, sink: VideoSink, maxsize: int) -> None:
        super().__init__(name="enlight-encode", daemon=True)
        self.sink = sink
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            item = self.queue.get()
            if item is _END:
                return
            if self.error is not None:
                continue  # keep draining so the producer never blocks
            try:
                kind, payload = item
                if kind == "frames":
                    for rgb, pts in payload:
                        self.sink.write_frame(rgb, pts)
                else:
                    self.sink.write_packet(payload)
            except BaseException as exc:
                self.error = exc

    def put(self, item) -> None:
        self.queue.put(item)
        if self.error is not None:
            raise self.error

    def finish(self) -> None:
        self.queue.put(_END)
        self.join()
        if self.error is not None:
            raise self.error


def _memory_plan(config: PipelineConfig, info, backend: Backend) -> MemoryPlan:
    return plan_memory(info.width, info.height, quality=config.quality, model=config.model,
                       batch_size=config.batch_size, on_cuda=backend.device.type == "cuda",
                       budget_bytes=budget_bytes(config.max_memory_gb))


def plan_notes(config: PipelineConfig, plan: MemoryPlan, info) -> tuple[str, ...]:
    if plan.batch_size == config.batch_size:
        return ()
    return (f"batch size {config.batch_size} -> {plan.batch_size} so that {info.width}x{info.height} frames fit "
            f"in memory (about {plan.estimate_bytes / GiB:.1f} GB; --max-memory to change)",)


def run(config: PipelineConfig, *, backend: Backend | None = None) -> RunStats:
    """Enhance ``config.input`` into ``config.output``. Raises EnlightError or Interrupted.

    backend: use this one instead of building one from ``config`` (tests, benchmarks).
    """
    start = time.perf_counter()
    source_at = config.input if isinstance(config.input, Location) else input_location(str(config.input))
    output_at = config.output
    if not isinstance(output_at, Location):
        output_at = output_location(str(output_at), format=config.format)
    output = Path(output_at.text)
    if output_at.is_file:
        check_paths(Path(source_at.url) if source_at.is_file else None, output, overwrite=config.overwrite,
                    container_from_name=output_at.format is None)
    encoder_codec(config.encoder.codec)
    if backend is None:
        backend = build_backend(model=config.model, weights=config.weights, quality=config.quality,
                                backend=config.backend, device=config.device, precision=config.precision,
                                cuda_graphs=config.cuda_graphs, compile=config.compile)
    enhancer = Enhancer(backend, config.smoothing)
    grey = GreyDecision(config.grey)

    hw_decode = resolve_hw_decode(config.hw_decode, backend.device)
    queue_size = max(8, 2 * config.batch_size)
    with VideoSource(source_at, queue_size=queue_size, hw_decode=hw_decode, timeout_s=config.timeout_s) as source:
        plan = _memory_plan(config, source.info, backend)
        source.set_queue_size(plan.decode_queue)
        sink = VideoSink(
            output_at,
            source.info,
            encoder=config.encoder,
            passthrough=source.passthrough,
            metadata=dict(source.container.metadata),
        )
        writer = _EncoderThread(sink, maxsize=min(config.queue_batches, plan.encode_batches))
        writer.start()
        enhance_s = 0.0
        bar = FrameProgress(source.info.frame_count, enabled=config.progress)
        try:
            batch: list[DecodedFrame] = []
            packets = []

            def emit(finished) -> None:
                for out, (frames, batch_packets) in finished:
                    writer.put(("frames", [(out[i], f.pts) for i, f in enumerate(frames)]))
                    bar.advance(len(frames))
                    for packet in batch_packets:
                        writer.put(("packet", packet))

            def flush() -> None:
                nonlocal enhance_s
                if batch:
                    t0 = time.perf_counter()
                    enhancer.grey = grey.update([f.chroma for f in batch])
                    finished = enhancer.submit(np.stack([f.rgb for f in batch]), tag=(list(batch), list(packets)))
                    enhance_s += time.perf_counter() - t0
                    batch.clear()
                    packets.clear()
                    emit(finished)

            for item in source:
                if isinstance(item, DecodedFrame):
                    batch.append(item)
                    if len(batch) == plan.batch_size:
                        flush()
                else:
                    packets.append(item)
            flush()
            t0 = time.perf_counter()
            emit(enhancer.drain())
            enhance_s += time.perf_counter() - t0
            for packet in packets:  # packets after the last frame
                writer.put(("packet", packet))
            writer.finish()
            bar.finish()
            sink.finish(overwrite=config.overwrite)
        except KeyboardInterrupt:
            bar.close()
            source.stop()
            try:
                writer.finish()
            except BaseException:
                pass
            raise Interrupted(sink.keep_partial(), sink.frames_written) from None
        except BaseException:
            bar.close()
            source.stop()
            writer.queue.put(_END)
            writer.join(timeout=10)
            sink.abort()
            raise
        finally:
            bar.close()
    device = getattr(backend, "device", "?")
    return RunStats(
        frames=sink.frames_written,
        wall_s=time.perf_counter() - start,
        decode_s=source.decode_s,
        enhance_s=enhance_s,
        encode_s=sink.encode_s,
        output=output if output_at.is_file else output_at.text,
        backend=backend.name,
        device=str(device),
        notes=(*source.notes, *sink.notes, *plan_notes(config, plan, source.info)),
        damage=source.damage,
        colour=grey.describe(),
    )
