"""Whether a video carries colour, decided from its decoded chroma planes (before any RGB conversion).

Infrared night cameras record grey: their chroma planes sit at the neutral value. The generator
would tint such frames, so a grey source is kept grey. Very dark colour footage must never be
taken for grey: a mostly black frame still has chroma where its lights are (tail lights, signs),
so the test is "no chroma sample strays from neutral", never an average over the picture. Nor is a
very dim picture lit by one colour (a room by a lamp, mean luma 10): its chroma is a few code values
everywhere, under the strays' threshold, but coherent over whole objects, so its 8x8 blocks of chroma
samples are tested too; a grey source's blocks average within one code value of neutral.

``GreyDecision`` applies ``--grey auto|on|off`` frame by frame: in auto, the output is grey while
the source has shown no chroma, and colour from the first frame that has some (for good).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import av
import numpy as np

GREY_MODES = ("auto", "on", "off")
# A chroma sample counts as coloured when it is more than this many 8-bit levels from neutral
# (compression leaves grey sources within 1 level: measured 1 on the surveillance clip, 44 on
# the dark dashcam clip); a frame carries chroma when more than this share of samples do.
_LEVELS = 6
_SHARE = 1e-4
# ...or when more than this share of its 8x8 blocks of chroma samples average more than this many levels
# from neutral (grey sources: every block within 1.0 in all 5252 frames of the surveillance clip; the 7 of
# the 534 low-light training shots that the strays miss, mean level 4-28: 3.7 to 84% of blocks over 1.5)
_BLOCK = 8
_FAINT_LEVELS = 1.5
_FAINT_SHARE = 5e-3
_PLANAR_8BIT = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p", "yuvj440p",
                "yuv411p", "yuv410p"}
_SEMI_PLANAR = ("nv12", "nv21")  # 8-bit 4:2:0 with one plane of interleaved chroma


def plane_array(frame: av.VideoFrame, index: int, dtype) -> np.ndarray:
    """Plane ``index`` of ``frame`` as a (rows, samples) array of ``dtype``, a view without the row padding."""
    plane = frame.planes[index]
    item = np.dtype(dtype).itemsize
    data = np.frombuffer(plane, dtype=dtype)
    return data.reshape(plane.height, plane.line_size // item)[:, : plane.width]


def chroma_depth(name: str) -> int | None:
    """Bits per chroma sample of a planar or semi-planar YUV pixel format (``yuv420p`` 8, ``nv12`` 8,
    ``yuv420p10le`` 10); None for every other format (RGB, grey, packed YUV, hardware)."""
    if name in _PLANAR_8BIT or name in _SEMI_PLANAR:
        return 8
    if name.startswith("yuv") and name.endswith(("10le", "12le", "16le")) and av.VideoFormat(name).is_planar:
        return int(name[-4:-2])
    return None


def chroma_plane_indices(name: str) -> tuple[int, ...]:
    """The planes that hold the chroma of a format ``chroma_depth`` takes: the one interleaved plane of a
    semi-planar format, else planes 1 and 2 (an alpha plane, as ProRes 4444's, comes after them)."""
    return (1,) if name in _SEMI_PLANAR else (1, 2)


def _chroma_planes(frame: av.VideoFrame) -> tuple[np.ndarray, int, int] | None:
    """The frame's chroma samples, (2, rows, samples) uint8 or uint16 as coded (Cb and Cr; a semi-planar format's
    interleaved plane split in two), the neutral value (128 for 8 bits) and its scale (1 for 8 bits, 4 for 10,
    ...); None for a grey pixel format. Nothing is widened: a 48-megapixel photo's planes as int32 cost seconds."""
    name = frame.format.name
    if name.startswith(("gray", "ya", "mono")):
        return None
    bits = chroma_depth(name)
    if bits is not None:
        dtype = np.uint8 if bits == 8 else np.uint16
        planes = [plane_array(frame, index, dtype) for index in chroma_plane_indices(name)]
        if len(planes) == 1:  # CbCr interleaved
            planes = [planes[0][:, 0::2], planes[0][:, 1::2]]
        return np.stack(planes), 1 << (bits - 1), 1 << (bits - 8)
    # anything else (RGB, packed YUV, hardware formats): convert to 8-bit 4:4:4 YUV, which
    # maps equal R, G and B to neutral chroma whatever the matrix
    planes = frame.reformat(format="yuv444p").to_ndarray()
    return planes.reshape(3, frame.height, frame.width)[1:], 128, 1


def _faint_colour(chroma: np.ndarray, neutral: int, scale: int) -> bool:
    """True when more than a 0.5% share (at least 3) of the 8x8 blocks of ``chroma`` ((2, rows, samples) as coded,
    around ``neutral``) average more than 1.5 8-bit levels from neutral: a faint colour, coherent over objects."""
    planes, rows, samples = chroma.shape
    rows, samples = rows // _BLOCK * _BLOCK, samples // _BLOCK * _BLOCK
    strips = chroma[:, :rows, :samples].reshape(planes, rows // _BLOCK, _BLOCK, samples).sum(axis=2, dtype=np.int32)
    sums = strips.reshape(planes, rows // _BLOCK, samples // _BLOCK, _BLOCK).sum(axis=-1)  # rows first: 4x faster
    sums -= neutral * _BLOCK * _BLOCK
    coloured = int(np.count_nonzero(np.abs(sums) > _FAINT_LEVELS * scale * _BLOCK * _BLOCK))
    return coloured > max(2, _FAINT_SHARE * sums.size)


def carries_chroma(frame: av.VideoFrame) -> bool:
    """True when a decoded frame has colour: more than a 1e-4 share of its chroma samples (at least 3; in a picture
    of under 12 of them, a quarter: a 1x1 photo's one red pixel has 2) lie more than 6 8-bit levels from neutral,
    or more than a 0.5% share of its 8x8 blocks of chroma samples (at least 3) average more than 1.5 levels from
    it."""
    found = _chroma_planes(frame)
    if found is None:
        return False
    chroma, neutral, scale = found
    limit = _LEVELS * scale  # |sample - neutral| > limit, without widening the samples
    strays = int(np.count_nonzero(chroma > neutral + limit)) + int(np.count_nonzero(chroma < neutral - limit))
    return strays > min(max(2, _SHARE * chroma.size), chroma.size // 4) or _faint_colour(chroma, neutral, scale)


@dataclass
class GreyDecision:
    """``--grey`` applied to a stream of frames. mode: auto, on (always grey) or off (never).

    ``update(chroma)`` takes whether each frame of the next batch carries chroma and returns
    whether that batch is to be output grey. ``describe()`` says what was decided, for the
    summary line.
    """

    mode: str = "auto"
    frames: int = 0
    grey_frames: int = 0
    _coloured: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in GREY_MODES:
            raise ValueError(f"grey mode must be one of {', '.join(GREY_MODES)}, got {self.mode}")

    def update(self, chroma: Sequence[bool]) -> bool:
        self._coloured = self._coloured or any(chroma)
        grey = self.mode == "on" or (self.mode == "auto" and not self._coloured)
        self.frames += len(chroma)
        self.grey_frames += len(chroma) if grey else 0
        return grey

    def describe(self) -> str:
        if self.mode == "on":
            return "grey (--grey on)"
        if self.mode == "off":
            return "colour (--grey off)"
        if self.grey_frames == 0:
            return "colour"
        if self.grey_frames == self.frames:
            return "grey: the source carries no chroma"
        return f"colour (grey for the first {self.grey_frames} frames, which carried no chroma)"
