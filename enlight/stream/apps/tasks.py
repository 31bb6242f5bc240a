"""One unit of batch work (a photo, a video, or a keyframe-aligned segment of one) and how a worker runs it.

The same ``run_task`` runs in-process, in a local process pool worker, or in a Ray task
(``enlight.stream.apps.cluster``): it builds the plan and backend once per process from picklable
``Settings`` (so each worker builds its own, on its own device and threads), writes its output
through a temporary file and an atomic rename, and turns every failure into an ``Outcome`` with a
one-line reason, so one bad file never stops a batch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from enlight.errors import EnlightError, disk_full, reason
from enlight.stream.io.encoder_settings import EncoderConfig

# Fault injection for the tests of retries: a worker whose environment names a marker file that does
# not exist yet creates it and dies (os._exit) after its first batch of frames, as a killed worker would.
# tasks in flight a worker (the local pool's) or task slot (a Ray cluster's) at once: one running and the next ones
# ready, so that it never waits on the parent between two photos; few, so that the parent's wait on them costs next
# to nothing (all handed at once, its work grew with the square of the files: docs/benchmarks.md)
IN_FLIGHT_PER_WORKER = 4
CRASH_ONCE_ENV = "ENLIGHT_TEST_CRASH_ONCE"


@dataclass(frozen=True)
class Settings:
    """What every task of a batch shares; picklable. plan_options: ``make_plan`` keyword arguments
    (the plan is made in the worker, where its device is); photo_plan_options: the photo tasks' own, where
    ``--quality auto`` chose for them apart from the videos (None: the same); threads: CPU threads per worker
    (0: all)."""

    plan_options: dict = field(default_factory=dict)
    photo_plan_options: dict | None = None
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    grey: str = "auto"
    hdr: str = "sdr"
    photo_quality: int = 95
    batch_size: int = 4
    max_memory_gb: float | None = None
    hw_decode: str = "auto"
    threads: int = 0
    size: tuple[int, int] | None = None  # the videos' frames scaled to it (--size; photos keep theirs)
    compare: str | None = None  # each video and photo written with its original (--compare split|side)
    video_streams: str = "all"  # a video's other video streams enhanced too (all) or copied as they are (first)


@dataclass(frozen=True)
class Segment:
    """Frames with start_pts <= pts < end_pts (None: to the end) of a video; the frames from warm_pts
    (None: no warm-up) up to start_pts are enhanced first and discarded, to warm the temporal state."""

    index: int
    count: int
    start_pts: int | None
    end_pts: int | None
    warm_pts: int | None
    frames: int  # frames the segment writes (from the packet index)

    @property
    def first_pts(self) -> int | None:
        """The first frame enhanced: the warm-up's, else the segment's own (None: from the video's start)."""
        return self.warm_pts if self.warm_pts is not None else self.start_pts


@dataclass(frozen=True)
class Task:
    """kind: photo, video or segment; output: the final file (segment: the segment's own file);
    frames: the expected frame count (progress); overwrite: an output from an earlier run may be replaced."""

    id: int
    kind: str
    input: str
    output: str
    frames: int = 1
    segment: Segment | None = None
    overwrite: bool = False


@dataclass(frozen=True)
class Outcome:
    """status: done, damaged (done; the input lost packets: ``reason`` says what) or failed (``reason``)."""

    task: Task
    status: str
    frames: int = 0
    wall_s: float = 0.0
    reason: str = ""
    notes: tuple[str, ...] = ()  # what the run would have said about the file (streams copied, HDR, ...)
    ended_at: float = 0.0  # time.time() when the task ended (0: not run here, e.g. a segment kept from a stopped run)


def span_s(outcomes: list[Outcome]) -> float:
    """Seconds from the start of the first of a file's tasks that ran to the end of the last: the file's time
    where its segments ran at once (their ``wall_s`` added up said 80 s for 30 s on four workers)."""
    ran = [o for o in outcomes if o.ended_at]
    return max(o.ended_at for o in ran) - min(o.ended_at - o.wall_s for o in ran) if ran else 0.0


class BatchStopped(EnlightError):
    """Raised by a runner when no task of the batch can go on (its Ray cluster is gone); ``remedy``: what to do before
    the same command again does the files not finished."""

    def __init__(self, why: str, remedy: str):
        super().__init__(why)
        self.remedy = remedy


_WORKER: dict = {}  # per process: (settings, the task kind's plan options) -> the plan and backend built for them


def plan_options_for(settings: Settings, kind: str) -> dict:
    """The ``make_plan`` keyword arguments of a task of this kind (photo, video or segment)."""
    return settings.photo_plan_options if kind == "photo" and settings.photo_plan_options else settings.plan_options


def worker_backend(settings: Settings, kind: str = "video"):
    """(plan, backend) for these settings and a task of this kind, built once per process (threads split as
    asked); a batch of videos and photos keeps both, for the settings in use."""
    options = plan_options_for(settings, kind)
    key = (repr(settings), repr(options))
    if key not in _WORKER:
        from enlight.ops.threads import limit_threads
        from enlight.stream.backends.options import OnnxRuntimeConfig
        from enlight.stream.core.plan import build_backend, make_plan

        plan = make_plan(**options)
        if settings.threads and isinstance(plan.options, OnnxRuntimeConfig):
            plan = replace(plan, options=replace(plan.options, threads=settings.threads))
        backend = build_backend(plan)
        if settings.threads:
            limit_threads(settings.threads)
        for old in [k for k in _WORKER if k[0] != key[0]]:  # another batch's
            del _WORKER[old]
        _WORKER[key] = plan, backend
    return _WORKER[key]


def _crash_hook(on_frames: Callable[[int], None] | None) -> Callable[[int], None] | None:
    marker = os.environ.get(CRASH_ONCE_ENV)
    if not marker:
        return on_frames

    def crash_once(frames: int) -> None:
        if on_frames is not None:
            on_frames(frames)
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
        os._exit(17)

    return crash_once


def _run_video(task: Task, settings: Settings, plan, backend, on_frames) -> tuple[int, str | None, tuple]:
    from enlight.stream.apps.pipeline import PipelineConfig, run

    config = PipelineConfig(input=Path(task.input), output=Path(task.output), plan=plan,
                            hw_decode=settings.hw_decode, batch_size=settings.batch_size, grey=settings.grey,
                            hdr=settings.hdr,
                            encoder=settings.encoder, overwrite=task.overwrite, progress=False,
                            max_memory_gb=settings.max_memory_gb, on_frames=on_frames, size=settings.size,
                            compare=settings.compare, video_streams=settings.video_streams)
    stats = run(config, backend=backend)  # (it removes what an earlier, interrupted run of this file kept)
    return stats.frames, str(stats.damage) if stats.damage is not None else None, stats.notes


def _run_photo(task: Task, settings: Settings, plan, backend, on_frames) -> tuple[int, str | None, tuple]:
    from enlight.stream.apps.photo import PhotoConfig, enhance_photo

    stats = enhance_photo(PhotoConfig(Path(task.input), Path(task.output), plan=plan, grey=settings.grey,
                                      quality=settings.photo_quality, overwrite=task.overwrite,
                                      max_memory_gb=settings.max_memory_gb,
                                      plan_options=plan_options_for(settings, "photo"), compare=settings.compare,
                                      hdr=settings.hdr),
                          backend=backend)
    if on_frames is not None:  # (planned as one frame; an animation's others were never told: its bar ended short)
        on_frames(stats.frames)  # every frame written: the batch's bar total is corrected to them with the outcome
    kept = ("--size applies to the videos: the photos keep their size",) if settings.size else ()
    return stats.frames, None, (*stats.notes(), *kept)


def _run_segment(task: Task, settings: Settings, plan, backend, on_frames) -> tuple[int, str | None, tuple]:
    from enlight.stream.apps.segments import run_segment

    frames, notes = run_segment(task, settings, plan, backend, on_frames)
    return frames, None, notes


RUNNERS = {"video": _run_video, "photo": _run_photo, "segment": _run_segment}


def run_task(task: Task, settings: Settings, on_frames: Callable[[int], None] | None = None) -> Outcome:
    """Run one task; every failure becomes a failed ``Outcome`` with a one-line reason."""
    start = time.perf_counter()
    ended = partial(_ended, task, start)
    try:
        plan, backend = worker_backend(settings, task.kind)
        frames, damage, notes = RUNNERS[task.kind](task, settings, plan, backend, _crash_hook(on_frames))
    except EnlightError as exc:
        return ended("failed", reason=str(exc).splitlines()[0])
    except Exception as exc:  # a full disk, a bug or an unexpected library error: one line, and the batch goes on
        return ended("failed", reason=disk_full(exc) or f"internal error: {type(exc).__name__}: {reason(exc)}")
    return ended("damaged" if damage else "done", frames=frames, reason=damage or "", notes=tuple(notes))


def _ended(task: Task, start: float, status: str, **fields) -> Outcome:
    """The ``Outcome`` of ``task``, begun at ``start`` (time.perf_counter()) and ended now."""
    return Outcome(task, status, wall_s=time.perf_counter() - start, ended_at=time.time(), **fields)
