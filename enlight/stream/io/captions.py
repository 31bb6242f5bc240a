"""Closed captions carried inside the video stream (CEA-608/708 as ATSC A/53 ``cc_data``: broadcast and cable
recordings, camcorders, many phone and DVR files), kept through the re-encode.

FFmpeg's decoders hand each frame's caption bytes out as A53_CC side data (the ``cc_data`` triplets: marker and
type, two bytes), but PyAV cannot attach side data to the frames it encodes, so the encoder never sees them.
They are put back into the encoded stream here instead: for an H.264 or HEVC output, each packet whose frame
had captions gets an SEI NAL unit (``user_data_registered_itu_t_t35``: country 0xB5, provider 0x0031, ``GA94``,
type 3, as ATSC A/53 Part 4 and SCTE 128 define it) before its first picture unit, which is where an encoder
that had the side data would have written it. For an MPEG-2 output the same ``cc_data`` goes into the picture's
user data (start code B2, ``GA94``, type 3, ATSC A/53 Part 4 6.2.3) before its first slice, as TV recorders and
DVDs carry it. Other output codecs cannot carry them; the run notes that.

    CaptionTrack            the source's decode thread ``put``s each frame's captions by its pts; the sink
                            ``take``s them as it writes that frame (one object per run, shared)
    caption_sei(codec, cc)  -> the SEI NAL unit for one frame's triplets
    mpeg2_user_data(cc)     -> the MPEG-2 picture user data for one frame's triplets
    with_captions(codec, data, cc)
                            -> an encoded packet's bytes with those captions before its picture data
    CaptionWriter           the sink's side: the captions of the frames it encodes into their packets
"""

from __future__ import annotations

import re
import threading
from fractions import Fraction

import av

from enlight.stream.io import nal
from enlight.stream.io.side_data import frame_side_data
from enlight.text import counted

CARRIERS = ("h264", "hevc", "mpeg2video")  # the output codecs (FFmpeg's canonical names) that captions are written into
_ATSC_CC = b"GA94" + bytes([0x03])  # ATSC_user_data: user_identifier, user_data_type_code cc_data
_T35_ATSC = bytes([0xB5, 0x00, 0x31]) + _ATSC_CC  # an SEI's T.35 country and provider before it
_MAX_PER_MESSAGE = 31  # cc_count is 5 bits
_SEI_HEADER = {"h264": b"\x06", "hevc": b"\x4e\x01"}  # NAL type 6; HEVC prefix SEI, type 39, temporal id 1
_USER_DATA = b"\x00\x00\x01\xb2"  # MPEG-2 user_data_start_code
_FIRST_SLICE = re.compile(b"\x00\x00\x01[\x01-\xaf]")  # MPEG-2 slice start codes 01-AF


def frame_captions(frame: av.VideoFrame) -> bytes:
    """The caption triplets a decoded frame carries (3 bytes each), ``b""`` for none."""
    return b"".join(bytes(data) for data in frame_side_data(frame) if data.type.name == "A53_CC")


def _cc_data(triplets: bytes) -> bytes:
    """A/53 ``cc_data()`` with up to 31 triplets: process_cc_data and the count, em_data, the triplets, markers."""
    return bytes([0xC0 | len(triplets) // 3, 0xFF]) + triplets + b"\xff"


def _chunks(triplets: bytes) -> list[bytes]:
    """``triplets`` (whole ones only) in runs of at most 31, as many as one ``cc_data()`` can hold."""
    whole, step = len(triplets) - len(triplets) % 3, 3 * _MAX_PER_MESSAGE
    return [triplets[i:i + step] for i in range(0, whole, step)]


def _message(triplets: bytes) -> bytes:
    """One SEI message (payload type 4) holding up to 31 triplets."""
    payload = _T35_ATSC + _cc_data(triplets)
    return bytes([4, len(payload)]) + payload  # a payload of at most 9 + 93 bytes: one size byte


def caption_sei(codec: str, triplets: bytes) -> bytes:
    """An SEI NAL unit (``codec``: h264 or hevc) with ``triplets`` (a multiple of 3 bytes) in as many A/53
    messages as it takes, emulation prevention applied."""
    messages = b"".join(_message(chunk) for chunk in _chunks(triplets))
    return _SEI_HEADER[codec] + nal.escaped(messages + b"\x80")  # rbsp_trailing_bits


def mpeg2_user_data(triplets: bytes) -> bytes:
    """MPEG-2 picture user data with ``triplets`` (a multiple of 3 bytes): ``ATSC_user_data()`` (``GA94``, type 3)
    after a user data start code, once per 31 triplets. cc_data cannot hold a start code: every triplet begins
    with a byte of F8 or more."""
    return b"".join(_USER_DATA + _ATSC_CC + _cc_data(chunk) for chunk in _chunks(triplets))


def with_captions(codec: str, data: bytes, triplets: bytes) -> bytes | None:
    """``data`` (one encoded picture: Annex B for h264 and hevc, an MPEG-2 picture for mpeg2video) with the
    captions of ``triplets`` before its picture data; None where ``data`` holds no picture."""
    if codec == "mpeg2video":
        first = _FIRST_SLICE.search(data)
        return None if first is None else data[:first.start()] + mpeg2_user_data(triplets) + data[first.start():]
    units = nal.units(data)
    first = next((i for i, unit in enumerate(units) if nal.is_picture(codec, unit)), None)
    if first is None:
        return None
    return nal.joined([*units[:first], caption_sei(codec, triplets), *units[first:]])


class CaptionTrack:
    """Captions by frame: ``put(pts, triplets)`` from the decode thread, ``take(pts)`` once from the writer (the
    frame was put before it was queued, so it is there when it is written)."""

    def __init__(self) -> None:
        self._by_pts: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def put(self, pts: int, triplets: bytes) -> None:
        if triplets:
            with self._lock:
                self._by_pts[pts] = triplets

    def take(self, pts: int) -> bytes:
        with self._lock:
            return self._by_pts.pop(pts, b"")


class CaptionWriter:
    """The sink's side of a ``CaptionTrack``: ``sent`` when a frame goes to the encoder (its captions wait, by
    time), ``packets`` on what the encoder hands out (the waiting captions put into their frames' packets),
    ``notes`` at the end (captions the output could not carry)."""

    def __init__(self, track: CaptionTrack, codec: str) -> None:
        self._track = track
        self._codec = codec  # FFmpeg's canonical name of the output's codec
        self._waiting: dict[Fraction, bytes] = {}
        self._lost = 0

    def sent(self, source_pts: int, pts: int, time_base: Fraction) -> None:
        """The frame at ``source_pts`` (the source's time base) went to the encoder at ``pts`` (``time_base``)."""
        triplets = self._track.take(source_pts)
        if triplets and self._codec in CARRIERS:
            self._waiting[pts * time_base] = triplets
        elif triplets:
            self._lost += 1

    def packets(self, packets: list[av.Packet]) -> list[av.Packet]:
        """``packets`` with the captions of their frames in them."""
        if not self._waiting:
            return packets
        return [self._carried(packet) for packet in packets]

    def _carried(self, packet: av.Packet) -> av.Packet:
        if packet.pts is None or packet.time_base is None:
            return packet
        triplets = self._waiting.pop(packet.pts * packet.time_base, None)
        data = with_captions(self._codec, bytes(packet), triplets) if triplets else None
        if data is None:
            self._lost += bool(triplets)
            return packet
        out = av.Packet(data)
        out.pts, out.dts, out.time_base, out.duration = packet.pts, packet.dts, packet.time_base, packet.duration
        out.is_keyframe, out.stream = packet.is_keyframe, packet.stream
        return out

    def notes(self) -> list[str]:
        """What to tell the user once the stream is written."""
        if not self._lost and not self._waiting:
            return []
        if self._codec not in CARRIERS:
            return [f"its closed captions (CEA-608/708 inside the video) were not kept: {self._codec} video cannot "
                    "carry them (H.264 or HEVC in an .mp4, .mkv, .mov or .ts output can, and MPEG-2 in an .mpg or .ts)"]
        frames = counted(self._lost + len(self._waiting), "frame")
        return [f"the closed captions of {frames} could not be put back into the video"]


__all__ = ["CARRIERS", "CaptionTrack", "CaptionWriter", "caption_sei", "frame_captions", "mpeg2_user_data",
           "with_captions"]
