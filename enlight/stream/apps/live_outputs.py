"""What a live run writes: the output (``-o``, a file or stream written all along) and the recording (``--record``,
the r key's takes, ``--record-every``'s files), each opened on the frame it starts with, and the source's sound
routed to them (``enlight.stream.io.live_sound``).

A packet of sound is timed on the live clock as the frames are; it goes to every output under way whose first frame
it does not precede. Where a recording ends (the r key, the next of ``--record-every``'s files) the packets that
start before its end go to it and the rest to the next one: a packet waits until the picture has passed it (or
``SOUND_WAIT_S``), so that the end is known, and a recording that ended is finished once the sound has passed its end
(or ``SOUND_WAIT_S`` after it). No sound is lost or heard twice where one file ends and the next begins.

An output opened while the source sent no sound (``LiveSource.sound_form`` None: a camera that declares sound and
sends none, ``sound_ahead``) has no sound track. Where the sound starts later, the recording under way ends at that
frame and the next one (named as ``--record-every``'s are) goes on with it; ``-o``, written all along, goes on with
the picture alone; a note says which. Where the sound stops part way (``sound_ahead.SoundWatch``) the outputs under
way keep what they have and those opened from then on have the picture alone; a recording opened since its last
packet (before the stop was told), whose track holds nothing, ends there and the next file goes on without it. An
output closed with a sound track that got nothing (that recording, ``-o`` opened after the sound's last packet, a
recording ended or a run stopped before the stop was told) is written again with the picture alone, with a note
(``Recorder.finish``): no file is left with a declared sound track of no packets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from enlight.errors import EnlightError
from enlight.stream.io.checks import same_file
from enlight.stream.io.live_sound import Sound, SoundForm
from enlight.stream.io.locations import Location, output_location, with_write_timeout
from enlight.stream.io.recorder import Recorder, check_output, live_info, take_name
from enlight.text import counted

if TYPE_CHECKING:
    from enlight.stream.apps.live_mode import LiveConfig

UNNAMED_RECORDING = "enlight-%Y%m%d-%H%M%S.mp4"  # the r key's recording without --record, named by its start
SOUND_WAIT_S = 1.0  # the longest a packet of sound waits for the picture to pass it, and an ended take for its sound


def _timed(name: str) -> str:
    """``night.mp4`` -> ``night-%Y%m%d-%H%M%S.mp4``: the --record that names each recording by its start."""
    path = Path(name)
    return str(path.with_name(f"{path.stem}-%Y%m%d-%H%M%S{path.suffix}"))


class LiveOutputs:
    """The always-on output (file or stream) and the toggled recording, opened on the first frame. ``sound``: the
    source's sound form now (``LiveSource.sound_form``), which a recording opened takes."""

    def __init__(self, config: LiveConfig, rate, log: Callable[[str], None], source: Location | None = None,
                 sound: Callable[[], SoundForm | None] = lambda: None) -> None:
        self.config, self.rate, self.log, self.source, self.sound = config, rate, log, source, sound
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
        self._pending: list[Sound] = []  # sound not yet passed by the picture
        self._ending: list[tuple[str, Recorder, float]] = []  # (key, recording, its end) waiting for its sound
        self._last_at = float("-inf")  # the last frame's capture time
        self._heard: SoundForm | None = None  # the source's sound form at the last frame
        self._ever_heard = False  # whether it has had one (sound that starts again has come back)
        self._noted: set[str] = set()
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
        recorder = Recorder(location, info, encoder=self.config.encoder, overwrite=self.config.overwrite,
                            sound=self.sound())
        self.active[key] = recorder
        for note in recorder.notes:
            if note not in self._noted:
                self._noted.add(note)
                self.log(f"note: {location.text}: {note}")

    def toggle_recording(self) -> None:
        if "record" in self.active:
            self._close("record", time.perf_counter())
        else:
            self.recording_wanted = True

    def write(self, rgb: np.ndarray, captured_at: float, aspect: Fraction | None = None) -> None:
        """Write an (H, W, 3) uint8 RGB frame captured at ``captured_at`` (``time.perf_counter()`` s: ``LiveFrame.at``),
        its pixels ``aspect`` wide for 1 high (None: square; an output opened by it keeps that)."""
        self._sound_changed(captured_at)
        if self.output is not None and not self.output_opened:
            self._open("output", self.output, rgb.shape, aspect)
            self.output_opened = True
        every = self.config.record_every_s
        if every is not None and "record" in self.active and captured_at - self.take_started >= every:
            self._close("record", captured_at)  # (--record-every: the next file starts with this frame)
            self.recording_wanted = True
        if self.recording_wanted and "record" not in self.active:
            self._take(rgb.shape, captured_at, aspect)
        for recorder in self.active.values():
            recorder.write(rgb, captured_at)
        self._last_at = max(self._last_at, captured_at)
        self._route(time.perf_counter())

    def _sound_changed(self, captured_at: float) -> None:
        """Where the source's sound has started (or come back, or come in another form) or stopped since the last
        frame, end the recording under way that it leaves with the wrong tracks at this frame (``_sound_began``,
        ``_sound_stopped``)."""
        heard, self._heard = self._heard, self.sound()
        if self._heard is heard:
            return
        if self._heard is not None:
            self._sound_began(captured_at, "came back" if self._ever_heard else "started")
            self._ever_heard = True
        elif heard is not None:
            self._sound_stopped()

    def _sound_stopped(self) -> None:
        """The source's sound stopped: a recording under way that has a track for it with nothing in it (opened after
        its last packet, before the stop was told) ends at this frame, and the next goes on with the picture alone;
        one that has some keeps it. A note says so."""
        recorder = self.active.get("record")
        if recorder is None or recorder.sound is None or recorder.heard:
            return
        source = self.source.text if self.source is not None else "the source"
        self.log(f"note: the sound of {source} stopped before {recorder.name} began: it ends here, and the recording "
                 "goes on with the picture alone in the next file")
        self._close("record")  # (no sound to wait for)
        self.recording_wanted = True

    def _sound_began(self, captured_at: float, how: str) -> None:
        """The source's sound has ``how`` (started, came back): end the recording under way that has no track for it
        (opened while it sent none) at this frame, the next one opened on it with the sound; a note for that and for
        ``-o``, which goes on without it."""
        source = self.source.text if self.source is not None else "the source"
        silent = [(key, recorder) for key, recorder in self.active.items() if recorder.sound is None]
        for key, recorder in silent:
            if key == "record":
                self.log(f"note: the sound of {source} {how}: {recorder.name}, opened while it sent none, ends "
                         "here, and the recording goes on with it in the next file")
                self._close("record", captured_at)
                self.recording_wanted = True
            elif recorder.name not in self._noted:
                self._noted.add(recorder.name)
                self.log(f"note: the sound of {source} {how}: {recorder.name}, opened while it sent none, goes on "
                         "with the picture alone (a recording started now has it)")

    def _take(self, shape, captured_at: float, aspect: Fraction | None) -> None:
        """Open the next recording (--record's, the r key's, --record-every's next file), starting at this frame."""
        self.takes += 1
        self.recording_wanted = False
        self.take_started = captured_at
        name = take_name(self.record_next or UNNAMED_RECORDING, self.takes, datetime.now(),
                         overwrite=self.config.overwrite)
        try:
            self._open("record", output_location(name), shape, aspect)
        except EnlightError as exc:
            if self.takes == 1 and self.record_next:  # --record itself was checked up front
                raise
            self.log(f"cannot record: {exc}")  # a later take (hotkey r) must not end the run
        else:
            self.log(f"recording to {self.active['record'].name}")

    def hear(self, sounds: list[Sound], now: float | None = None) -> None:
        """Take the source's sound (``LiveSource.take_sound``): each packet goes where it belongs once the picture
        has passed it or it is ``SOUND_WAIT_S`` old (``now``: perf_counter s)."""
        self._pending += sounds
        self._route(time.perf_counter() if now is None else now)

    def _route(self, now: float, *, everything: bool = False) -> None:
        """Hand on the sound the picture has passed, and finish the recordings that ended whose sound is all in."""
        limit = float("inf") if everything else max(self._last_at, now - SOUND_WAIT_S)
        sent = 0
        for sound in self._pending:
            if sound.at >= limit:
                break
            sent += 1
            for recorder in self.active.values():
                recorder.hear(sound)
            for key, recorder, end in list(self._ending):
                if sound.at < end:
                    recorder.hear(sound)
                else:  # (the sound has passed its end: all of its own is in)
                    self._ending.remove((key, recorder, end))
                    self._finish(key, recorder)
        del self._pending[:sent]
        for key, recorder, end in list(self._ending):
            if everything or end < now - SOUND_WAIT_S:
                self._ending.remove((key, recorder, end))
                self._finish(key, recorder)

    @property
    def recording(self) -> bool:
        return "record" in self.active

    def _close(self, key: str, end: float | None = None) -> None:
        """End an output; one with sound (``end``: the capture time it ends at) is finished once its sound is in."""
        recorder = self.active.pop(key)
        if recorder.sound is not None and end is not None:
            self._ending.append((key, recorder, end))
            self._route(time.perf_counter())
        else:
            self._finish(key, recorder)

    def _finish(self, key: str, recorder: Recorder) -> None:
        noted = len(recorder.notes)
        try:
            recorder.finish()  # with no frames: removes the empty file
        finally:
            for note in recorder.notes[noted:]:  # (a sound track that got nothing; also where that was interrupted)
                self.log(f"note: {recorder.name}: {note}")
        if recorder.frames:
            self.done.append((recorder.name, recorder.frames))
        if key == "record":
            self.log(f"recording saved: {counted(recorder.frames, 'frame')} in {recorder.name}")

    def finish(self, sounds: list[Sound] = ()) -> None:
        """Close every output, with the sound taken up to now (``sounds``: the last of it); one that fails (a stream
        whose reader went away), or is interrupted (a second Ctrl-C while one is written again without its empty sound
        track), does not keep the others, the recording first, from being finalised: its error is raised once all are
        closed."""
        failed: BaseException | None = None
        self._pending += sounds
        try:
            self._route(time.perf_counter(), everything=True)
        except Exception as exc:  # (EnlightError, or the pipe's own: raised after the others)
            failed = exc
        ended, self._ending = self._ending, []
        closing = [(key, recorder) for key, recorder, _ in ended] + [
            (key, self.active.pop(key)) for key in sorted(self.active, key=lambda name: name != "record")]
        for key, recorder in closing:
            try:
                self._finish(key, recorder)
            except BaseException as exc:  # (KeyboardInterrupt too: raised once the others are closed)
                failed = failed or exc
        if failed is not None:
            raise failed
