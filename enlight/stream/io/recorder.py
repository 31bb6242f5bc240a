"""Recording live frames: a ``VideoSink`` timed by the capture clock, for files and streams alike.

Live frames have no source timestamps worth keeping (frames are dropped to stay live, and a
reconnected stream starts its clock again), so each frame's pts is its capture time in
milliseconds since the recording started: the file plays back at the pace it was seen. The capture time is the
frame's time on the live clock (``LiveFrame.at``: a camera's frame when it came, a paced source's when its timestamp
came due). The source's sound (``live_sound``) is timed by the same clock: each packet's ticks are moved to count
from the recording's first frame, so it plays where it was heard beside the picture; it is copied as it is, or where
the output cannot hold its codec encoded again (``stream_copy``, as a file run does: AAC, Opus in .webm), with a note.

A recording into a file is written at its name from its first frame, in a form a crash leaves playable up to a
second or so before it (``crash_safe``): a live run cannot be run again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import av

from enlight.errors import DISK_FULL, EnlightError, reason
from enlight.stream.io.checks import check_paths, same_file
from enlight.stream.io.crash_safe import Syncs, fragmented, recording_options, trim_torn_fragment
from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.frames import ColorInfo
from enlight.stream.io.live_sound import Sound, SoundForm
from enlight.stream.io.locations import Location, is_sequence
from enlight.stream.io.photo_formats import is_photo
from enlight.stream.io.picture_only import without_sound
from enlight.stream.io.sink import VideoSink
from enlight.stream.io.source_items import VideoInfo

TIME_BASE = Fraction(1, 1000)
# how far the muxer lets one stream run ahead of another it waits for (FFmpeg's default 10 s): a camera that
# announces sound and sends none held the picture back that long, from a stream out and from a killed recording
INTERLEAVE_US = 500_000


def check_output(location: Location, *, overwrite: bool, source: Location | None = None) -> None:
    """Refuse an output file that exists (without ``overwrite``) or cannot be written, the live source's own file
    (``source``, a file played as a camera: even with ``overwrite``), and numbered pictures, before any work."""
    if location.kind == "sequence":
        raise EnlightError(f"a live run writes a video file or stream, not numbered pictures ({location.text}): "
                           "record a video, then enhance it into pictures")
    if location.is_file:
        output = Path(location.url)
        if source is not None and source.is_file and same_file(output, Path(source.url)):
            raise EnlightError(f"output {location.text} is the file played as the camera; choose another name")
        check_paths(None, output, overwrite=overwrite, container_from_name=location.format is None)


def live_info(width: int, height: int, rate: Fraction, aspect: Fraction | None = None) -> VideoInfo:
    """What a sink needs for untagged RGB frames of this size (players assume BT.601/709 by size), shown at up to
    the source's nominal ``rate``, their pixels ``aspect`` wide for 1 high (None: square; the source's, as a file run
    keeps it: a 720x576 capture shown 16:9 was recorded with square pixels and played at 5:4). A container that times
    frames by slots (AVI) gets slots of that rate, the frames dropped to stay live leaving empty ones; in the
    millisecond ticks it claimed 1000 fps."""
    color = ColorInfo.from_frame(av.VideoFrame(width, height, "yuv420p"))
    return VideoInfo(width=width, height=height, time_base=TIME_BASE, average_rate=rate, frame_count=None,
                     codec="rawvideo", pix_fmt="yuv420p", color=color, display_matrix=None, slot_rate=rate,
                     sample_aspect_ratio=aspect)


class Recorder:
    """Writes (H, W, 3) uint8 RGB frames with their capture time (``time.perf_counter()`` seconds), and the sound of
    the ``sound`` form with them (``hear``; ``heard`` counts its packets). A file is at its name from the start
    (``VideoSink.write_at_target``), in the muxer's crash-safe form (``crash_safe``). ``notes``: what the output did
    with the sound (encoded again); ``finish`` adds what it did with a sound track that got nothing."""

    def __init__(self, location: Location, info: VideoInfo, *, encoder: EncoderConfig, overwrite: bool,
                 sound: SoundForm | None = None) -> None:
        self.location = location
        self.overwrite = overwrite
        self.sound = sound
        muxer = recording_options(Path(location.url), location.format) if location.is_file else None
        if sound is not None and muxer is not None:
            muxer["max_interleave_delta"] = str(INTERLEAVE_US)
        elif sound is not None:  # (a stream's muxer takes its options from the location)
            location = replace(location, options={**location.options, "max_interleave_delta": str(INTERLEAVE_US)})
        passthrough = [sound.template] if sound is not None else []
        self.sink = VideoSink(location, info, encoder=encoder, muxer=muxer, passthrough=passthrough)
        self.notes = list(self.sink.copy_notes)
        self._syncs: Syncs | None = None
        if location.is_file:
            self.sink.write_at_target(overwrite=overwrite)
            self._syncs = Syncs(Path(location.url))
        self._start: float | None = None
        self._last = 0.0  # the last frame's time in the recording, seconds
        self.heard = 0  # packets of sound muxed

    @property
    def name(self) -> str:
        return self.location.text

    @property
    def frames(self) -> int:
        return self.sink.frames_written

    def write(self, rgb, captured_at: float) -> None:
        if self._start is None:
            self._start = captured_at
        self._written(self.sink.write_frame, rgb, round((captured_at - self._start) / TIME_BASE))
        self._last = captured_at - self._start

    def hear(self, sound: Sound) -> bool:
        """Mux a packet of the source's sound where it starts on the capture clock; False where it is not this
        recording's: of another form (the source came back with other sound), or before its first frame."""
        if sound.form is not self.sound or self._start is None or sound.at < self._start:
            return False
        self._written(self.sink.write_packet, sound.moved(self._start))
        self.heard += 1
        return True

    def _written(self, write, *args) -> None:
        """``write(*args)`` to the sink; a file that cannot be written on is a one-line error saying what it keeps."""
        try:
            write(*args)
        except (av.error.FFmpegError, OSError) as exc:
            if self._syncs is None:
                raise
            raise EnlightError(self._kept(exc)) from None
        if self._syncs is not None:
            self._syncs.tick()

    def finish(self) -> None:
        """Flush and close: the file is complete and playable at its name (a stream is ended). A file that cannot
        be finished (the disk filled) is kept as far as it was written, and the error says so. One whose sound track
        got nothing is written again without it (``_without_sound``, a note in ``notes``)."""
        if self.frames == 0:
            self.sink.abort()
            return
        try:
            self.sink.finish(overwrite=self.overwrite)
        except EnlightError as exc:
            if self._syncs is None:
                raise
            if fragmented(Path(self.location.url), self.location.format):
                trim_torn_fragment(Path(self.location.url))
            raise EnlightError(self._kept(exc.__context__ or exc)) from None
        if self.sound is not None and not self.heard:
            self._without_sound()

    def _without_sound(self) -> None:
        """The finished output's sound track got no packet (the source's sound stopped before its first frame, or
        in the 2 s before that was told: ``sound_ahead.SoundWatch``): a file is written again with the picture alone
        (``picture_only``), and a note in ``notes`` says what became of it. A copy that fails, or is interrupted (the
        interrupt is raised), leaves the file as it was: whole, with its empty track."""
        lacking = "none of the source's sound came while it was recorded (it had stopped)"
        if self._syncs is None:
            self.notes.append(f"{lacking}; a stream cannot be written again: its sound track stays empty")
            return
        try:
            without_sound(Path(self.location.url), self.location.format)
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            why = "no space left on the disk" if getattr(exc, "errno", None) in DISK_FULL else reason(exc)
            self.notes.append(f"{lacking}, and it could not be written again without its empty sound track ({why}): "
                              "it keeps it")
            return
        except KeyboardInterrupt:
            self.notes.append(f"{lacking}; interrupted while it was written again without its empty sound track, it "
                              "keeps it")
            raise
        self.notes.append(f"{lacking}: written again with the picture alone, without the empty sound track it was "
                          "opened with")

    def _kept(self, exc: BaseException) -> str:
        """The one line for a recording whose file could not be written on: why, and what it keeps."""
        why = "no space left on the disk" if getattr(exc, "errno", None) in DISK_FULL else reason(exc)
        return (f"cannot write the recording {self.name} on ({why}); it keeps what reached the disk of the "
                f"{self._last:.0f} s recorded, all but the last few seconds")


def numbered(path: str, index: int) -> str:
    """``rec.mp4`` -> ``rec-2.mp4`` for the second recording of a session (index 1 keeps the name)."""
    if index <= 1:
        return path
    p = Path(path)
    return str(p.with_name(f"{p.stem}-{index}{p.suffix}"))


def take_name(pattern: str, index: int, now: datetime, *, overwrite: bool = False) -> str:
    """The file of a session's ``index``-th recording (from 1) started at ``now``: ``--record`` as given, then
    ``rec-2.mp4``, ... (past those that exist, unless ``overwrite``); a name with strftime fields
    (``night-%Y%m%d-%H%M%S.mp4``) takes each recording's start time, numbered only where two would share it, so a
    service restarted with the same --record keeps every night's."""
    if is_sequence(pattern) and is_photo(pattern):  # (numbered pictures, which the recording refuses as such)
        return pattern
    timed = "%" in pattern
    name = now.strftime(pattern) if timed else pattern
    if index <= 1 or (timed and not Path(name).exists()):
        return name  # (the first one is checked before the run)
    number = index
    while not overwrite and Path(numbered(name, number)).exists():
        number += 1
    return numbered(name, number)
