"""A live source: a decode thread that keeps only the newest frame, and reconnects when it is lost.

For a live picture the right frame to enhance is the newest one: frames that arrive while the
model is busy replace the waiting one and are counted as ``dropped``, so latency never grows
with a queue. Sources that are not cameras (a file, a URL, a pipe) are paced by their
timestamps, as a camera would deliver them (``live_clock``), and their first audio stream's packets are passed on,
timed by the same clock, for the recordings (``live_sound``): where it sends some at the start (``sound_ahead``), or
from its first packet on, and not from where it stops part way (``sound_ahead.SoundWatch``) until it comes back. A
camera or network stream that fails or ends is reopened with exponential backoff for ``reconnect_timeout_s``, one
line per retry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction

import av
import numpy as np

from enlight.errors import EnlightError, reason
from enlight.stream.io.chroma import carries_chroma
from enlight.stream.io.chroma_floor import floor_chroma
from enlight.stream.io.frames import ColorInfo, frame_to_rgb
from enlight.stream.io.input_open import open_input
from enlight.stream.io.live_clock import LiveClock
from enlight.stream.io.live_shape import LiveShape
from enlight.stream.io.live_sound import Sound, SoundFeed, SoundForm, SoundReader, form_key, form_label
from enlight.stream.io.locations import SILENT_HINT, Location, silent_for
from enlight.stream.io.picture_changes import frame_colour
from enlight.stream.io.sound_ahead import AHEAD_S, SoundWatch, read_ahead
from enlight.stream.io.upright import upright_turn
from enlight.stream.io.video_stream import display_matrix, frame_rate

FIRST_RETRY_S = 0.5
MAX_RETRY_S = 8.0
KEPT_S = 1.0  # of a long open's wait, how far the picture stays behind: room for a source that sends in bursts
NOTED_S = 1.0  # a skip at least this long is noted
STOP_WAIT_S = 0.5  # how long ``close`` waits for the decode thread; one blocked in a read ends on its own


@dataclass(frozen=True)
class LiveFrame:
    """rgb: (H, W, 3) uint8 full-range RGB; captured_at: ``time.perf_counter()`` when it arrived (ready to
    enhance); at: its time on the live clock, which recordings keep (``time.perf_counter()`` seconds: a camera's frame
    when the decoder handed it over, a paced source's when its timestamp came due, ``live_clock``, whatever its
    decoding and conversion took, so that its sound, timed by the same clock, stays with it);
    chroma: whether the source has carried colour up to this frame (``enlight.stream.io.chroma``); aspect: the
    width / height of its pixels as shown (``live_shape``: the run's, 64/45 for a 720x576 picture shown 16:9), None
    for square ones."""

    rgb: np.ndarray
    captured_at: float
    at: float
    chroma: bool = True
    aspect: Fraction | None = None


@dataclass(frozen=True)
class LiveSourceConfig:
    """size: (width, height) every frame is scaled to, as shown (``live_shape``), None keeps the source's; fps:
    pacing rate for non-camera sources (None: their timestamps); timeout_s: longest blocking network open/read."""

    size: tuple[int, int] | None = None
    fps: float | None = None
    reconnect_timeout_s: float = 10.0
    timeout_s: float = 5.0
    loop: bool = False  # a file source starts again at its end


class SourceLost(EnlightError):
    """The source went away and did not come back within the reconnect time."""


def _open_interruptibly(location: Location, timeout_s: float | None):
    """``open_input`` on a thread of its own, waited for in steps of 0.1 s: FFmpeg's open of a stream blocks in C for
    up to ``timeout_s`` (a camera or URL that sends nothing), where Ctrl-C and SIGTERM went unheard until it gave up;
    now they end the wait at once (the open, abandoned, ends with the process). A file opens in the caller."""
    if location.is_file:
        return open_input(location, timeout_s=timeout_s)
    done: dict[str, object] = {}

    def work() -> None:
        try:
            done["container"] = open_input(location, timeout_s=timeout_s)
        except BaseException as exc:  # handed to the caller
            done["error"] = exc

    opener = threading.Thread(target=work, name="enlight-open", daemon=True)
    opener.start()
    while opener.is_alive():
        opener.join(0.1)
    if "error" in done:
        raise done["error"]
    return done["container"]


class LiveSource:
    """The newest frame of a camera, URL, pipe or (paced) file; ``next()`` waits for a fresh one.

    Opening happens in the constructor (so a missing camera is an immediate error); ``start()``
    starts the decode thread; ``close()`` stops it. ``rate`` is the source's nominal frame rate. ``sound_form``: the
    form of the sound passed on (``live_sound``), whose packets ``take_sound()`` gives, which a recording opened now
    takes: None where there is none, or its connection has sent none of it yet (``sound_ahead``: a camera that
    declares sound with its microphone off), until its first packet, and from where it stopped (``SoundWatch``: its
    microphone turned off part way) until it comes back.
    """

    def __init__(self, location: Location, config: LiveSourceConfig = LiveSourceConfig(), *,
                 log: Callable[[str], None] = lambda message: None) -> None:
        self.location = _not_waiting(location)
        self.config = config
        self.log = log
        self.captured = 0
        self.dropped = 0
        self.reconnects = 0
        self._coloured = False
        self._hdr_noted = False  # (once, not again at each reconnect)
        self._noted: set[str] = set()  # (the notes of the sound left out, the same)
        self._shape = LiveShape(config.size, location.text, log)  # the run's picture: size, pixel aspect ratio
        self._latest: LiveFrame | None = None
        self._ended = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._look: tuple[ColorInfo, object] | None = None  # the first frame's colour and turn, each connection's
        self._feed = SoundFeed()
        self._form: SoundForm | None = None  # the form of the sound the source declares (kept past its connection)
        self.sound_form: SoundForm | None = None  # that form once its connection has sent some of it
        self._waited = 0.0  # how long the connection's first frame waited to be read (its open, ``sound_ahead``), s
        started = time.perf_counter()
        self._container = _open_interruptibly(self.location, config.timeout_s)
        self._took(started)
        stream = self._video_stream(self._container)
        self.rate = Fraction(config.fps) if config.fps else (frame_rate(stream) or Fraction(30))
        self._sound_reader(self._container)

    def _video_stream(self, container) -> av.VideoStream:
        if not container.streams.video:
            container.close()
            raise EnlightError(f"{self.location.text} has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return stream

    def _sound_reader(self, container) -> SoundReader | None:
        """The reader of a connection's first audio stream, whose packets are passed on (its form made for it, or
        kept where it is the last connection's); None where there is none or ``--fps`` paces the picture (with a
        note: its sound cannot follow a picture played at another pace). A camera device has none (its microphone is
        another device)."""
        if not container.streams.audio or self.location.kind == "device":
            return None
        stream = container.streams.audio[0]
        if not stream.codec_context.sample_rate:  # (an MPEG-TS whose programme names sound that never came)
            self._note_once(f"note: the sound of {self.location.text} (stream #{stream.index}, "
                            f"{stream.codec_context.name}) sent nothing while it was opened; what is recorded and "
                            "streamed has the picture alone")
            return None
        if self.config.fps:
            self._note_once(f"note: the sound of {self.location.text} is not recorded or streamed: --fps plays its "
                            f"picture at {self.config.fps:g} fps whatever its timestamps, which the sound cannot "
                            "follow (without --fps it is kept)")
            return None
        if self._form is not None and self._form.key != form_key(stream):
            self.log(f"note: the sound of {self.location.text} came back in another form ({self._form.label}, "
                     f"now {form_label(form_key(stream))}): a recording under way keeps its picture without it from "
                     "here; the next one has it")
        if self._form is None or self._form.key != form_key(stream):
            self._form = SoundForm.of(stream)
        return SoundReader(stream, self._form)

    def _took(self, started: float) -> None:
        """After a connection's open begun at ``started`` (``time.perf_counter()``): how much of its picture it held
        unread (``_backlog_s``), and one line where that is long enough (``NOTED_S``) to be skipped (a source that
        sent nothing meanwhile, a slow network's handshake, loses nothing)."""
        opened_s = time.perf_counter() - started
        self._opened_s = _backlog_s(self.location, opened_s)
        if self._opened_s >= NOTED_S:
            self.log(f"note: {self.location.text} took {opened_s:.1f} s to open (FFmpeg waits for each stream it "
                     f"declares to send, sound that never comes among them); what it sent meanwhile, up to "
                     f"{self._opened_s:.1f} s of picture, is skipped, so that it is shown live")

    def _note_once(self, note: str) -> None:
        """Say ``note`` once a run, not again at each reconnect or loop."""
        if note not in self._noted:
            self._noted.add(note)
            self.log(note)

    def take_sound(self) -> list[Sound]:
        """The sound's packets due since the last call, oldest first (``live_sound``)."""
        return self._feed.take()

    @property
    def sound_dropped(self) -> tuple[int, float, int]:
        """(packets, seconds) of sound dropped because the run did not take them in time, and packets never due."""
        return self._feed.dropped, self._feed.dropped_s, self._feed.unplaced

    def start(self) -> LiveSource:
        self._thread = threading.Thread(target=self._run, name="enlight-live", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the decode thread. A thread blocked in FFmpeg's read (a stream that stalled: up to ``timeout_s``;
        stdin) is not waited for: Ctrl-C and SIGTERM waited with it, and a stop must be honoured at once (``docker
        stop`` kills after 10 s) for the recording to be finalised; the thread closes its container as it ends."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=STOP_WAIT_S)
        else:
            self._close_container()

    def _close_container(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> LiveSource:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def next(self, timeout_s: float | None = None) -> LiveFrame | None:
        """The newest frame not yet taken; None when none came within ``timeout_s`` or the source ended
        (``ended`` tells which). Raises ``SourceLost`` (or the decode error) when it failed for good."""
        with self._cond:
            self._cond.wait_for(lambda: self._latest is not None or self._ended, timeout=timeout_s)
            frame, self._latest = self._latest, None
            if frame is None and self._error is not None:
                raise self._error
            return frame

    @property
    def ended(self) -> bool:
        with self._cond:
            return self._ended and self._latest is None

    def _publish(self, rgb: np.ndarray, chroma: bool, at: float) -> None:
        with self._cond:
            if self._latest is not None:
                self.dropped += 1
            self.captured += 1
            self._latest = LiveFrame(rgb, time.perf_counter(), at, chroma, self._shape.aspect)
            self._cond.notify_all()

    def _finish(self, error: BaseException | None = None) -> None:
        with self._cond:
            self._ended, self._error = True, error
            self._cond.notify_all()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                why = self._play()
                if why is None and self.config.loop and self.location.is_file and not self._stop.is_set():
                    self._container.close()
                    self._container = open_input(self.location)
                    continue
                if self._stop.is_set() or why is None:
                    break
                if not self.location.reconnects:
                    raise EnlightError(f"{self.location.text}: {why}")
                self._reconnect(why)
        except BaseException as exc:  # handed to the consumer
            self._finish(exc)
            return
        finally:
            self._close_container()
        self._finish()

    def _play(self) -> str | None:
        """Decode and publish until the source ends or fails: None for a normal end, else why it stopped. The
        sound's packets read with the frames are held until they are due, then passed on (``live_sound``)."""
        container = self._container
        stream = container.streams.video[0]
        sound = self._sound_reader(container)
        paced = self.location.kind != "device"  # (a camera device's frames come at its own pace)
        clock = LiveClock(1 / float(self.rate), by_count=bool(self.config.fps)) if paced else None
        self._look = None
        watch = SoundWatch(1 / float(self.rate))  # (whether the sound, once heard, stops)
        try:
            for packet in self._packets(container, sound):
                if self._stop.is_set():
                    return None
                if sound is not None and packet.stream_index == sound.index:
                    self._heard(packet, sound, watch, clock)
                    continue
                if sound is not None and watch.picture(packet):
                    self._note_stopped(sound, watch)
                for frame in packet.decode():
                    if self._stop.is_set() or not self._frame(frame, stream, clock):
                        return None
        except av.error.ExitError:  # (PyAV's interrupt after timeout_s: FFmpeg's "Immediate exit requested")
            return f"stalled: {silent_for(self.config.timeout_s)}"
        except (av.error.FFmpegError, OSError) as exc:
            return f"lost ({reason(exc)})"
        finally:
            if clock is not None:  # (the sound read ahead of the picture is passed on too, at its own times)
                self._feed.release(clock, time.perf_counter(), everything=True)
        if clock is not None and clock.started and self._stop.wait(clock.step):  # the last frame is shown for a
            return None  # frame's time (a looped file's next pass started at once, its last frame on screen for 4 ms)
        return "ended" if self.location.reconnects else None

    def _heard(self, packet: av.Packet, sound: SoundReader, watch: SoundWatch, clock: LiveClock | None) -> None:
        """Hold a packet of the sound until it is due, and pass on those due by now. Its first (or its first after it
        stopped) makes ``sound_form`` its form: a recording opened from now on has it."""
        if packet.size:
            watch.sound(packet)
            if self.sound_form is not sound.form:
                self.sound_form = sound.form
        for raw in sound.packets(packet):
            self._feed.hold(raw, sound.form)
        self._feed.release(clock, time.perf_counter())

    def _note_stopped(self, sound: SoundReader, watch: SoundWatch) -> None:
        """The sound has stopped (``SoundWatch``): a recording opened from now on has the picture alone (the one under
        way keeps what it has; one opened since its last packet, whose track is empty, ends: ``live_outputs``)."""
        self.sound_form = None
        into = f" at {watch.last_s:.2f} s of its stream" if watch.last_s is not None else ""
        self.log(f"note: the sound of {self.location.text} (stream #{sound.index}, {sound.form.label}) stopped at "
                 f"{watch.last_at:%H:%M:%S} (its last packet{into}; none in the {AHEAD_S:.1f} s of picture since): a "
                 "recording opened from here has the picture alone, the one under way keeps what it has (should the "
                 "sound come back, the next recording has it)")

    def _packets(self, container, sound: SoundReader | None) -> Iterator[av.Packet]:
        """The connection's packets of picture and sound, in demux order. Where it has sound, those of its start are
        read ahead first until one of the sound's (``sound_ahead``): ``sound_form`` is its form if one came, else None
        (with a note), so that no recording opened gets a track for sound that never comes."""
        streams = [container.streams.video[0]] + ([container.streams[sound.index]] if sound else [])
        demuxed = container.demux(*streams)
        self._waited = self._opened_s
        if sound is None:
            self.sound_form = None
            yield from demuxed
            return
        ahead = read_ahead(demuxed, sound.index, self._stop)
        self._waited = self._opened_s + ahead.waited_s
        self.sound_form = sound.form if ahead.heard else None
        if not ahead.heard and ahead.seen_s is not None:
            self._note_once(f"note: the sound of {self.location.text} (stream #{sound.index}, {sound.form.label}) "
                            f"sent nothing in the first {ahead.seen_s:.1f} s of its picture: what is recorded and "
                            "streamed has the picture alone, without an empty sound track (should the sound start, "
                            "a recording goes on with it from there)")
        yield from ahead.packets
        yield from demuxed

    def _frame(self, frame: av.VideoFrame, stream: av.VideoStream, clock: LiveClock | None) -> bool:
        """Pace (``clock``: None for a camera device, whose frames come at their own pace), convert and publish one
        decoded frame, and pass on the sound due by then; False where the run stopped meanwhile. The first frame of
        a connection is due as its packets came, not when they could be read: FFmpeg's open of a stream that declares
        sound and sends none waits 5-7 s for it (``_backlog_s``), and the read ahead for it (``sound_ahead``) up to
        0.5 s. The frames held meanwhile are due at once, all but the newest dropped: the picture is live from there
        (it stayed that far behind for the whole run)."""
        at = time.perf_counter()
        if clock is not None:
            at = clock.due(frame, at, held_s=self._waited)
            if self._stop.wait(max(0.0, at - time.perf_counter())):
                return False
            self._feed.release(clock, time.perf_counter())
        if self._look is None:  # (of the frame as decoded: an untagged HD camera is BT.709 at any --size)
            self._look = ColorInfo.from_frame(frame), upright_turn(display_matrix(frame))
            self._shape.begin(stream, frame, self._look[1])
            self._note_hdr(self._look[0])
        color, turn = self._look  # turn: a phone clip's rotation: shown and recorded upright (no tag to keep it in)
        rgb = self._rgb(frame, color)
        self._publish(rgb if turn is None else turn(rgb), self._coloured, at)
        return True

    def _rgb(self, frame: av.VideoFrame, color: ColorInfo) -> np.ndarray:
        """(H, W, 3) uint8 RGB of a decoded frame made into the run's picture (``live_shape``: its size and pixel
        aspect ratio; a frame of another shape fitted inside it, black around it). Its colours are read with its own
        matrix and range (``picture_changes.frame_colour``; ``color``: the first frame's): a camera that switched to
        full range at night had its levels stretched (white 227 shown as 241)."""
        own = frame_colour(frame, color)
        frame, fit = self._shape.shaped(frame, self.captured + 1)
        self._coloured = self._coloured or carries_chroma(frame)  # checked until colour is seen
        if own.hdr is not None:
            from enlight.stream.io.hdr import hdr_frame_to_sdr  # numpy and OpenCV work that only HDR sources need

            rgb = hdr_frame_to_sdr(frame, own)
        else:
            rgb = frame_to_rgb(floor_chroma(frame), own)
        return rgb if fit is None else fit.place(rgb, *self._shape.target)

    def _note_hdr(self, color: ColorInfo) -> None:
        """One note where the source is HDR (PQ or HLG; ``--hdr keep`` is a file run's): its frames go to SDR BT.709
        as a file run's do (``enlight.stream.io.hdr``). They were read as SDR, their PQ or HLG values taken for
        BT.709's, and shown and recorded washed out, without a word."""
        if color.hdr is not None and not self._hdr_noted:
            self._hdr_noted = True
            self.log(f"note: {self.location.text} is HDR ({color.hdr}); its frames are converted to SDR BT.709 for "
                     "the model, which learned on SDR pictures, and shown, recorded and streamed as SDR (a file run "
                     "without --camera keeps HDR with --hdr keep)")

    def _reconnect(self, why: str) -> None:
        """Reopen with backoff until it works or ``reconnect_timeout_s`` has passed (then ``SourceLost``)."""
        self._close_container()
        deadline = time.monotonic() + self.config.reconnect_timeout_s
        delay, attempt, failed = FIRST_RETRY_S, 0, why
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                last = f"; the last try: {failed}" if failed != why else ""
                raise SourceLost(f"{self.location.text} {why}; gave up after {self.config.reconnect_timeout_s:g} s "
                                 f"of retries (--reconnect-timeout{last})")
            attempt += 1
            wait = min(delay, left)
            self.log(f"source {self.location.text} {failed}; retry {attempt} in {wait:.1f} s")
            if self._stop.wait(wait):
                return
            try:
                started = time.perf_counter()
                container = open_input(self.location, timeout_s=min(self.config.timeout_s, max(0.5, left)))
                self._video_stream(container)
                self._took(started)
            except EnlightError as exc:
                detail = str(exc).removeprefix(f"cannot read {self.location.text}: ").removesuffix(f"; {SILENT_HINT}")
                failed = f"unavailable: {detail}"
                delay = min(delay * 2, MAX_RETRY_S)
                continue
            self._container = container
            self.reconnects += 1
            self.log(f"source {self.location.text} is back (reconnect {self.reconnects})")
            return


def _not_waiting(location: Location) -> Location:
    """``location`` opened without waiting for a timestamp from each stream it declares (FFmpeg's ``max_ts_probe``
    0), where it is sent as it plays (a URL, a pipe): a Matroska or NUT stream whose sound is declared and never sent
    (a camera's microphone off) was opened after 5 s of its picture, now after its first frames (an RTSP camera's
    SDP declares its sound's form as they do: not measured). An MPEG-TS that names sound without its form still
    waits (7 s) to learn it (``_backlog_s``)."""
    if location.kind not in ("network", "pipe"):
        return location
    return replace(location, options={"max_ts_probe": "0", **location.options})


def _backlog_s(location: Location, opened_s: float) -> float:
    """How much of the picture a connection whose open took ``opened_s`` seconds has sent meanwhile, held unread,
    less ``KEPT_S``: a source that is not a file, sent as it plays, went on while FFmpeg's
    open read until every stream it declares had sent a packet or it gave up (5 s of picture, 7 s for MPEG-TS, where
    a camera's microphone is off). The second kept lets a source that sends a second at a time (a Matroska cluster)
    play smoothly, as before. A file (read at once, and paced from its first frame) has none."""
    return 0.0 if location.is_file else max(0.0, opened_s - KEPT_S)


def frames(source: LiveSource, *, poll_s: float = 0.05) -> Iterator[LiveFrame | None]:
    """Yields each fresh frame, or None every ``poll_s`` while none came (so a window stays responsive)."""
    while True:
        frame = source.next(poll_s)
        if frame is None and source.ended:
            return
        yield frame
