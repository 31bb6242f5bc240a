"""A live source's sound, passed on to the recordings and the stream out beside the enhanced picture.

The source's first audio stream (an IP camera's AAC or G.711, a file's or a pipe's, an MPEG-TS feed's) is read with
the picture, on the source's thread, and its packets are passed on as they are: each is timed by the live clock that
paces the picture (``live_clock``: the perf_counter time of the source's time 0), so a recording puts it where its
frames are (``recorder``), and it is handed on only when it is due, as the frames are. The run's thread takes the
packets (``SoundFeed.take``) whenever it comes round; a queue of at most ``QUEUED`` of them waits for it, and where it
falls behind (a send to a stalled server) the oldest are dropped and counted: the sound never holds up the picture.

A recording opened later (the r key, ``--record-every``) or after a reconnect needs the stream's parameters when
its own input may be closed (a closed input's streams are freed memory): ``SoundForm`` keeps a copy of them.
"""

from __future__ import annotations

import io
import threading
from collections import deque
from dataclasses import dataclass

import av
from av.bitstream import BitStreamFilterContext

from enlight.stream.io.adts import audio_specific_config
from enlight.stream.io.live_clock import LiveClock

QUEUED = 1024  # packets waiting for the run's thread, at most (about 20 s of AAC or of G.711 in RTP)
HELD = 512  # packets not yet due, at most (a source whose sound runs ahead of its picture by more: the oldest go)


@dataclass(frozen=True, eq=False)
class SoundForm:
    """The source's audio stream as a recording copies it. template: a stream of FFmpeg's null muxer (``holder``,
    kept open with it) made from it, at the source's index (which notes name); key: what a reconnected stream's sound
    must match to go on into the same recordings (codec, rate, channels, codec parameters); adts: AAC in ADTS (an
    MPEG-TS's), whose packets are made raw (``SoundReader``) and whose template carries its AudioSpecificConfig."""

    template: av.stream.Stream
    holder: av.container.OutputContainer
    key: tuple
    adts: bool = False

    @classmethod
    def of(cls, stream: av.stream.Stream) -> SoundForm:
        holder = av.open(io.BytesIO(), "w", format="null")  # (the null muxer takes any codec)
        for _ in range(stream.index):
            holder.add_data_stream()  # (placeholders: the template gets the source's index)
        template = holder.add_stream_from_template(stream)
        template.metadata.update(stream.metadata)
        template.disposition = stream.disposition
        config = audio_specific_config(stream)
        if config is not None:
            template.codec_context.extradata = config
            holder.start_encoding()  # (which gives the template's parameters its configuration; nothing is written)
        return cls(template, holder, form_key(stream), config is not None)

    @property
    def label(self) -> str:
        return form_label(self.key)


def form_key(stream: av.stream.Stream) -> tuple:
    """(codec, sample rate, layout, extradata) of an audio stream."""
    ctx = stream.codec_context
    return ctx.name, ctx.sample_rate, ctx.layout.name, bytes(ctx.extradata or b"")


def form_label(key: tuple) -> str:
    """'aac, 48000 Hz, stereo' for a ``form_key``."""
    codec, rate, layout, _ = key
    return f"{codec}, {rate} Hz, {layout}"


class SoundReader:
    """One connection's audio stream, read into packets of its form: AAC in ADTS made raw, as FFmpeg's ``-c copy``
    makes it for MP4 (its ``aac_adtstoasc``), the sound itself untouched; a recording is a fragmented MP4 or MOV
    (``crash_safe``), whose muxer refused ADTS ('Operation not permitted') and the recording with it. A packet the
    filter cannot take is left out."""

    def __init__(self, stream: av.stream.Stream, form: SoundForm) -> None:
        self.index = stream.index
        self.form = form
        self._raw = BitStreamFilterContext("aac_adtstoasc", stream) if form.adts else None

    def packets(self, packet: av.Packet) -> list[av.Packet]:
        if self._raw is None or packet.size == 0:
            return [packet]
        try:
            return list(self._raw.filter(packet))
        except av.error.FFmpegError:
            return []


@dataclass(frozen=True)
class Sound:
    """A packet of the source's sound on the live clock. packet: as demuxed (its ticks, in its time base), its stream
    the form's template; shift: the perf_counter time of the source's time 0 (``LiveClock.shift``)."""

    packet: av.Packet
    shift: float
    form: SoundForm

    @property
    def at(self) -> float:
        """When the packet's sound starts, on the perf_counter clock."""
        return self.shift + float(self.packet.pts * self.packet.time_base)

    @property
    def seconds(self) -> float:
        return float((self.packet.duration or 0) * self.packet.time_base)

    def moved(self, start: float) -> av.Packet:
        """A copy of the packet (its bytes untouched) whose ticks count from ``start`` (perf_counter s: a recording's
        first frame). Every packet of the same anchor is moved by the same whole number of ticks, so the sound stays
        as continuous as it was."""
        packet = self.packet
        offset = round((self.shift - start) / packet.time_base)
        copy = av.Packet(bytes(packet))
        copy.time_base, copy.duration, copy.is_keyframe = packet.time_base, packet.duration, packet.is_keyframe
        copy.pts = packet.pts + offset
        copy.dts = (packet.pts if packet.dts is None else packet.dts) + offset
        copy.stream = self.form.template
        return copy


class SoundFeed:
    """The sound between the source's thread and the run's: ``hold`` (a packet demuxed) and ``release`` (those due
    by now) on the source's thread, ``take`` on the run's. ``dropped``/``dropped_s``: packets (seconds) the run did
    not take in time; ``unplaced``: packets never due on the picture's clock (``HELD`` exceeded)."""

    def __init__(self) -> None:
        self._held: deque[tuple[av.Packet, SoundForm]] = deque()
        self._queue: deque[Sound] = deque()
        self._lock = threading.Lock()
        self.dropped = 0
        self.dropped_s = 0.0
        self.unplaced = 0

    def hold(self, packet: av.Packet, form: SoundForm) -> None:
        """Keep a demuxed packet of the source's audio stream until it is due (an empty or untimed one is left)."""
        if packet.size == 0 or (packet.pts is None and packet.dts is None):
            return
        if packet.pts is None:
            packet.pts = packet.dts
        packet.stream = form.template
        self._held.append((packet, form))
        if len(self._held) > HELD:
            self._held.popleft()
            self.unplaced += 1

    def release(self, clock: LiveClock, now: float, *, everything: bool = False) -> None:
        """Queue the packets held that are due by ``now`` (all of them with ``everything``: the connection ended),
        timed by ``clock``'s anchor now; none before the clock has one (the first frame), and those of a connection
        that ended before it had one are left out (counted in ``unplaced``)."""
        shift = clock.shift
        if shift is None and everything:
            self.unplaced += len(self._held)
            self._held.clear()
        while self._held and shift is not None:
            packet, form = self._held[0]
            sound = Sound(packet, shift, form)
            if sound.at > now and not everything:
                return
            self._held.popleft()
            with self._lock:
                self._queue.append(sound)
                if len(self._queue) > QUEUED:
                    lost = self._queue.popleft()
                    self.dropped += 1
                    self.dropped_s += lost.seconds

    def take(self) -> list[Sound]:
        """The packets queued, oldest first."""
        with self._lock:
            taken = list(self._queue)
            self._queue.clear()
        return taken
