"""``--quality auto`` (the default): the best preset that keeps a run near a target speed on this
device at this frame size, from measured per-pixel costs (``enlight.stream.core.preset_costs``).

A pure function of its inputs, torch-free: ``choose_quality(workload, runtimes, device_type, table)``.

- On a GPU: ``best`` (the full generator runs at 60-200 fps at 1080p on an H100).
- A video file on a CPU: each preset's end-to-end seconds per frame is its measured milliseconds
  per megapixel times the frame's megapixels; the first of best, balanced, fast whose speed reaches
  ``AUTO_SPEED`` times the video's frame rate (half real time: a 1-minute clip in about 2 minutes)
  is chosen, else the fastest. The first line of the run gives the estimate and the flags for the
  better presets with theirs.
- Live runs (``--camera``) and streams of unknown size on a CPU: ``fast``; a photo: ``best`` (one
  frame: seconds, and a photo is looked at closely; docs/benchmarks.md, "--quality auto").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from enlight.stream.core.choices import AUTO_SPEED, QUALITIES
from enlight.stream.core.cpu_kind import KIND_WORDS
from enlight.stream.core.preset_costs import COSTS, CostTable, PresetCost
from enlight.text import counted

ASSUMED_FPS = 25.0  # the frame rate a target is stated against when the container does not say
MEANING = {"best": "the full generator", "balanced": "the base-16 student at full size",
           "fast": "the base-8 student at 1/4 size"}
NARROW_MEANING = "the base-12 student at full size"  # balanced's float student on a CPU without int8 dot products


@dataclass(frozen=True)
class Workload:
    """What a run enhances. kind: 'video' (a file), 'stream' (size unknown before decoding), 'live'
    or 'photo'; width/height in pixels, frames (None: unknown) and the frame rate (None: unknown) of its (first)
    video stream; sixteen_bit: a photo whose result is made at 16 bits (``enlight.stream.apps.photo_deep``: two more
    model runs at full size); others: (width, height, frames or None) of each other video stream of the file that
    is enhanced too (a dual-camera dashcam's rear camera: ``enlight.stream.apps.video_passes``)."""

    kind: str = "video"
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    fps: float | None = None
    sixteen_bit: bool = False
    others: tuple[tuple[int, int, int | None], ...] = ()

    @property
    def megapixels(self) -> float | None:
        return self.width * self.height / 1e6 if self.width and self.height else None

    @property
    def work_megapixels(self) -> float | None:
        """The megapixels enhanced for each frame of the first stream: its own, and the other streams' at their share
        of its frames (as many where either count is unknown), as a run enhances every one."""
        if self.megapixels is None:
            return None
        share = [n / self.frames if n is not None and self.frames else 1.0 for _, _, n in self.others]
        return self.megapixels + sum(w * h / 1e6 * k for (w, h, _), k in zip(self.others, share, strict=True))

    @property
    def all_frames(self) -> int | None:
        """The frames of every stream enhanced; None where one count is unknown."""
        counts = [self.frames, *(n for _, _, n in self.others)]
        return None if None in counts else sum(counts)

    @property
    def shape(self) -> str:
        """'at 1920x1080', or for several video streams 'of 2 video streams (1920x1080, 1280x720)'."""
        if not self.others:
            return f"at {self.width}x{self.height}"
        sizes = ", ".join(f"{w}x{h}" for w, h in [(self.width, self.height), *((w, h) for w, h, _ in self.others)])
        return f"of {counted(1 + len(self.others), 'video stream')} ({sizes})"


@dataclass(frozen=True)
class AutoChoice:
    """quality: the preset chosen; why: what it was chosen over and against which target (the summary
    line and --dry-run); first_line: the estimate and the flags to change it (printed before the run);
    seconds_per_frame: the estimate per preset considered (empty where no estimate was made)."""

    quality: str
    why: str
    first_line: str
    seconds_per_frame: tuple[tuple[str, float], ...] = ()


def duration(seconds: float) -> str:
    """'12 s', '6 min', '2.5 h'."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def fixed_choice(quality: str, why: str) -> AutoChoice:
    """A choice made without estimates (a GPU, a photo, a live run, a stream, own weights)."""
    text = f"quality auto -> {quality}: {why}"
    return AutoChoice(quality, text, f"{text} (--quality best|balanced|fast to choose)")


def choose_quality(workload: Workload, runtimes: dict[str, str], device_type: str,
                   table: CostTable = COSTS, speed: float = AUTO_SPEED, cpu: str | None = None,
                   narrow: frozenset[str] = frozenset()) -> AutoChoice:
    """The preset for ``workload``. runtimes: preset -> the runtime it would run on here, as the cost
    table names it ('onnxruntime int8', 'onnxruntime', 'torch'); speed: the target as a fraction of
    the video's frame rate; cpu: this CPU's kind (``cpu_kind``), named in the first line where the table's
    differs; narrow: the presets that run their narrower float student here (named so in the first line)."""
    if device_type != "cpu":
        return fixed_choice("best", f"{MEANING['best']} on a GPU")
    if workload.kind == "photo":
        return _photo_choice(workload, runtimes, table, narrow, cpu)
    if workload.kind in ("live", "stream") or workload.megapixels is None:
        what = "a live run" if workload.kind == "live" else "a stream"
        return fixed_choice("fast", f"{what} on a CPU keeps up only with the fastest preset")
    costs = {q: table.costs[q, runtimes[q]] for q in QUALITIES if (q, runtimes.get(q)) in table.costs}
    per_frame = {q: cost.seconds_per_frame(workload.work_megapixels) for q, cost in costs.items()}
    if not per_frame:
        return fixed_choice("best", f"no measured costs for {', '.join(sorted(set(runtimes.values())))} on a CPU")
    rate = workload.fps or ASSUMED_FPS
    target = speed * rate
    quality = next((q for q, s in per_frame.items() if 1 / s >= target), list(per_frame)[-1])
    meaning = {q: _meaning(q, narrow) for q in per_frame}
    first = _first_line(quality, per_frame, {q: c.startup_s for q, c in costs.items()}, workload, meaning)
    if 1 / per_frame[quality] < target:
        first += _smaller_size(workload, costs[quality], target, quality)
    first += _measured_elsewhere(table, cpu)
    return AutoChoice(quality, _why(quality, per_frame, (target, speed, rate), workload, table.where), first,
                      tuple(per_frame.items()))


SHORT_SIDES = (1080, 720, 540, 480, 360)  # the sizes offered (--size NNNp) to a video no preset keeps up with here


def _smaller_size(workload: Workload, cost: PresetCost, target: float, quality: str) -> str:
    """The first line's offer of the largest of ``SHORT_SIDES`` below the video's short side at which ``quality``
    (the fastest preset, ``cost`` its ``PresetCost``) reaches ``target`` fps, with its estimate; '' where none does."""
    short = min(workload.width, workload.height)
    for side in (s for s in SHORT_SIDES if s < short):
        seconds = cost.seconds_per_frame(workload.work_megapixels * (side / short) ** 2)
        if 1 / seconds >= target:
            took = duration(cost.startup_s + workload.frames * seconds) if workload.frames is not None else \
                f"{_fps(1 / seconds)} fps"
            return f"; at --size {side}p, {quality} near half the frame rate (about {took})"
    return ""


def _meaning(quality: str, narrow: frozenset[str]) -> str:
    """What a preset runs here, for the first line (``narrow``: the presets that run their narrower student)."""
    return NARROW_MEANING if quality in narrow else MEANING[quality]


def _measured_elsewhere(table: CostTable, cpu: str | None) -> str:
    """The first line's end on a CPU of another kind than the one the costs were measured on; '' otherwise."""
    if cpu in (None, table.kind):
        return ""
    return f" ({table.where}; this CPU {KIND_WORDS.get(cpu, 'is ' + cpu)}: expect other speeds)"


PHOTO_NOTICE_S = 10.0  # a photo whose estimate under best is longer gets a first line with it
# the 16-bit pass of a photo (two model runs, ``photo_deep``) against the photo's own model time: 79 s beside 51 s
# for a 4032x3024 RAW with best (136.6 against 57.6 s in all, 2.3 s start-up and 1.3 s of LibRaw aside)
SIXTEEN_BIT_EXTRA = 1.5
FULL_SIZE = ("best", "balanced")  # the presets whose model runs at full size: those the 16-bit pass runs with


def _photo_seconds(table: CostTable, preset: str, runtime: str | None, workload: Workload) -> float | None:
    """``table.photo_seconds``, with the 16-bit pass where ``workload`` has one and ``preset`` runs at full size."""
    seconds = table.photo_seconds(preset, runtime, workload.megapixels)
    if seconds is None or not workload.sixteen_bit or preset not in FULL_SIZE:
        return seconds
    video = table.costs.get((preset, runtime))  # its start-up: the process's (a photo line's runs below zero)
    return seconds + SIXTEEN_BIT_EXTRA * max(0.0, seconds - (video.startup_s if video else 0.0))


def _photo_choice(workload: Workload, runtimes: dict[str, str], table: CostTable,
                  narrow: frozenset[str] = frozenset(), cpu: str | None = None) -> AutoChoice:
    """best for a photo; where it will take a while (a phone's 12 or 48 megapixels on a CPU), with a first line
    that says how long, and how long ``--quality balanced`` (where the table has its cost) and ``fast`` would."""
    choice = fixed_choice("best", f"{MEANING['best']} for one photo")
    if workload.megapixels is None:
        return choice
    seconds = {q: _photo_seconds(table, q, runtimes.get(q), workload) for q in QUALITIES}
    if seconds["best"] is None or seconds["fast"] is None or seconds["best"] < PHOTO_NOTICE_S:
        return choice
    seconds = {q: s for q, s in seconds.items() if s is not None}
    faster = ", ".join(f"--quality {q} for {_meaning(q, narrow)} (about {duration(s)})"
                       for q, s in seconds.items() if q != "best")
    deep = " 16-bit" if workload.sixteen_bit else ""
    first = (f"quality auto -> best: about {duration(seconds['best'])} for this {workload.width}x{workload.height}"
             f"{deep} photo on this CPU ({MEANING['best']}); {faster}{_measured_elsewhere(table, cpu)}")
    return replace(choice, first_line=first, seconds_per_frame=tuple(seconds.items()))


def _fps(value: float) -> str:
    return f"{value:.2g}" if value < 10 else f"{value:.0f}"


def _why(quality: str, per_frame: dict[str, float], rates: tuple[float, float, float], workload: Workload,
         where: str) -> str:
    """rates: the target fps, the fraction of the video's rate it is, the video's rate."""
    target, speed, rate = rates
    speeds = ", ".join(f"{q} {_fps(1 / s)}" for q, s in per_frame.items())
    keeps = ("the best preset reaching" if 1 / per_frame[quality] >= target
             else "the fastest, though none reaches")
    rate_text = f"{rate:g} fps" if workload.fps else f"{rate:g} fps, assumed"
    return (f"quality auto -> {quality}, {keeps} {target:.3g} fps ({speed:g} x {rate_text}) "
            f"{workload.shape} here: estimated {speeds} fps ({where})")


def _first_line(quality: str, per_frame: dict[str, float], startup: dict[str, float], workload: Workload,
                meaning: dict[str, str]) -> str:
    def eta(q: str) -> str:
        if workload.frames is None:
            seconds = per_frame[q]
            return f"about {1000 * seconds:.0f} ms per frame" if seconds < 1 else f"about {seconds:.1f} s per frame"
        return f"about {duration(startup[q] + workload.frames * per_frame[q])}"

    frames = f" for {counted(workload.all_frames, 'frame')}" if workload.all_frames is not None else ""
    line = f"quality auto -> {quality}: {eta(quality)}{frames} {workload.shape} on this CPU"
    better = [f"--quality {q} for {meaning[q]} ({eta(q)})" for q in per_frame if q != quality]
    better = better[:list(per_frame).index(quality)]  # only the presets better than the one chosen
    return f"{line}; {', '.join(reversed(better))}" if better else f"{line} ({meaning[quality]})"


__all__ = ["ASSUMED_FPS", "AutoChoice", "Workload", "choose_quality", "duration", "fixed_choice"]
