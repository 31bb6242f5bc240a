"""8-bit RGB pixels in an RGB ICC profile (Adobe RGB, Display P3, ProPhoto: a camera's or a phone's pictures)
converted through it to sRGB, for an output that holds no profile: a video is tagged BT.709/sRGB, and a player shows
its pixels as sRGB's (a dark Adobe RGB picture's, kept as they were, came out 9.7 CIELAB units off the same picture
enhanced as a photo and shown through its profile).

    found = srgb_transform(icc)        # RgbTransform, built once per distinct profile
    rgb = found.apply(rgb)             # (H, W, 3) uint8 in the profile -> (H, W, 3) uint8 sRGB

Pillow's ImageCms (LittleCMS) at 8 bits, perceptual intent, as a grey photo's profile is applied
(``enlight.stream.io.photo_colour``). A profile that is sRGB already (LittleCMS's, the IEC one, a camera's copy of
it: a few test colours come back within a level) needs no conversion (``found.srgb``); one LittleCMS cannot build a
transform from has none, and ``found.why`` says what LittleCMS said.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Any

import numpy as np

_TEST_LEVELS = (0, 40, 100, 180, 255)  # each channel's levels in the test colours (125 of them)
_SRGB_WITHIN = 1  # levels: a profile whose test colours all come back this near is sRGB


@dataclass(frozen=True)
class RgbTransform:
    """An RGB profile's way to sRGB. transform: Pillow's ImageCms transform (None: none to apply); name: the
    profile's description ('Compatible with Adobe RGB (1998)'; '' where it has none); srgb: it is sRGB already;
    why: LittleCMS's words where no transform could be built ('' otherwise)."""

    transform: Any
    name: str
    srgb: bool = False
    why: str = ""

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB in the profile -> (H, W, 3) uint8 sRGB (a new, writable array); ``rgb`` itself where
        there is no transform to apply."""
        if self.transform is None:
            return rgb
        from PIL import Image

        image = Image.fromarray(np.ascontiguousarray(rgb))
        self.transform.apply_in_place(image)
        return np.array(image)


@functools.lru_cache(maxsize=8)
def srgb_transform(icc: bytes) -> RgbTransform:
    """The transform of 8-bit RGB pixels in the RGB profile ``icc`` to sRGB (module docstring), cached: a sequence's
    thousands of pictures carry a handful of distinct profiles."""
    from PIL import Image, ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        name = (ImageCms.getProfileDescription(profile) or "").strip()
        transform = ImageCms.buildTransform(profile, ImageCms.createProfile("sRGB"), "RGB", "RGB",
                                            renderingIntent=ImageCms.Intent.PERCEPTUAL)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        return RgbTransform(None, "", why=str(exc) or type(exc).__name__)
    levels = np.array(_TEST_LEVELS, dtype=np.uint8)
    colours = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(1, -1, 3)
    found = np.asarray(transform.apply(Image.fromarray(colours))).astype(np.int16)
    if int(np.abs(found - colours).max()) <= _SRGB_WITHIN:
        return RgbTransform(None, name, srgb=True)
    return RgbTransform(transform, name)


def in_srgb(pixels: np.ndarray, icc: bytes | None) -> np.ndarray:
    """(H, W, 3) uint8 or uint16 RGB in the RGB profile ``icc`` -> the same in sRGB, for an output that is written
    tagged sRGB whatever the photo's profile (a .jxl: ``enlight.stream.io.jpeg_xl``): 8 bits through
    ``srgb_transform``, 16 through LittleCMS at 16 bits (``enlight.stream.io.lcms16``). As they are where ``icc`` is
    None or sRGB already, or cannot be applied (``srgb_note`` says so)."""
    from enlight.stream.io import lcms16

    if not icc:
        return pixels
    found = srgb_transform(icc)
    if found.srgb or found.transform is None:
        return pixels
    if pixels.dtype == np.uint8:
        return found.apply(pixels)
    try:
        return lcms16.srgb16(np.ascontiguousarray(pixels), icc)
    except (RuntimeError, lcms16.ProfileError):
        return pixels


def srgb_note(icc: bytes | None, suffix: str, *, deep: bool) -> str:
    """What ``in_srgb`` does to a photo in the profile ``icc`` written as a ``suffix`` file that holds sRGB only,
    in words for the run's note; '' where nothing changes (no profile, or sRGB). deep: the pixels are 16-bit."""
    from enlight.stream.io import lcms16

    if not icc:
        return ""
    found = srgb_transform(icc)
    if found.srgb:
        return ""
    name = f"its ICC profile ({found.name})" if found.name else "its ICC profile"
    if found.transform is None or (deep and not lcms16.available()):
        why = found.why or "no LittleCMS library was found for 16 bits"
        return f"{name} could not be applied ({why}): a {suffix} file is written here as sRGB, its colours as they are"
    return (f"{name} is not kept: a {suffix} file is written here as sRGB, so its colours were converted (any outside "
            "sRGB clipped); .png and .tif keep the profile")
