"""Interlaced video: the source's field order, kept in the output.

A DVD, a broadcast capture, a DV camcorder or a CCTV recorder often writes interlaced frames: two fields
woven together, taken 1/50 or 1/60 s apart, and tagged so that players deinterlace them. The enhancer
treats the woven frame as a picture (its correction is smooth, so it does not mix the fields' detail);
what must not be lost is the tag: written as progressive, a player shows the combs on every moving edge.
The output keeps the source's field order, both in the stream (``AVCodecContext.field_order``, the
container's 'fiel' or FieldOrder) and on every frame (FFmpeg's ``setfield`` filter: PyAV cannot set a
frame's interlaced flags), which is what libx264 and the MPEG-2/4 encoders read to code the fields.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

# FFmpeg's AVFieldOrder: top or bottom field coded first, then displayed first
FIELD_TT, FIELD_BB, FIELD_TB, FIELD_BT = 2, 3, 4, 5
INTERLACED_ENCODERS = ("libx264", "mpeg2video", "mpeg4")  # those that code fields from the frames' flags


def field_order(first: av.VideoFrame) -> int | None:
    """``FIELD_TT`` or ``FIELD_BB`` when the source's first frame is interlaced, by that frame's own flag (the
    decoder's stream-level order said top first for bottom-first H.264 from x264); None when it is progressive."""
    if not first.interlaced_frame:
        return None
    try:
        return FIELD_TT if _shown_top_first(first) else FIELD_BB
    except (av.error.FFmpegError, ValueError):  # a format the filter cannot take: the commoner order
        return FIELD_TT


def _shown_top_first(frame: av.VideoFrame) -> bool:
    """Whether an interlaced frame is flagged top field first. PyAV does not expose the flag; FFmpeg's
    ``fieldorder=tff`` filter leaves a top-first frame as it is and moves a bottom-first one down a line. The
    graph's source is told the frame's matrix and range: told none, FFmpeg converted a BT.709 frame (every HD
    camcorder's 1080i) or a BT.2020 one to BT.601 on the way, and top-first frames were read as bottom-first."""
    graph = _graph(frame.width, frame.height, frame.format.name, Fraction(1, 25),
                   ("fieldorder", "tff"), ("format", frame.format.name),
                   colours=(frame.colorspace, frame.color_range))
    graph.push(frame)
    return np.array_equal(_luma_rows(graph.pull()), _luma_rows(frame))


def _graph(width: int, height: int, pix_fmt: str, time_base: Fraction, *filters: tuple[str, str],
           colours: tuple[int, int] | None = None) -> av.filter.Graph:
    """A configured FFmpeg filter graph for frames of this size and format: buffer -> ``filters`` (name,
    arguments) in order -> buffersink. ``colours``: the frames' (AVColorSpace, AVColorRange), which the buffer
    is told so that nothing converts them."""
    graph = av.filter.Graph()
    source = {"video_size": f"{width}x{height}", "pix_fmt": str(int(av.VideoFormat(pix_fmt))),
              "time_base": str(time_base), "pixel_aspect": "1/1"}
    if colours is not None:
        source.update(colorspace=str(colours[0]), range=str(colours[1]))
    chain = [graph.add("buffer", **source),
             *(graph.add(name, args) for name, args in filters), graph.add("buffersink")]
    for a, b in zip(chain, chain[1:], strict=False):
        a.link_to(b)
    graph.configure()
    return graph


def _luma_rows(frame: av.VideoFrame) -> np.ndarray:
    """The first plane's pixels as bytes, (height, width x bytes per sample), without the rows' padding."""
    plane = frame.planes[0]
    depth = 2 if frame.format.components[0].bits > 8 else 1
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:plane.height, :plane.width * depth]


def top_first(order: int) -> bool:
    """Whether the top field is shown first."""
    return order in (FIELD_TT, FIELD_BT)


def describe(order: int) -> str:
    return "top field first" if top_first(order) else "bottom field first"


class FieldMarker:
    """Frames (any pixel format) -> the same frames flagged interlaced, top or bottom field first."""

    def __init__(self, order: int, width: int, height: int, pix_fmt: str, time_base: Fraction) -> None:
        self.graph = _graph(width, height, pix_fmt, time_base, ("setfield", "tff" if top_first(order) else "bff"))

    def __call__(self, frame: av.VideoFrame) -> av.VideoFrame:
        self.graph.push(frame)
        return self.graph.pull()
