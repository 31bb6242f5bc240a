"""A before/after video (``--compare split`` or ``side``): the dark original beside its enhanced frames, to judge
the enhancement on one's own footage or to show it.

    split   the picture's left half as it was, its right half enhanced, a thin grey line between them (the size
            of the source)
    side    the whole original on the left, the enhanced picture on the right (twice as wide)

Both are made the way the picture is shown: a phone's portrait clip (landscape frames with a quarter-turn display
matrix, which the output keeps) is split down the middle of the upright picture, and its two pictures stand side by
side when played, not one above the other. The "before" is the decoded frame as the model received it (after
``--size`` and the chroma floor). A still photo is composed the same way (``compared_photo``), at 16 bits where
it is written at 16, its EXIF saying the new size.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from enlight.stream.io.photo_metadata import exif_with_size, upright_xmp
from enlight.stream.io.photo_reader import Photo
from enlight.stream.io.upright import Turn, upright_turn

if TYPE_CHECKING:
    from enlight.stream.io.source_items import VideoInfo

COMPARE_MODES = ("split", "side")
LINE_LEVEL = 128  # the split line's grey
LINE_WIDTH = 2


def compared_info(info: VideoInfo, mode: str | None) -> VideoInfo:
    """``info`` of the frames written: twice as wide as shown for ``side``, as they are otherwise."""
    if mode != "side":
        return info
    turn = upright_turn(info.display_matrix)
    if turn is not None and turn.swaps:
        return replace(info, height=2 * info.height)
    return replace(info, width=2 * info.width)


class Compare:
    """Composes a (before, after) pair of (H, W, 3) uint8 frames as ``mode`` asks, for frames shown with
    ``display_matrix``."""

    def __init__(self, mode: str, display_matrix: tuple[int, ...] | None) -> None:
        if mode not in COMPARE_MODES:
            raise ValueError(f"unknown compare mode {mode}")
        self.mode = mode
        self.turn: Turn | None = upright_turn(display_matrix)

    def _upright(self, pixels: np.ndarray) -> np.ndarray:
        return pixels if self.turn is None else self.turn(pixels)

    def _stored(self, pixels: np.ndarray) -> np.ndarray:
        """The upright picture back in the frames' stored orientation (the inverse of the display turn)."""
        if self.turn is None:
            return pixels
        back = np.rot90(pixels, -self.turn.quarters)
        return np.ascontiguousarray(back[:, ::-1] if self.turn.mirror else back)

    def alpha(self, alpha: np.ndarray | None) -> np.ndarray | None:
        """A frame's (H, W) alpha for the composed frame: beside itself for ``side``; as it is for ``split``."""
        if alpha is None or self.mode != "side":
            return alpha
        shown = self._upright(alpha)
        return self._stored(np.concatenate([shown, shown], axis=1))

    def __call__(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """(H, W, ...) uint8 or uint16 each (RGB, or an alpha plane) -> (H, W, ...) for ``split``, (H, 2W, ...) as
        shown for ``side``; the split line grey at 8 bits or 16."""
        shown_before, shown_after = self._upright(before), self._upright(after)
        if self.mode == "side":
            return self._stored(np.concatenate([shown_before, shown_after], axis=1))
        width = shown_after.shape[1]
        middle = width // 2
        out = shown_after.copy()
        out[:, :middle] = shown_before[:, :middle]
        level = LINE_LEVEL * 257 if out.dtype == np.uint16 else LINE_LEVEL
        out[:, max(0, middle - LINE_WIDTH // 2): middle + LINE_WIDTH - LINE_WIDTH // 2] = level
        return self._stored(out)


def compared_photo(mode: str, photo: Photo, enhanced: np.ndarray, rgb16: np.ndarray | None
                   ) -> tuple[Photo, np.ndarray, np.ndarray | None]:
    """A photo (upright, as read) and its enhanced (H, W, 3) uint8 picture (and 16-bit one) composed as ``mode``
    asks: (the photo to write with, its alpha beside itself for ``side`` and its EXIF and XMP saying the new size; the
    8-bit picture; the 16-bit one or None)."""
    compose = Compare(mode, None)
    picture = compose(photo.rgb, enhanced)
    deep = compose(photo.rgb16, rgb16) if rgb16 is not None and photo.rgb16 is not None else None
    if mode == "side":
        photo = replace(photo, alpha=None if photo.alpha is None else compose(photo.alpha, photo.alpha),
                        alpha16=None if photo.alpha16 is None else compose(photo.alpha16, photo.alpha16),
                        exif=exif_with_size(photo.exif, picture.shape[1], picture.shape[0]),
                        xmp=upright_xmp(photo.xmp, picture.shape[1], picture.shape[0]))
    return photo, picture, deep
