"""Which of a file's audio streams hold no packet: sound declared and never recorded (a camera's recording with its
microphone off keeps the track it declared, with nothing in it; an MPEG-TS whose programme lists sound it never
carried).

A file run copied such a stream as it was: a Matroska or MPEG-TS output got an audio track of no packets, which
players list as a sound track, and an MPEG-TS source's (whose rate FFmpeg finds in no packet) was 'encoded again as
AAC 96 kb/s: a .mp4 file cannot hold aac', a note about sound there was none of. The file is read a second time from
its start, demuxed, not decoded, until each audio stream whose count of packets its index does not give (MP4 and
MOV: their index does, and FFmpeg leaves out a track of none) has given one: a file with sound gives it in its first
packets (10 ms, most of it the opening); a file whose stream is empty is read through (from the page cache: 0.10 s
for 239 MB of Matroska, 0.17 s for 254 MB of MPEG-TS).
A stream input (a URL, a pipe) cannot be read twice: none is found there.
"""

from __future__ import annotations

import os
from functools import lru_cache

import av


def silent_audio(container) -> frozenset[int]:
    """The indices of the audio streams of ``container`` (an input opened for reading) that hold no packet, for a
    file on the disk; empty for a stream input, or where the file cannot be read again."""
    path = container.name
    wanted = tuple(s.index for s in container.streams.audio if not s.frames)
    if not wanted or not isinstance(path, str) or not os.path.isfile(path):
        return frozenset()
    status = os.stat(path)
    return _silent(path, wanted, status.st_size, status.st_mtime_ns)


@lru_cache(maxsize=16)
def _silent(path: str, indices: tuple[int, ...], size: int, mtime_ns: int) -> frozenset[int]:
    """``silent_audio`` for the streams ``indices`` of the file ``path`` (``size`` and ``mtime_ns``: the file as it
    is, so a file written again is read again)."""
    left = set(indices)
    try:
        with av.open(path) as again:
            streams = [s for s in again.streams if s.index in left and s.type == "audio"]
            if len(streams) < len(left):
                return frozenset()  # (not the streams the caller saw)
            for packet in again.demux(*streams):
                if packet.size:
                    left.discard(packet.stream_index)
                    if not left:
                        break
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(left)
