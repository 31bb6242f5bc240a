"""Audio the output's kind of file cannot hold as it is, encoded again into a format it holds, as FFmpeg does by
default.

Audio is copied packet for packet wherever the output takes it. Surveillance and dashcam recordings often carry
audio that an MP4 or MOV does not take: G.711 mu-law or A-law (IP cameras), IMA ADPCM (DVRs, dashcams), WMA
(Windows Media). Such a run was refused. Here, only where the copy is refused, the sound is decoded and encoded
again: AAC at 96 kb/s per channel (more than a telephone-quality source holds; at most the 6 bits a sample AAC
holds: 48 kb/s at 8 kHz, where the note said 96) for MP4, MOV, MPEG-TS and FLV,
Opus at 64 kb/s per channel for WebM and Ogg, MP3 for AVI, MPEG audio layer 2 for MPEG-PS (.mpg), 16-bit PCM at
48 kHz for MXF (broadcast's). The channels are kept where the encoder and the kind of file hold them (AAC up to
7.1, Opus up to 7.1, PCM any), in the layout ``enlight.stream.io.audio_layouts`` picks; a surround source has AAC
at 64 kb/s per channel (5.1: 384 kb/s, a film's AC-3 rate). MP3, MPEG audio layer 2 and FLV hold two channels at
most: there the sound is mixed to stereo, as FFmpeg mixes it (centre and surrounds into left and right, the LFE
left out), and the note says so. Every source of more than two channels was mixed to stereo, without a word.
The note names the kind of file that would keep it as it was.

PCM in the form of one kind of disc (an AVCHD camcorder's or a Blu-ray's LPCM in .mts/.m2ts, a DVD's in a VOB)
is PCM as it is into MOV and Matroska, which hold plain PCM: at its own depth, rate and channels. It was AAC at
192 kb/s there, mixed to stereo: a lossless 5.1 track became a lossy stereo one.
"""

from __future__ import annotations

from fractions import Fraction

import av

from enlight.stream.io.audio_layouts import (
    MUXER_WRITTEN,
    NAMELESS_PCM_MUXERS,
    named_layout,
    output_layout,
    source_layout,
    unordered,
)
from enlight.stream.io.track_tags import track_tags

# the encoder each FFmpeg muxer takes for audio it cannot hold as it is, and its bit rate per channel
AUDIO_ENCODERS = {"mp4": "aac", "mov": "aac", "ipod": "aac", "3gp": "aac", "3g2": "aac", "mpegts": "aac",
                  "flv": "aac", "matroska": "aac", "webm": "libopus", "ogg": "libopus", "ogv": "libopus",
                  "avi": "libmp3lame", "mpeg": "mp2", "vob": "mp2", "dvd": "mp2", "svcd": "mp2", "vcd": "mp2",
                  "mxf": "pcm_s16le"}
# muxers that take one sample rate only (FFmpeg's MXF muxer: 48 kHz, as broadcast has it)
MUXER_RATES = {"mxf": 48000}
BIT_RATE_PER_CHANNEL = {"aac": 96_000, "libopus": 64_000, "libmp3lame": 112_000, "mp2": 112_000}
SURROUND_RATE_PER_CHANNEL = {"aac": 64_000}  # (more than two channels)
AAC_MOST_BITS = 6  # bits per sample and channel AAC holds at most (6144 a frame of 1024): 48 kb/s at 8 kHz
_WORDS = {1: "one", 2: "two", 8: "eight"}  # (the most channels an encoder or muxer here holds)
_LABELS = {"aac": "AAC", "libopus": "Opus", "libmp3lame": "MP3", "mp2": "MPEG audio layer 2",
           "pcm_s16le": "16-bit PCM", "pcm_s24le": "24-bit PCM"}


# PCM made for one kind of disc or broadcast, which no other kind of file holds (FFmpeg's decoder names), and the
# muxers that hold plain PCM it becomes without a loss (MP4's 'ipcm' plays in few players: AAC there)
DISC_PCM = ("pcm_bluray", "pcm_dvd", "s302m", "pcm_s24daud")
PLAIN_PCM_MUXERS = ("mov", "matroska")


def audio_encoder(muxer: str, stream: av.stream.Stream) -> str | None:
    """The encoder that puts audio ``stream`` into FFmpeg's ``muxer`` where a copy is refused; None where the
    muxer has none here (or the stream is not audio). ``DISC_PCM`` into a ``PLAIN_PCM_MUXERS`` one: plain PCM of
    16 bits, or 24 where the source has more (its decoder gives 32-bit samples)."""
    if stream.type != "audio":
        return None
    if muxer in PLAIN_PCM_MUXERS and stream.codec_context.name in DISC_PCM:
        return "pcm_s24le" if stream.codec_context.format.bytes > 2 else "pcm_s16le"
    return AUDIO_ENCODERS.get(muxer)


def _rate(codec: av.Codec, rate: int) -> int:
    """``rate`` where ``codec`` takes it, else the lowest of its rates above it (its highest when none is)."""
    rates = sorted(codec.audio_rates or ())
    if not rates or rate in rates:
        return rate
    return next((r for r in rates if r > rate), rates[-1])


def _bit_rate(encoder: str, rate: int, channels: int) -> int:
    """The bit rate ``encoder`` is given for ``channels`` channels with sound at ``rate`` Hz: its rate per channel
    (``SURROUND_RATE_PER_CHANNEL`` for more than two), AAC's at most what it holds at ``rate``."""
    per_channel = BIT_RATE_PER_CHANNEL.get(encoder, 96_000)
    if channels > 2:
        per_channel = SURROUND_RATE_PER_CHANNEL.get(encoder, per_channel)
    if encoder == "aac":
        per_channel = min(per_channel, AAC_MOST_BITS * rate)
    return per_channel * channels


class AudioConverter:
    """A source audio stream -> an output stream of ``encoder`` in ``out`` (``stream``): ``convert`` takes the
    source's packets and returns the output's; ``flush`` the last ones. Build it before ``out``'s header."""

    def __init__(self, out: av.container.OutputContainer, source: av.stream.Stream, encoder: str) -> None:
        self.source = source
        self.source_codec = source.codec_context.name
        self.encoder = encoder
        self.source_layout = source.codec_context.layout
        ordered = source_layout(self.source_layout)  # (the encoders refuse WMA's '2 channels')
        if source.codec_context.name in DISC_PCM and out.format.name in PLAIN_PCM_MUXERS:
            ordered = self.source_layout  # (PCM as it was: all its channels)
        self.layout = output_layout(encoder, out.format.name, ordered)
        self.kind = out.format.name
        rate = MUXER_RATES.get(out.format.name) or _rate(av.Codec(encoder, "w"),
                                                         source.codec_context.sample_rate or 48000)
        self.stream = out.add_stream(encoder, rate=rate, layout=self.layout)
        self.stream.bit_rate = _bit_rate(encoder, rate, min(ordered.nb_channels, self.layout.nb_channels))
        self.stream.metadata.update(track_tags(source, out.format.name))
        self.stream.disposition = source.disposition
        self._resampler: av.AudioResampler | None = None
        self._takes: tuple | None = None  # (sample format, layout, rate) the resampler takes
        self._next: int | None = None  # where the last frame given to the encoder ends (in 1 / its rate)

    def note(self, index: int, kind: str) -> str:
        """What was done, for the run's summary (``kind``: the output's, '.mp4')."""
        label = _LABELS.get(self.encoder, self.encoder)
        channels = self.layout.nb_channels
        if max(channels, self.source_layout.nb_channels) > 2:
            label = f"{label} {self.layout.name}"
        rate = (f"at {self.stream.rate // 1000} kHz" if self.encoder.startswith("pcm_") else
                f"{self.stream.bit_rate // 1000} kb/s")
        return (f"audio stream #{index} ({self.source_codec}) was encoded again as {label} {rate}"
                f"{self._layout_note(kind)}: a {kind} file cannot hold {self.source_codec}")

    def _layout_note(self, kind: str) -> str:
        """What became of the source's channels where their layout is not the output's: mixed to fewer channels
        (naming the kinds of file that keep them), moved into another layout, or taken in FFmpeg's order."""
        source, written = self.source_layout, self.layout
        count, name = source.nb_channels, source.name
        if written.nb_channels < count:
            holder = f"a {kind} file holds" if self.kind in MUXER_WRITTEN else f"{_LABELS[self.encoder]} holds"
            keeps = ".mkv or .mp4" if count <= 8 else ".mkv"  # (AAC: 7.1 at most)
            return (f", its {count} channels{'' if unordered(source) else f' ({name})'} mixed to {written.name} "
                    f"({holder} {_WORDS.get(written.nb_channels, written.nb_channels)} at most; a {keeps} output "
                    f"keeps all {count})")
        if max(count, written.nb_channels) <= 2:
            return ""
        if self.kind in NAMELESS_PCM_MUXERS and self.encoder.startswith("pcm_"):
            return f" (in {written.name}'s order: a {kind} file names no layout)"
        return named_layout(source) or (f" (from {name})" if written.name != name else "")

    def convert(self, packet: av.Packet) -> list[av.Packet]:
        """The output's packets for one of the source's (none until the encoder has a frame's worth); a packet that
        does not decode is skipped, as FFmpeg skips it."""
        try:
            frames = self.source.codec_context.decode(packet)
        except av.error.FFmpegError:
            return []
        return [p for frame in frames for fitted in self._fitted(frame) for p in self.stream.encode(fitted)]

    def _fitted(self, frame: av.AudioFrame) -> list[av.AudioFrame]:
        """``frame`` in the encoder's sample format, layout and rate, from a resampler made for the frame's own:
        a source whose layout or rate changes midway (a TV recording's AC-3, 5.1 for the film and 2.0 for the
        ads) is taken in each. The encoder's own resampler took only the first and stopped the run ('internal
        error: ValueError: Frame does not match AudioResampler setup')."""
        takes = (frame.format.name, frame.layout.name, frame.sample_rate)
        done: list[av.AudioFrame] = []
        if takes != self._takes:
            done = self._drained()
            codec = self.stream.codec_context
            self._resampler = av.AudioResampler(format=codec.format, layout=self.layout, rate=codec.sample_rate)
            self._takes = takes
        return self._in_order(done + self._resampler.resample(frame))

    def _in_order(self, frames: list[av.AudioFrame]) -> list[av.AudioFrame]:
        """``frames``, on the sample clock (``_on_sample_clock``), none starting before the last one's end (where
        the source's next part overlaps the one before by a few samples: a frame's time going back is refused by
        the muxer)."""
        for frame in map(_on_sample_clock, frames):
            if frame.pts is not None and self._next is not None and frame.pts < self._next:
                frame.pts = self._next
            self._next = None if frame.pts is None else frame.pts + frame.samples
        return frames

    def _drained(self) -> list[av.AudioFrame]:
        """The resampler's last frames (none before the first)."""
        return self._resampler.resample(None) if self._resampler is not None else []

    def flush(self) -> list[av.Packet]:
        """The encoder's last packets, at the end of the input."""
        last = self._in_order(self._drained())
        return [p for frame in last for p in self.stream.encode(frame)] + list(self.stream.encode(None))


def _on_sample_clock(frame: av.AudioFrame) -> av.AudioFrame:
    """``frame`` with its time counted in samples (a time base of 1 / its rate), as ``_in_order`` counts. A frame
    the resampler had nothing to change in (Opus decoded as the AAC encoder takes it: 48 kHz float planes) kept its
    source's time base, a Matroska or WebM file's 1/1000: its end, its time plus its samples, was read as 960 ms
    after a 20 ms frame, and an Opus track of 1 s in a .mkv became 46.8 s of AAC in a .mov output."""
    clock = Fraction(1, frame.sample_rate)
    if frame.pts is not None and frame.time_base is not None and frame.time_base != clock:
        frame.pts = round(frame.pts * frame.time_base / clock)
        frame.time_base = clock
    return frame
