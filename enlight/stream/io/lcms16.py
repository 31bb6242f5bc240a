"""LittleCMS's 16-bit transform, through ctypes: grey, RGB or CMYK pixels of 16 bits through their ICC profile to
sRGB.

    rgb16 = srgb16(grey16, icc)       # (H, W) uint16 grey -> (H, W, 3) uint16 sRGB; ProfileError where it cannot
    rgb16 = srgb16(rgb16, icc)        # (H, W, 3) uint16 RGB in an RGB profile (Display P3) -> (H, W, 3) uint16 sRGB
    rgb16 = srgb16(cmyk16, icc)       # (H, W, 4) uint16 CMYK (0: no ink) -> (H, W, 3) uint16 sRGB

Pillow's ImageCms converts 8-bit pictures only (its images hold no 16-bit colour), so a 16-bit photo's profile is
applied by the same library at 16 bits: Pillow's own copy of LittleCMS (a wheel's ``pillow.libs``/``.dylibs``),
else the system's ``liblcms2``, with Pillow's defaults (perceptual intent, no flags) and its sRGB (LittleCMS's
built-in one), so an 8-bit copy of the photo gets the same colours. ``available()`` says whether one was found
(a Windows wheel links it into Pillow itself: none is).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

_BYTES2 = 2  # lcms2.h: BYTES_SH(2), CHANNELS_SH(n) = n << 3, COLORSPACE_SH(pt) = pt << 16
_TYPE_RGB_16 = (4 << 16) | (3 << 3) | _BYTES2
_TYPE = {1: (3 << 16) | (1 << 3) | _BYTES2, 3: _TYPE_RGB_16, 4: (6 << 16) | (4 << 3) | _BYTES2}  # GRAY, RGB, CMYK
_PERCEPTUAL = 0  # ImageCms.profileToProfile's default intent
# cmsFLAGS_NOOPTIMIZE: each pixel through the profiles' own stages in floating point. LittleCMS's optimised 16-bit
# transform resamples them on a grid (33 points for grey, 17 a side for CMYK): a linear grey profile's darkest tones
# came out at half their sRGB value, up to 9.7 levels of 255 off, and a CMYK one's up to 17 (CMYK: 0.8 s a megapixel
# on one core of this machine, against 0.13; grey goes through a table of its 65536 levels). cmsFLAGS_NOCACHE:
# threads may share it.
_FLAGS = 0x0100 | 0x0040
_ROWS = 256  # rows transformed at a time, by one thread


class ProfileError(ValueError):
    """The profile cannot be applied to these pixels (damaged, or for another colour space)."""


def _candidates() -> list[str]:
    """Where LittleCMS may be: Pillow's own copy beside it (Linux and macOS wheels), then the system's."""
    import PIL

    here = Path(PIL.__file__).parent
    found = sorted(str(p) for folder in (here.parent / "pillow.libs", here / ".dylibs") if folder.is_dir()
                   for p in folder.glob("liblcms2*"))
    system = ctypes.util.find_library("lcms2")
    return found + ([system] if system else [])


@functools.cache
def _library() -> ctypes.CDLL | None:
    """LittleCMS, its functions given their C types; None where no copy loads."""
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
            handles = (lib.cmsOpenProfileFromMem, lib.cmsCreate_sRGBProfile, lib.cmsCreateTransform)
        except (OSError, AttributeError):
            continue
        for function in handles:
            function.restype = ctypes.c_void_p
        lib.cmsOpenProfileFromMem.argtypes = [ctypes.c_char_p, ctypes.c_uint32]
        lib.cmsCreateTransform.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint32,
                                           ctypes.c_uint32, ctypes.c_uint32]
        lib.cmsDoTransform.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32]
        lib.cmsDoTransform.restype = None
        lib.cmsDeleteTransform.argtypes = [ctypes.c_void_p]
        lib.cmsCloseProfile.argtypes = [ctypes.c_void_p]
        return lib
    return None


def available() -> bool:
    """Whether a LittleCMS library was found for 16-bit transforms."""
    return _library() is not None


def srgb16(pixels: np.ndarray, icc: bytes) -> np.ndarray:
    """(H, W) uint16 grey, (H, W, 3) RGB or (H, W, 4) CMYK (0: no ink, 65535: full) in the profile ``icc`` -> (H, W, 3)
    uint16 sRGB. ProfileError where LittleCMS cannot read the profile or it is not for these pixels' colour space;
    RuntimeError where no LittleCMS is found (``available``)."""
    lib = _library()
    if lib is None:
        raise RuntimeError("no LittleCMS library found")
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    source = lib.cmsOpenProfileFromMem(icc, len(icc))
    srgb = lib.cmsCreate_sRGBProfile()
    transform = lib.cmsCreateTransform(source, _TYPE[channels], srgb, _TYPE_RGB_16, _PERCEPTUAL, _FLAGS) \
        if source and channels in _TYPE else None
    try:
        if not transform:
            raise ProfileError("cannot build transform" if source else "cannot open profile")  # (Pillow's words)
        if channels == 1:  # every grey level once (65536 pixels), then looked up: the same values, at once
            table = _run(lib, transform, np.arange(65536, dtype=np.uint16).reshape(256, 256)).reshape(65536, 3)
            return table[pixels]
        return _run(lib, transform, np.ascontiguousarray(pixels, np.uint16))
    finally:
        if transform:
            lib.cmsDeleteTransform(transform)
        for profile in (source, srgb):
            if profile:
                lib.cmsCloseProfile(profile)


def _run(lib: ctypes.CDLL, transform: int, pixels: np.ndarray) -> np.ndarray:
    """(H, W[, C]) contiguous uint16 through ``transform`` -> (H, W, 3) uint16, ``_ROWS`` rows at a time on each of
    the machine's cores (ctypes lets go of the GIL for each call)."""
    height, width = pixels.shape[:2]
    out = np.empty((height, width, 3), np.uint16)

    def rows(top: int) -> None:
        part, done = pixels[top:top + _ROWS], out[top:top + _ROWS]
        lib.cmsDoTransform(transform, part.ctypes.data, done.ctypes.data, part.shape[0] * width)

    tops = range(0, height, _ROWS)
    with ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, len(tops)))) as pool:
        list(pool.map(rows, tops))
    return out
