"""An input's streams and what becomes of each: the video stream that is enhanced, those copied packet for packet
(audio, subtitles, data tracks, other video streams), the tracks the output carries in another form (a timecode
track, an MP4's chapter track), what is read aside from a file input (cover pictures, a 360 projection), and a note
for each of the rest.
"""

from __future__ import annotations

from pathlib import Path

import av

from enlight.stream.io.covers import Cover, cover_streams, read_covers
from enlight.stream.io.spherical import Spherical, read_spherical

PASSTHROUGH_TYPES = ("audio", "subtitle", "data")


def enhanced_stream(container):
    """The video stream that is enhanced: the first that is not a cover picture; None if there is none."""
    videos = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    return videos[0] if videos else None


def passthrough_streams(container) -> list:
    """The streams copied into the output packet for packet: audio, subtitles, data tracks (a GoPro's GPMF
    telemetry, a dashcam's GPS: the sink leaves out, with a note, those the output's kind of file cannot
    hold) and any other video stream (a dual-camera dashcam's rear camera, a 360 camera's second lens:
    copied as they are, with a note); not the tracks the output carries in another form
    (``_carried_otherwise``)."""
    chapters = len(container.chapters())
    main = enhanced_stream(container)
    pictures = av.stream.Disposition.attached_pic
    others = [s for s in container.streams.video if s is not main and not s.disposition & pictures]
    return [s for s in container.streams if (s.type in PASSTHROUGH_TYPES or s in others)
            and not _carried_otherwise(s, chapters)]


def _carried_otherwise(stream, chapters: int) -> bool:
    """Whether ``stream`` is a track whose content the output carries in another form, so that it is neither
    copied nor reported as dropped: a QuickTime timecode track (``VideoInfo.timecode``: the muxer writes one
    again from it) and the text track that holds an MP4's ``chapters`` (their count; FFmpeg reads that track
    as mov_text subtitles of one cue per chapter, or as data; the chapters are copied as chapters)."""
    if stream.type == "data" and "timecode" in stream.metadata:
        return True
    if not chapters:
        return False
    if stream.type == "subtitle":
        return stream.codec_context.name == "mov_text" and stream.frames == chapters
    handler = stream.metadata.get("handler_name", "").lower()
    return stream.type == "data" and ("chapter" in handler or "subtitle" in handler)


def read_aside(container, path: Path | str) -> tuple[list[Cover], Spherical | None]:
    """What of a file input is read aside from a second opening of it: its cover pictures (``read_covers``) and,
    for an MP4 or MOV file, its 360 projection (``read_spherical``). A stream input (a URL, stdin) cannot be read
    twice: nothing (``stream_notes`` names its cover pictures)."""
    if not isinstance(path, Path):
        return [], None
    covers = read_covers(path) if cover_streams(container) else []
    return covers, read_spherical(path) if container.format.name.startswith("mov") else None


def stream_notes(container, kept: list, covers_read: list[Cover]) -> list[str]:
    """A note per other video stream in ``kept`` (copied as it is, not enhanced), and per stream neither enhanced
    nor copied (``kept``) nor a cover picture read (``covers_read``: one of a stream input is not), except the
    tracks the output carries in another form (``_carried_otherwise``)."""
    copied = [f"video stream #{s.index} ({s.codec_context.name}, {s.codec_context.width}x{s.codec_context.height})"
              " was copied as it is: only the first video stream is enhanced" for s in kept[1:] if s.type == "video"]
    chapters = len(container.chapters())
    covers = cover_streams(container)
    kept = kept + [s for s in covers if s.index in {c.index for c in covers_read}]
    dropped = [s for s in container.streams if s not in kept and not _carried_otherwise(s, chapters)]
    return copied + [_not_copied(s, cover=s in covers) for s in dropped]


def _not_copied(stream, *, cover: bool) -> str:
    """The note on a stream the output does not carry (a cover picture, or a kind no output takes)."""
    codec = stream.codec_context.name if stream.codec_context else "no codec"
    why = ("a cover picture is copied only from a file input, and only when it can be read" if cover
           else "only audio, subtitle, data and video streams, attachments and cover pictures are")
    return f"stream #{stream.index} ({stream.type}, {codec}) was not copied: {why}"

