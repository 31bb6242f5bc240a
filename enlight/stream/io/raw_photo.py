"""Camera RAW photos (DNG, CR2, CR3, NEF, ARW, ORF, RW2, RAF, SRW, PEF), developed by LibRaw (rawpy).

A night shot kept as RAW holds what the camera's JPEG throws away: 12-14 bits of shadow detail before any tone
curve or noise reduction. It is developed here as a neutral starting point for the network, the way a RAW
converter opens a file before anyone touches a slider:

- the camera's white balance as shot, demosaiced (LibRaw's AHD), in sRGB with the sRGB curve, 16 bits;
- no automatic brightening (LibRaw's default clips the brightest 1% to white: the street lamps of a night shot)
  and no exposure shift: the network lifts the picture, from the exposure the camera recorded;
- turned upright as the file says (LibRaw applies the orientation).

The developed picture is a 16-bit photo: a .tif or .png output keeps 16 bits (``enlight.stream.apps.photo_deep``),
a .jpg gets 8.
The camera's EXIF (make, model, date, exposure, lens, GPS), read from a TIFF-based RAW's first directory and its
Exif and GPS directories, goes with the output, orientation 1; the maker note does not (its offsets point into
the RAW file); it says sRGB and the developed size, and gains the fields EXIF requires where the RAW lacks them
(resolution, versions). CR3 and RAF are not TIFF-based: their output carries no EXIF.

    photo = read_raw(path)      # enlight.stream.io.photo_reader.Photo, format 'RAW'
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from enlight.errors import EnlightError, reason
from enlight.stream.io.exif_types import picture_size, standard_types, writable
from enlight.stream.io.photo_reader import Photo, eight_bits

RAW_OUTPUT_SUFFIX = ".tif"  # a RAW in a folder is written as NAME.DNG.tif: 16 bits kept, beside the camera's JPEG
SRGB_GAMMA = (2.4, 12.92)  # LibRaw's (power, toe slope) of the sRGB curve; its default is BT.709's (2.222, 4.5)
# the first directory's tags that describe the shot rather than the RAW's own pixels
_SHOT_TAGS = (270, 271, 272, 305, 306, 315, 33432, 0x8769, 0x8825)
_MAKER_NOTE = 0x927C
# what EXIF requires of a JPEG's first and Exif directories, where the RAW's own EXIF does not have it (a RAW keeps
# its resolution and versions elsewhere): 72 dpi, centred chroma, Exif 2.32, Flashpix 1.0, YCbCr component order
# (the last left out of a TIFF)
_REQUIRED_FIRST = {282: 72.0, 283: 72.0, 296: 2, 531: 1}
_REQUIRED_EXIF = {0x9000: b"0232", 0xA000: b"0100", 0x9101: b"\x01\x02\x03\x00"}


def _rawpy(path: Path):
    """The rawpy module; a one-line EnlightError where it is missing."""
    try:
        import rawpy
    except ImportError:
        raise EnlightError(f"cannot read {path}: camera RAW photos need rawpy (pip install rawpy), or develop it "
                           "into a .tif first") from None
    return rawpy


def raw_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of the developed picture, upright, from the RAW's header; None where it cannot be read."""
    try:
        rawpy = _rawpy(path)
    except EnlightError:
        return None
    try:
        with rawpy.imread(str(path)) as raw:
            sizes = raw.sizes
    except (rawpy.LibRawError, OSError, ValueError):
        return None
    turned = sizes.flip in (5, 6)
    return (sizes.height, sizes.width) if turned else (sizes.width, sizes.height)


def read_raw(path: Path) -> Photo:
    """Develop the RAW photo at ``path`` (module docstring): a Photo with rgb16 (H, W, 3) uint16 and rgb its 8-bit
    rounding; a one-line EnlightError where LibRaw cannot read it, or rawpy is missing."""
    rawpy = _rawpy(path)
    try:
        with rawpy.imread(str(path)) as raw:
            rgb16 = raw.postprocess(use_camera_wb=True, output_color=rawpy.ColorSpace.sRGB, output_bps=16,
                                    no_auto_bright=True, gamma=SRGB_GAMMA)
    except (rawpy.LibRawError, OSError, ValueError) as exc:
        raise EnlightError(f"cannot read {path}: not a camera RAW photo LibRaw reads, or truncated/corrupt "
                           f"({reason(exc) or type(exc).__name__})") from None
    rgb16 = np.ascontiguousarray(rgb16)
    rgb = eight_bits(rgb16)
    return Photo(rgb=rgb, rgb16=rgb16, alpha=None, grey=False, icc=None,
                 exif=camera_exif(path, rgb.shape[1], rgb.shape[0]), format="RAW")


def camera_exif(path: Path, width: int, height: int) -> bytes | None:
    """The shot's EXIF of a TIFF-based RAW file (``_SHOT_TAGS`` of its first directory, with their Exif and GPS
    directories, less the maker note), orientation 1, the picture size ``width`` x ``height``; None where the file
    is not TIFF-based or holds none of them."""
    from PIL import Image

    with open(path, "rb") as file:
        head = file.read(4)
        if head not in (b"II*\0", b"MM\0*"):
            return None
        data = head + file.read()
    exif = Image.Exif()
    try:
        exif.load(data)
        for tag in [tag for tag in exif if tag not in _SHOT_TAGS]:
            del exif[tag]
        if 0x8769 in exif:
            exif.get_ifd(0x8769).pop(_MAKER_NOTE, None)
    except (OSError, ValueError, SyntaxError, KeyError):
        return None
    if not len(exif):
        return None
    exif[274] = 1
    for tag, value in _REQUIRED_FIRST.items():
        exif.setdefault(tag, value)
    shot = exif.get_ifd(0x8769)
    for tag, value in _REQUIRED_EXIF.items():
        shot.setdefault(tag, value)
    shot[0xA001] = 1  # ColorSpace: sRGB, as developed (a RAW's own may say 'uncalibrated')
    shot[0xA002], shot[0xA003] = width, height  # PixelXDimension, PixelYDimension: the developed picture's
    picture_size(exif, width, height)
    return standard_types(writable(exif))
