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
from fractions import Fraction
from pathlib import Path

import numpy as np

from enlight.errors import EnlightError
from enlight.stream.apps.compare import Compare
from enlight.stream.apps.latencies import Latencies
from enlight.stream.apps.live_outputs import LiveOutputs
from enlight.stream.backends.base import Backend
from enlight.stream.core.choices import LIVE_EXPOSURE, MAX_SMOOTHING
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import InferencePlan, build_backend, make_plan
from enlight.stream.io.chroma import GreyDecision
from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.live_sound import HELD
from enlight.stream.io.live_source import LiveSource, LiveSourceConfig, SourceLost, frames
from enlight.stream.io.locations import Location, input_location
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


class _Hud:
    """What the window shows: the last (original, enhanced) pair, split or not, and the overlay."""

    def __init__(self, window, source: LiveSource, enhancer: Enhancer, outputs: LiveOutputs) -> None:
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
    outputs = LiveOutputs(config, source.rate, log, location, lambda: source.sound_form)
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
            outputs.finish(source.take_sound())
        finally:
            if window is not None:
                window.close()
            _note_sound_dropped(source, log)
    if lost is not None:
        saved = "".join(f"; {counted(frames, 'frame')} kept in {name}" for name, frames in outputs.done)
        raise EnlightError(f"{lost}{saved}")
    return LiveStats(
        frames=latencies.count, captured=source.captured, dropped=source.dropped, reconnects=source.reconnects,
        wall_s=time.perf_counter() - start, latencies=latencies, recordings=tuple(outputs.done),
        backend=label, device=str(backend.device), ended=ended, colour=grey.describe(),
        denoise=enhancer.denoise_summary(config.plan.denoise.label),
    )


def _note_sound_dropped(source: LiveSource, log: Callable[[str], None]) -> None:
    """The notes for sound the outputs did not get: packets the run did not take in time (it fell behind), and those
    no frame came to place (``live_sound.SoundFeed.unplaced``)."""
    dropped, seconds, unplaced = source.sound_dropped
    if dropped:
        log(f"note: {counted(dropped, 'packet')} of the source's sound ({seconds:.1f} s) were dropped, not recorded: "
            "the run fell behind taking them (a slow send or disk), and the sound must not hold the picture up")
    if unplaced:
        log(f"note: {counted(unplaced, 'packet')} of the source's sound were left out: no frame came to place them in "
            f"the recordings (a connection lost before its first frame, or sound over {HELD} packets ahead of the "
            "picture)")


def _show(config: LiveConfig, source: LiveSource, window, hud: _Hud, grey: GreyDecision,
          latencies: Latencies) -> str | None:
    """Enhance and show the newest frames until the source ends (None) or something stops the run
    (what, for the summary). Adds each shown frame's capture-to-display latency in ms to ``latencies``."""
    enhancer, outputs, last_shown = hud.enhancer, hud.outputs, None
    written = Compare(config.compare, None) if config.compare else (lambda before, after: after)  # frames are upright
    for frame in frames(source):
        key = None
        outputs.hear(source.take_sound())  # (the source's sound, on the clock the frames are written by)
        if frame is None or hud.paused:
            key = window.poll() if window is not None else None
        else:
            enhancer.grey = grey.update([frame.chroma])
            enhanced = enhancer(frame.rgb[None])[0]
            outputs.write(written(frame.rgb, enhanced), frame.at, frame.aspect)
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


def _handle_key(key: str | None, hud: _Hud, enhancer: Enhancer, outputs: LiveOutputs) -> bool:
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
