"""The other streams of the source, copied into the output packet for packet: which the output's container holds
as what they are (a trial of its muxer, ``enlight.stream.io.muxer_trials``), which are converted (audio and text
subtitles it cannot hold as they are), which are left out with a note, and the attachments. Also the sample aspect
ratio of the encoded stream, which PyAV cannot set (through the stream's own struct: ``stream_struct``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import av

from enlight.errors import EnlightError
from enlight.stream.io import legacy_video
from enlight.stream.io.adts import HEADER_MUXERS, audio_specific_config
from enlight.stream.io.audio_convert import AudioConverter, audio_encoder
from enlight.stream.io.audio_layouts import source_layout, unordered
from enlight.stream.io.codec_delay import primed_template
from enlight.stream.io.dvd_cues import cue_times
from enlight.stream.io.locations import cannot_seek
from enlight.stream.io.muxer_trials import (
    MUXERS,
    TRIAL_ERRORS,
    VIDEO_CODECS,
    flags_not_kept,
    kept_flags,
    trial_file,
    writes_header,
)
from enlight.stream.io.packet_order import PacketOrder
from enlight.stream.io.stream_struct import stream_head
from enlight.stream.io.subtitles import SubtitleConverter, text_encoder
from enlight.stream.io.track_tags import Track, read_back_notes, spelt_for, track_tags
from enlight.stream.io.upright import PICTURE_MUXERS
from enlight.stream.io.video_stream import frame_rate, stream_tags
from enlight.text import counted

if TYPE_CHECKING:
    from enlight.stream.io.enhanced_tracks import EnhancedTrack

Converter = SubtitleConverter | AudioConverter  # .stream, .convert(packet) -> packets, .flush(), .note(index, kind)

# muxers that refuse audio whose channels name no layout ('6 channels': a WAV or AVI without a channel mask, PCM in
# Matroska) of more than two channels, as FFmpeg's MP4 muxer does ('Invalid argument' at its header): there the
# layout FFmpeg takes such channels in ('6c': 5.1); one or two channels have mono or stereo everywhere
NAMED_LAYOUT_MUXERS = ("mp4",)


def hidden_by_edit(packet: av.Packet) -> bool:
    """Whether a copied packet of a stream that is not video is one the source's edit list hides and no player
    needs: FFmpeg flags it discard (an MP4 or MOV outside its edit), and it lies wholly before the start by more
    than its own length (the one just before is kept: an AAC or MP3 decoder primes on it) or at or past 0 (after
    the edit's end). Copied, a phone's or dashcam's hidden second of pre-roll sound was played in a Matroska
    output (which has no edit lists) before the first frame, and every stream moved on by it. Video packets are
    decoded whatever their flag (a hidden frame may be a reference)."""
    if not packet.is_discard or packet.stream.type == "video":
        return False
    if packet.pts is None:
        return True
    return packet.pts >= 0 or packet.pts + 2 * (packet.duration or 0) <= 0


def holds_copy(muxer: str, stream: av.stream.Stream) -> bool:
    """Whether FFmpeg's ``muxer`` takes a copy of ``stream`` and keeps it as what it is (``_spoils``)."""
    if _spoils(muxer, stream):
        return False
    return writes_header(muxer, lambda trial: trial.add_stream_from_template(stream))


def _spoils(muxer: str, stream: av.stream.Stream) -> str | None:
    """Why FFmpeg's ``muxer`` takes a copy of ``stream`` (its header trial passes) only to write it as something no
    player reads; None where it keeps it as it is. MPEG-TS holds bitmap subtitles (DVB's), not text ones: it wrote
    an SRT or mov_text stream as 'bin_data', its language lost, with no word of it; an MPEG program stream (.mpg,
    .vob) holds DVD's: an SRT stream came back as a 'dvdsub' stream without a single cue."""
    codec = stream.codec_context.codec if stream.type == "subtitle" and stream.codec_context else None
    if muxer == "mpegts" and codec is not None and codec.text_sub:
        return "MPEG-TS holds only bitmap (DVB) subtitles, not text ones; it would write them as unreadable data"
    if muxer in legacy_video.PROGRAM_STREAM_MUXERS and codec is not None and codec.text_sub:
        return "an MPEG program stream holds only bitmap (DVD) subtitles, not text ones; its muxer loses every cue"
    name = stream.codec_context.name if stream.type == "audio" and stream.codec_context else None
    if muxer == "mpegts" and name is not None and name not in _TS_AUDIO:
        return f"MPEG-TS has no stream type for {name} audio; it would write it as unreadable data"
    if muxer == "flv" and name is not None and name not in _FLV_AUDIO:
        return f"this FFmpeg's FLV muxer stops the whole process on {name} audio (an assertion), so it is not tried"
    return None


# the audio decoders whose streams MPEG-TS gives a stream type (FFmpeg's mpegtsenc); it writes any other as data:
# an IP camera's G.711 piped to stdout came out as a 'data' stream, its sound lost, with no word of it
_TS_AUDIO = frozenset({"mp2", "mp2float", "mp3", "mp3float", "aac", "aac_fixed", "aac_latm", "ac3", "ac3_fixed",
                       "eac3", "dca", "truehd", "opus", "libopus", "s302m", "pcm_bluray"})


# the audio decoders whose streams FFmpeg's FLV muxer writes; on PCM (G.711 included) and ADPCM it aborted the
# process (SIGABRT, no message, a temporary file left), checked one by one in a child process
_FLV_AUDIO = frozenset({"aac", "aac_fixed", "mp3", "mp3float", "opus", "libopus", "flac", "ac3", "ac3_fixed", "eac3"})


def _containers_for(stream: av.stream.Stream, *, exclude: str) -> list[str]:
    """Which of .mkv, .mov and the input's own kind of file (other than ``exclude``) can hold a copy of
    ``stream``."""
    candidates = dict.fromkeys((".mkv", ".mov", Path(stream.container.name).suffix.lower()))
    return [s for s in candidates if s != exclude and s in MUXERS and holds_copy(MUXERS[s], stream)]


def _codec_label(stream: av.stream.Stream) -> str:
    """The stream's codec name, or for a data track without one its handler ('GoPro MET')."""
    if stream.codec_context is not None:
        return stream.codec_context.name
    return stream.metadata.get("handler_name") or "no codec"


def cannot_hold(path: Path, stream: av.stream.Stream, why: str) -> EnlightError:
    """The one line for an output that cannot hold a copied stream, naming containers that can."""
    fits = _containers_for(stream, exclude=path.suffix.lower())
    hint = f"; try a {' or '.join(fits)} output" if fits else ""
    return EnlightError(f"{path.suffix or 'this'} output cannot hold {stream.type} stream #{stream.index} "
                        f"({_codec_label(stream)}): {why}{hint}")


def held_streams(out: av.container.OutputContainer, path: Path, streams: Sequence[av.stream.Stream]
                 ) -> tuple[list[av.stream.Stream], list[str]]:
    """``streams`` less the data tracks that ``out``'s kind of file cannot hold (a GoPro's telemetry track in
    .mkv), and a note for each of those, naming the kinds that hold it. Audio, subtitle and video streams
    are all kept: an output that cannot hold one of them is refused (``cannot_hold``), as they are what
    the user watches and hears; except in a file that holds nothing but its picture (``PICTURE_MUXERS``: an
    animated GIF), where asking for one is asking for the picture alone: every stream is left out, with a note."""
    if out.format.name in PICTURE_MUXERS and streams:
        left = ", ".join(f"{s.type} #{s.index} ({_codec_label(s)})" for s in streams)
        return [], [f"not copied: {left}; a {path.suffix or out.format.name} file holds the picture only"]
    kept, notes = [], []
    for stream in streams:
        if stream.type != "data" or holds_copy(out.format.name, stream):
            kept.append(stream)
            continue
        fits = _containers_for(stream, exclude=path.suffix.lower())
        hint = f"; a {' or '.join(fits)} output keeps it" if fits else ""
        notes.append(f"data stream #{stream.index} ({_codec_label(stream)}) was not copied: a "
                     f"{path.suffix or out.format.name} output cannot hold it{hint}")
    return kept, notes


@lru_cache(maxsize=16)
def holds_attachments(muxer: str) -> bool:
    """Whether what FFmpeg's ``muxer`` writes of an attachment is found again when the file is read (Matroska
    keeps it; MP4, MOV and AVI refuse it; WebM and MPEG-TS take it and drop it without a word), by a one-frame
    trial in memory (``trial_file``) with the first of ``VIDEO_CODECS`` that the muxer takes."""
    for name in VIDEO_CODECS:
        try:
            data = trial_file(muxer, name, lambda trial: trial.add_attachment("trial.bin", "application/octet-stream",
                                                                               b"\0"))
            with av.open(io.BytesIO(data)) as back:
                return any(s.type == "attachment" for s in back.streams)
        except TRIAL_ERRORS:
            continue
    return False


def copy_attachments(out: av.container.OutputContainer, path: Path, attachments: Sequence) -> list[str]:
    """Copy ``attachments`` (the source's attachment streams: a Matroska file's subtitle fonts, without which
    its styled subtitles fall back to another font) into ``out``, before its header is written. Returns a note
    when ``out``'s kind of file cannot hold them (nothing is copied then)."""
    if not attachments:
        return []
    if not holds_attachments(out.format.name):
        names = ", ".join(a.name or f"#{a.index}" for a in attachments)
        return [f"{counted(len(attachments), 'attachment')} ({names}) not copied: a "
                f"{path.suffix or out.format.name} output cannot hold attachments; a .mkv output keeps them"]
    for a in attachments:
        out.add_attachment(a.name or f"attachment{a.index}", a.mimetype or "application/octet-stream", a.data)
    return []


def copy_stream(out: av.container.OutputContainer, source: av.stream.Stream) -> av.stream.Stream:
    """An output stream in ``out`` for ``source``'s packets, copied as they are, with its tags and disposition
    (the sink's passthrough streams, and the segments' join). A mono or stereo layout without an order ('2
    channels': a WAV or AVI without a channel mask) gets that count's usual order: MP4 refused the unordered
    layout, and only when the file was closed, after all the work. The samples are not touched. A stream that
    ``out`` would take but spoil (``_spoils``: text subtitles in MPEG-TS) is refused, as FFmpeg refuses one it
    cannot take: ValueError."""
    spoiled = _spoils(out.format.name, source)
    if spoiled:
        raise ValueError(spoiled)
    copy = out.add_stream_from_template(source)
    layout = copy.codec_context.layout if copy.type == "audio" else None
    if layout is not None and unordered(layout) and (layout.nb_channels <= 2 or out.format.name in NAMED_LAYOUT_MUXERS):
        copy.codec_context.layout = source_layout(layout)
    streamed = out.format.name in HEADER_MUXERS and cannot_seek(out.name)
    config = audio_specific_config(source) if streamed else None
    if config is not None:  # (an MPEG-TS's AAC into Matroska's header: ``enlight.stream.io.adts``; into a file the
        copy.codec_context.extradata = config  # muxer writes its own afterwards, which one set here would spoil)
    copy.metadata.update(track_tags(source, out.format.name))
    copy.disposition = source.disposition
    return copy


def check_held(muxer: str, path: Path, streams: Sequence[av.stream.Stream]) -> None:
    """Raise ``cannot_hold`` for the first audio or subtitle stream of ``streams`` that FFmpeg's ``muxer`` can neither
    hold as it is nor take converted (``copy_or_convert``'s refusal), before any work: a run of several video streams
    (``enlight.stream.apps.video_passes``) met it only at its last pass, after enhancing the others (a dashcam file with
    SRT subtitles into .avi: 6.3 s of a 10 s clip's work, then the error)."""
    for stream in streams:
        if stream.type not in ("audio", "subtitle") or text_encoder(muxer, stream) or audio_encoder(muxer, stream):
            continue
        if not holds_copy(muxer, stream):
            raise cannot_hold(path, stream, _spoils(muxer, stream) or f"FFmpeg's {muxer} muxer takes no "
                              f"{_codec_label(stream)} stream")


def copy_enhanced(out: av.container.OutputContainer, track: EnhancedTrack) -> tuple[av.stream.Stream, list[str]]:
    """(output stream, notes) for another video stream of the input, enhanced in a pass of its own
    (``enlight.stream.io.enhanced_tracks``): its pass's stream (``track.made``: codec, colour tags, rotation, frame
    rate, pixel aspect ratio, a start timecode of its own) with the input stream's tags and flags (``track.source``), as
    the enhanced stream is given them."""
    made, source = track.made, track.source
    copy = out.add_stream_from_template(made)
    copy.metadata.update(spelt_for(dict(stream_tags(source)), out.format.name))
    if "timecode" in made.metadata and "timecode" in source.metadata:  # (its own, as its pass wrote it)
        copy.metadata["timecode"] = made.metadata["timecode"]
    copy.disposition = source.disposition
    rate = frame_rate(made)
    if rate:  # (Matroska writes it as the track's default duration, MP4 and MOV a timecode track's rate)
        copy.codec_context.framerate = rate
    return copy, keep_sample_aspect(copy, made.sample_aspect_ratio or made.codec_context.sample_aspect_ratio)


def copy_or_convert(out: av.container.OutputContainer, path: Path, source: av.stream.Stream, priming: int = 0
                    ) -> tuple[av.stream.Stream, Converter | None, str | None]:
    """(output stream, converter, note) for a passthrough stream: ``copy_stream``, with the ``priming`` samples the
    source hides at its start hidden in a Matroska copy too (``codec_delay``); where ``out`` cannot hold it, text
    subtitles go through a ``SubtitleConverter`` and audio through an ``AudioConverter`` into a format ``out``
    holds, with a note. Raises a one-line ``EnlightError`` (``cannot_hold``) otherwise."""
    muxer = out.format.name
    text, audio = text_encoder(muxer, source), audio_encoder(muxer, source)
    why = "the muxer refuses it"
    if not (text or audio) or holds_copy(muxer, source):  # (some muxers refuse a codec only when the header is written)
        try:
            with primed_template(muxer, source, priming) as note:
                return copy_stream(out, source), None, note
        except (ValueError, av.error.FFmpegError) as exc:
            why = str(exc)
    if not (text or audio):
        raise cannot_hold(path, source, why)
    try:
        converter = SubtitleConverter(out, source, text) if text else AudioConverter(out, source, audio)
    except (ValueError, av.error.FFmpegError):
        raise cannot_hold(path, source, why) from None
    keeps = _containers_for(source, exclude=path.suffix.lower())
    hint = f"; a {' or '.join(keeps)} output keeps it as it is" if keeps else ""
    return converter.stream, converter, converter.note(source.index, path.suffix or muxer) + hint


class PassedStreams:
    """The output's streams for the source's passthrough ``streams``, by source index: each copied, or where ``out``
    cannot hold it, converted (``copy_or_convert``; built before ``out``'s header). ``packets`` is what to mux for
    one of the source's packets, ``flush`` the converters' last ones; ``notes`` says what was converted (and a start
    that could not be hidden). The sink and the segments' join both route their copied packets through it. A DVD
    subtitle's packet is given its time on screen as its duration (``enlight.stream.io.dvd_cues``). ``priming``: by
    source index, the samples an audio stream's edit list hides at its start (``codec_delay.edit_priming``), where
    its first packet copied is one. ``enhanced``: the input's other video streams, enhanced in passes of their own
    (``enhanced_tracks``), copied from their passes' files in their places among ``streams``, by the input's index."""

    def __init__(self, out: av.container.OutputContainer, path: Path, streams: Sequence[av.stream.Stream],
                 priming: Mapping[int, int] | None = None, enhanced: Sequence[EnhancedTrack] = ()) -> None:
        self.streams: dict[int, av.stream.Stream] = {}
        self.converters: dict[int, Converter] = {}
        self._cue_times = {source.index: timer for source in streams if (timer := cue_times(source))}
        self.notes: list[str] = []
        self._muxer, self._kind = out.format.name, path.suffix or out.format.name
        self._placed = {id(track.made): track.source.index for track in enhanced}  # (their packets' own index is 0)
        places = sorted([(s.index, s) for s in streams] + [(t.source.index, t) for t in enhanced], key=lambda p: p[0])
        for index, source in places:
            if not isinstance(source, av.stream.Stream):  # (an ``EnhancedTrack``)
                self.streams[index], notes = copy_enhanced(out, source)
                self.notes += notes
                continue
            self.streams[index], converter, note = copy_or_convert(out, path, source, (priming or {}).get(index, 0))
            if converter is not None:
                self.converters[index] = converter
            if note:
                self.notes.append(note)
        # (each input track and its output stream's index, kept apart from the streams for ``flag_notes``)
        inputs = [*streams, *(track.source for track in enhanced)]
        self._written = [(Track.of(source), self.streams[source.index].index) for source in inputs]
        self._order = PacketOrder()  # copied packets whose time goes back (``packet_order``)

    def takes(self, packet: av.Packet) -> bool:
        """Whether ``packet`` is of one of the streams copied (an enhanced track's included)."""
        return id(packet.stream) in self._placed or packet.stream.index in self.streams

    def flag_notes(self, written: Path | None) -> list[str]:
        """What the output did with the streams' flags (commentary, hearing impaired, forced, ...) and their language
        and title: read back from the finished file ``written`` (``read_back_notes``: MOV, AVI, FLV, MPEG-PS drop the
        flags, MPEG-TS keeps an audio track's hearing or visually impaired flag only, MP4 adds captions to hearing
        impaired); for a stream (None), what a trial of its muxer says of the flags (``flags_not_kept``)."""
        if written is None:
            return [note for source, _ in self._written if (note := flags_not_kept(self._muxer, self._kind, source))]
        return read_back_notes(written, self._written, self._kind, kept_flags(MUXERS[".mkv"]))

    def packets(self, packet: av.Packet) -> list[av.Packet]:
        """The output's packets for a packet of one of ``streams``: the packet itself, pointed at its copy; or what
        its converter makes of it (none until a converter has a frame's worth)."""
        index = self._placed.get(id(packet.stream))
        if index is not None:  # (an enhanced track's: in order, as its encoder wrote it)
            packet.stream = self.streams[index]
            return [packet]
        converter = self.converters.get(packet.stream.index)
        if converter is not None:
            return converter.convert(packet)
        if not self._order.take(packet):
            return []
        if packet.stream.index in self._cue_times:
            self._cue_times[packet.stream.index](packet)
        packet.stream = self.streams[packet.stream.index]
        return [packet]

    def order_notes(self) -> list[str]:
        """What was left out or moved of the copied packets whose time went back (``packet_order``)."""
        return self._order.notes()

    def flush(self) -> list[av.Packet]:
        """The converters' last packets, at the end of the input."""
        return [packet for converter in self.converters.values() for packet in converter.flush()]


def _set_sample_aspect(stream: av.video.stream.VideoStream, sar: Fraction) -> bool:
    """Give an output video ``stream`` not yet started the pixel aspect ratio ``sar`` (a pixel's width / height),
    in both places muxers take it from: the encoder's (MP4 and MOV write it; H.264, HEVC and MPEG-4 carry it in
    their bitstream too) and the stream's own, which Matroska and WebM write as the display size. VP8, VP9 and
    AV1 carry none in their bitstream, so without the latter they played with square pixels, the wrong shape.
    False where the stream's own could not be set (see ``stream_struct.stream_head``)."""
    stream.codec_context.sample_aspect_ratio = sar
    head = stream_head(stream)
    if head is None:
        return False
    head.sar_num, head.sar_den = sar.numerator, sar.denominator
    return True


def keep_sample_aspect(stream: av.video.stream.VideoStream, sar: Fraction | None) -> list[str]:
    """``_set_sample_aspect`` for a non-square ``sar`` (None or 1: nothing to keep); the note where the stream's own
    could not be set (the sink's video stream, and the segments' join)."""
    if not sar or sar == 1 or _set_sample_aspect(stream, sar):
        return []
    return [f"the pixel aspect ratio ({sar}) may be lost in this output: this PyAV cannot set it on the stream "
            "(Matroska and WebM need that)"]

