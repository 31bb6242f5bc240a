"""An input's streams and what becomes of each: the video stream that is enhanced (``VideoChoice``: the first, or
another one read alone in a pass of its own), those copied packet for packet (audio, subtitles, data tracks, the
other video streams where they are not enhanced), the tracks the output carries in another form (a timecode track,
an MP4's chapter track), what is read aside from a file input (cover pictures, a 360 projection), and a note for
each of the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from enlight.stream.io.covers import Cover, cover_streams, read_covers
from enlight.stream.io.silent_audio import silent_audio
from enlight.stream.io.spherical import Spherical, read_spherical

PASSTHROUGH_TYPES = ("audio", "subtitle", "data")
_CHAPTER_SLACK_S = Fraction(1, 100)  # how far a chapter track's ends may be from its chapters' (``_spans``)


def enhanced_stream(container):
    """The video stream that is enhanced: the first that is not a cover picture; None if there is none."""
    videos = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    return videos[0] if videos else None


def chosen_stream(container, choice: VideoChoice):
    """The video stream a read enhances: ``choice.index``'s, or the first that is not a cover picture; None if there
    is none."""
    if choice.index is None:
        return enhanced_stream(container)
    return next((s for s in container.streams if s.index == choice.index), None)


def other_videos(container) -> list:
    """The video streams after the enhanced one that are not cover pictures: a dual-camera dashcam's rear camera, a
    360 camera's second lens, a DVR's second channel."""
    main = enhanced_stream(container)
    pictures = av.stream.Disposition.attached_pic
    return [s for s in container.streams.video if s is not main and not s.disposition & pictures]


@dataclass(frozen=True)
class VideoChoice:
    """Which of an input's video streams a read enhances, and what becomes of its other video streams.

    index: a video stream read alone, in a pass of its own (``enlight.stream.apps.video_passes``): nothing else of
    the input is copied, read aside or noted; None: the first (``enhanced_stream``), with the input's other streams.
    elsewhere: the indices of the other video streams enhanced in passes of their own: neither copied nor noted here.
    why_copied: why the other video streams left are copied as they are (each gets a note that says so); '': no
    note (an output that holds the picture only says what it left out)."""

    index: int | None = None
    elsewhere: tuple[int, ...] = ()
    why_copied: str = ""


def passthrough_streams(container, choice: VideoChoice = VideoChoice()) -> list:
    """The streams copied into the output packet for packet: audio, subtitles, data tracks (a GoPro's GPMF
    telemetry, a dashcam's GPS: the sink leaves out, with a note, those the output's kind of file cannot
    hold) and the other video streams that ``choice`` does not enhance elsewhere (copied as they are, with a
    note); not the tracks the output carries in another form (``_carried_otherwise``), nor a file's audio stream
    that holds no packet (``silent_audio``: it would be an empty sound track). None for a video stream read alone
    (``choice.index``)."""
    if choice.index is not None:
        return []
    chapters = container.chapters()
    others = [s for s in other_videos(container) if s.index not in choice.elsewhere]
    silent = silent_audio(container)
    return [s for s in container.streams if (s.type in PASSTHROUGH_TYPES or s in others)
            and not _carried_otherwise(s, chapters) and s.index not in silent]


def _carried_otherwise(stream, chapters: list[dict]) -> bool:
    """Whether ``stream`` is a track whose content the output carries in another form, so that it is neither
    copied nor reported as dropped: a QuickTime timecode track (``VideoInfo.timecode``: the muxer writes one
    again from it) and the text track that holds an MP4's ``chapters`` (PyAV's dicts; FFmpeg reads that track
    as data, or as mov_text subtitles of one cue per chapter that last as long as the chapters together:
    ``_spans``; the chapters are copied as chapters)."""
    if stream.type == "data" and "timecode" in stream.metadata:
        return True
    if not chapters:
        return False
    if stream.type == "subtitle":
        return (stream.codec_context.name == "mov_text" and stream.frames == len(chapters)
                and _spans(stream, chapters))
    handler = stream.metadata.get("handler_name", "").lower()
    return stream.type == "data" and ("chapter" in handler or "subtitle" in handler)


def _spans(stream, chapters: list[dict]) -> bool:
    """Whether ``stream`` starts where the first of ``chapters`` does and ends where the last one ends (within
    10 ms), as the track that holds them does. A subtitle track ends with its last cue: one with as many samples
    as the file has chapters (an MP4's one cue and the empty sample after it, beside two chapters) was taken for
    the chapter track and left out of the output without a word."""
    if stream.duration is None:
        return False
    start = (stream.start_time or 0) * stream.time_base
    end = start + stream.duration * stream.time_base
    first, last = chapters[0], chapters[-1]
    return (abs(start - first["start"] * first["time_base"]) <= _CHAPTER_SLACK_S
            and abs(end - last["end"] * last["time_base"]) <= _CHAPTER_SLACK_S)


def read_aside(container, path: Path | str) -> tuple[list[Cover], Spherical | None]:
    """What of a file input is read aside from a second opening of it: its cover pictures (``read_covers``) and,
    for an MP4 or MOV file, its 360 projection (``read_spherical``). A stream input (a URL, stdin) cannot be read
    twice: nothing (``stream_notes`` names its cover pictures)."""
    if not isinstance(path, Path):
        return [], None
    covers = read_covers(path) if cover_streams(container) else []
    return covers, read_spherical(path) if container.format.name.startswith("mov") else None


def stream_notes(container, kept: list, covers_read: list[Cover], choice: VideoChoice = VideoChoice()) -> list[str]:
    """A note per other video stream in ``kept`` (copied as it is, not enhanced: ``choice.why_copied`` says why),
    and per stream neither enhanced (here, or elsewhere: ``choice``) nor copied (``kept``) nor a cover picture read
    (``covers_read``: one of a stream input is not), except the tracks the output carries in another form
    (``_carried_otherwise``). None for a video stream read alone (``choice.index``)."""
    if choice.index is not None:
        return []
    copied = [f"video stream #{s.index} ({_described(s)}) was copied as it is: {choice.why_copied}"
              for s in kept[1:] if s.type == "video" and choice.why_copied]
    chapters = container.chapters()
    covers = cover_streams(container)
    kept = kept + [s for s in covers if s.index in {c.index for c in covers_read}]
    kept += [s for s in container.streams if s.index in choice.elsewhere]
    dropped = [s for s in container.streams if s not in kept and not _carried_otherwise(s, chapters)]
    silent = silent_audio(container)
    return copied + [_not_copied(s, cover=s in covers, silent=s.index in silent) for s in dropped]


def _described(stream) -> str:
    """A video stream's codec and size ('h264, 160x120'), or that this FFmpeg cannot decode it."""
    context = stream.codec_context
    return f"{context.name}, {context.width}x{context.height}" if context else "no decoder here"


def _not_copied(stream, *, cover: bool, silent: bool = False) -> str:
    """The note on a stream the output does not carry (a cover picture, a kind no output takes, or an audio stream
    that holds no packet: ``silent``)."""
    codec = stream.codec_context.name if stream.codec_context else "no codec"
    if silent:
        return (f"audio stream #{stream.index} ({codec}) was not copied: the file holds no packet of it (sound "
                "declared and never recorded, as a camera with its microphone off does); the output has no empty "
                "sound track for it")
    why = ("a cover picture is copied only from a file input, and only when it can be read" if cover
           else "only audio, subtitle, data and video streams, attachments and cover pictures are")
    return f"stream #{stream.index} ({stream.type}, {codec}) was not copied: {why}"

