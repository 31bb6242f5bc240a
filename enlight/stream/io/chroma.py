"""Whether a video carries colour, decided from its decoded chroma planes (before any RGB conversion).

Infrared night cameras record grey: their chroma planes sit at the neutral value. The generator
would tint such frames, so a grey source is kept grey. Very dark colour footage must never be
taken for grey: a mostly black frame still has chroma where its lights are (tail lights, signs),
so the test is "no chroma sample strays from neutral", never an average over the picture.

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
PLANAR_8BIT = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p", "yuvj440p",
                "yuv411p", "yuv410p"}


def plane_array(frame: av.VideoFrame, index: int, dtype) -> np.ndarray:
    """Plane ``index`` of ``frame`` as a (rows, samples) array of ``dtype``, a view without the row padding."""
    plane = frame.planes[index]
    item = np.dtype(dtype).itemsize
    data = np.frombuffer(plane, dtype=dtype)
    return data.reshape(plane.height, plane.line_size // item)[:, : plane.width]


def _chroma_planes(frame: av.VideoFrame) -> tuple[np.ndarray, int] | None:
    """The frame's two chroma planes stacked (int32, neutral subtracted) and the neutral value's
    scale (1 for 8 bits, 4 for 10, ...); None for a grey pixel format."""
    name = frame.format.name
    if name.startswith(("gray", "ya", "mono")):
        return None
    if name in PLANAR_8BIT:
        u, v = plane_array(frame, 1, np.uint8), plane_array(frame, 2, np.uint8)
        return np.stack([u, v]).astype(np.int32) - 128, 1
    if name in ("nv12", "nv21"):
        uv = plane_array(frame, 1, np.uint8)
        return uv.astype(np.int32) - 128, 1
    if name.startswith("yuv") and name.endswith(("10le", "12le", "16le")) and frame.format.is_planar:
        bits = int(name[-4:-2])
        u, v = plane_array(frame, 1, np.uint16), plane_array(frame, 2, np.uint16)
        return np.stack([u, v]).astype(np.int32) - (1 << (bits - 1)), 1 << (bits - 8)
    # anything else (RGB, packed YUV, hardware formats): convert to 8-bit 4:4:4 YUV, which
    # maps equal R, G and B to neutral chroma whatever the matrix
    planes = frame.reformat(format="yuv444p").to_ndarray()
    return planes.reshape(3, frame.height, frame.width)[1:].astype(np.int32) - 128, 1


def carries_chroma(frame: av.VideoFrame) -> bool:
    """True when a decoded frame has colour: more than a 1e-4 share of its chroma samples
    (at least 3) lie more than 6 8-bit levels from neutral."""
    found = _chroma_planes(frame)
    if found is None:
        return False
    chroma, scale = found
    strays = int(np.count_nonzero(np.abs(chroma) > _LEVELS * scale))
    return strays > max(2, _SHARE * chroma.size)


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
