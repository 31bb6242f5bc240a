"""Reading a video file or stream: demux and decode with PyAV on a background thread.

``VideoSource`` yields, in demux order, ``DecodedFrame`` items for the video stream it enhances
and the raw ``av.Packet`` of every stream it passes through untouched (audio, subtitles, data tracks
such as a camera's GPS and telemetry, other video streams where they are not enhanced in passes of their own:
``input_streams.VideoChoice``); ``attachments`` lists the file's attachments (a Matroska file's subtitle fonts),
which the sink copies where the output can hold them.

A damaged file is read the way FFmpeg reads it: a packet that cannot be read or decoded is skipped
(a passthrough audio packet is test-decoded aside and dropped when its decoder rejects it), decoding
goes on, and a file cut short (an MP4 whose index points past its end, a Matroska or WebM file that
ends before its Segment does: ``enlight.stream.io.matroska``) yields what comes before the cut.
``VideoSource.damage`` then says how many packets and frames were lost (for Matroska, about how many
frames: from its header). A file with no decodable frame at all is still a one-line ``EnlightError``.

What it hands on is in ``enlight.stream.io.source_items``; opening an input and the line a failed read says in
``input_open``; which streams are enhanced, copied or noted in ``input_streams``; what the video stream says of
itself (rate, frame count, timecode, tags) in ``video_stream``; the damage record in ``damage``; the decode
thread's queue in ``frame_queue``.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from enlight.errors import EnlightError, reason
from enlight.stream.io.alpha import frame_alpha, opaque_format, side_alpha_decoder, uses_alpha
from enlight.stream.io.captions import CaptionTrack, frame_captions
from enlight.stream.io.checks import check_decodable, check_input_is_video
from enlight.stream.io.chroma import carries_chroma
from enlight.stream.io.chroma_floor import floor_chroma
from enlight.stream.io.clock_jumps import joined, jumps
from enlight.stream.io.codec_delay import edit_priming
from enlight.stream.io.damage import Damage, PacketCheck, missing_packets
from enlight.stream.io.fields import field_order
from enlight.stream.io.frame_clock import retimed
from enlight.stream.io.frame_queue import FrameQueue
from enlight.stream.io.frames import ColorInfo, frame_to_rgb, pixel_format
from enlight.stream.io.hdr_static import dynamic_metadata, read_hdr_static
from enlight.stream.io.input_open import open_error, open_input, read_failure
from enlight.stream.io.input_streams import (
    VideoChoice,
    chosen_stream,
    passthrough_streams,
    read_aside,
    stream_notes,
)
from enlight.stream.io.locations import Location, sequence_files
from enlight.stream.io.matroska import declared_frames, matroska_cut
from enlight.stream.io.picture_changes import PictureChanges, first_aspect, frame_colour
from enlight.stream.io.resize import resized
from enlight.stream.io.sequence_colour import SequenceColour
from enlight.stream.io.source_items import DecodedFrame, VideoInfo
from enlight.stream.io.span import EmptySpan, Span, SpanGate, shifted_timecode
from enlight.stream.io.span_cues import cues_at_start
from enlight.stream.io.stream_copy import hidden_by_edit
from enlight.stream.io.transparent_fill import COLOURLESS_DECODERS, fill_transparent
from enlight.stream.io.video_stream import (
    display_matrix,
    frame_count,
    frame_rate,
    slot_rate,
    start_timecode,
    stream_tags,
)

_MAX_READ_ERRORS = 16  # read errors in a row that end a damaged file
_END = object()
_SEEK_TRIES = 12  # seeks ever further back (1 s, 2 s, ... 2048 s) for a keyframe before a part's start
_PUT_WAIT_S = 0.1  # the decode thread re-checks the stop flag this often when the queue is full


def decoder_threads() -> int:
    """libavcodec's decoding threads; 0: FFmpeg's own choice (one per core plus one). Half the cores was
    tried in issue 17 and not kept: on the shared 2-core machine it lost CPU to other processes'
    threads and the difference on an idle machine could not be measured (docs/benchmarks.md)."""
    return 0


class VideoSource:
    """Context manager over one input file, or a stream (URL or stdin) given as a ``Location``.

    Opening probes the input and decodes the first frame (so colour tags and rotation are known
    before anything is written); iterating starts the decode thread. ``stop()`` ends it early.
    hw_decode: an FFmpeg hardware device type ("cuda" for NVDEC) or None for software decoding.
    timeout_s: for network inputs, the longest an open or a read may block before it fails.
    hdr: 'sdr' converts a PQ or HLG input to SDR BT.709 (``enlight.stream.io.hdr``; ``info`` then describes
    the SDR frames the sink writes), 'keep' passes its coded values and tags through.
    span: read only this part of a file (``enlight.stream.io.span``: a seek to the keyframe before its start, the
    frames and packets outside it left out, the rest moved to its start); None: all of it.
    size: the (width, height) the frames are scaled to, as shown (one side -1: the picture's shape kept;
    ``enlight.stream.io.resize``); None: the source's.
    seek_pts: read a file from the keyframe at or before this pts of its video stream (a segment's first frame to
    enhance: the frames before it need not be decoded); the frames from that keyframe on all come out, as they
    would from the start. None: from the start.
    srgb_pictures: an input sequence's pictures in an RGB ICC profile (Adobe RGB, Display P3) are converted through
    it to sRGB as they are read (for a video output, which holds no profile; ``enlight.stream.io.sequence_colour``);
    False: their pixels as they are (numbered pictures out keep the profile).
    video: which video stream is enhanced and what becomes of the others (``input_streams.VideoChoice``; the default:
    the first, the others copied as they are without a note).
    """

    def __init__(self, path: str | Path | Location, *, queue_size: int = 16, hw_decode: str | None = None,
                 timeout_s: float | None = 10.0, hdr: str = "sdr", span: Span | None = None,
                 size: tuple[int, int] | None = None, seek_pts: int | None = None,
                 srgb_pictures: bool = False, video: VideoChoice = VideoChoice()) -> None:
        self.location = path if isinstance(path, Location) else Location(str(path), str(path), "file")
        self.path = Path(self.location.url) if self.location.is_file else self.location.text
        self._queue = FrameQueue(queue_size)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.decode_s = 0.0
        self.frames_decoded = 0
        self._changes: PictureChanges | None = None  # frames made into the first one's picture (size, shape, colour)
        self._skipped: dict[str, int] = {}  # packets dropped as undecodable, by stream type
        self._missing: dict[str, int] = {}  # packets indexed past the end of a cut-short file, by stream type
        self._video_packets = 0  # non-empty video packets read
        self._read_errors = 0
        self._gap_frames = 0  # frame slots skipped in the decoded frames' times (a constant-rate source's damage)
        self._hdr = hdr
        self._span = span if span is not None and not span.whole else None
        self._gate: SpanGate | None = None
        self._lead: list[av.Packet] = []  # subtitle cues shown where the part read (``span``) starts
        self._size, self._resize = size, None
        self._seek_pts = seek_pts
        self._srgb_pictures = srgb_pictures
        self._video = video
        self._timeout_s = timeout_s
        self.container = open_input(self.location, timeout_s=timeout_s)
        if hw_decode and self.location.is_file:  # NVDEC and friends; FFmpeg falls back to software for codecs they lack
            from av.codec.hwaccel import HWAccel

            self.container.close()
            try:
                hwaccel = HWAccel(device_type=hw_decode, allow_software_fallback=True)
                self.container = av.open(str(self.path), "r", hwaccel=hwaccel)
            except av.error.FFmpegError as exc:
                raise EnlightError(f"--hw-decode {hw_decode} is not usable here ({reason(exc)})") from None
        try:
            self._probe()
        except BaseException:
            self.container.close()
            raise

    def _probe(self) -> None:
        video = self._video
        self.video_stream = chosen_stream(self.container, video)
        if self.video_stream is None:
            raise EnlightError(f"{self.path} has no video stream")
        check_decodable(self.container, self.video_stream, self.path)
        check_input_is_video(self.container, self.path)
        self.video_stream.thread_type = "AUTO"
        self.video_stream.codec_context.thread_count = decoder_threads()
        self._alpha_decoder = side_alpha_decoder(self.video_stream)  # VP8/VP9 alpha: libvpx reads it
        self.passthrough = passthrough_streams(self.container, video)
        alone = video.index is not None  # (a video stream read alone: nothing else is read aside)
        self.attachments = [s for s in self.container.streams if s.type == "attachment" and not alone]
        self.covers, self.spherical = read_aside(self.container, self.path) if not alone else ([], None)
        self.captions = CaptionTrack()  # closed captions inside the video, by frame, for the sink
        self._missing = missing_packets(self.path, [self.video_stream, *self.passthrough])
        self._cut = matroska_cut(self.path) if isinstance(self.path, Path) and self.path.is_file() else None
        self._checks = {s.index: PacketCheck(s) for s in self.passthrough if s.type == "audio"}
        self.notes = stream_notes(self.container, [self.video_stream, *self.passthrough, *self.attachments],
                                  self.covers, video)
        # an image sequence's pictures in a grey or CMYK profile (an RGB one: ``srgb_pictures``), converted through
        # it (``picture_colour.profiles``: the profile each one's numbered picture is tagged with; notes: what was
        # converted for a video, or could not be)
        self.picture_colour = SequenceColour(sequence_files(self.location.text), self.notes,
                                             to_srgb=self._srgb_pictures) if self.location.kind == "sequence" else None
        self._gate = self._seek() if self._span is not None else None
        head = None  # the file's first frame, where the read starts at a later keyframe: it describes the frames
        if self._seek_pts and self.location.is_file and self.video_stream.time_base:
            head = self._file_head()
            self._seek_keyframe(self._file_origin(), self._seek_pts * self.video_stream.time_base)
        start = time.perf_counter()
        self._demux = joined(self._packets()) if jumps(self.container) else self._packets()  # (a tape's recordings)
        self._pending: list = self._lead  # items read while looking for the first frame (and the part's first cues)
        first = None
        try:
            while first is None:
                packet = next(self._demux)
                if packet.stream is not self.video_stream:
                    if self._keep(packet):
                        self._pending.append(packet)
                    continue
                for frame in self._decode(packet):
                    first = first or frame
                    self._pending.append(frame)
        except StopIteration:
            lost = self._skipped.get("video", 0) + self._missing.get("video", 0)
            damaged = f" ({lost} video packets damaged or missing)" if lost else ""
            raise EnlightError(f"{self.path} has a video stream but no decodable frames{damaged}") from None
        except av.error.FFmpegError as exc:
            raise open_error(self.path, exc) from None
        self.decode_s += time.perf_counter() - start
        self._describe(head or first, from_start=head is None)

    def _file_head(self) -> av.VideoFrame | None:
        """The file's first frame (None where none decodes), for a read from a later keyframe (``seek_pts``: a segment
        of ``--segments``): the frames are described and made into its picture (size, shape, colour), as the whole
        file's read makes them, so that the segments join. A segment that began where an HLS recording had switched
        to 1280x720 wrote 1280x720 frames after the first one's 640x360, and the join failed after all the work
        ('the segments' encoder headers differ'). The seek after it flushes the decoder."""
        try:
            for packet in self.container.demux(self.video_stream):
                decoder = self._alpha_decoder
                frames = decoder.decode(packet if packet.size else None) if decoder is not None else packet.decode()
                if frames:
                    return frames[0]
        except av.error.FFmpegError:
            return None
        return None

    def _describe(self, first: av.VideoFrame, *, from_start: bool = True) -> None:
        """``color`` and ``info`` from the stream and its ``first`` frame (of the part read, ``span``; of the file,
        where the read starts at a later keyframe: then not ``from_start``)."""
        stream = self.video_stream
        rate = frame_rate(stream) or Fraction(30)
        count, timecode = frame_count(stream, self.container, rate), start_timecode(self.container, stream)
        if self._span is not None:
            count = self._span.frames(rate, count)
            timecode = timecode and shifted_timecode(timecode, rate, self._span.start)
        self.color = ColorInfo.from_frame(first)
        aspect, own_aspect = first_aspect(stream, first)
        output_color, output_format = self._output_colour(first)
        alpha = uses_alpha(first, stream.codec_context.name, self.path if self.location.is_file else None)
        alpha = alpha and not (self.picture_colour is not None and self.picture_colour.inks(first.pts or 0))
        output_format = output_format if alpha else opaque_format(output_format)
        self.info = VideoInfo(
            width=first.width, height=first.height,
            time_base=stream.time_base or Fraction(1, 90000),
            average_rate=Fraction(rate),
            frame_count=count,
            codec=stream.codec_context.name,
            pix_fmt=output_format,
            color=output_color,
            display_matrix=display_matrix(first),
            sample_aspect_ratio=aspect,
            timecode=timecode,
            field_order=field_order(first),
            tags=stream_tags(stream),
            disposition=int(stream.disposition),
            alpha=alpha,
            hdr_static=read_hdr_static(first) if self.color.hdr is not None and not self.to_sdr else None,
            slot_rate=slot_rate(stream),
        )
        if self._size is not None:
            self.info, self._resize, note = resized(self.info, self._size)
            self.notes += [note] if note else []
        self._changes = PictureChanges(first, (self.info.width, self.info.height), aspect, self._resize,
                                       self.notes, from_start=from_start, own_aspect=own_aspect)

    def _seek(self) -> SpanGate:
        """The gate of the part read (``span``), the file read from the keyframe before its start; a start past the
        file's end is refused. A file that cannot seek is read from its beginning (the gate drops what lies before)."""
        origin = self._file_origin() if self.location.is_file else None
        self._span.check_start(Fraction(self.container.duration, 1_000_000) if self.container.duration else None,
                               str(self.path))
        if self._span.start > 0 and self.video_stream.time_base and origin is not None:
            self._seek_keyframe(origin, origin + self._span.start)
        cues = {s.index: s for s in self.passthrough if s.type == "subtitle"}
        if origin is not None and self._span.start > 0 and cues:  # the cues shown at the start, read before it
            self._lead = cues_at_start(self.path, cues, self._span, origin)
        return SpanGate(self._span, origin, cut_cues=origin is None)

    def _file_origin(self) -> Fraction:
        """The file's start time in seconds (FFmpeg's ``start_time``): where a player's position 0 is."""
        return Fraction(self.container.start_time or 0, 1_000_000)

    def _seek_keyframe(self, origin: Fraction, at: Fraction) -> None:
        """Seek to a keyframe at or before ``at`` (seconds). An MPEG-TS or a file without an index lands where its
        timestamps guess, often inside a group of pictures, which decodes nothing up to the next keyframe: each try
        that lands after ``at`` or on another frame seeks further back (1, 2, 4 ... s), down to the file's start."""
        base, back = self.video_stream.time_base, Fraction(0)
        for _ in range(_SEEK_TRIES):
            target = max(origin, at - back)
            try:
                self.container.seek(int(target / base), stream=self.video_stream, backward=True)
                first = next((p for p in self.container.demux(self.video_stream) if p.size), None)
            except (av.error.FFmpegError, OverflowError):
                break
            stamp = None if first is None else first.pts if first.pts is not None else first.dts
            if first is not None and first.is_keyframe and stamp is not None and stamp * base <= at:
                self.container.seek(int(target / base), stream=self.video_stream, backward=True)
                return
            if target == origin:
                break
            back = max(Fraction(1), 2 * back)
        try:
            self.container.seek(0)  # read from the beginning: the gate drops what lies before the part
        except av.error.FFmpegError:
            pass

    def chapters(self, max_frames: int | None = None) -> list[dict]:
        """The file's chapters (PyAV's dicts: id, start, end, time_base, metadata), those that start within the
        first ``max_frames`` frames (None: all), of the part read (``span``) and moved to its start."""
        chapters = self.container.chapters()
        if self._span is not None:
            chapters = self._span.chapters(chapters)
        if max_frames is None:
            return chapters
        end = Fraction(max_frames) / self.info.average_rate
        kept = [c for c in chapters if c["start"] * c["time_base"] < end]
        return [{**c, "end": min(c["end"], int(end / c["time_base"]))} for c in kept]

    @property
    def negative_start_us(self) -> int:
        """How far before 0 a file read whole starts (FFmpeg's ``start_time``, microseconds; 0 where it starts at 0
        or later, and for a part, which ``span`` moves to its start): an MPEG-TS whose clock wrapped round just
        after it began (FFmpeg gives the frames before the wrap negative times), a Matroska file with negative
        timestamps. An MP4 or MOV output hid the frames before 0 in its edit list (a second of a 2 s recording
        played as nothing); the sink moves every stream on by this much (``VideoSink``'s ``time_offset_us``)."""
        start = self.container.start_time
        return -start if self._span is None and self.location.is_file and start is not None and start < 0 else 0

    @property
    def priming(self) -> dict[int, int]:
        """By passthrough stream index, the samples an MP4 or MOV edit list hides at an audio stream's start in the
        first packet copied (``codec_delay.edit_priming``: an AAC encoder's priming), for a file read whole; a part
        (``span``) or a read from a later keyframe copies no such packet: none."""
        if self._span is not None or self._seek_pts or not self.location.is_file:
            return {}
        return {s.index: samples for s in self.passthrough if (samples := edit_priming(s))}

    @property
    def to_sdr(self) -> bool:
        """Whether frames are converted from PQ/HLG to SDR BT.709 (``hdr='sdr'`` and an HDR source)."""
        return self._hdr == "sdr" and self.color.hdr is not None

    def _output_colour(self, first: av.VideoFrame) -> tuple[ColorInfo, str]:
        """(colour, pixel format) of the frames the sink writes: the source's, or when ``to_sdr`` BT.709 at
        8 bits; notes what was done with an HDR source."""
        if self.to_sdr:
            from enlight.stream.io.hdr import SDR_BT709  # numpy and OpenCV work that only HDR sources need

            self.notes.append(f"the input is HDR ({self.color.hdr}); it was converted to SDR BT.709 for the model, "
                              "which learned on SDR pictures, and is written as SDR (--hdr keep: enhance its coded "
                              "values and keep its HDR tags)")
            return SDR_BT709, re.sub(r"p1[0246](le|be)$", "p", pixel_format(first))
        if self.color.hdr:
            self.notes.append(f"the input is HDR ({self.color.hdr}); with --hdr keep it was enhanced in its coded "
                              "values as if it were SDR and keeps its HDR tags: check the result on an HDR display")
            self.notes += [f"its {name} metadata (the display's tone mapping, scene by scene) was not kept: it "
                           "describes the dark original's brightness; the output carries the static HDR tags only"
                           for name in dynamic_metadata(first)]
        elif self._hdr == "keep":  # (a photo's is ``enlight.cli.unused``'s; an SDR video's went unsaid)
            self.notes.append("--hdr keep does nothing here: the input is not HDR (PQ or HLG); it is written as the "
                              "SDR video it is")
        return self.color, pixel_format(first)

    @property
    def damage(self) -> Damage | None:
        """What was lost to damage, once iteration has ended; None for an intact input. Of a part (``span``)
        that ends before the file does, only what was lost inside it."""
        inside = self._gate is not None and self._gate.past_end
        missing, cut = ({}, None) if inside else (self._missing, self._cut)
        if not (self._skipped or missing or self._read_errors or cut):
            return None
        packets: dict[str, int] = {}
        for counts in (self._skipped, missing):
            for kind, n in counts.items():
                packets[kind] = packets.get(kind, 0) + n
        expected = self._video_packets + missing.get("video", 0)
        if self._gate is not None:  # the part's frames: not those before it, nor those the decoder held past it
            lost = self._skipped.get("video", 0)
            if not inside:  # the file ended in the part: what its index had beyond is lost too
                lost = max(lost, expected - self.frames_decoded - self._gate.before)
            expected = self.frames_decoded + lost
        elif cut is not None:  # no index past the cut: the frames the header declares, or its duration gives
            declared = declared_frames(dict(self.video_stream.metadata), self.info.average_rate)
            expected = max(expected, self.frames_decoded, declared or self.info.frame_count or 0)
        expected = max(expected, self.frames_decoded + self._gap_frames)  # (stretches the demuxer skipped)
        return Damage(packets=packets, frames=max(0, expected - self.frames_decoded), expected=expected,
                      cut_short=bool(missing or cut), read_errors=self._read_errors, cut=cut)

    def _packets(self) -> Iterator[av.Packet]:
        """Demuxed packets of the streams read. In a file, a read error skips ahead to the next
        packet; after ``_MAX_READ_ERRORS`` in a row the input ends there (the decoder is flushed)."""
        streams = [self.video_stream, *self.passthrough]
        errors_in_a_row = 0
        demux = self.container.demux(streams)
        while True:
            try:
                packet = next(demux)
            except StopIteration:  # the file's end: where it is now (cut while it was read, its index says more)
                self._missing = missing_packets(self.path, streams)
                return
            except av.error.FFmpegError:
                if not self.location.is_file:
                    raise
                self._read_errors += 1
                errors_in_a_row += 1
                if errors_in_a_row >= _MAX_READ_ERRORS:
                    flush = av.Packet()  # the end of the input: flush the video decoder
                    flush.stream = self.video_stream
                    yield flush
                    return
                demux = self.container.demux(streams)
                continue
            errors_in_a_row = 0
            if packet.stream is self.video_stream and packet.size and not packet.is_discard:
                self._video_packets += 1  # (not those an edit list hides: they decode, but show no frame)
            yield packet

    def _decode(self, packet: av.Packet) -> list[av.VideoFrame]:
        """The frames a video packet completes; a packet the decoder rejects is skipped and counted."""
        try:
            if self._alpha_decoder is not None:
                return self._alpha_decoder.decode(packet if packet.size else None)
            return packet.decode()
        except av.error.FFmpegError:
            ahead = self._gate is not None and packet.pts is not None and self._gate.where(
                packet.pts * self.video_stream.time_base) < 0  # (an open GOP's leading frames, after the seek)
            if packet.size and not ahead:
                self._skipped["video"] = self._skipped.get("video", 0) + 1
            return []

    def _keep(self, packet: av.Packet) -> bool:
        """Whether to pass a non-video packet on: not empty, in the part read (``span``: then moved to its start),
        and not rejected by its decoder."""
        if not packet.size or hidden_by_edit(packet) or (self._gate is not None and not self._gate.packet(packet)):
            return False
        check = self._checks.get(packet.stream.index)
        if check is None or check.ok(packet):
            return True
        self._skipped[packet.stream.type] = self._skipped.get(packet.stream.type, 0) + 1
        return False

    def convert(self, frame: av.VideoFrame, colour: ColorInfo | None = None) -> np.ndarray:
        """A decoded frame as the enhancer takes it: (H, W, 3) uint8 full-range RGB, its chroma floored
        (``enlight.stream.io.chroma_floor``), converted with ``colour`` (the frame's own: ``picture_changes``; None: the
        first frame's); an HDR frame goes to SDR as it is."""
        if self.to_sdr:
            from enlight.stream.io.hdr import hdr_frame_to_sdr

            return hdr_frame_to_sdr(frame, self.color)
        return frame_to_rgb(floor_chroma(frame), colour or self.color)

    def _picture(self, frame: av.VideoFrame, pts: int) -> tuple[np.ndarray, np.ndarray | None, av.VideoFrame]:
        """(RGB (H, W, 3) uint8, alpha (H, W) uint8 or None, the frame they came from) of a decoded ``frame`` (file
        time ``pts``), made into the first frame's picture (``picture_changes``: size, shape, colour)."""
        if self.picture_colour is not None:  # (image2's pts count its files)
            frame = self.picture_colour.frame(frame, pts)
        colour = frame_colour(frame, self.color)
        frame, fit = self._changes.shaped(frame, self.frames_decoded + 1)
        rgb = self.convert(frame, colour)
        if self.picture_colour is not None:
            rgb = self.picture_colour.rgb(rgb, pts)
        alpha = frame_alpha(frame) if self.info.alpha else None
        if fit is not None:
            rgb = fit.place(rgb, self.info.width, self.info.height)
            alpha = None if alpha is None else fit.place(alpha, self.info.width, self.info.height)
        if alpha is not None and self.info.codec in COLOURLESS_DECODERS:  # (a GIF's transparent pixels: white)
            rgb = fill_transparent(rgb, alpha)
        return rgb, alpha, frame

    def set_queue_size(self, frames: int) -> None:
        """How many decoded frames may wait for the consumer (frames are big at 8K; the packets of the other
        streams in between are small and not counted); before iterating."""
        if self._thread is not None:
            raise RuntimeError("the queue size is set before iterating")
        self._queue.set_limit(frames)

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.stop()
        self.container.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            while self._thread.is_alive():
                try:  # unblock a producer waiting on a full queue
                    self._queue.get_nowait()
                except queue.Empty:
                    self._thread.join(timeout=0.05)
            self._thread = None

    def __iter__(self) -> Iterator[DecodedFrame | av.Packet]:
        """Items in demux order: ``DecodedFrame`` for video, ``av.Packet`` for passthrough streams.

        Raises ``EnlightError`` if the file turns out truncated or corrupt while decoding.
        """
        if self._thread is not None:
            raise RuntimeError("a VideoSource can be iterated once")
        self._thread = threading.Thread(target=self._produce, name="enlight-decode", daemon=True)
        self._thread.start()
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_PUT_WAIT_S)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        last_pts = None
        coloured = False
        tb = self.info.time_base
        step = max(1, round(1 / (self.info.average_rate * tb))) if tb else 1
        try:
            pending, self._pending = self._pending, []
            for item in retimed(self._items(pending), step):
                if self._stop.is_set():
                    return
                if isinstance(item, av.VideoFrame):
                    start = time.perf_counter()
                    pts = item.pts
                    if pts is None:  # raw streams carry no timestamps: count frames
                        pts = 0 if last_pts is None else last_pts + step
                    self._count_gap(last_pts, pts)
                    last_pts = pts
                    if self._gate is not None and (pts := self._gate.frame(pts, tb)) is None:
                        continue  # outside the part read
                    captions = frame_captions(item)  # side data that a rescaled frame no longer has
                    duration = self._duration(item.duration, last_pts)
                    rgb, alpha, item = self._picture(item, last_pts)
                    coloured = coloured or carries_chroma(item)
                    self.captions.put(pts, captions)
                    self.frames_decoded += 1
                    self.decode_s += time.perf_counter() - start
                    if not self._put(DecodedFrame(rgb, pts, tb, coloured, alpha, duration)):
                        return
                elif not self._put(item):
                    return
        except av.error.FFmpegError as exc:
            self._put(EnlightError(read_failure(self.location, self.frames_decoded, exc, self._timeout_s)))
            return
        except BaseException as exc:  # handed to the consumer, which reports it
            self._put(exc)
            return
        if self._gate is not None and not self.frames_decoded:
            self._put(EmptySpan(f"{self.path} has no frames from {self._span.describe()}"))
            return
        self._put(_END)

    def _duration(self, duration: int, pts: int) -> int | None:
        """A decoded frame's ``duration`` (``info.time_base`` units; None where it has none), at most up to the end of
        the part read (``span``; ``pts``: the frame's timestamp in the file): a pause on it ends there."""
        if not duration:
            return None
        if self._gate is None or self._span.end is None or self._gate.origin is None:
            return duration
        end = round(self._span.bounds(self._gate.origin)[1] / self.info.time_base)
        return max(1, min(duration, end - pts))

    def _count_gap(self, last: int | None, pts: int) -> None:
        """Count the frame slots between two decoded frames that hold no frame: a demuxer that skips a damaged
        stretch (Matroska drops whole clusters) says nothing of them. Slots of the constant rate (``slot_rate``) a
        gap of 1.5 makes; else of the average rate, where only a gap of 3 counts (a variable rate's own spacing
        varies). Used only where damage was found otherwise (``damage``)."""
        rate, base = self.info.slot_rate or self.info.average_rate, self.info.time_base
        if last is None or not rate or not base:
            return
        slots = (pts - last) * base * rate
        if slots > (Fraction(3, 2) if self.info.slot_rate else 3):
            self._gap_frames += round(slots) - 1

    def _items(self, pending: list) -> Iterator[av.VideoFrame | av.Packet]:
        yield from pending
        while True:
            start = time.perf_counter()
            packet = next(self._demux, None)
            if packet is None:
                break
            if self._gate is not None and self._gate.done(packet):
                break
            if packet.stream is not self.video_stream:
                keep = self._keep(packet)
                self.decode_s += time.perf_counter() - start
                if keep:
                    yield packet
                continue
            if self._gate is not None and self._gate.past_end:
                continue  # its frames lie past the end of the part read
            frames = self._decode(packet)  # the empty packet at the end flushes the decoder
            self.decode_s += time.perf_counter() - start
            yield from frames


