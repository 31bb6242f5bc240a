"""Frames whose picture changes midway, made into the first frame's, which the output holds from start to end.

Real sources change their picture as they go: an HLS or DVR recording switches quality (640x360, then 1280x720,
then back), a broadcast goes from a 4:3 advert to a 16:9 film (DVB: the same 720x576, its pixels 16:15 then 64:45),
a camera switches to full range or from BT.601 to BT.709, clips are joined end to end. The output has one size, one
pixel aspect ratio and one set of colour tags: the first frame's (after ``--size``).

- Colour: each frame is converted to RGB with its own matrix and range (``frame_colour``); the sink writes all of
  them back with the first frame's. A full-range stretch read as limited came out with its levels stretched (white
  229 written as 243), a BT.709 one read as BT.601 with its colours shifted (green 214 as 228).
- Size and shape: a frame of the first frame's shape (as shown: its pixel aspect ratio counted) is scaled to the
  output's size, as FFmpeg does; one of another shape is scaled to fit inside it, keeping its shape, and the rest
  is left black (``Fit``: a 16:9 film in a 4:3 picture letterboxed, a 4:3 advert in a 16:9 one pillarboxed), as a
  television shows it. It was stretched to fill the picture: the 16:9 film of a DVB recording that began with a 4:3
  advert played squeezed to 3/4 of its width, and one whose frames changed their pixel aspect ratio only (the same
  720x576) without a word. A frame's own pixel aspect ratio is read from its AVFrame (``frame_struct``); where it
  names none, the stream's counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from enlight.stream.io.frame_struct import frame_sample_aspect
from enlight.stream.io.frames import ColorInfo, pixel_format
from enlight.stream.io.resize import Resize
from enlight.stream.io.video_stream import container_aspect, sample_aspect

MATRIX_UNSPECIFIED = 2  # AVCOL_SPC_UNSPECIFIED
SAME_SHAPE = Fraction(1, 100)  # shapes as shown within 1% of each other are the same (rounded sizes)


def frame_colour(frame: av.VideoFrame, first: ColorInfo) -> ColorInfo:
    """The colour a decoded ``frame`` is converted to RGB with, in a stream whose first frame had ``first``'s: its own
    matrix and range; where it names none, the stream's as ``first`` has them, else what players assume for its own
    pixel format and size (an untagged stream's HD frames are BT.709 after SD ones of BT.601). ``first`` itself where
    the frame converts as it does."""
    matrix = int(frame.colorspace)
    own = ColorInfo.from_tags(first.matrix if matrix == MATRIX_UNSPECIFIED else matrix,
                              int(frame.color_range) or first.color_range, first.primaries, first.transfer,
                              pix_fmt=pixel_format(frame), width=frame.width, height=frame.height)
    return first if (own.sws_matrix, own.full_range) == (first.sws_matrix, first.full_range) else own


def first_aspect(stream: av.VideoStream, first: av.VideoFrame) -> tuple[Fraction | None, bool]:
    """(the pixel aspect ratio of a ``stream``'s ``first`` decoded frame, None for square pixels; whether each frame's
    own counts): the container's where it sets one over the pictures' (``video_stream.container_aspect``: then for
    every frame), else the frame's own, else the stream's (a segment's decoder reads ahead)."""
    own = frame_sample_aspect(first)
    fixed = container_aspect(stream, own)
    aspect = fixed or own or sample_aspect(stream)
    return (aspect if aspect != 1 else None), fixed is None


@dataclass(frozen=True)
class Fit:
    """Where a frame of another shape lies in the output's picture: scaled to ``width`` x ``height``, its top left
    corner at (``left``, ``top``), black around it."""

    width: int
    height: int
    left: int
    top: int

    def bars(self, width: int) -> str:
        """Where the black is in a picture ``width`` wide, in words."""
        return "above and below" if self.width == width else "at the sides"

    def place(self, pixels: np.ndarray, width: int, height: int) -> np.ndarray:
        """(height, width, ...) of ``pixels`` ((self.height, self.width, ...), any dtype) at this place, 0 around
        them (black RGB; transparent alpha)."""
        out = np.zeros((height, width, *pixels.shape[2:]), pixels.dtype)
        out[self.top:self.top + self.height, self.left:self.left + self.width] = pixels
        return out


def fit_inside(shown: Fraction, target: Fraction, width: int, height: int) -> Fit:
    """The ``Fit`` of a picture shown ``shown`` wide for 1 high in a ``width`` x ``height`` one shown ``target`` wide
    for 1 high: as wide as it where it is wider (bars above and below), else as high (bars at the sides)."""
    ratio = shown / target
    if ratio > 1:
        inner = max(1, round(height / ratio))
        return Fit(width, inner, 0, (height - inner) // 2)
    inner = max(1, round(width * ratio))
    return Fit(inner, height, (width - inner) // 2, 0)


def fit_of(size: tuple[int, int], aspect: Fraction, first_shape: Fraction, target: tuple[int, int]) -> Fit | None:
    """Where a frame ``size`` (width, height) of pixels ``aspect`` wide for 1 high lies in a ``target`` (width, height)
    picture shown ``first_shape`` wide for 1 high: None where it has that shape (within ``SAME_SHAPE``: scaled, it
    fills the picture), else ``fit_inside``'s place."""
    shape = Fraction(size[0] * aspect, size[1])
    return fit_inside(shape, first_shape, *target) if abs(shape / first_shape - 1) > SAME_SHAPE else None


class PictureChanges:
    """The first frame's picture (``first``: the decoded frame; ``size``: the output's (width, height), after
    ``--size``; ``aspect``: its pixel aspect ratio (its own, else the stream's), None for square; ``resize``: the
    ``--size`` scaling of frames like the first), and what each later frame is made into to match it; what was done
    is added to ``notes``, once for each kind of change. ``from_start``: the frames come from the first on; else
    from a later keyframe (a segment), where a change is noted only where it happens between two frames read (the
    segment before, which reads up to this one's start, notes one before). ``own_aspect``: each frame's own pixel
    aspect ratio counts; False where the container sets one over the pictures' (``video_stream.container_aspect``),
    which holds for all of them."""

    def __init__(self, first: av.VideoFrame, size: tuple[int, int], aspect: Fraction | None,
                 resize: Resize | None, notes: list[str], *, from_start: bool = True, own_aspect: bool = True) -> None:
        self.size, self._resize, self.notes, self._own_aspect = size, resize, notes, own_aspect
        self._first = (first.width, first.height)
        self._aspect = aspect or Fraction(1)
        self._shape = Fraction(first.width * self._aspect, first.height)
        self._last = (self._first, self._aspect) if from_start else None  # the frame before's size and pixel shape
        self._noted: set[str] = set()

    def shaped(self, frame: av.VideoFrame, number: int) -> tuple[av.VideoFrame, Fit | None]:
        """(``frame`` (frame ``number`` of the output, from 1) at the output's size, or of another shape at its
        place inside it; that place, None where it fills the picture)."""
        aspect = (frame_sample_aspect(frame) if self._own_aspect else None) or self._aspect
        size = (frame.width, frame.height)
        last, self._last = self._last, (size, aspect)
        if size == self._first and aspect == self._aspect:
            return (frame if self._resize is None else self._resize(frame)), None
        fit = fit_of(size, aspect, self._shape, self.size)
        if last is not None and last != (size, aspect):  # (a segment's first frame: noted by the segment before)
            self._note_change(size, aspect, number, fit)
        width, height = (fit.width, fit.height) if fit is not None else self.size
        if (width, height) != size:
            shrink = width * height < frame.width * frame.height
            frame = frame.reformat(width=width, height=height, interpolation="AREA" if shrink else "BICUBIC")
        return frame, fit

    def _note_change(self, size: tuple[int, int], aspect: Fraction, number: int, fit: Fit | None) -> None:
        """The notes of frame ``number``, of a ``size`` or pixel ``aspect`` ratio the frame before had not, nor the
        first (its ``fit`` in the picture: None where it fills it)."""
        width, height = self.size
        if size != self._first:
            self._note("size", f"the picture size changed from {self._first[0]}x{self._first[1]} to {size[0]}x"
                               f"{size[1]} at frame {number}; frames of another size were scaled to {width}x{height}, "
                               "as FFmpeg does")
        elif aspect != self._aspect:
            self._note("aspect", f"the pixel aspect ratio changed from {ratio_words(self._aspect)} to "
                                 f"{ratio_words(aspect)} at frame {number} (the picture shown "
                                 f"{ratio_words(shown_shape(self._first, self._aspect))}, then "
                                 f"{ratio_words(shown_shape(size, aspect))})")
        if fit is not None:
            self._note("shape", f"frame {number} and others of another shape ({picture_words(size, aspect)}) were "
                                f"scaled to fit inside {width}x{height}, keeping their shape, with black bars "
                                f"{fit.bars(width)}")

    def _note(self, kind: str, text: str) -> None:
        """Add ``text`` to the notes, the first time a change of its ``kind`` is seen."""
        if kind not in self._noted:
            self._noted.add(kind)
            self.notes.append(text)


def ratio_words(value: Fraction) -> str:
    """'16:9' for 16/9."""
    return f"{value.numerator}:{value.denominator}"


def shown_shape(size: tuple[int, int], aspect: Fraction) -> Fraction:
    """The shape a ``size`` picture of pixels ``aspect`` is shown at, width / height (to 1/100: 16:9, 4:3)."""
    return Fraction(size[0] * aspect, size[1]).limit_denominator(100)


def picture_words(size: tuple[int, int], aspect: Fraction) -> str:
    """A picture's size, and the shape it is shown at where its pixels are not square: '720x576 shown 16:9'."""
    shown = "" if aspect == 1 else f" shown {ratio_words(shown_shape(size, aspect))}"
    return f"{size[0]}x{size[1]}{shown}"
