"""What a ``VideoSource`` (``enlight.stream.io.source``) hands on besides the packets it copies: each decoded frame
of the video stream it enhances (``DecodedFrame``) and what that stream is (``VideoInfo``), which the sink
reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from enlight.stream.io.frames import ColorInfo
from enlight.stream.io.hdr_static import HdrStatic


@dataclass(frozen=True)
class DecodedFrame:
    """One decoded video frame: rgb (H, W, 3) uint8 full-range RGB; pts in ``time_base`` units.

    chroma: whether the decoded frame carried colour (``enlight.stream.io.chroma``); once a frame of
    the source has, later frames are not checked and say True.
    alpha: (H, W) uint8 transparency (255: opaque) of a source with an alpha channel
    (``enlight.stream.io.alpha``), passed to the sink unchanged; None for every other source.
    duration: how long the frame is shown, in ``time_base`` units (its packet's duration: what gives the last frame
    its length, a GIF's pause on it included); None where the source does not say.
    """

    rgb: np.ndarray
    pts: int
    time_base: Fraction
    chroma: bool = True
    alpha: np.ndarray | None = None
    duration: int | None = None


@dataclass(frozen=True)
class VideoInfo:
    """What the sink needs to reproduce the source's video stream."""

    width: int
    height: int
    time_base: Fraction
    average_rate: Fraction
    frame_count: int | None  # from the container index, or estimated from duration; None if unknown
    codec: str
    pix_fmt: str
    color: ColorInfo
    display_matrix: tuple[int, ...] | None  # FFmpeg's 3x3 int32 display matrix, None when absent
    sample_aspect_ratio: Fraction | None = None  # a pixel's width / height where not square (720x480 16:9: 32/27)
    timecode: str | None = None  # the start timecode ('01:00:00:00') of a camera's or an editor's file
    field_order: int | None = None  # FFmpeg's AVFieldOrder of an interlaced source (``enlight.stream.io.fields``)
    tags: tuple[tuple[str, str], ...] = ()  # the stream's own tags (language, title, handler), ``stream_tags``
    disposition: int = 0  # the stream's flags (default, forced, ...), FFmpeg's AV_DISPOSITION bits
    alpha: bool = False  # the frames carry an alpha channel (``enlight.stream.io.alpha``)
    hdr_static: HdrStatic | None = None  # HDR10's mastering display and light levels, kept with ``--hdr keep``
    # the rate of the frames' slots: FFmpeg's base rate of the timestamps (r_frame_rate) where the average rate is
    # within SLOT_TOLERANCE of it (a constant rate, a few frames dropped or a last frame's other duration); None
    slot_rate: Fraction | None = None
