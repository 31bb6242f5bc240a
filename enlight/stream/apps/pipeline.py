"""``run(config)``: a video file or stream in, an enhanced video file or stream out.

Three threads, joined by bounded queues, so decode, inference and encode overlap::

    VideoSource thread ──items──> main thread: batches, Enhancer ──batches──> encoder thread: VideoSink

and on a CPU two more: ``enlight-combine`` runs the Enhancer's stages after the model (smoothing, Combine)
of batch n-1, in order, while the main thread runs the model on batch n (``Enhancer.start`` / ``finish``;
issue 17: the critical path is the model, not the model plus the full-size work), and ``enlight-prepare``
the stages before it (the denoiser, the model's input: ``Enhancer.begin``) a batch ahead, so that their
full-size work uses the core that the model leaves idle.

``run`` opens the I/O (``_open``), takes batches of frames from the source (``batches``), keeps the
audio and subtitle packets that came with each batch beside it (never through the Enhancer), and
muxes them unchanged after that batch's frames; ``_stats`` says what was done. A file with other video streams (a
dual-camera dashcam's rear camera) is run as passes, one a video stream (``video_passes``): ``_run_pass`` is one.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from enlight.errors import EnlightError
from enlight.ops.threads import torch_threads
from enlight.stream.apps.compare import Compare, compared_info
from enlight.stream.apps.manifest import segment_folder
from enlight.stream.apps.progress import FrameProgress
from enlight.stream.apps.video_passes import VIDEO_STREAMS, Pass, enhance_all, plan_videos
from enlight.stream.backends.base import Backend
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.memory import GiB, MemoryPlan, memory_budget, plan_memory
from enlight.stream.core.plan import InferencePlan, build_backend, make_plan
from enlight.stream.io.checks import check_paths
from enlight.stream.io.chroma import GreyDecision
from enlight.stream.io.codec_choice import encoder_codec
from enlight.stream.io.damage import Damage
from enlight.stream.io.encoder_settings import CODEC_AUTO, EncoderConfig, resolve_preset
from enlight.stream.io.enhanced_tracks import EnhancedTracks
from enlight.stream.io.input_streams import VideoChoice
from enlight.stream.io.locations import Location, input_location, output_location, sequence_files, with_write_timeout
from enlight.stream.io.sequence_sink import SequenceSink, check_sequence_output
from enlight.stream.io.sink import VideoSink, drop_partial
from enlight.stream.io.source import VideoSource
from enlight.stream.io.source_items import DecodedFrame
from enlight.stream.io.span import Span
from enlight.text import counted

_END = object()


@dataclass(frozen=True)
class PipelineConfig:
    """Everything one run needs. plan: what enhances (``enlight.stream.core.plan.make_plan``).

    input/output: a file path, a URL, ``-`` (stdin/stdout), or a ready ``Location``.
    max_frames: stop after this many frames (None: all).
    format: the output muxer (default: from the extension; MPEG-TS for ``-`` and most URLs).
    timeout_s: the longest a network read or write may block before the run fails.
    """

    input: Path | str | Location
    output: Path | str | Location
    plan: InferencePlan = field(default_factory=make_plan)
    hw_decode: str = "auto"  # auto: NVDEC when the backend runs on CUDA; off; or an FFmpeg device type
    batch_size: int = 4
    grey: str = "auto"  # auto: grey output while the source carries no chroma; on; off (enlight.stream.io.chroma)
    hdr: str = "sdr"  # a PQ/HLG input: sdr converts it to SDR BT.709 first; keep (enlight.stream.io.hdr)
    max_frames: int | None = None
    span: Span | None = None  # the part of the input read (--start, --end, --duration); None: all of it
    size: tuple[int, int] | None = None  # frames scaled to (width, height) as shown, one side may be -1 (--size)
    compare: str | None = None  # 'split' or 'side': the original beside the enhanced frames (--compare)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    overwrite: bool = False
    progress: bool = True
    queue_batches: int = 4  # batches buffered between inference and the encoder (fewer for big frames)
    max_memory_gb: float | None = None  # None: 80% of the memory available (enlight.stream.core.memory)
    format: str | None = None
    timeout_s: float = 10.0
    on_frames: Callable[[int], None] | None = None  # told each batch's frame count as it is written (batch runs)
    video_streams: str = "all"  # all: every video stream enhanced (``video_passes``); first: the others copied

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise EnlightError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.max_frames is not None and self.max_frames < 1:
            raise EnlightError(f"--max-frames must be at least 1, got {self.max_frames}")
        if self.video_streams not in VIDEO_STREAMS:
            raise EnlightError(f"--video-streams takes {' or '.join(VIDEO_STREAMS)}, not '{self.video_streams}'")


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
    denoise: str = "off"  # the --denoise level
    exposure: str = ""  # what --exposure did ('' when off)
    deband: str = ""  # what the deband step did ('' when off)
    first_s: Fraction | None = None  # the first frame's time as encoded (seconds), for another pass's merge
    parts: tuple[tuple[int, RunStats], ...] = ()  # (index, its pass's stats) of each video stream of several

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> str:
        streams = "; ".join(f"video stream #{index}: {counted(part.frames, 'frame')}, {part._stages()}"
                            for index, part in self.parts)
        return (
            f"{counted(self.frames, 'frame')} in {self.wall_s:.1f} s ({self.fps:.2f} fps, {self.backend} on "
            f"{self.device}, {streams or self._stages()}): "
            f"decode {self.decode_s:.1f} s, enhance {self.enhance_s:.1f} s, encode {self.encode_s:.1f} s "
            f"-> {self.output}"
        )

    def _stages(self) -> str:
        """What the stages did to a video stream: 'denoise light, deband 3 of 48 frames, colour'."""
        return (f"denoise {self.denoise}, {f'deband {self.deband}, ' if self.deband else ''}"
                f"{f'exposure {self.exposure}, ' if self.exposure else ''}{self.colour}")


class Interrupted(KeyboardInterrupt):
    """The run was stopped (Ctrl-C); ``partial`` holds what was encoded, or None (a stream's frames were sent:
    ended, or ``cut`` off where a send blocked or failed). A KeyboardInterrupt, so that what runs the pipeline among
    other work (a folder's batch) stops as on any Ctrl-C, not one failed file."""

    def __init__(self, partial: Path | None, frames: int, *, cut: bool = False) -> None:
        super().__init__(f"interrupted after {frames} frames")
        self.partial = partial
        self.frames = frames
        self.cut = cut


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
    """Takes (frames, packets) items, frames [(rgb, pts, alpha, duration), ...] and the passthrough packets to mux
    after them, and writes them to the sink. One item per batch: the queue's bound counts batches, not the audio
    packets between frames (one item per packet filled a 4-item queue with audio, and each wait for the encoder
    thread to take an item cost a GIL hand-off: 2.0 s of a 7.6 s run blocked on it, issue 17)."""

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
                frames, packets = item
                for rgb, pts, alpha, duration in frames:
                    self.sink.write_frame(rgb, pts, alpha, duration)
                for packet in packets:
                    self.sink.write_packet(packet)
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


def _memory_plan(config: PipelineConfig, info, device) -> MemoryPlan:
    return plan_memory(info.width, info.height, quality=config.plan.quality, model=config.plan.model,
                       batch_size=config.batch_size, on_cuda=device.type == "cuda",
                       budget=memory_budget(config.max_memory_gb))


def plan_notes(config: PipelineConfig, plan: MemoryPlan, info) -> tuple[str, ...]:
    if plan.batch_size == config.batch_size:
        return ()
    return (f"batch size {config.batch_size} -> {plan.batch_size} so that {info.width}x{info.height} frames fit "
            f"in memory (about {plan.estimate_bytes / GiB:.1f} GB of frames and model work; {plan.budget.explain()})",)


def _locations(config: PipelineConfig) -> tuple[Location, Location]:
    """Where to read and write, checked before any work."""
    source_at = config.input if isinstance(config.input, Location) else input_location(str(config.input))
    output_at = config.output
    if not isinstance(output_at, Location):
        output_at = output_location(str(output_at), format=config.format)
    output_at = with_write_timeout(output_at, config.timeout_s)
    if output_at.is_file:
        check_paths(Path(source_at.url) if source_at.is_file else None, Path(output_at.text),
                    overwrite=config.overwrite, container_from_name=output_at.format is None)
    if output_at.kind == "sequence":
        check_sequence_output(output_at, overwrite=config.overwrite, source=source_at)
    if config.encoder.codec != CODEC_AUTO:
        encoder_codec(config.encoder.codec)
    return source_at, output_at


def batches(source: VideoSource, size: int, max_frames: int | None = None
            ) -> Iterator[tuple[list[DecodedFrame], list]]:
    """(frames, packets) in demux order: up to ``size`` frames, and the passthrough packets read
    before the batch closed. The last item may have no frames (packets after the last frame).
    Stops after ``max_frames`` frames, if given."""
    frames: list[DecodedFrame] = []
    packets: list = []
    taken = 0
    for item in source:
        if not isinstance(item, DecodedFrame):
            packets.append(item)
            continue
        if max_frames is not None and taken >= max_frames:
            break
        frames.append(item)
        taken += 1
        if len(frames) == size:
            yield frames, packets
            frames, packets = [], []
    if frames or packets:
        yield frames, packets


class _Run:
    """One run's moving parts: the enhancer, the encoder thread, the progress bar, and the packets
    that wait for their batch to come out of the enhancer (on CUDA one batch stays in flight); in the output's pass
    of several video streams, the other streams' enhanced packets (``tracks``), muxed after the frames of their time."""

    def __init__(self, enhancer: Enhancer, writer: _EncoderThread | None, bar: FrameProgress | None, grey: GreyDecision,
                 combiner: ThreadPoolExecutor | None = None, preparer: ThreadPoolExecutor | None = None) -> None:
        """combiner: the CPU's one-thread pool for the stages after the model (None: ``Enhancer.submit``);
        preparer: the CPU's one-thread pool for ``Enhancer.begin`` (None: on the main thread)."""
        self.enhancer, self.writer, self.bar, self.grey = enhancer, writer, bar, grey
        self.combiner, self.preparer = combiner, preparer
        self.combining: deque[tuple[Future, list]] = deque()  # one CPU batch in flight on the combiner
        self.preparing: deque[tuple[Future, list]] = deque()  # one CPU batch in flight on the preparer
        self.waiting: deque[list] = deque()
        self.enhance_s = 0.0
        self.on_frames: Callable[[int], None] | None = None
        self.compare: Compare | None = None  # --compare: each frame written beside (or split with) its original
        self.tracks: EnhancedTracks | None = None  # the other video streams' passes, read back (``video_passes``)

    def submit(self, frames: list[DecodedFrame], packets: list) -> None:
        if not frames:  # packets after the last frame
            self.waiting.append(packets)
            return
        t0 = time.perf_counter()
        self.enhancer.grey = self.grey.update([f.chroma for f in frames])
        self.waiting.append(packets)
        pixels = np.stack([f.rgb for f in frames])
        if self.combiner is None:
            finished = self.enhancer.submit(pixels, tag=frames)
        elif self.preparer is None:
            self._start(pixels, frames)
            finished = self._combined(keep=1)
        else:
            self.preparing.append((self.preparer.submit(self.enhancer.begin, pixels, self.enhancer.grey), frames))
            finished = self._prepared(keep=1)
        self.enhance_s += time.perf_counter() - t0
        self._emit(finished)

    def _start(self, work, frames: list) -> None:
        """A batch (pixels, or the ``Work`` that ``Enhancer.begin`` made) through the model (main thread) and on
        to the combiner."""
        work = self.enhancer.start(work)
        self.combining.append((self.combiner.submit(self.enhancer.finish, work), frames))

    def _prepared(self, keep: int) -> list[tuple[np.ndarray, list]]:
        finished = []
        while len(self.preparing) > keep:
            future, frames = self.preparing.popleft()
            self._start(future.result(), frames)
            finished += self._combined(keep=1)
        return finished

    def _combined(self, keep: int) -> list[tuple[np.ndarray, list]]:
        finished = []
        while len(self.combining) > keep:
            future, frames = self.combining.popleft()
            finished.append((future.result(), frames))
        return finished

    def finish(self) -> None:
        t0 = time.perf_counter()
        finished = self._prepared(keep=0)
        finished += self._combined(keep=0) + self.enhancer.drain()
        self.enhance_s += time.perf_counter() - t0
        self._emit(finished)
        while self.waiting:
            self.writer.put(([], self.waiting.popleft()))
        for packets in self.tracks.rest() if self.tracks is not None else ():
            self.writer.put(([], packets))

    def _emit(self, finished) -> None:
        for out, frames in finished:
            compare = self.compare
            written = [(out[i], f.pts, f.alpha, f.duration) if compare is None else
                       (compare(f.rgb, out[i]), f.pts, compare.alpha(f.alpha), f.duration)
                       for i, f in enumerate(frames)]
            tracks = [] if self.tracks is None else self.tracks.until(frames[-1].pts * frames[-1].time_base)
            self.writer.put((written, self.waiting.popleft() + tracks))
            self.bar.advance(len(frames))
            if self.on_frames is not None:
                self.on_frames(len(frames))


@contextlib.contextmanager
def _helper_thread(name: str, wanted: bool) -> Iterator[ThreadPoolExecutor | None]:
    """One thread that runs a part of the Enhancer's stages, in submission order (None unless wanted): on a
    CPU, ``enlight-combine`` (the stages after the model) and ``enlight-prepare`` (``Enhancer.begin``)."""
    if not wanted:
        yield None
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        yield pool
    except BaseException:  # Ctrl-C, an error: the batches queued behind the one it is on are not started
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def run(config: PipelineConfig, *, backend: Backend | None = None) -> RunStats:
    """Enhance ``config.input`` into ``config.output``. Raises EnlightError or Interrupted.

    backend: use this one instead of building the plan's (tests, benchmarks).
    """
    start = time.perf_counter()
    source_at, output_at = _locations(config)
    label = backend.name if backend is not None else config.plan.label
    backend = backend or build_backend(config.plan)
    videos = plan_videos(source_at, output_at, config.video_streams, config.span, config.max_frames)

    def run_pass(config: PipelineConfig, step: Pass) -> RunStats:
        return _run_pass(config, source_at, step, backend, (label, start))

    if not videos.passes:
        return run_pass(config, Pass(output_at, VideoChoice(why_copied=videos.why_copied)))
    return enhance_all(config, videos, output_at, run_pass)


def _run_pass(config: PipelineConfig, source_at: Location, step: Pass, backend: Backend,
              named: tuple[str, float]) -> RunStats:
    """One pass over the input (``step``: the output's, or another video stream's alone); named: the backend's
    label and the run's start (time.perf_counter())."""
    enhancer = Enhancer.from_plan(config.plan, backend)
    hw_decode = resolve_hw_decode(config.hw_decode, backend.device)
    around_model = 1 if backend.device.type == "cpu" else 0  # torch's threads for the work around the model
    output_at = step.output_at
    reading = {"span": config.span, "size": config.size, "timeout_s": config.timeout_s, "hdr": config.hdr,
               "srgb_pictures": output_at.kind != "sequence",  # (a video holds no ICC profile: the pixels take it)
               "video": step.video}
    with VideoSource(source_at, queue_size=max(8, 2 * config.batch_size), hw_decode=hw_decode, **reading) as source, \
            EnhancedTracks(source.container, step.made) as tracks, torch_threads(around_model), \
            _helper_thread("enlight-combine", backend.device.type == "cpu") as combiner, \
            _helper_thread("enlight-prepare", backend.device.type == "cpu") as preparer:
        memory = _memory_plan(config, source.info, backend.device)
        source.set_queue_size(memory.decode_queue)
        work = _Run(enhancer, None, step.bar, GreyDecision(config.grey), combiner, preparer)
        work.tracks = tracks if step.made else None
        work = _start(config, source, step, memory, work)
        _work_through(config, source, step, work, memory.batch_size)
    return _stats(config, named[1], source, work.writer.sink, work, memory, step, named[0])


def _work_through(config: PipelineConfig, source: VideoSource, step: Pass, work: _Run, batch_size: int) -> None:
    """The pass's frames through the enhancer into its sink, finished; on Ctrl-C what was encoded kept (the output's
    pass; another video stream's alone keeps nothing) and ``Interrupted`` raised; on an error nothing kept."""
    writer, sink = work.writer, work.writer.sink
    try:
        for frames, packets in batches(source, batch_size, config.max_frames):
            work.submit(frames, packets)
        work.finish()
        writer.finish()
        if not step.alone:  # (the output's pass is the last of a run: the bar ends with it)
            work.bar.finish()
        sink.finish(overwrite=config.overwrite or step.alone)
        sink.notes += [] if step.alone else _drop_partial(step.output_at)
    except KeyboardInterrupt:
        _stop(work, source)
        try:
            writer.finish()
        except BaseException:
            pass
        partial = sink.keep_partial() if not step.alone else sink.abort()
        frames = sink.frames_written + (work.tracks.handed if work.tracks is not None else 0)  # (every stream's)
        raise Interrupted(partial, frames, cut=isinstance(sink, VideoSink) and sink.stream_cut) from None
    except BaseException:
        _stop(work, source)
        writer.queue.put(_END)
        writer.join(timeout=10)
        sink.abort()
        raise


def _drop_partial(output_at: Location) -> list[str]:
    """What earlier, stopped runs of this output kept deleted, now that the whole output replaces it: a plain run's
    ``NAME.partial.EXT``, a ``--segments`` run's finished segments (``.enlight-segments-NAME``, which only the same
    output written in segments would take); the notes that say so (none for a stream or numbered pictures, or where
    there was none)."""
    if not output_at.is_file:
        return []
    path = Path(output_at.text)
    folder = segment_folder(path)
    if not folder.is_dir():
        return drop_partial(path)
    shutil.rmtree(folder, ignore_errors=True)
    return [*drop_partial(path), f"removed {folder.name}, the segments a stopped --segments run had kept"]


def _start(config: PipelineConfig, source: VideoSource, step: Pass, memory: MemoryPlan, work: _Run) -> _Run:
    """``work`` with its sink, encoder thread and progress bar (the run's, where its passes share one: ``step.bar``)
    started. Stopped while it starts (Ctrl-C, SIGTERM landing between the output's creation and the run's own
    handler), it removes the output's temporary file."""
    sink = _sink(config, source, step, work.tracks)
    try:
        work.writer = _EncoderThread(sink, maxsize=min(config.queue_batches, memory.encode_batches))
        work.writer.start()
        total = source.info.frame_count
        if config.max_frames is not None:
            total = min(total, config.max_frames) if total is not None else config.max_frames
        work.bar = work.bar or FrameProgress(total, enabled=config.progress)
        work.on_frames = config.on_frames
        work.compare = Compare(config.compare, source.info.display_matrix) if config.compare else None
        return work
    except BaseException:
        if work.writer is not None and work.writer.is_alive():
            work.writer.queue.put(_END)
            work.writer.join(timeout=10)
        sink.abort()
        raise


def _sink(config: PipelineConfig, source: VideoSource, step: Pass, tracks: EnhancedTracks | None
          ) -> VideoSink | SequenceSink:
    """The video file or stream the frames are encoded into, or the numbered pictures they are written as; with the
    other video streams' passes (``tracks``) copied in. Another video stream's pass (``step.alone``) writes its
    stream alone: none of the file's tags, chapters, attachments, cover pictures or 360 projection."""
    written, output_at = compared_info(source.info, config.compare), step.output_at
    if output_at.kind == "sequence":
        if source.color.hdr is not None and not source.to_sdr:
            raise EnlightError("--hdr keep writes HDR video; an image sequence is 8-bit SDR pictures (leave --hdr "
                               "at sdr, or give a video output)")
        colour = source.picture_colour
        return SequenceSink(output_at, written, inputs=_input_pictures(config, source), passthrough=source.passthrough,
                            captions=source.captions, quality=config.encoder.picture_quality,
                            profiles=colour.profiles if colour is not None else None)
    encoder = resolve_preset(config.encoder, speed=config.plan.quality == "fast")
    whole = not step.alone
    return VideoSink(output_at, written, encoder=encoder, passthrough=source.passthrough,
                     metadata=dict(source.container.metadata) if whole else {},
                     chapters=source.chapters(config.max_frames) if whole else (),
                     attachments=source.attachments, covers=source.covers, spherical=source.spherical,
                     captions=source.captions, time_offset_us=source.negative_start_us, priming=source.priming,
                     enhanced=tracks.tracks if tracks is not None else ())


def _input_pictures(config: PipelineConfig, source: VideoSource) -> dict[int, tuple[int, Path]] | None:
    """An input sequence's (number, file) of each frame, by the frame's pts (image2 counts its files in pts, and a
    ``--start`` moves them back by the ticks it left out); None for another input."""
    if source.location.kind != "sequence":
        return None
    shift = round(config.span.start / source.info.time_base) if config.span is not None else 0
    return {index - shift: picture for index, picture in enumerate(sequence_files(source.location.text))}


def _unkept_tags(source: VideoSource, output_at: Location) -> list[str]:
    """What of an input sequence's pictures' EXIF, ICC profile and XMP a video did not keep, as a note (numbered
    pictures keep it): only what its first picture has, and its profile only where it is not in the pixels (a grey,
    CMYK or RGB one applied to them as they were read, or sRGB, as the video is tagged); none for another run."""
    from enlight.stream.io.picture_tags import held_tags

    if source.location.kind != "sequence" or output_at.kind == "sequence":
        return []
    files = sequence_files(source.location.text)
    held = held_tags(files[0][1]) if files else []
    colour = source.picture_colour
    if "ICC profile" in held and colour is not None and not colour.profile_lost(0):
        held.remove("ICC profile")
    if not held:
        return []
    named = held[0] if len(held) == 1 else f"{', '.join(held[:-1])} and {held[-1]}"
    named += " (the time each was taken, the camera)" if "EXIF" in held else ""
    is_, them = ("is", "it") if len(held) == 1 else ("are", "them")
    return [f"the input pictures' {named} {is_} not kept in a video: numbered pictures keep {them} "
            "(-o day_%04d.jpg)"]


def _stop(work: _Run, source: VideoSource) -> None:
    """The run's threads stopped: the bar, the decoder, the enhancer's stages on the helper threads (the run
    waits for them, and a batch's stages take seconds), and a send to a stream that blocks (``VideoSink.hurry``)."""
    work.bar.close()
    source.stop()
    work.enhancer.halt()
    if isinstance(work.writer.sink, VideoSink):
        work.writer.sink.hurry()


def _stats(config: PipelineConfig, start: float, source: VideoSource, sink: VideoSink, work: _Run,
           memory: MemoryPlan, step: Pass, label: str) -> RunStats:
    notes = [*source.notes, *sink.notes, *_unkept_tags(source, step.output_at),
             *plan_notes(config, memory, source.info)]
    if config.max_frames is not None and sink.frames_written >= config.max_frames:
        several = bool(step.video.elsewhere)
        others = (" of the first video stream", "; the others up to the same time") if several else ("", "")
        notes.append(f"stopped after {counted(sink.frames_written, 'frame')}{others[0]} (--max-frames{others[1]})")
    return RunStats(
        frames=sink.frames_written,
        wall_s=time.perf_counter() - start,
        decode_s=source.decode_s,
        enhance_s=work.enhance_s,
        encode_s=sink.encode_s,
        output=Path(step.output_at.text) if step.output_at.is_file else step.output_at.text,
        backend=label,
        device=str(work.enhancer.device),
        notes=tuple(notes),
        damage=source.damage,
        colour="grey (--pix-fmt)" if getattr(sink, "pix_fmt", "").startswith(("gray", "ya")) else work.grey.describe(),
        denoise=work.enhancer.denoise_summary(config.plan.denoise.label),
        exposure=work.enhancer.exposure_summary(),
        deband=work.enhancer.deband_summary(),
        first_s=getattr(sink, "first_time", None),
    )
