"""``run_live(config)``: a camera, URL, pipe or paced file in; a preview window, a recording, a stream out.

One frame at a time (batch 1), always the newest (``LiveSource`` drops stale ones):

    LiveSource thread ──newest frame──> main thread: Enhancer ──> window / recording / output stream

Latency is measured per frame from capture (the moment the decoder handed the frame over) to
display (after the window drew it; without a window, after the recording and stream took it).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import numpy as np

from enlight.errors import EnlightError
from enlight.stream.apps.compare import Compare
from enlight.stream.apps.latencies import Latencies
from enlight.stream.backends.base import Backend
from enlight.stream.core.choices import LIVE_EXPOSURE, MAX_SMOOTHING
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import InferencePlan, build_backend, make_plan
from enlight.stream.io.checks import same_file
from enlight.stream.io.chroma import GreyDecision
from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.live_source import LiveSource, LiveSourceConfig, SourceLost, frames
from enlight.stream.io.locations import Location, input_location, output_location, with_write_timeout
from enlight.stream.io.recorder import Recorder, check_output, live_info, take_name
from enlight.text import counted

SMOOTHING_STEP = 0.1


def log_stderr(message: str) -> None:
    print(f"enlight-video: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class LiveConfig:
    """A live run. source: camera index, /dev/videoN, URL, ``-`` or a file (paced at its frame rate);
    size: (width, height) frames are scaled to, as shown (``live_shape``); loop: a file source plays again at its end;
    record: file recorded from the start (``r`` toggles); record_every_s: a new recording file each this many
    seconds (None: one file);
    output: a file or stream (URL, ``-``, or a ready ``Location``) written all along; window: show the
    preview; max_frames: stop after this many enhanced frames (None: until quit or the source ends); compare:
    ``split`` or ``side`` writes the original with the enhanced picture to ``output`` and ``record``
    (``enlight.stream.apps.compare``; the window has its own split, hotkey s)."""

    source: str
    plan: InferencePlan = field(default_factory=lambda: make_plan(live=True))  # fast on a CPU, best on a GPU
    size: tuple[int, int] | None = None
    fps: float | None = None
    record: Path | None = None
    record_every_s: float | None = None
    output: str | Location | None = None
    format: str | None = None
    window: bool = True
    max_frames: int | None = None
    reconnect_timeout_s: float = 10.0
    timeout_s: float = 5.0
    loop: bool = False
    grey: str = "auto"  # see enlight.stream.chroma.GreyDecision
    encoder: EncoderConfig = field(default_factory=lambda: EncoderConfig(preset="veryfast"))
    overwrite: bool = False
    compare: str | None = None


@dataclass(frozen=True)
class LiveStats:
    """What a live run did. latencies: the capture-to-display times of the frames shown (a histogram)."""

    frames: int
    captured: int
    dropped: int
    reconnects: int
    wall_s: float
    latencies: Latencies
    recordings: tuple[tuple[str, int], ...]  # (name, frames)
    backend: str
    device: str
    ended: str  # why it stopped
    colour: str = "colour"  # what --grey decided
    denoise: str = "off"  # the --denoise level

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def latency_percentile(self, q: float) -> float:
        return self.latencies.percentile(q)

    def summary(self) -> str:
        saved = "".join(f"; wrote {counted(frames, 'frame')} to {name}" for name, frames in self.recordings)
        return (
            f"{counted(self.frames, 'frame')} shown in {self.wall_s:.1f} s ({self.fps:.2f} fps, "
            f"{self.backend} on {self.device}, "
            f"denoise {self.denoise}, {self.colour}); "
            f"latency capture->display median {self.latency_percentile(50):.0f} ms, "
            f"p95 {self.latency_percentile(95):.0f} ms; {self.dropped} of {self.captured} captured frames dropped "
            f"to stay live; {self.reconnects} reconnects; {self.ended}{saved}"
        )


UNNAMED_RECORDING = "enlight-%Y%m%d-%H%M%S.mp4"  # the r key's recording without --record, named by its start


def _timed(name: str) -> str:
    """``night.mp4`` -> ``night-%Y%m%d-%H%M%S.mp4``: the --record that names each recording by its start."""
    path = Path(name)
    return str(path.with_name(f"{path.stem}-%Y%m%d-%H%M%S{path.suffix}"))


class _Outputs:
    """The always-on output (file or stream) and the toggled recording, opened on the first frame."""

    def __init__(self, config: LiveConfig, rate, log: Callable[[str], None], source: Location | None = None) -> None:
        self.config, self.rate, self.log, self.source = config, rate, log, source
        self.output = config.output
        if isinstance(self.output, str):
            self.output = output_location(self.output, format=config.format)
        if self.output is not None:
            self.output = with_write_timeout(self.output, config.timeout_s)
        self.record_next: str | None = str(config.record) if config.record else None
        self.recording_wanted = config.record is not None
        self.takes = 0
        self.take_started = 0.0  # capture time (perf_counter s) of the recording's first frame
        self.output_opened = False
        self.active: dict[str, Recorder] = {}
        self.done: list[tuple[str, int]] = []
        planned = self._planned()
        if self.record_next and not config.overwrite and Path(planned[-1].url).exists():
            timed = "" if "%" in self.record_next else (f", or name each run's recording by its start time: --record "
                                                         f"'{_timed(self.record_next)}'")
            raise EnlightError(f"recording exists: {planned[-1].text} (use --force to overwrite it{timed})")
        for location in planned:
            check_output(location, overwrite=config.overwrite, source=source)
        files = [Path(location.url) for location in planned if location.is_file]
        if len(files) == 2 and same_file(*files):
            raise EnlightError(f"-o and --record name the same file ({planned[0].text}); give the recording its own")

    def _planned(self) -> list[Location]:
        planned = [self.output] if self.output is not None else []
        record = take_name(self.record_next, 1, datetime.now()) if self.record_next else None
        return planned + ([output_location(record)] if record else [])

    def _open(self, key: str, location: Location, shape, aspect: Fraction | None) -> None:
        check_output(location, overwrite=self.config.overwrite, source=self.source)
        info = live_info(shape[1], shape[0], self.rate, aspect)
        self.active[key] = Recorder(location, info, encoder=self.config.encoder, overwrite=self.config.overwrite)

    def toggle_recording(self) -> None:
        if "record" in self.active:
            self._close("record")
        else:
            self.recording_wanted = True

    def write(self, rgb: np.ndarray, captured_at: float, aspect: Fraction | None = None) -> None:
        """Write an (H, W, 3) uint8 RGB frame captured at ``captured_at`` (``time.perf_counter()`` s), its pixels
        ``aspect`` wide for 1 high (None: square; an output opened by it keeps that)."""
        if self.output is not None and not self.output_opened:
            self._open("output", self.output, rgb.shape, aspect)
            self.output_opened = True
        every = self.config.record_every_s
        if every is not None and "record" in self.active and captured_at - self.take_started >= every:
            self._close("record")  # (--record-every: the next file starts with this frame)
            self.recording_wanted = True
        if self.recording_wanted and "record" not in self.active:
            self.takes += 1
            self.recording_wanted = False
            self.take_started = captured_at
            name = take_name(self.record_next or UNNAMED_RECORDING, self.takes, datetime.now(),
                             overwrite=self.config.overwrite)
            try:
                self._open("record", output_location(name), rgb.shape, aspect)
            except EnlightError as exc:
                if self.takes == 1 and self.record_next:  # --record itself was checked up front
                    raise
                self.log(f"cannot record: {exc}")  # a later take (hotkey r) must not end the run
            else:
                self.log(f"recording to {self.active['record'].name}")
        for recorder in self.active.values():
            recorder.write(rgb, captured_at)

    @property
    def recording(self) -> bool:
        return "record" in self.active

    def _close(self, key: str) -> None:
        recorder = self.active.pop(key)
        recorder.finish()  # with no frames: removes the empty file
        if recorder.frames:
            self.done.append((recorder.name, recorder.frames))
        if key == "record":
            self.log(f"recording saved: {counted(recorder.frames, 'frame')} in {recorder.name}")

    def finish(self) -> None:
        """Close every output; one that fails (a stream whose reader went away) does not keep the others, the
        recording first, from being finalised: its error is raised once all are closed."""
        failed: BaseException | None = None
        for key in sorted(self.active, key=lambda name: name != "record"):
            try:
                self._close(key)
            except Exception as exc:  # (EnlightError, or the pipe's own: raised after the others)
                failed = failed or exc
        if failed is not None:
            raise failed


class _Hud:
    """What the window shows: the last (original, enhanced) pair, split or not, and the overlay."""

    def __init__(self, window, source: LiveSource, enhancer: Enhancer, outputs: _Outputs) -> None:
        self.window, self.source, self.enhancer, self.outputs = window, source, enhancer, outputs
        self.split, self.paused = True, False
        self.fps, self.latency_ms = 0.0, 0.0
        self.pair: tuple[np.ndarray, np.ndarray] | None = None
        self.aspect: Fraction | None = None  # the pair's pixels, width / height (None: square)
        self.exposure = enhancer.exposure_floor.level if enhancer.exposure_floor else 0.0  # the level "e" turns on

    def lines(self) -> list[str]:
        lines = [f"{self.fps:.1f} fps  latency {self.latency_ms:.0f} ms  dropped {self.source.dropped}",
                 f"smoothing {self.enhancer.smoothing.strength:.2f}",
                 f"exposure {floor.level:g}" if (floor := self.enhancer.exposure_floor) else "exposure off"]
        return lines + ["REC"] * self.outputs.recording + ["PAUSED"] * self.paused

    def show(self) -> str | None:
        """Draws the last pair (when there is one) and returns the key pressed, if any."""
        if self.window is None:
            return None
        if self.pair is None:
            return self.window.poll()
        from enlight.stream.apps.preview import compose, shown_size

        height, width = self.pair[1].shape[:2]
        size = self.window.fit(shown_size(width * (1 + self.split), height, self.aspect))  # fitted in the screen
        return self.window.show(compose(*self.pair, split=self.split, lines=self.lines(), aspect=self.aspect,
                                        size=size))

    def shown(self, latency_ms: float, interval_s: float | None) -> None:
        self.latency_ms = latency_ms
        if interval_s:
            rate = 1 / max(interval_s, 1e-6)
            self.fps = 0.8 * self.fps + 0.2 * rate if self.fps else rate


def run_live(config: LiveConfig, *, backend: Backend | None = None,
             log: Callable[[str], None] = log_stderr) -> LiveStats:
    """Enhance a live source until it ends, ``max_frames`` are shown, or the user quits.

    Raises ``EnlightError`` for bad input (before any work) and when the source is lost for good
    (after finalising what was recorded, which the message names).
    """
    if config.window:
        from enlight.stream.apps.preview import check_display

        check_display()
    location = input_location(config.source, camera=True, size=config.size, fps=config.fps)
    label = backend.name if backend is not None else config.plan.label
    backend = backend or build_backend(config.plan)
    enhancer = Enhancer.from_plan(config.plan, backend)
    grey = GreyDecision(config.grey)
    source_config = LiveSourceConfig(size=config.size, fps=config.fps, timeout_s=config.timeout_s,
                                     reconnect_timeout_s=config.reconnect_timeout_s, loop=config.loop)
    source = LiveSource(location, source_config, log=log)
    outputs = _Outputs(config, source.rate, log, location)
    if source.sound and (config.record is not None or config.output is not None):
        log("note: the source's sound is not recorded: a live run writes the enhanced picture only (a file "
            "enhanced without --camera keeps its sound)")
    window = None
    if config.window:
        from enlight.stream.apps.preview import PreviewWindow

        window = PreviewWindow()
    hud = _Hud(window, source, enhancer, outputs)
    latencies = Latencies()
    ended = "source ended"
    lost: SourceLost | None = None
    start = time.perf_counter()
    try:
        with source:
            ended = _show(config, source, window, hud, grey, latencies) or ended
    except SourceLost as exc:
        lost = exc
    except KeyboardInterrupt:
        ended = "stopped (Ctrl-C)"
    finally:
        try:
            outputs.finish()
        finally:
            if window is not None:
                window.close()
    if lost is not None:
        saved = "".join(f"; {counted(frames, 'frame')} kept in {name}" for name, frames in outputs.done)
        raise EnlightError(f"{lost}{saved}")
    return LiveStats(
        frames=latencies.count, captured=source.captured, dropped=source.dropped, reconnects=source.reconnects,
        wall_s=time.perf_counter() - start, latencies=latencies, recordings=tuple(outputs.done),
        backend=label, device=str(backend.device), ended=ended, colour=grey.describe(),
        denoise=enhancer.denoise_summary(config.plan.denoise.label),
    )


def _show(config: LiveConfig, source: LiveSource, window, hud: _Hud, grey: GreyDecision,
          latencies: Latencies) -> str | None:
    """Enhance and show the newest frames until the source ends (None) or something stops the run
    (what, for the summary). Adds each shown frame's capture-to-display latency in ms to ``latencies``."""
    enhancer, outputs, last_shown = hud.enhancer, hud.outputs, None
    written = Compare(config.compare, None) if config.compare else (lambda before, after: after)  # frames are upright
    for frame in frames(source):
        key = None
        if frame is None or hud.paused:
            key = window.poll() if window is not None else None
        else:
            enhancer.grey = grey.update([frame.chroma])
            enhanced = enhancer(frame.rgb[None])[0]
            outputs.write(written(frame.rgb, enhanced), frame.captured_at, frame.aspect)
            hud.pair, hud.aspect = (frame.rgb, enhanced), frame.aspect
            key = hud.show()
            now = time.perf_counter()
            latency_ms = (now - frame.captured_at) * 1000
            latencies.add(latency_ms)
            hud.shown(latency_ms, now - last_shown if last_shown else None)
            last_shown = now
            if config.max_frames is not None and latencies.count >= config.max_frames:
                return f"stopped after {counted(latencies.count, 'frame')} (--max-frames)"
        if window is not None and window.closed:
            return "window closed"
        if key in ("q", "esc"):
            return "quit"
        if _handle_key(key, hud, enhancer, outputs):
            hud.show()
    return None


def _handle_key(key: str | None, hud: _Hud, enhancer: Enhancer, outputs: _Outputs) -> bool:
    """Act on a hotkey (other than quit); whether it changed what the window shows."""
    if key == "s":
        hud.split = not hud.split
    elif key in ("+", "="):
        _set_smoothing(enhancer, +SMOOTHING_STEP)
    elif key in ("-", "_"):
        _set_smoothing(enhancer, -SMOOTHING_STEP)
    elif key == "e":
        enhancer.set_exposure(0.0 if enhancer.exposure_floor else (hud.exposure or LIVE_EXPOSURE))
    elif key == " ":
        hud.paused = not hud.paused
    elif key == "r":
        outputs.toggle_recording()
    else:
        return False
    return True


def _set_smoothing(enhancer: Enhancer, step: float) -> None:
    enhancer.set_smoothing(min(MAX_SMOOTHING, max(0.0, round(enhancer.smoothing.strength + step, 2))))
