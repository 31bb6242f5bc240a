"""Frames made to look as players show them, where the output cannot say how: turned upright for outputs that
cannot carry a rotation tag, as FFmpeg's command line turns them; and their pixels made square in animated
pictures, whose pixel aspect ratio browsers ignore.

A phone stores a portrait video as landscape frames with a display matrix (rotation, sometimes a mirror) that
players apply. MP4, MOV, Matroska and WebM keep that matrix and the frames stay as they are. AVI, MPEG-TS, FLV, GIF,
animated WebP and APNG have nowhere to put it: their frames are turned here before encoding, so the picture
plays upright (it played on its side, with no word said).

The eight whole-quarter matrices (rotations by 0, 90, 180, 270 degrees, with or without a mirror) map to numpy
``rot90`` and ``fliplr`` as FFmpeg's command line turns them when it encodes (its autorotate; ``ffmpeg -i in.mp4
-c:v libx264rgb -qp 0 out.mkv``), checked on each of the eight with FFmpeg 9. A matrix of any other angle is left
as it is.

An anamorphic source (a DVD's 720x480 shown at 16:9, a CCTV recorder's 704x576 with 12:11 pixels) written as a GIF,
an animated WebP or an APNG played squeezed: browsers ignore GIF's aspect byte and PNG's pHYs, and WebP has none.
``Widen`` scales such frames to square pixels (``PICTURE_MUXERS``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

import av
import numpy as np

if TYPE_CHECKING:
    from enlight.stream.io.source_items import VideoInfo

# animated pictures: they hold a picture and nothing else (the sink leaves sound and subtitles out), and their pixel
# aspect ratio is not shown (``Widen``)
PICTURE_MUXERS = ("gif", "webp", "apng")
# muxers that carry the display matrix (FFmpeg writes it to a MOV/MP4 tkhd, a Matroska/WebM projection)
ROTATION_MUXERS = ("mov", "mp4", "ipod", "3gp", "3g2", "ismv", "psp", "matroska", "webm")

# (sign of a, b, c, d) of FFmpeg's display matrix [a b u; c d v; x y w] -> (mirrored first, counterclockwise
# quarter turns), as FFmpeg's autorotate turns the decoded frame
_TURNS = {
    (1, 0, 0, 1): (False, 0), (0, -1, 1, 0): (False, 1), (-1, 0, 0, -1): (False, 2), (0, 1, -1, 0): (False, 3),
    (-1, 0, 0, 1): (True, 0), (0, 1, 1, 0): (True, 1), (1, 0, 0, -1): (True, 2), (0, -1, -1, 0): (True, 3),
}


@dataclass(frozen=True)
class Turn:
    """A frame's way upright: mirrored left to right (``mirror``), then turned counterclockwise by ``quarters``
    quarter turns."""

    mirror: bool
    quarters: int

    @property
    def swaps(self) -> bool:
        """Whether width and height trade places."""
        return self.quarters % 2 == 1

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        """(H, W, ...) -> the upright picture, (W, H, ...) when ``swaps``; contiguous."""
        if self.mirror:
            pixels = pixels[:, ::-1]
        return np.ascontiguousarray(np.rot90(pixels, self.quarters))

    def describe(self) -> str:
        turned = f"turned {90 * self.quarters} degrees counterclockwise" if self.quarters else ""
        mirrored = "mirrored" if self.mirror else ""
        return " and ".join(part for part in (mirrored, turned) if part)


def upright_turn(matrix: tuple[int, ...] | None) -> Turn | None:
    """The turn that FFmpeg's display ``matrix`` (9 int32, as ``VideoInfo.display_matrix``) asks for; None for no
    matrix, the identity, or an angle that is not a whole quarter."""
    if matrix is None:
        return None
    key = tuple(int(np.sign(matrix[i])) if abs(matrix[i]) > (1 << 15) else 0 for i in (0, 1, 3, 4))
    found = _TURNS.get(key)
    if found is None or found == (False, 0):
        return None
    return Turn(*found)


@dataclass(frozen=True)
class Widen:
    """Frames scaled across to ``width`` (bicubic), from pixels ``aspect`` times as wide as tall: square pixels."""

    width: int
    aspect: Fraction

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        """(H, W, 3) or (H, W) uint8 -> (H, ``width``, ...) uint8."""
        fmt = "rgb24" if pixels.ndim == 3 else "gray"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format=fmt)
        return frame.reformat(width=self.width, interpolation="BICUBIC").to_ndarray()


def square_pixels(width: int, aspect: Fraction | None) -> Widen | None:
    """The ``Widen`` for frames ``width`` wide with pixels of ``aspect``; None where the pixels are square."""
    if not aspect or aspect == 1:
        return None
    return Widen(max(1, round(width * aspect)), Fraction(aspect))


def display_steps(info: VideoInfo, *, turn: bool, widen: bool, where: str
                  ) -> tuple[VideoInfo, list[Turn | Widen], list[str]]:
    """What makes ``info``'s frames look as players show them in an output that cannot say how: where ``turn`` (it
    has no rotation tag), the turn upright; where ``widen`` (its pixel aspect ratio is not shown), the scaling to
    square pixels. Returns the written frames' info, the steps in order, and a note on each; where: the output, as
    the notes name it ('a .avi file', 'a picture')."""
    steps: list[Turn | Widen] = []
    notes: list[str] = []
    found = upright_turn(info.display_matrix) if turn else None
    if found is not None:
        sar = info.sample_aspect_ratio
        info = replace(info, width=info.height if found.swaps else info.width,
                       height=info.width if found.swaps else info.height, display_matrix=None,
                       sample_aspect_ratio=1 / sar if sar and found.swaps else sar)
        notes.append(f"the frames were {found.describe()} to play upright, as FFmpeg does: {where} has no rotation "
                     "tag")
        steps.append(found)
    square = square_pixels(info.width, info.sample_aspect_ratio) if widen else None
    if square is not None:
        notes.append(f"the frames were scaled from {info.width}x{info.height} to {square.width}x{info.height}, square "
                     f"pixels: browsers ignore {where}'s pixel aspect ratio ({square.aspect})")
        info = replace(info, width=square.width, sample_aspect_ratio=None)
        steps.append(square)
    return info, steps, notes
