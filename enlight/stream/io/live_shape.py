"""A live source's frames made into the run's picture, which the window, the recording and the stream out show.

The run's picture is its first frame's: that size, or ``--size`` as shown (``resize.scaled_to``, as a file run
scales: a quarter-turned phone clip's 360x640 is its upright size, and the pixel aspect ratio is set so that the
picture keeps its shape), with that pixel aspect ratio (``picture_changes.first_aspect``: the container's over the
pictures', else the frame's, else the stream's). Real live sources have pixels that are not square: an SD capture
card or a DVB or SDI feed (720x576 shown 16:9, pixels 64:45; 720x480 shown 16:9, 32:27), a CCTV recorder's RTSP
stream (704x576 shown 4:3, 960x576 shown 16:9), an anamorphic MPEG-TS over UDP. The ratio went nowhere: the window
showed such a picture squeezed (a 16:9 picture at 5:4) and the recording and the stream out had square pixels.
``aspect`` is now the ratio of the frames published (upright, so a quarter turn inverts it), which they carry.

A later frame (a camera or stream that switches resolution, a broadcast's 16:9 film after a 4:3 advert in the same
720x576, a stream that comes back at another size) of the first's shape as shown, its pixel aspect ratio counted,
is scaled to the run's size, as FFmpeg does; one of another shape is scaled to fit inside it, its shape kept, black
around it (``picture_changes.fit_of``; it was stretched), as a file run does (``picture_changes``), with a note
for each size and pixel aspect ratio.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import av

from enlight.stream.io.frame_struct import frame_sample_aspect
from enlight.stream.io.picture_changes import (
    Fit,
    first_aspect,
    fit_of,
    picture_words,
    ratio_words,
    shown_shape,
)
from enlight.stream.io.resize import scaled_to
from enlight.stream.io.upright import Turn

Size = tuple[int, int]


class LiveShape:
    """Decoded frames -> the run's picture: ``begin`` each time the source opens, then ``shaped`` each frame.
    ``size``: ``--size`` (width, height as shown), None for the first frame's; ``name``: the source, for the notes."""

    def __init__(self, size: Size | None, name: str, log: Callable[[str], None]) -> None:
        self.size, self.name, self.log = size, name, log
        self.target: Size = (0, 0)  # (width, height) frames are made, as stored
        self.aspect: Fraction | None = None  # the published (upright) frames' pixel aspect ratio; None: square
        self._first: tuple[Size, Fraction] | None = None  # the run's first frame: (width, height) decoded, its pixels
        self._shown_target: Size = (0, 0)  # ``target`` upright, for the notes
        self._stream_aspect, self._own = Fraction(1), True
        self._noted: set[tuple[Size, Fraction]] = set()

    def begin(self, stream: av.VideoStream, first: av.VideoFrame, turn: Turn | None) -> None:
        """The source (re)opened: ``stream``'s pixel aspect ratio from its ``first`` frame; on the run's first, the
        run's picture (``turn``: the display turn the frames are published upright with)."""
        aspect, self._own = first_aspect(stream, first)
        self._stream_aspect = aspect or Fraction(1)
        if self._first is not None:
            return
        decoded, own = (first.width, first.height), self.pixel_aspect(first)
        swaps = turn is not None and turn.swaps
        self._first = (decoded, own)
        stored = own
        self.target = decoded
        if self.size is not None:
            scaled = scaled_to(self.size, *decoded, own, swaps=swaps)
            self.target, stored = (scaled.width, scaled.height), scaled.aspect
        upright = 1 / stored if swaps else stored
        self.aspect = None if upright == 1 else upright
        self._shown_target = self.target[::-1] if swaps else self.target

    def pixel_aspect(self, frame: av.VideoFrame) -> Fraction:
        """A decoded frame's pixel aspect ratio: its own where it names one and the container sets none, else the
        stream's (1: square)."""
        return (frame_sample_aspect(frame) if self._own else None) or self._stream_aspect

    def shaped(self, frame: av.VideoFrame, number: int) -> tuple[av.VideoFrame, Fit | None]:
        """(``frame`` (the ``number``-th captured, from 1) at ``target``, or of another shape at its place inside
        it; that place, None where it fills the picture). Frames are scaled with swscale's default (bilinear)."""
        decoded, aspect = (frame.width, frame.height), self.pixel_aspect(frame)
        first_size, first_pixels = self._first
        fit = None
        if (decoded, aspect) != self._first:
            fit = fit_of(decoded, aspect, Fraction(first_size[0] * first_pixels, first_size[1]), self.target)
            self._note(decoded, aspect, number, fit)
        width, height = (fit.width, fit.height) if fit is not None else self.target
        if (width, height) != decoded:
            frame = frame.reformat(width=width, height=height)
        return frame, fit

    def _note(self, decoded: Size, aspect: Fraction, number: int, fit: Fit | None) -> None:
        """The note of frame ``number``, of a size or pixel ``aspect`` ratio the first frame had not (``fit``: where
        it lies in the picture, None where it fills it), once for each."""
        if (decoded, aspect) in self._noted:
            return
        self._noted.add((decoded, aspect))
        (first, first_pixels), (width, height) = self._first, self._shown_target
        at = f"{width}x{height} (--size)" if self.size else \
            f"{width}x{height}, the size the run started at (--size sets the size)"
        how = f"scaled to {at}, as FFmpeg does" if fit is None else \
            f"scaled to fit inside {at}, keeping their shape, with black bars {fit.bars(self.target[0])}"
        if decoded != first:
            what = f"its picture size from {picture_words(first, first_pixels)} to {picture_words(decoded, aspect)}"
        else:
            what = (f"its pixel aspect ratio from {ratio_words(first_pixels)} to {ratio_words(aspect)} (the picture "
                    f"shown {ratio_words(shown_shape(first, first_pixels))}, then "
                    f"{ratio_words(shown_shape(decoded, aspect))})")
        self.log(f"note: {self.name} changed {what} at frame {number}; its frames are {how}")
