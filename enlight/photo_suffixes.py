"""The photo files enlight-video reads, by name: one list for the product (``enlight.stream.io.photo_formats``, which
adds what each holds and how it is read) and for training (``enlight.train.data``, which does not import
``enlight.stream`` and names the photos the product reads that it does not).

    PILLOW_FORMATS[".ppm"] -> 'PPM'      # read and written, through Pillow (and the readers it leaves deep pixels to)
    usual_suffix('JPEG2000') -> '.jp2'   # the name a message gives each format; PHOTO_OUTPUTS: the photos written
    RAW_SUFFIXES, PHOTO_INPUTS           # camera RAW photos: read, not written; every photo read
    PLAIN_PILLOW_SUFFIXES                # those Pillow reads without a plugin: what training reads
"""

from __future__ import annotations

# suffix -> Pillow's name of its format. .jfif, .jpe, .jif: JPEG files as browsers (Chrome, Edge on Windows) and
# older tools name them; BMP: the LIME test set; Netpbm's .ppm (colour), .pgm (grey) and .pnm (either), and its PAM
# (.pam: enlight.stream.io.pam's plugin); Targa; JPEG 2000 in its JP2 file (.jp2; .jpf and .jpx, the names of its
# part 2 files, where they hold what OpenJPEG reads) or as a bare codestream (.j2k); JXL: enlight.stream.io.jpeg_xl's
# plugin
PILLOW_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".jfif": "JPEG", ".jpe": "JPEG", ".jif": "JPEG", ".png": "PNG",
                  ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP", ".avif": "AVIF", ".heic": "HEIF", ".heif": "HEIF",
                  ".bmp": "BMP", ".jxl": "JXL", ".ppm": "PPM", ".pgm": "PPM", ".pnm": "PPM", ".tga": "TGA",
                  ".pam": "PAM", ".jp2": "JPEG2000", ".j2k": "JPEG2000", ".jpf": "JPEG2000", ".jpx": "JPEG2000"}
# the photos written, as messages and --help name them: each format by its usual name (.pgm and .pnm too: grey and
# either), in the order a user looks for them
PHOTO_OUTPUTS = ".jpg, .png, .tif, .webp, .avif, .heic, .jxl, .bmp, .ppm, .pgm, .pnm, .pam, .tga or .jp2"


def usual_suffix(kind: str) -> str:
    """The name messages give files of Pillow's format ``kind`` ('JPEG' -> '.jpg'): its first in
    ``PILLOW_FORMATS``."""
    return next(suffix for suffix, named in PILLOW_FORMATS.items() if named == kind)


# camera RAW photos: read (developed by ``enlight.stream.io.raw_photo``), not written
RAW_SUFFIXES = frozenset({".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf", ".srw", ".pef"})
PHOTO_INPUTS = frozenset(PILLOW_FORMATS) | RAW_SUFFIXES
# Pillow's names of the formats it reads only with a package beside it (pillow-heif, pyjpegxl), from 11.3 on (AVIF)
# or with our plugin (PAM)
PLUGIN_FORMATS = frozenset({"HEIF", "AVIF", "JXL", "PAM"})
# what Pillow reads by itself: the photos training reads (``enlight.train.data``)
PLAIN_PILLOW_SUFFIXES = frozenset(s for s, kind in PILLOW_FORMATS.items() if kind not in PLUGIN_FORMATS)
