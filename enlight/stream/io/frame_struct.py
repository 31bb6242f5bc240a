"""The AVFrame behind a decoded PyAV frame, read through ctypes for what PyAV 18 does not give: a frame's own sample
aspect ratio. A stream's (``video_stream.sample_aspect``) is its first picture's; a broadcast's 16:9 programme after
a 4:3 advert (DVB, the same 720x576 with pixels 64:45 instead of 16:15) says so in its frames only, and the decoder's
context, which PyAV reads, changes a few frames early or late (it runs frames ahead on its threads).

The frame is taken only where it can be told for sure: with PyAV 18, its AVFrame where the PyAV object keeps its
address, and its fields where the width, height and picture type read there are the frame's own (FFmpeg 8's layout,
libavutil 60; FFmpeg 7's, 59, had ``key_frame`` before the picture type). Else None.
"""

from __future__ import annotations

import ctypes
from fractions import Fraction
from functools import lru_cache

import av

from enlight.stream.io.stream_struct import first_fields

_WORD = ctypes.sizeof(ctypes.c_void_p)
_SIZE_AT = 8 * _WORD + 8 * 4 + _WORD  # after data[8], linesize[8] and extended_data: width, height


@lru_cache(maxsize=1)
def _layout() -> tuple[int, int, int | None] | None:
    """(offset of the picture type, of the sample aspect ratio, of ``key_frame`` or None) in this FFmpeg's AVFrame;
    None for a PyAV or libavutil whose layout was not checked."""
    if av.__version__.split(".")[0] != "18":
        return None
    major = av.library_versions.get("libavutil", (0,))[0]
    after = _SIZE_AT + 4 * 4  # width, height, nb_samples, format
    if major == 60:
        return after, after + 4, None
    if major == 59:
        return after + 4, after + 8, after
    return None


def _frame_address(frame: av.VideoFrame) -> int | None:
    """The address of ``frame``'s AVFrame, where its width and height read there are the frame's; else None. PyAV 18
    keeps it in the object's first field after its method table (checked as stream_struct checks a stream's)."""
    for offset in reversed(first_fields()):
        address = ctypes.c_void_p.from_address(id(frame) + offset).value
        if not address:
            continue
        width, height = (ctypes.c_int * 2).from_address(address + _SIZE_AT)
        if (width, height) == (frame.width, frame.height):
            return address
    return None


def frame_sample_aspect(frame: av.VideoFrame) -> Fraction | None:
    """``frame``'s own pixel aspect ratio (a pixel's width / height), as its decoder set it; None where it names none
    (0) or cannot be read for sure (module docstring)."""
    layout = _layout()
    address = _frame_address(frame) if layout is not None else None
    if address is None:
        return None
    picture_at, aspect_at, key_at = layout
    if ctypes.c_int.from_address(address + picture_at).value != int(frame.pict_type):
        return None
    if key_at is not None and ctypes.c_int.from_address(address + key_at).value != int(frame.key_frame):
        return None
    num, den = (ctypes.c_int * 2).from_address(address + aspect_at)
    return Fraction(num, den) if num > 0 and den > 0 else None
