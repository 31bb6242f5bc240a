"""Frames scaled to the size asked for (``--size 1920x1080``, ``1280x`` to keep the picture's shape, or ``720p``: its
short side): a 4K night clip enhanced and written at 1080p, four times faster on a CPU.

The size is the picture as it is shown: a phone's portrait clip (landscape frames and a quarter-turn display
matrix) asked for 720x1280 has its frames scaled to 1280x720, which the matrix still turns. A side left out (-1)
follows the shown picture's shape (its pixel aspect ratio counted), rounded to an even number, as FFmpeg's scale
filter does. ``720p`` (a width of ``SHORT_SIDE``) is 720 on the shown picture's short side and its shape kept: a
landscape clip 1280x720, a phone's portrait clip 720x1280, as a folder of both is meant. The pixel
aspect ratio is then set so the picture keeps the shape it had (scale's default): a size of another shape is shown
letterboxed by players, not squeezed. Frames are scaled by area averaging when they shrink
(swscale's AREA: no aliasing in the fine textures of a night scene) and bicubically when they grow; a frame flagged
interlaced is scaled field by field (swscale does so for such frames: checked, a DVD's fields stay apart), and the
output keeps its field order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

import av

from enlight.errors import EnlightError
from enlight.stream.io.upright import upright_turn

if TYPE_CHECKING:
    from enlight.stream.io.source_items import VideoInfo


SHORT_SIDE = 0  # a size's width that makes its height the short side (``--size 720p`` -> (SHORT_SIDE, 720))


def _even(value: Fraction) -> int:
    return max(2, 2 * round(value / 2))


def fit_size(size: tuple[int, int], width: int, height: int, aspect: Fraction | None = None) -> tuple[int, int]:
    """``size`` (width, height; one side may be -1; (``SHORT_SIDE``, N): N on the short side) for a picture ``width``
    x ``height`` shown with pixels ``aspect`` times as wide as tall: the -1 side from the shown shape, even."""
    want_w, want_h = size
    shown = Fraction(width * (aspect or 1), height)
    if want_w == -1 and want_h == -1:
        raise EnlightError("--size needs one side at least (1280x or x720)")
    if want_w == SHORT_SIDE:
        return (_even(want_h * shown), want_h) if shown >= 1 else (want_h, _even(want_h / shown))
    if want_w == -1:
        return _even(want_h * shown), want_h
    if want_h == -1:
        return want_w, _even(want_w / shown)
    return want_w, want_h


@dataclass(frozen=True)
class Resize:
    """Scales decoded frames to ``width`` x ``height`` (stored, before any display turn)."""

    width: int
    height: int

    def __call__(self, frame: av.VideoFrame) -> av.VideoFrame:
        """A frame of any size -> this size, in its own pixel format."""
        if (frame.width, frame.height) == (self.width, self.height):
            return frame
        shrink = self.width * self.height < frame.width * frame.height
        return frame.reformat(width=self.width, height=self.height, interpolation="AREA" if shrink else "BICUBIC")


@dataclass(frozen=True)
class Scaled:
    """A picture scaled to a ``--size``: its frames ``width`` x ``height`` as stored, shown ``shown`` (width, height;
    turned where a display turn swaps the sides), their pixels ``aspect`` wide for 1 high so that the picture keeps
    the shape it had."""

    width: int
    height: int
    shown: tuple[int, int]
    aspect: Fraction


def scaled_to(size: tuple[int, int], width: int, height: int, aspect: Fraction | None, *, swaps: bool) -> Scaled:
    """``size`` (as shown: ``fit_size``'s) of frames ``width`` x ``height`` stored with pixels ``aspect`` (None:
    square), which a display turn that ``swaps`` the sides stands upright."""
    shown_w, shown_h = (height, width) if swaps else (width, height)
    shown_aspect = (1 / aspect if aspect else None) if swaps else aspect
    want_w, want_h = fit_size(size, shown_w, shown_h, shown_aspect)
    new_w, new_h = (want_h, want_w) if swaps else (want_w, want_h)
    return Scaled(new_w, new_h, (want_w, want_h), Fraction(width * (aspect or 1) * new_h, height * new_w))


def resized(info: VideoInfo, size: tuple[int, int]) -> tuple[VideoInfo, Resize | None, str | None]:
    """(``info`` of the frames at the shown ``size``, the ``Resize`` that makes them, a note), or (``info``, None,
    None) where the frames are that size already."""
    turn = upright_turn(info.display_matrix)
    swaps = turn is not None and turn.swaps
    scaled = scaled_to(size, info.width, info.height, info.sample_aspect_ratio, swaps=swaps)
    if (scaled.width, scaled.height) == (info.width, info.height):
        return info, None, None
    was_w, was_h = (info.height, info.width) if swaps else (info.width, info.height)
    width, height, new_sar = scaled.width, scaled.height, scaled.aspect
    info = replace(info, width=width, height=height, sample_aspect_ratio=None if new_sar == 1 else new_sar)
    shape = "" if new_sar == 1 else f", pixels {new_sar.numerator}:{new_sar.denominator} to keep the picture's shape"
    want_w, want_h = scaled.shown
    return info, Resize(width, height), f"frames scaled from {was_w}x{was_h} to {want_w}x{want_h} (--size){shape}"
