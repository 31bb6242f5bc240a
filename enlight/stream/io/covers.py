"""Cover pictures: the still image a file carries beside its video (yt-dlp's ``--embed-thumbnail``, a
Matroska file's ``cover.jpg``, a phone app's poster frame).

FFmpeg shows one as a video stream flagged ``attached_pic`` whose only packet is the image file's bytes;
a Matroska image attachment is read the same way. It is neither enhanced nor a track to copy packet for
packet, so it is read aside (``read_covers``) and written back in the form the output holds
(``add_covers``): a Matroska attachment, or an MP4 cover (the ``covr`` atom); other outputs get a note.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import av

from enlight.text import counted

# What a cover's codec is as a file: its usual name and MIME type
_KINDS = {"mjpeg": ("jpg", "image/jpeg"), "png": ("png", "image/png"), "bmp": ("bmp", "image/bmp"),
          "gif": ("gif", "image/gif"), "webp": ("webp", "image/webp")}
# How many packets are read looking for the covers: FFmpeg hands them out before any other packet
_LOOK_AHEAD = 64


@dataclass(frozen=True)
class Cover:
    """One cover picture: ``data`` is the image file's bytes (a JPEG or PNG as it was stored), ``codec`` FFmpeg's
    name for it ('mjpeg', 'png'), ``size`` its (width, height), ``name`` and ``mimetype`` what a Matroska
    attachment of it is called (the source's own where it had them), ``index`` its stream in the source."""

    index: int
    codec: str
    size: tuple[int, int]
    name: str
    mimetype: str
    data: bytes


def cover_streams(container) -> list:
    """The streams of ``container`` that are cover pictures (``attached_pic``)."""
    return [s for s in container.streams.video if s.disposition & av.stream.Disposition.attached_pic]


def read_covers(path: Path) -> list[Cover]:
    """The cover pictures of the file at ``path``, read from a second opening of it (the enhancing one must not
    skip packets); [] when it has none or they cannot be read."""
    try:
        with av.open(str(path)) as container:
            streams = cover_streams(container)
            if not streams:
                return []
            found: dict[int, bytes] = {}
            for count, packet in enumerate(container.demux(streams)):
                if packet.size and packet.stream.index not in found:
                    found[packet.stream.index] = bytes(packet)
                if len(found) == len(streams) or count >= _LOOK_AHEAD:
                    break
            return [_cover(s, found[s.index]) for s in streams if s.index in found]
    except (av.error.FFmpegError, OSError, ValueError):
        return []


def _cover(stream, data: bytes) -> Cover:
    codec = stream.codec_context.name if stream.codec_context else "unknown"
    ext, mimetype = _KINDS.get(codec, ("bin", "application/octet-stream"))
    ctx = stream.codec_context
    return Cover(index=stream.index, codec=codec, size=(ctx.width, ctx.height) if ctx else (0, 0),
                 name=stream.metadata.get("filename") or f"cover.{ext}",
                 mimetype=stream.metadata.get("mimetype") or mimetype, data=data)


def add_covers(out: av.container.OutputContainer, kind: str, covers: Sequence[Cover],
               holds_attachments: Callable[[str], bool]) -> tuple[list[tuple[av.stream.Stream, Cover]], list[str]]:
    """Put ``covers`` into ``out`` before its header is written: as attachments where it holds them
    (``holds_attachments(muxer)``: Matroska; asked only where there are covers, as it runs a trial), else as cover
    streams where its muxer keeps them (MP4). Returns the streams whose one packet ``mux_covers`` writes after the
    header, and a note for the covers left out (``kind``: the output's extension, for the note)."""
    if not covers:
        return [], []
    if holds_attachments(out.format.name):
        for cover in covers:
            out.add_attachment(cover.name, cover.mimetype, cover.data)
        return [], []
    fitting = [c for c in covers if _keeps_covers(out.format.name, c.codec)]
    added = [(_cover_stream(out, c), c) for c in fitting]
    left = [c for c in covers if c not in fitting]
    if not left:
        return added, []
    hint = "a .mkv output keeps it" if len(left) == 1 else "a .mkv output keeps them"
    hint += " (.mp4 too)" if all(_keeps_covers("mp4", c.codec) for c in left) and kind != ".mp4" else ""
    return added, [f"{counted(len(left), 'cover picture')} ({', '.join(c.name for c in left)}) not copied: a "
                   f"{kind} output cannot hold {'it' if len(left) == 1 else 'them'}; {hint}"]


def _cover_stream(out: av.container.OutputContainer, cover: Cover) -> av.stream.Stream:
    stream = out.add_stream(cover.codec)
    stream.width, stream.height = max(1, cover.size[0]), max(1, cover.size[1])
    formats = [f.name for f in stream.codec_context.codec.video_formats or ()]
    stream.pix_fmt = formats[0] if formats else "rgb24"
    stream.disposition = av.stream.Disposition.attached_pic
    return stream


def mux_covers(out: av.container.OutputContainer, added: Sequence[tuple[av.stream.Stream, Cover]]) -> None:
    """Write each added cover stream's one packet (after ``out``'s header)."""
    for stream, cover in added:
        packet = av.Packet(cover.data)
        packet.stream = stream
        out.mux(packet)


@lru_cache(maxsize=16)
def _keeps_covers(muxer: str, codec: str) -> bool:
    """Whether FFmpeg's ``muxer`` writes a ``codec`` cover stream so that it is read back as one (MP4 does; MOV
    takes the stream and drops it without a word; MPEG-TS and Matroska refuse it), by a trial in memory."""
    if codec not in _KINDS:
        return False
    errors = (ValueError, TypeError, AttributeError, av.error.FFmpegError, av.codec.codec.UnknownCodecError)
    buffer = io.BytesIO()
    try:
        with av.open(buffer, "w", format=muxer) as trial:
            video = trial.add_stream("mpeg4", rate=25)
            video.width, video.height, video.pix_fmt = 16, 16, "yuv420p"
            stream = _cover_stream(trial, Cover(0, codec, (16, 16), "", "", b""))
            trial.start_encoding()
            mux_covers(trial, [(stream, Cover(0, codec, (16, 16), "", "", _TRIAL_BYTES))])
        with av.open(io.BytesIO(buffer.getvalue())) as back:
            return bool(cover_streams(back))
    except errors:
        return False


# Bytes that stand for a picture in the trial (the muxer copies them; nothing decodes them there)
_TRIAL_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(64)
