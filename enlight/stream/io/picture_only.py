"""A finished live recording written again without the sound track it declared and never got a packet in.

A live output's sound track is declared at its first frame, from what the source's sound was then
(``LiveSource.sound_form``); where the sound had already stopped (its last packet before that frame, the stop told
up to ``sound_ahead.AHEAD_S`` of picture later) the track got nothing. Read back, such a file has an audio stream of
no packets: players list a sound track that plays nothing, and some refuse the file. A muxer cannot drop a stream
once its header is written, so the file is written again once it is closed, its other streams copied packet for
packet (no decoding: a few ms for a recording of seconds, at the disk's pace for a long one), its container's and
streams' tags with them, in the form the recording had (``crash_safe``). The copy is made beside it
(``temporary``), synced, and renamed onto it: a copy that fails or is interrupted is deleted and the recording is
left as it was, whole, with its empty track.
"""

from __future__ import annotations

import os
from pathlib import Path

import av

from enlight.stream.io.crash_safe import recording_options
from enlight.stream.io.stream_copy import keep_sample_aspect
from enlight.stream.io.temporary import temporary_path
from enlight.stream.io.video_stream import frame_rate


def without_sound(path: Path, muxer: str | None = None) -> None:
    """Write the finished file ``path`` (by ``muxer``, or the one its name gives) again without its audio streams,
    through a temporary beside it renamed onto it. Raises what reading or writing raised (``av.error.FFmpegError``,
    ``OSError``; an interrupt as it came) with ``path`` untouched and no temporary left."""
    tmp = temporary_path(path)
    try:
        with av.open(str(path)) as source, \
                av.open(str(tmp), "w", format=muxer, options=recording_options(path, muxer)) as out:
            kept = [stream for stream in source.streams if stream.type != "audio"]
            copies = {stream.index: _copy(out, stream) for stream in kept}
            out.metadata.update({key: value for key, value in source.metadata.items() if key != "encoder"})
            for packet in source.demux(*kept):
                if packet.dts is None and packet.pts is None:
                    continue  # (the flush packet at each stream's end)
                packet.stream = copies[packet.stream_index]
                out.mux(packet)
        _sync(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _copy(out: av.container.OutputContainer, stream: av.stream.Stream) -> av.stream.Stream:
    """``stream``'s copy in ``out``: its codec's parameters, tags and disposition, a video's frame rate (Matroska's
    default duration) and pixel aspect ratio (which Matroska's and WebM's muxers take from the stream's own)."""
    copy = out.add_stream_from_template(stream)
    copy.metadata.update(stream.metadata)
    copy.disposition = stream.disposition
    if stream.type == "video":
        rate = frame_rate(stream)
        if rate:
            copy.codec_context.framerate = rate
        keep_sample_aspect(copy, stream.sample_aspect_ratio)
    return copy


def _sync(path: Path) -> None:
    """Put the copy's bytes on the disk before it takes the recording's name (a power cut then leaves one or the
    other whole, not a name with nothing behind it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
