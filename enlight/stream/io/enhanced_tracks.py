"""The other video streams of a file (a dual-camera dashcam's rear camera, a DVR's second channel), each enhanced in a
pass of its own into a hidden file beside the output (``enlight.stream.apps.video_passes``), read back by the pass
that writes the output: their streams, copied there packet for packet in the input's places (``stream_copy``'s
``PassedStreams``), and their packets in the time of the frames that pass reads, so that they go out beside them.

A pass's file holds its stream at the times its frames were encoded at, as its muxer wrote them: an MPEG-TS moves
every packet on by its delay (1.4 s), an MP4 keeps B-frames' delay in an edit list. ``MadeVideo.start`` (its first
frame's time as encoded) against the first frame read back gives what the muxer moved, which is taken off again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain, islice
from pathlib import Path

import av

from enlight.errors import EnlightError, reason

_HEAD_PACKETS = 64  # the packets read for the first frame's time (its keyframe, and B-frames shown before it)
_CHUNK = 64  # the packets handed on at once after the output's last frame


@dataclass(frozen=True)
class MadeVideo:
    """A video stream enhanced in a pass of its own: ``index`` its stream in the input, ``path`` the file it was
    written to, ``start`` its first frame's time as it was encoded (seconds; None: no frame was)."""

    index: int
    path: Path
    start: Fraction | None


@dataclass(frozen=True)
class EnhancedTrack:
    """``source``: the input's video stream (its index, tags and flags); ``made``: its enhanced copy's stream in the
    pass's file (its codec, rate and packets)."""

    source: av.video.stream.VideoStream
    made: av.video.stream.VideoStream


class EnhancedTracks:
    """The passes' files (``made``) of the other video streams of the input ``container``, opened: ``tracks`` for the
    sink, ``until`` and ``rest`` their packets in the input's time. A context manager: closed on leaving."""

    def __init__(self, container: av.container.InputContainer, made: Sequence[MadeVideo]) -> None:
        self._files: list[av.container.InputContainer] = []
        self._packets: list[_Packets] = []
        self.tracks: list[EnhancedTrack] = []
        self.handed = 0  # packets handed on: the frames of the tracks written (a video packet holds one)
        try:
            for video in made:
                os.utime(video.path)  # (a run's temporaries untouched for minutes are a dead run's: ``temporary``)
                file = av.open(str(video.path))
                self._files.append(file)
                stream = file.streams.video[0]
                packets = file.demux(stream)
                head = list(islice(packets, _HEAD_PACKETS))
                source = next(s for s in container.streams if s.index == video.index)
                self.tracks.append(EnhancedTrack(source, stream))
                self._packets.append(_Packets(_moved(chain(head, packets), _shift(video, stream, head))))
        except (av.error.FFmpegError, OSError, IndexError) as exc:
            self.close()
            raise EnlightError(f"cannot read back the enhanced video streams: {reason(exc)}") from None

    def until(self, seconds: Fraction) -> list[av.Packet]:
        """The packets of every track up to ``seconds`` (decoding time, in the time of the frames read), not yet
        handed on."""
        taken = [packet for packets in self._packets for packet in packets.until(seconds)]
        self.handed += len(taken)
        return taken

    def rest(self) -> Iterator[list[av.Packet]]:
        """The packets left, a few at a time (those after the output's last frame)."""
        for packets in self._packets:
            for chunk in packets.rest():
                self.handed += len(chunk)
                yield chunk

    def close(self) -> None:
        for file in self._files:
            with contextlib.suppress(av.error.FFmpegError, OSError):
                file.close()
        self._files = []

    def __enter__(self) -> EnhancedTracks:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Packets:
    """One track's packets, handed on in order up to a time, one read ahead."""

    def __init__(self, packets: Iterator[av.Packet]) -> None:
        self._packets = packets
        self._ahead: av.Packet | None = None

    def until(self, seconds: Fraction) -> list[av.Packet]:
        taken = []
        while True:
            if self._ahead is None:
                self._ahead = next(self._packets, None)
            if self._ahead is None or _time(self._ahead) > seconds:
                return taken
            taken.append(self._ahead)
            self._ahead = None

    def rest(self) -> Iterator[list[av.Packet]]:
        if self._ahead is not None:
            yield [self._ahead]
            self._ahead = None
        while chunk := list(islice(self._packets, _CHUNK)):
            yield chunk


def _time(packet: av.Packet) -> Fraction:
    stamp = packet.dts if packet.dts is not None else packet.pts
    return stamp * packet.time_base if stamp is not None and packet.time_base else Fraction(0)


def _shift(video: MadeVideo, stream: av.video.stream.VideoStream, head: list[av.Packet]) -> int:
    """What the pass's muxer moved its packets by, in ``stream``'s ticks: its first frame's time read back (the
    least pts of its first packets, ``head``) less the time it was encoded at (``video.start``)."""
    if video.start is None or not stream.time_base:
        return 0
    first = min((p.pts for p in head if p.size and p.pts is not None), default=None)
    return 0 if first is None else round(first - video.start / stream.time_base)


def _moved(packets: Iterator[av.Packet], shift: int) -> Iterator[av.Packet]:
    """The non-empty ``packets``, moved ``shift`` ticks earlier."""
    for packet in packets:
        if not packet.size:
            continue
        if shift:
            packet.pts = None if packet.pts is None else packet.pts - shift
            packet.dts = None if packet.dts is None else packet.dts - shift
        yield packet
