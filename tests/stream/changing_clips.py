"""Clips whose stream changes midway, as real sources do: parts encoded by encoders of their own (size, pixel aspect
ratio, range, matrix, grey), muxed into one H.264 stream whose parameter sets change at each part's first keyframe
(an HLS or DVR recording switching quality, a broadcast's 4:3 advert before a 16:9 film, a camera switching to
infrared). The picture is the same in every part (four coloured quarters and a circle, round as shown), so that a
part read wrongly stands out.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from enlight.stream.io.frame_struct import frame_sample_aspect
from enlight.stream.io.stream_struct import stream_head

QUARTERS = ((160, 40, 40), (40, 160, 40), (40, 40, 160), (150, 150, 60))  # RGB: top left, top right, bottom ...
DISC = (220, 220, 220)


@dataclass(frozen=True)
class Part:
    """frames of width x height, pixels ``aspect`` wide for 1 high; ``full``: full range; ``matrix``: AVColorSpace
    (6: BT.601, 1: BT.709), written into the stream; ``grey``: no chroma (an infrared night picture)."""

    frames: int
    width: int = 64
    height: int = 48
    aspect: Fraction = Fraction(1)
    full: bool = False
    matrix: int = 6
    grey: bool = False


def picture(part: Part) -> np.ndarray:
    """(height, width, 3) uint8 RGB: the quarters, and a disc half the height across as shown."""
    height, width = part.height, part.width
    rgb = np.empty((height, width, 3), np.uint8)
    for index, colour in enumerate(QUARTERS):
        rows = slice(0, height // 2) if index < 2 else slice(height // 2, height)
        cols = slice(0, width // 2) if index % 2 == 0 else slice(width // 2, width)
        rgb[rows, cols] = colour
    y, x = np.mgrid[0:height, 0:width]
    across = ((x + 0.5 - width / 2) * float(part.aspect)) ** 2 + (y + 0.5 - height / 2) ** 2
    rgb[across < (height / 4) ** 2] = DISC
    if part.grey:
        rgb[:] = rgb.mean(axis=2, keepdims=True).astype(np.uint8)
    return rgb


def _encoder(part: Part, rate: int) -> av.CodecContext:
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = part.width, part.height, "yuv420p"
    encoder.time_base, encoder.framerate, encoder.gop_size = Fraction(1, rate), Fraction(rate), 4
    encoder.sample_aspect_ratio = part.aspect
    encoder.color_range = 2 if part.full else 1
    encoder.colorspace = encoder.color_primaries = encoder.color_trc = part.matrix
    encoder.options = {"preset": "ultrafast", "tune": "zerolatency"}
    return encoder


def changing_clip(path: Path, parts: list[Part], *, rate: int = 24) -> Path:
    """``path`` (.ts, or another container: copied from one): the parts one after the other in one video stream at
    ``rate`` fps."""
    if path.suffix != ".ts":
        return _copied(changing_clip(path.with_suffix(".ts"), parts, rate=rate), path)
    index = 0
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.time_base = parts[0].width, parts[0].height, Fraction(1, rate)
        for part in parts:
            encoder = _encoder(part, rate)
            sws = av.video.reformatter.Colorspace.ITU709 if part.matrix == 1 else av.video.reformatter.Colorspace.ITU601
            full = av.video.reformatter.ColorRange.JPEG if part.full else av.video.reformatter.ColorRange.MPEG
            coded = av.VideoFrame.from_ndarray(picture(part), format="rgb24").reformat(
                format="yuv420p", dst_colorspace=sws, dst_color_range=full)
            for _ in range(part.frames):
                frame = coded.reformat()
                frame.pts, frame.time_base = index, Fraction(1, rate)
                frame.color_range, frame.colorspace = encoder.color_range, part.matrix
                index += 1
                for packet in encoder.encode(frame):
                    packet.stream = stream
                    container.mux(packet)
            for packet in encoder.encode(None):
                packet.stream = stream
                container.mux(packet)
    return path


def _copied(source: Path, path: Path) -> Path:
    """``source``'s video stream copied into ``path`` (its container from its name), as ``ffmpeg -c copy`` does with
    a recording whose first part lasts longer than FFmpeg's probe: the container's pixel aspect ratio the first
    picture's (the probe of these short parts reads ahead into the next one's)."""
    with av.open(str(source)) as reading:
        first = next(reading.decode(video=0))
    with av.open(str(source)) as reading, av.open(str(path), "w") as writing:
        stream = writing.add_stream_from_template(reading.streams.video[0])
        aspect = frame_sample_aspect(first) or Fraction(1)
        stream.codec_context.sample_aspect_ratio = aspect
        head = stream_head(stream)  # (the stream's own, which Matroska writes as its display size)
        head.sar_num, head.sar_den = aspect.numerator, aspect.denominator
        for packet in reading.demux(reading.streams.video[0]):
            if packet.size:
                packet.stream = stream
                writing.mux(packet)
    return path
