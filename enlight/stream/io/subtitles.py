"""Text subtitles converted where the output cannot hold them as they are, as FFmpeg converts them by default.

Subtitle streams are copied packet for packet. But each kind of file takes its own text format: MP4 and MOV
hold ``mov_text`` (3GPP timed text), WebM holds WebVTT, Matroska SRT, ASS and WebVTT but not ``mov_text``. A
film with SRT subtitles written as .mp4 (or a phone's .mp4 with ``mov_text`` written as .mkv) would otherwise
be refused. Here each cue is decoded and encoded again in the output's own text format, at its own start and
duration: the words and the timing are kept; ASS styling (fonts, positions, colours) is not, and the note says so.
Bitmap subtitles (DVD, Blu-ray PGS, DVB) cannot become text; an output that cannot hold those is still refused.
"""

from __future__ import annotations

import av

from enlight.stream.io.track_tags import track_tags

# the text subtitle encoder each FFmpeg muxer takes, for a text stream it cannot hold as it is
TEXT_ENCODERS = {"mp4": "mov_text", "mov": "mov_text", "ipod": "mov_text", "3gp": "mov_text", "3g2": "mov_text",
                 "webm": "webvtt", "matroska": "subrip"}
_STYLED = ("ass", "ssa")  # decoders whose cues carry styling that the other text formats lose


def is_text_subtitle(stream: av.stream.Stream) -> bool:
    """Whether ``stream`` is a subtitle stream of text (SRT, ASS, mov_text, WebVTT), not of bitmaps."""
    codec = stream.codec_context.codec if stream.type == "subtitle" and stream.codec_context else None
    return bool(codec is not None and codec.text_sub)


def text_encoder(muxer: str, stream: av.stream.Stream) -> str | None:
    """The encoder that converts text subtitle ``stream`` into a form FFmpeg's ``muxer`` holds; None when it is
    not text, or the muxer holds no text subtitles (MPEG-TS, AVI)."""
    return TEXT_ENCODERS.get(muxer) if is_text_subtitle(stream) else None


class SubtitleConverter:
    """A text subtitle stream of the source -> an output stream of ``encoder`` in ``out`` (``stream``), cue by
    cue (``convert``), with the source stream's tags and disposition. Build it before ``out``'s header."""

    def __init__(self, out: av.container.OutputContainer, source: av.stream.Stream, encoder: str) -> None:
        self.source_codec = source.codec_context.name
        self.encoder = encoder
        self._decoder = av.CodecContext.create(self.source_codec, "r")
        self._decoder.extradata = source.codec_context.extradata  # an ASS file's styles, a mov_text's defaults
        self._decoder.open()
        self.stream = out.add_stream(encoder)
        self.stream.time_base = source.time_base
        self.stream.codec_context.time_base = source.time_base
        self.stream.codec_context.subtitle_header = self._decoder.subtitle_header  # the encoders need one
        self.stream.metadata.update(track_tags(source, out.format.name))
        self.stream.disposition = source.disposition

    def note(self, index: int, kind: str) -> str:
        """What was done, for the run's summary (``kind``: the output's, '.mp4')."""
        lost = ", its styling (fonts, positions, colours) not" if self.source_codec in _STYLED else ""
        return (f"subtitle stream #{index} ({self.source_codec}) was converted to {self.encoder}, as a {kind} file "
                f"cannot hold {self.source_codec}: its text and timing kept{lost}")

    def convert(self, packet: av.Packet) -> list[av.Packet]:
        """One cue of the source's (a demuxed packet) as a packet of the output stream, at the cue's own time;
        none for a packet that holds no cue, or one that does not decode (it is skipped, as FFmpeg skips it)."""
        try:
            cue = self._decoder.decode2(packet)
            if cue is None or not len(cue.rects):
                return []
            out = self.stream.codec_context.encode_subtitle(cue)
        except av.error.FFmpegError:
            return []
        out.pts, out.dts, out.duration, out.time_base = packet.pts, packet.dts, packet.duration, packet.time_base
        out.stream = self.stream
        return [out]

    def flush(self) -> list[av.Packet]:
        """Nothing is held back: every cue is written as it comes."""
        return []
