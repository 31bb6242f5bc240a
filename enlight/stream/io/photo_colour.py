"""A photo's pixels made RGB that its profile tag describes, where the file's ICC profile is for another colour
space (grey, CMYK: bytes 16-20 of its header say which) or the file is CMYK: at 8 bits and at 16.

    rgb, icc, note = rgb8_in_profile(image, icc)                     # (H, W, 3) uint8 of a Pillow image
    found = deep_in_profile(rgb16, alpha16, image.mode, icc, cmyk8, bits)  # DeepColour (its rgb16 None: 8 bits)

An RGB profile (Adobe RGB, Display P3, ProPhoto, sRGB) tags RGB pixels as they are: kept with them, 8-bit or 16.
A grey or CMYK one cannot tag RGB output, so the pixels are converted through it to sRGB, which is then their
profile: 8-bit ones by Pillow's ImageCms, 16-bit (and deep HEIF/AVIF) ones by the same LittleCMS at 16 bits
(``enlight.stream.io.lcms16``). Their 16-bit pixels were kept as stored and tagged sRGB (a picture in a linear grey
profile came out 16.5 CIELAB units off an 8-bit copy's on average), and a 16-bit CMYK TIFF's inks were taken as RGB
and its black ink as alpha (71.6 units off through its profile). Where a profile cannot be applied, or a CMYK file
has none, the colours are Pillow's plain conversion (inks (1 - c)(1 - k) ...), untagged, and ``note`` says so; where
16 bits cannot be converted (no LittleCMS library found; FFmpeg reads a big-endian 16-bit CMYK TIFF only as its own
RGB), the 8-bit result stands, and its note says that.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np

from enlight.stream.io import lcms16

_SPACES = {b"CMYK": "CMYK", b"GRAY": "grey", b"CMY ": "CMY", b"Lab ": "Lab", b"XYZ ": "XYZ",
           b"YCbr": "YCbCr"}  # ICC colour space signatures that cannot tag RGB pixels
GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")  # Pillow modes of a one-channel file


@dataclass(frozen=True)
class DeepColour:
    """rgb16: (H, W, 3) uint16 in the profile ``icc`` (None: untagged), or None where 16 bits could not be
    converted; alpha16: (H, W) uint16 or None; note: what could not be done honestly ('' when nothing)."""

    rgb16: np.ndarray | None
    alpha16: np.ndarray | None
    icc: bytes | None
    note: str = ""


def profile_space(icc: bytes | None) -> str | None:
    """The name of the non-RGB colour space an ICC profile is for ('grey', 'CMYK' ...); None for RGB or none."""
    return _SPACES.get(icc[16:20]) if icc else None


@functools.cache
def srgb_profile() -> bytes:
    """LittleCMS's sRGB profile, as Pillow's ImageCms makes it: what converted pixels are tagged with (made once: a
    sequence's frames each ask for it)."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _plain_note(space: str | None, why: str) -> str:
    if space is None:
        return "a CMYK photo without a CMYK ICC profile: its inks converted to RGB by the plain formula, untagged"
    return (f"its {space} ICC profile could not be applied, LittleCMS said '{why}': colours converted without it, "
            "untagged")


def rgb8_in_profile(image, icc: bytes | None) -> tuple[np.ndarray, bytes | None, str]:
    """(H, W, 3) uint8 RGB of a Pillow image, the ICC profile that describes it and a note (module docstring): a
    grey or CMYK profile applied through ImageCms to sRGB; an RGB one, or a header we cannot read, kept."""
    space = profile_space(icc)
    if space is None and image.mode == "CMYK":  # (an RGB profile cannot tag it either)
        return _rgb8(image), None, _plain_note(None, "")
    if space is None:
        return _rgb8(image), icc, ""
    from PIL import ImageCms

    if image.mode == "LA":  # ImageCms read Pillow's 4-byte LA pixels as 2-byte ones (the alpha is read apart)
        image = image.getchannel("L")
    try:
        converted = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                              ImageCms.createProfile("sRGB"), outputMode="RGB")
        return np.asarray(converted), srgb_profile(), ""
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        return _rgb8(image), None, _plain_note(space, str(exc) or type(exc).__name__)


def _rgb8(image) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a Pillow image (16-bit grey scaled down; floating-point grey, ``_float_scale``)."""
    if image.mode.startswith("I") or image.mode == "F":
        values = np.asarray(image).astype(np.float64)
        if image.mode == "F":
            values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        top = float(values.max()) if values.size else 0.0
        scale = _float_scale(top) if image.mode == "F" else (1 / 257 if top > 255 else 1.0)
        grey = np.clip(np.round(values * scale), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    return np.array(image.convert("RGB"))


def _float_scale(top: float) -> float:
    """The factor to 0-255 levels of a floating-point picture (a 32-bit float TIFF) whose largest value is ``top``:
    1 is white in 0-1 pictures, as scientific cameras, renderers and image libraries write them (read as levels,
    their content rounded to black and one level: a flat grey); 255 or 65535 is white where the values go past 1."""
    if top <= 1.0:
        return 255.0
    return 1.0 if top <= 255.0 else 1 / 257


def deep_in_profile(rgb16: np.ndarray, alpha16: np.ndarray | None, mode: str, icc: bytes | None,
                    cmyk8: np.ndarray | None, bits: int) -> DeepColour:
    """The 16-bit pixels of a ``bits``-bit photo as ``rgb8_in_profile`` makes its 8-bit ones. rgb16: (H, W, 3)
    uint16 as read (grey on three channels; a CMYK TIFF's C, M, Y as FFmpeg gives them, its K as ``alpha16``);
    mode: Pillow's mode of the file; cmyk8: (H, W, 4) uint8, Pillow's CMYK of it (None unless CMYK), the same way
    up. Its ``rgb16`` is None where 16 bits cannot be converted: the 8-bit result stands, and its note says why."""
    space = profile_space(icc)
    if mode != "CMYK" and space is None:
        return DeepColour(rgb16, alpha16, icc)
    pixels = rgb16[..., 0] if mode in GREY_MODES else rgb16
    if mode == "CMYK":
        pixels, alpha16 = _cmyk16(rgb16, alpha16, cmyk8), None  # (the alpha was the black ink)
        if pixels is None:
            return _at_eight(bits, "CMYK", "FFmpeg gives this TIFF's inks only as its own RGB")
    why = "no profile"
    if space is not None:
        if not lcms16.available():
            return _at_eight(bits, space, "no LittleCMS library was found for 16 bits")
        try:
            return DeepColour(lcms16.srgb16(pixels, icc), alpha16, srgb_profile())
        except lcms16.ProfileError as exc:
            why = str(exc)
    plain = _plain_cmyk16(pixels) if mode == "CMYK" else rgb16
    return DeepColour(plain, alpha16, None, _plain_note(space, why))


def _at_eight(bits: int, space: str, why: str) -> DeepColour:
    return DeepColour(None, None, None, f"its {bits}-bit {space} pixels were converted to RGB at 8 bits: {why}")


def _cmyk16(rgb16: np.ndarray, alpha16: np.ndarray | None, cmyk8: np.ndarray | None) -> np.ndarray | None:
    """(H, W, 4) uint16 inks of a 16-bit CMYK TIFF from FFmpeg's RGBA (its little-endian files: the inks as
    stored), where they agree with Pillow's 8-bit inks (``cmyk8``) to a level; None where they do not (a big-endian
    file, which FFmpeg converts to RGB itself)."""
    if alpha16 is None or cmyk8 is None or cmyk8.shape[:2] != rgb16.shape[:2]:
        return None
    inks = np.concatenate([rgb16, alpha16[..., None]], axis=2)
    as_eight = (inks.astype(np.int32) + 128) // 257
    return inks if int(np.abs(as_eight - cmyk8).max(initial=0)) <= 1 else None


def _plain_cmyk16(inks: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint16 inks -> (H, W, 3) uint16 RGB by Pillow's own formula, at 16 bits: (1 - c)(1 - k) ..."""
    paper = 65535 - inks.astype(np.uint32)
    return ((paper[..., :3] * paper[..., 3:] + 32767) // 65535).astype(np.uint16)
