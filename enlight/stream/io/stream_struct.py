"""FFmpeg's own structs behind a PyAV stream, reached through ctypes where PyAV offers no way to set a field: the
AVStream (its sample aspect ratio: ``stream_copy``) and its AVCodecParameters (an audio stream's initial padding:
``codec_delay``). Each is taken only where it can be told for sure: an AVStream by its class and its index and time
base; the parameters by the fields PyAV reads back the same (kind of stream, codec, sample rate, channels, frame
size). Checked with PyAV 18 (FFmpeg 7 and 8); with another PyAV, or a layout that does not check out, None.
"""

from __future__ import annotations

import ctypes
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av

_AUDIO = 1  # AVMEDIA_TYPE_AUDIO


class StreamHead(ctypes.Structure):
    """The start of FFmpeg's AVStream (libavformat 60.10, FFmpeg 6.1, to 62), up to its own sample aspect ratio."""

    _fields_ = [("av_class", ctypes.c_void_p), ("index", ctypes.c_int), ("id", ctypes.c_int),
                ("codecpar", ctypes.c_void_p), ("priv_data", ctypes.c_void_p), ("time_base_num", ctypes.c_int),
                ("time_base_den", ctypes.c_int), ("start_time", ctypes.c_int64), ("duration", ctypes.c_int64),
                ("nb_frames", ctypes.c_int64), ("disposition", ctypes.c_int), ("discard", ctypes.c_int),
                ("sar_num", ctypes.c_int), ("sar_den", ctypes.c_int)]


class AudioParameters(ctypes.Structure):
    """FFmpeg's AVCodecParameters (libavcodec 61 and 62: FFmpeg 7 and 8, which hold the channel layout where 6.1 held
    the old channel fields), up to an audio stream's initial and trailing padding and its seek preroll."""

    _fields_ = [("codec_type", ctypes.c_int), ("codec_id", ctypes.c_int), ("codec_tag", ctypes.c_uint32),
                ("extradata", ctypes.c_void_p), ("extradata_size", ctypes.c_int),
                ("coded_side_data", ctypes.c_void_p), ("nb_coded_side_data", ctypes.c_int), ("format", ctypes.c_int),
                ("bit_rate", ctypes.c_int64), ("bits_per_coded_sample", ctypes.c_int),
                ("bits_per_raw_sample", ctypes.c_int), ("profile", ctypes.c_int), ("level", ctypes.c_int),
                ("width", ctypes.c_int), ("height", ctypes.c_int), ("sar", ctypes.c_int * 2),
                ("framerate", ctypes.c_int * 2), ("field_order", ctypes.c_int), ("colour", ctypes.c_int * 5),
                ("video_delay", ctypes.c_int), ("layout_order", ctypes.c_int), ("channels", ctypes.c_int),
                ("layout_mask", ctypes.c_uint64), ("layout_opaque", ctypes.c_void_p), ("sample_rate", ctypes.c_int),
                ("block_align", ctypes.c_int), ("frame_size", ctypes.c_int), ("initial_padding", ctypes.c_int),
                ("trailing_padding", ctypes.c_int), ("seek_preroll", ctypes.c_int)]


def first_fields() -> tuple[int, int]:
    """The offsets in a PyAV (Cython) object of its first two pointer-sized fields after Python's object header:
    its method table and its first field, or the other way round (PyAV 18's stream and frame objects hold the
    address of FFmpeg's struct in one of them). The header is ``object.__basicsize__`` (2 words; 4 in a
    free-threaded or reference-tracing build, where 2 words in would be a count, not an address)."""
    header = object.__basicsize__
    return header, header + ctypes.sizeof(ctypes.c_void_p)


@lru_cache(maxsize=1)
def _stream_class() -> int | None:
    """The address of FFmpeg's AVStream class (``av_stream_get_class``) in PyAV's own libavformat, which tells
    an AVStream from anything else; None where that library is not found."""
    here = Path(av.__file__).parent
    for library in (*here.parent.glob("av.libs/libavformat*"), *here.glob(".dylibs/libavformat*")):
        try:
            get_class = ctypes.CDLL(str(library)).av_stream_get_class
        except (OSError, AttributeError):
            continue
        get_class.restype = ctypes.c_void_p
        return get_class()
    return None


def stream_head(stream: av.stream.Stream) -> StreamHead | None:
    """The AVStream behind a PyAV ``stream`` (input or output), or None where it cannot be told for sure. PyAV 18
    keeps its address in the stream object's first field (after the method table); the address is taken only with
    PyAV 18 and only where it points at an AVStream of this index and time base."""
    if av.__version__.split(".")[0] != "18":  # the object layout below was checked with PyAV 18 only
        return None
    cls = _stream_class()
    for offset in first_fields() if cls else ():  # both are pointers in either layout, safe to follow
        address = ctypes.c_void_p.from_address(id(stream) + offset).value
        if not address or ctypes.c_void_p.from_address(address).value != cls:
            continue
        head = StreamHead.from_address(address)
        known = head.time_base_num and head.time_base_den
        time_base = Fraction(head.time_base_num, head.time_base_den) if known else None
        if head.index == stream.index and time_base == stream.time_base:
            return head
    return None


def audio_parameters(stream: av.audio.stream.AudioStream) -> AudioParameters | None:
    """The AVCodecParameters of an audio ``stream`` (its AVStream's: ``stream_head``), or None where they cannot be
    told for sure: where the fields PyAV reads of the stream (its kind, codec, sample rate, channels and frame size)
    are not where ``AudioParameters`` has them."""
    head = stream_head(stream) if stream.type == "audio" and stream.codec_context is not None else None
    if head is None or not head.codecpar:
        return None
    parameters = AudioParameters.from_address(head.codecpar)
    context = stream.codec_context
    seen = (parameters.codec_type, parameters.codec_id, parameters.sample_rate, parameters.channels,
            parameters.frame_size)
    if seen != (_AUDIO, context.codec.id, context.sample_rate, context.channels, context.frame_size):
        return None
    return parameters
