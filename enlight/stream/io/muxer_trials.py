"""What FFmpeg's muxers and encoders do with a stream, found by trying: a one-frame file written in memory and read
back. Which encoders a container takes (``choose_codec``'s candidates, the codecs an error names), whether its video
is read back as video, which colour tags, chapters, timecode and track flags a reader finds again. Each answer is
cached for the process; a trial that cannot be made counts as nothing lost.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import numpy as np

from enlight.stream.io.colour_fit import Found
from enlight.stream.io.track_tags import NOTED_FLAGS, Track, flags_note
from enlight.text import counted

QUIET = {"libx265": {"x265-params": "log-level=error"}}  # encoder options that keep its banner off the terminal


# what a trial in memory raises where it cannot be made or read (an encoder that takes no 64x64 frame, x265 in
# memory, a muxer that refuses the codec): then nothing is known of it
TRIAL_ERRORS = (ValueError, TypeError, av.error.FFmpegError, av.codec.codec.UnknownCodecError)


@lru_cache(maxsize=64)
def opens_own_files(muxer: str) -> bool:
    """Whether FFmpeg's ``muxer`` opens its own files or connections (AVFMT_NOFILE: image2, RTSP, HLS, segment,
    tee): a trial 'in memory' is written by name instead ('<none>' in the current folder)."""
    try:
        return av.format.ContainerFormat(muxer, "w").no_file
    except ValueError:
        return False


@lru_cache(maxsize=64)
def muxer_fit(muxer: str, codec: str) -> int:
    """How far FFmpeg's ``muxer`` takes a stream of ``codec`` (in memory): 0 not at all (or no such encoder here),
    1 added but its header refused (Ogg with H.264; or a muxer that writes no header to memory, as GIF's), 2 both."""
    errors = (ValueError, av.error.FFmpegError, av.codec.codec.UnknownCodecError)
    quiet_svt(codec)
    trial = av.open(io.BytesIO(), "w", format=muxer)
    try:
        stream = trial.add_stream(codec, rate=25, options=QUIET.get(codec))
        formats = [f.name for f in stream.codec_context.codec.video_formats or ()]
        stream.width, stream.height = 64, 64
        stream.pix_fmt = "yuv420p" if not formats or "yuv420p" in formats else formats[0]
        trial.start_encoding()
    except errors:
        return 1 if trial.streams.video else 0
    finally:
        with contextlib.suppress(*errors):
            trial.close()
    return 2


def codecs_taken(muxer: str, *, other_than: str) -> list[str]:
    """The encoders of ``VIDEO_CODECS``, other than ``other_than``, whose video FFmpeg's ``muxer`` takes, header
    included, and is read back as video (to name one in an error)."""
    return [c for c in VIDEO_CODECS if c != other_than and muxer_fit(muxer, c) == 2 and read_back(muxer, c)]


@lru_cache(maxsize=64)
def read_back(muxer: str, codec: str) -> bool:
    """Whether a one-frame trial of ``codec`` video, written by FFmpeg's ``muxer``, is read back as that video.
    MPEG-TS takes VP8, VP9, AV1, FFV1, ProRes ... only to write them as a data stream that no player shows, and
    MPEG-PS writes some of them so that nothing reads the file (``-o x.ts --codec ffv1`` finished as if all was well).
    True where no trial can be made (x265 in memory): nothing is known lost."""
    quiet_svt(codec)
    try:
        data = trial_file(muxer, codec, lambda trial: None)
    except TRIAL_ERRORS:
        return True
    try:
        with av.open(io.BytesIO(data)) as back:
            context = back.streams.video[0].codec_context if back.streams.video else None
            return context is not None  # (of any codec: a one-frame APNG is read back as a PNG)
    except TRIAL_ERRORS:
        return False


MUXERS = {".mkv": "matroska", ".mov": "mov", ".mp4": "mp4", ".m4v": "mp4", ".avi": "avi", ".ts": "mpegts",
           ".mts": "mpegts", ".m2ts": "mpegts", ".webm": "webm", ".flv": "flv"}


# chosen (``--codec auto``) and suggested, in this order, for a container; libvpx (VP8) for Ogg, APNG for .apng,
# animated WebP for .webp
VIDEO_CODECS = ("libx264", "libvpx-vp9", "libx265", "mpeg4", "gif", "libvpx", "apng", "libwebp_anim")


def writes_header(muxer: str, add: Callable[[av.container.OutputContainer], object]) -> bool:
    """Whether FFmpeg's ``muxer`` writes a header, to an in-memory file, after ``add(trial)`` put something in it
    (some muxers refuse a codec only there, as MPEG-PS does AAC)."""
    try:
        with av.open(io.BytesIO(), "w", format=muxer) as trial:
            add(trial)
            trial.start_encoding()
    except (ValueError, av.error.FFmpegError):
        return False
    return True


_TRIAL_TIMECODE = "01:00:00:00"


def _trial_with_marks(muxer: str, codec: str) -> bytes:
    """A one-frame file of ``codec`` video, written by FFmpeg's ``muxer`` in memory with a chapter and a start
    timecode (as the sink writes them: ``set_chapters`` and the video stream's ``timecode`` tag)."""
    def marks(trial: av.container.OutputContainer) -> None:
        trial.streams.video[0].metadata["timecode"] = _TRIAL_TIMECODE
        trial.set_chapters([{"id": 1, "start": 0, "end": 1, "time_base": Fraction(1, 25), "metadata": {}}])

    return trial_file(muxer, codec, marks)


def trial_file(muxer: str, codec: str, prepare: Callable[[av.container.OutputContainer], object],
                options: dict[str, str] | None = None) -> bytes:
    """A one-frame file of ``codec`` video, written by FFmpeg's ``muxer`` (with its ``options``) in memory after
    ``prepare(trial)`` put in it what is to be tried. ValueError for a muxer that opens its own files (image2, RTSP,
    HLS: ``opens_own_files``), which would write its trial where the run was started ('<none>')."""
    if opens_own_files(muxer):
        raise ValueError(f"no trial in memory of {muxer}, which opens its own files")
    buffer = io.BytesIO()
    options = {key: value.replace("+faststart", "") for key, value in (options or {}).items()}  # (a second pass
    options = {key: value for key, value in options.items() if value}  # over a file: none in memory)
    with av.open(buffer, "w", format=muxer, options=options) as trial:
        stream = trial.add_stream(codec, rate=25, options=QUIET.get(codec))
        formats = [f.name for f in stream.codec_context.codec.video_formats or ()]
        stream.width, stream.height = 64, 64
        stream.pix_fmt = "yuv420p" if not formats or "yuv420p" in formats else formats[0]
        prepare(trial)
        trial.start_encoding()
        frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
        frame = frame.reformat(format=stream.pix_fmt)
        ctx = stream.codec_context  # (the tags ``prepare`` gave: some encoders read the frame's)
        frame.colorspace, frame.color_range = ctx.colorspace, ctx.color_range
        frame.color_primaries, frame.color_trc = ctx.color_primaries, ctx.color_trc
        frame.pts = 0
        trial.mux(stream.encode(frame))
        trial.mux(stream.encode(None))
    return buffer.getvalue()


def trial_of_muxer(muxer: str, codec: str, prepare: Callable[[av.container.OutputContainer], object],
                    options: dict[str, str] | None = None) -> bytes:
    """``trial_file`` with ``codec``, or where that fails (x265 in memory) the first of ``VIDEO_CODECS`` that
    ``muxer`` takes: what a muxer keeps of tags does not hang on the codec. ValueError where none does."""
    errors = TRIAL_ERRORS
    for name in dict.fromkeys((codec, *VIDEO_CODECS)):
        try:
            return trial_file(muxer, name, prepare, options)
        except errors:
            continue
    raise ValueError(f"no trial file for {muxer}")


# encoders whose bitstream carries all four colour tags, in any kind of file (H.264's and HEVC's VUI, AV1's sequence
# header): no trial of what readers find (``colour_found``)
TAGGING_ENCODERS = ("libx264", "libx265", "libsvtav1", "libaom-av1", "h264_nvenc", "hevc_nvenc", "av1_nvenc")


@lru_cache(maxsize=32)
def colour_found(muxer: str, codec: str, pix_fmt: str, tags: tuple[int, int, int, int]) -> Found | None:
    """The colour tags a reader finds in a one-frame trial of ``codec`` video in ``pix_fmt``, written by FFmpeg's
    ``muxer`` tagged ``tags`` (matrix, range, primaries, transfer) (``enlight.stream.io.colour_fit``); None for
    ``TAGGING_ENCODERS``, or where no trial can be made (an encoder that takes no 64x64 frame): nothing known lost."""
    if codec in TAGGING_ENCODERS:
        return None

    def tagged(trial: av.container.OutputContainer) -> None:
        stream = trial.streams.video[0]
        stream.pix_fmt = pix_fmt
        ctx = stream.codec_context
        ctx.colorspace, ctx.color_range, ctx.color_primaries, ctx.color_trc = tags

    try:
        with av.open(io.BytesIO(trial_file(muxer, codec, tagged))) as back:
            frame = next(back.decode(video=0))
            return Found(int(frame.colorspace), int(frame.color_range), int(frame.color_primaries),
                         int(frame.color_trc))
    except (*TRIAL_ERRORS, IndexError, StopIteration):
        return None


@lru_cache(maxsize=32)
def _keeps_marks(muxer: str, codec: str) -> tuple[bool, bool]:
    """(chapters, timecode): whether what FFmpeg's ``muxer`` writes of a chapter and a start timecode is found
    again when the file is read (``_trial_with_marks``, with ``codec`` where it is one of ``VIDEO_CODECS``, else
    or if that fails with the first of them that it takes: what a muxer keeps does not hang on the codec, and
    those encoders start quickly and quietly). MPEG-TS, AVI, FLV and MPEG-PS take both without a word and write
    neither; MXF and Ogg keep the timecode, not the chapters (Ogg keeps them beside Opus or Vorbis audio: a
    finished file is read back instead, ``marks_not_kept``). (True, True) where no trial can be made: nothing is
    known lost, and nothing is said."""
    errors = TRIAL_ERRORS
    for name in dict.fromkeys(((codec,) if codec in VIDEO_CODECS else ()) + VIDEO_CODECS):
        try:
            with av.open(io.BytesIO(_trial_with_marks(muxer, name))) as back:
                return _marks_in(back, _TRIAL_TIMECODE)
        except errors:
            continue
    return True, True


def _marks_found(path: Path, timecode: str | None) -> tuple[bool, bool] | None:
    """(chapters, timecode): whether the file at ``path`` is read with chapters, and with the start ``timecode`` as
    a tag of its own or of a stream; None where it cannot be read."""
    try:
        with av.open(str(path)) as back:
            return _marks_in(back, timecode)
    except (OSError, ValueError, av.error.FFmpegError):
        return None


def _marks_in(back: av.container.InputContainer, timecode: str | None) -> tuple[bool, bool]:
    """(chapters, timecode): whether the opened file has chapters, and the start ``timecode`` as a tag of its own or
    of a stream."""
    tags = [back.metadata, *(stream.metadata for stream in back.streams)]
    found = any(key.lower() == "timecode" and value == timecode for t in tags for key, value in t.items())
    return bool(back.chapters()), found


def marks_not_kept(muxer: str, codec: str, kind: str, chapters: int, timecode: str | None, *,
                   written: Path | None = None) -> list[str]:
    """The note for what a ``kind`` output ('.ts'), written by FFmpeg's ``muxer`` with ``codec`` video, cannot hold
    of the source's ``chapters`` (their count) and start ``timecode``, naming the kinds that keep it; none when it
    holds both (or there are none). The muxer takes them and drops them silently. What it holds is read back from
    the finished file ``written`` where there is one (Ogg keeps chapters beside Opus or Vorbis audio, not beside VP8
    video alone), else found by a trial of the muxer (``_keeps_marks``)."""
    if not chapters and timecode is None:
        return []
    found = _marks_found(written, timecode) if written is not None else None
    keeps_chapters, keeps_timecode = found if found is not None else _keeps_marks(muxer, codec)
    lost_chapters = bool(chapters) and not keeps_chapters
    lost_timecode = timecode is not None and not keeps_timecode
    lost = [counted(chapters, "chapter")] if lost_chapters else []
    lost += [f"the start timecode ({timecode})"] if lost_timecode else []
    if not lost:
        return []
    them = "them" if len(lost) > 1 or (lost_chapters and chapters > 1) else "it"
    fits = _kinds_keeping((lost_chapters, lost_timecode), exclude=kind)
    hint = f"; a {' or '.join(fits)} output keeps {them}" if fits else ""
    return [f"{' and '.join(lost)} not kept: a {kind} output cannot hold {them}{hint}"]


# the muxers that write every kind of track's flags alike, so that a trial's video track says what becomes of an
# audio or subtitle track's (MPEG-TS writes an audio track's hearing and visually impaired flags only, MP4 its own):
# tried where the output is a stream; a file is read back when finished (``PassedStreams.flag_notes``)
FLAGS_TRIED_MUXERS = ("matroska", "webm")


@lru_cache(maxsize=16)
def kept_flags(muxer: str) -> int:
    """Which of a track's ``NOTED_FLAGS`` (AV_DISPOSITION bits) FFmpeg's ``muxer`` writes so that they are read
    again (a trial's video track, flagged with all of them); all of them for the muxers not in
    ``FLAGS_TRIED_MUXERS``, or where no trial can be made (nothing is known lost)."""
    if muxer not in FLAGS_TRIED_MUXERS:
        return NOTED_FLAGS

    def flagged(trial: av.container.OutputContainer) -> None:
        trial.streams.video[0].disposition = av.stream.Disposition(NOTED_FLAGS)

    try:
        with av.open(io.BytesIO(trial_of_muxer(muxer, "libx264", flagged))) as back:
            return int(back.streams.video[0].disposition) & NOTED_FLAGS
    except (ValueError, av.error.FFmpegError):
        return NOTED_FLAGS


def flags_not_kept(muxer: str, kind: str, source: Track) -> str | None:
    """``flags_note`` for ``source``'s flags that a ``kind`` output written by ``muxer`` drops (``kept_flags``)."""
    lost = source.flags & NOTED_FLAGS & ~kept_flags(muxer)
    keepers = [other for other in (".mkv",) if other != kind and not lost & ~kept_flags(MUXERS[other])]
    return flags_note(source, lost, kind, keepers) if lost else None


def _kinds_keeping(lost: tuple[bool, bool], *, exclude: str) -> list[str]:
    """Which of .mkv and .mov (other than ``exclude``) keep what was ``lost``: (the chapters, the timecode)."""
    kinds = []
    for kind in (".mkv", ".mov"):
        kept = _keeps_marks(MUXERS[kind], "libx264")
        if kind != exclude and all(keeps or not wanted for keeps, wanted in zip(kept, lost, strict=True)):
            kinds.append(kind)
    return kinds


def quiet_svt(codec: str) -> None:
    """SVT-AV1 prints ~30 lines of banner and notes; its level is an environment variable read when the encoder
    opens (the trials of ``muxer_fit`` included): errors only."""
    if codec == "libsvtav1":
        os.environ.setdefault("SVT_LOG", "1")

