"""Reading and writing photos: pixels, EXIF orientation, ICC profile, EXIF, XMP, IPTC, comments and PNG text
carried over.

    photo = read_photo(path)          # orientation applied; 16-bit PNG/TIFF, deep HEIF/AVIF kept as rgb16
    write_photo(path, rgb8, photo, rgb16=None, quality=95)   # temp file + atomic rename

8-bit pixels, EXIF and ICC come from Pillow. Pillow keeps no 16-bit RGB, so 16-bit PNG and TIFF
pixels are read by PyAV's (FFmpeg's) png and tiff decoders (rgb48), and a HEIF or AVIF of 10 or 12 bits a channel
by pillow-heif's own reader or FFmpeg's (``enlight.stream.io.deep_photo``), all as 16 bits. A 16-bit PNG is written
by FFmpeg's png encoder with its ICC profile (iCCP), EXIF (eXIf) and XMP (iTXt) chunks added; a 16-bit TIFF by our
own few lines around Pillow's IFD writer (FFmpeg's TIFF encoder writes no ICC, EXIF or XMP); a HEIC at 10 bits by
pillow-heif, with the metadata an 8-bit one has. An alpha channel goes into each as a fourth channel. The EXIF
orientation is applied to the pixels and the tag is written back as 1 (upright), so no viewer turns the picture
twice. A 16-bit (or deep HEIF) file's alpha is read at 16 bits beside its RGB. IPTC (a JPEG's APP13 Photoshop
resources, a TIFF's tags 33723 and 34377), JPEG comments (COM) and PNG text chunks (tEXt, zTXt, iTXt) are written
back where the output format holds them: IPTC in a JPEG or TIFF, a comment in a JPEG or as a PNG's 'Comment' text;
``unkept_metadata`` names the rest. HEIC/HEIF (what phones take) go through pillow-heif's Pillow plugin, AVIF through
Pillow's own (their deep pixels as above).
"""

from __future__ import annotations

import io
import os
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from enlight.errors import EnlightError, disk_full, reason
from enlight.stream.io.annotations import (
    IPTC_TAGS,
    PNG_XMP_KEY,
    RAW_PROFILES,
    Annotations,
    annotation_options,
    as_extended_xmp,
    png_text,
    raw_profile,
    read_annotations,
    tiff_exif,
)
from enlight.stream.io.deep_photo import HEIF_BITS, deep_bits, read_deep, write_heif_deep
from enlight.stream.io.exif_thumbnail import thumbnail_side, with_thumbnail
from enlight.stream.io.exif_types import (
    SUB_IFDS,
    for_tiff,
    keep_maker_note,
    picture_size,
    standard_types,
    standard_types_in_file,
    writable,
)
from enlight.stream.io.temporary import remove_stale, temporary_path

# .jfif, .jpe, .jif: JPEG files as browsers (Chrome, Edge on Windows) and older tools name them
_PIL_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".jfif": "JPEG", ".jpe": "JPEG", ".jif": "JPEG", ".png": "PNG",
                ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP", ".avif": "AVIF", ".heic": "HEIF", ".heif": "HEIF",
                ".bmp": "BMP"}  # BMP: the LIME test set
PHOTO_SUFFIXES = frozenset(_PIL_FORMATS)  # read and written
JPEG_SUFFIXES = frozenset(s for s, kind in _PIL_FORMATS.items() if kind == "JPEG")
# camera RAW photos: read (developed by ``enlight.stream.io.raw_photo``), not written
RAW_SUFFIXES = frozenset({".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf", ".srw", ".pef"})
PHOTO_INPUTS = PHOTO_SUFFIXES | RAW_SUFFIXES
PHOTO_OUTPUTS = ".jpg, .png, .tif, .webp, .avif, .heic or .bmp"  # for messages
SIXTEEN_BIT_SUFFIXES = frozenset({".png", ".tif", ".tiff"})
_HEIF_SUFFIXES = frozenset({".heic", ".heif"})
# the bits a channel each photo output holds of a photo read deeper than 8 (``Photo.rgb16``): the others hold 8
DEEP_OUTPUT_BITS = {".png": 16, ".tif": 16, ".tiff": 16, ".heic": HEIF_BITS, ".heif": HEIF_BITS}
ORIENTATION = 0x0112
# TIFF tags that describe a file's pixel layout (a TIFF's EXIF holds them; they must not follow the pixels)
LAYOUT_TAGS = (254, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 338, 339,
                34675)
_SIXTEEN_BIT = ("rgb48", "rgba64", "gray16", "ya16", "bgr48", "bgra64")
_SIXTEEN_BIT_ALPHA = ("rgba64", "ya16", "bgra64")


def is_photo(path: Path | str) -> bool:
    """Whether ``path`` is named as a photo this tool reads (a camera RAW included)."""
    return Path(str(path)).suffix.lower() in PHOTO_INPUTS


# pictures FFmpeg reads as a video: enhanced as a photo into a photo output when they hold one picture
_ONE_PICTURE_SUFFIXES = frozenset({".gif", ".ico"})


def is_one_picture(path: Path | str) -> bool:
    """Whether the file at ``path`` is a GIF of one picture or an icon (its largest picture is the one read): read
    as a photo when the output is a photo; an animated GIF stays a video."""
    path = Path(str(path))
    if path.suffix.lower() not in _ONE_PICTURE_SUFFIXES or not path.is_file():
        return False
    try:
        with open_image(path) as image:
            return int(getattr(image, "n_frames", 1)) == 1
    except (OSError, ValueError, SyntaxError):
        return False  # (an unreadable file: the video route names the fault)


def is_raw(path: Path | str) -> bool:
    return Path(str(path)).suffix.lower() in RAW_SUFFIXES


# the ftyp brands of HEIF files pillow-heif reads (HEVC stills and sequences, and the general image brands)
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"})


def _holds_heif(path: Path) -> bool:
    """Whether the file at ``path`` starts as a HEIF file does (an ftyp box of a HEIF brand), whatever its name: an
    iPhone's HEIC photo is often named .jpg by the tool that copied or exported it."""
    try:
        with open(path, "rb") as file:
            head = file.read(12)
    except OSError:
        return False
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def require_format_support(path: Path) -> None:
    """Before a .heic/.heif file (or a HEIF file by another name) is read or written, register pillow-heif's plugin
    with Pillow; before an .avif, check that this Pillow has AVIF (11.3 on). A one-line EnlightError when the
    support is missing."""
    suffix = path.suffix.lower()
    if suffix == ".avif":
        from PIL import features

        if not features.check("avif"):
            raise EnlightError(f"{path.name}: this Pillow cannot read or write AVIF (pip install 'pillow>=11.3')")
    if suffix not in _HEIF_SUFFIXES and not _holds_heif(path):
        return
    try:
        import pillow_heif
    except ImportError:
        raise EnlightError(f"{path.name}: HEIC/HEIF photos need pillow-heif (pip install pillow-heif)") from None
    pillow_heif.register_heif_opener()


@dataclass
class Photo:
    """A photo, upright. rgb: (H, W, 3) uint8 RGB; rgb16: (H, W, 3) uint16 RGB for 16-bit sources and HEIF or AVIF
    ones of 10 or 12 bits (N-bit white at 65535), else None; bits: the bits a channel of a file read so (16, 12,
    10), else 8 (a camera RAW developed at 16 bits included: it is no file's depth); alpha: (H, W) uint8 or None;
    alpha16: (H, W) uint16, the alpha of a 16-bit or deep HEIF file at 16 bits, or None; grey: the file holds one
    channel (L, I;16);
    icc: the ICC profile bytes or None; exif: EXIF bytes with orientation 1, or None; xmp: the XMP packet
    (ratings, keywords, creator and copyright, edits) with any orientation in it set to 1, or None; pages: the
    pictures in the file (a multi-page TIFF's pages; an MPO's or Ultra HDR JPEG's second image), of which
    the first is this photo; annotations: its IPTC, comments and PNG text (``Annotations``); thumbnail: the longer
    side of its EXIF thumbnail (``enlight.stream.io.exif_thumbnail``), 0 when it has none; chroma_step: a JPEG's
    chroma DC quantisation step (``enlight.ops.chroma_blocks``), None for other files; dpi: the print resolution
    (horizontal, vertical) of the upright picture where the file states it outside its EXIF (a JPEG's JFIF header,
    a PNG's pHYs chunk, a TIFF's own tags), else None."""

    rgb: np.ndarray
    rgb16: np.ndarray | None
    alpha: np.ndarray | None
    grey: bool
    icc: bytes | None
    exif: bytes | None
    format: str
    xmp: bytes | None = None
    pages: int = 1  # a multi-page TIFF's (or MPO's) pictures: the first is the photo
    alpha16: np.ndarray | None = None
    annotations: Annotations = Annotations()
    thumbnail: int = 0
    chroma_step: int | None = None
    dpi: tuple[float, float] | None = None
    lossless: str | None = None  # how the file is compressed without loss, to write it so again (``_lossless``)
    bits: int = 8


# the lossless compressions of a TIFF that Pillow writes again (an LZW or deflate TIFF was written uncompressed)
_TIFF_LOSSLESS = frozenset({"tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits"})


def _lossless(path: Path, image) -> str | None:
    """How an open Pillow image stores its pixels without loss, where its format has a lossy way too or a
    compressed one: 'webp' for a lossless WebP (a VP8L picture; it was written lossy), a TIFF's compression
    ('tiff_lzw', ...; it was written uncompressed, twice the size); None otherwise."""
    if image.format == "TIFF":
        return image.info.get("compression") if image.info.get("compression") in _TIFF_LOSSLESS else None
    if image.format != "WEBP":
        return None
    with open(path, "rb") as file:
        data = file.read(1 << 16)
    at = 12  # RIFF chunks after 'RIFF' size 'WEBP': VP8X, ICCP, ANIM, ALPH ... before the picture's
    while at + 8 <= len(data):
        kind, size = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "little")
        if kind in (b"VP8L", b"VP8 "):
            return "webp" if kind == b"VP8L" else None
        at += 8 + size + (size & 1)
    return None


def _dpi(stated, orientation: int) -> tuple[float, float] | None:
    """Pillow's ``info["dpi"]`` of a file (dots per inch, as stored), for the upright picture (orientations 5-8 turn
    it a quarter: the two swap); None where it is missing or not two positive numbers (a JFIF aspect ratio alone)."""
    try:
        x, y = (float(v) for v in stated)
    except (TypeError, ValueError):
        return None
    if not (0 < x < 1e6 and 0 < y < 1e6):
        return None
    return (y, x) if orientation in (5, 6, 7, 8) else (x, y)


def _orientation(value) -> int:
    """An EXIF Orientation as Pillow read it -> 1..8; 1 (as stored) where a damaged field holds no such number (text,
    a number out of range), as viewers show such a photo: it was refused as 'not an image, or truncated/corrupt'."""
    try:
        found = int(value[0] if isinstance(value, tuple) else value)
    except (TypeError, ValueError, IndexError):
        return 1
    return found if 1 <= found <= 8 else 1


def orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1..8) to (H, W, ...) pixels, as ``PIL.ImageOps.exif_transpose`` does."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(orientation)
    return np.ascontiguousarray(op(pixels)) if op else pixels


def _read_deep(path: Path, fmt: str, size: tuple[int, int]) -> tuple[np.ndarray | None, np.ndarray | None, int]:
    """(H, W, 3) uint16 RGB of a 16-bit PNG/TIFF (via FFmpeg) or of a HEIF or AVIF of more than 8 bits
    (``read_deep``: Pillow's format name ``fmt``, its picture's ``size``), as stored, its (H, W) uint16 alpha (None
    without one, or where only Pillow reads it) and the file's bits a channel; (None, None, 8) for 8-bit files."""
    found = read_deep(path, fmt, size) if fmt in ("HEIF", "AVIF") else None
    if found is not None:
        return found.rgb16, found.alpha16, found.bits
    rgb16, alpha16 = _read_16bit(path)
    return rgb16, alpha16, 8 if rgb16 is None else 16


def _read_16bit(path: Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(H, W, 3) uint16 RGB of a 16-bit PNG/TIFF (via FFmpeg) and its (H, W) uint16 alpha (None without one);
    (None, None) for 8-bit files."""
    if path.suffix.lower() not in SIXTEEN_BIT_SUFFIXES:
        return None, None
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
    except (av.error.FFmpegError, StopIteration):
        return None, None
    if not frame.format.name.startswith(_SIXTEEN_BIT):
        return None, None
    if not frame.format.name.startswith(_SIXTEEN_BIT_ALPHA):
        return frame.to_ndarray(format="rgb48le"), None
    rgba = frame.to_ndarray(format="rgba64le")
    return np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3])


ALPHA_FORMATS = ("PNG", "WEBP", "TIFF", "AVIF", "HEIF")  # Pillow's names of the photo formats written with alpha
LOSSY_FORMATS = ("JPEG", "WEBP", "AVIF", "HEIF")  # ... and those written at --photo-quality
LOSSY_SUFFIXES = frozenset(s for s, kind in _PIL_FORMATS.items() if kind in LOSSY_FORMATS)


def _alpha(image) -> np.ndarray | None:
    """(H, W) uint8 alpha of a Pillow image, or None: its A channel, or a palette's or colour key's
    transparency (PNG tRNS, GIF) as Pillow's RGBA conversion reads it."""
    if image.mode in ("RGBA", "LA", "PA"):
        return np.asarray(image.getchannel("A"))
    if "transparency" in image.info:
        return np.asarray(image.convert("RGBA").getchannel("A"))
    return None


_OTHER_COLOUR_SPACES = (b"CMYK", b"GRAY", b"CMY ", b"Lab ", b"XYZ ", b"YCbr")  # ICC colour space signatures


def _rgb8_in_profile(image, icc: bytes | None) -> tuple[np.ndarray, bytes | None]:
    """(H, W, 3) uint8 RGB of a Pillow image and the ICC profile that describes it. A profile for another
    colour space (a CMYK or grey one: its header says so at bytes 16-20) cannot tag RGB pixels: the pixels
    are converted through it to sRGB, which is then their profile; where it cannot be applied, the pixels
    are Pillow's plain conversion, untagged (a CMYK-tagged RGB file is misread or refused by colour-managed
    programs)."""
    if not icc or icc[16:20] not in _OTHER_COLOUR_SPACES:  # RGB, or a header we cannot read: kept as it is
        return _rgb8(image), icc
    from PIL import ImageCms

    try:
        srgb = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), srgb,
                                              outputMode="RGB")
        return np.asarray(converted), ImageCms.ImageCmsProfile(srgb).tobytes()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return _rgb8(image), None


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


@contextmanager
def open_image(path: Path) -> Iterator:
    """``with open_image(path) as image``: ``PIL.Image.open(path)``, read without Pillow's decompression-bomb guard,
    which warns from 89 megapixels and refuses from 179: a phone's 108- or 200-megapixel photo (16320x12240) is no
    bomb. The memory a photo needs is weighed against the run's instead, from its header before it is decoded
    (``enlight.stream.apps.photo.tile_layout``)."""
    from PIL import Image

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(path) as image:
            yield image
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def photo_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a photo's header, without decoding it; None where it cannot be read (the run
    reports why)."""
    if is_raw(path):
        from enlight.stream.io.raw_photo import raw_size

        return raw_size(path)
    try:
        require_format_support(path)
        with open_image(path) as image:
            return image.size
    except (OSError, ValueError, EnlightError):
        return None


def written_bits(path: Path, deep: bool) -> int:
    """The bits a channel a photo output at ``path`` is written at: ``DEEP_OUTPUT_BITS`` where the result is
    ``deep`` (it has ``rgb16``), else 8."""
    return DEEP_OUTPUT_BITS.get(Path(path).suffix.lower(), 8) if deep else 8


def eight_bits(rgb16: np.ndarray) -> np.ndarray:
    """(..., 3) uint16 -> the same as uint8, rounded (one 8-bit step = 257): what the model sees of a 16-bit photo."""
    return ((rgb16.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _chroma_step(image) -> int | None:
    """The chroma DC quantisation step of an open JPEG (its second table's first entry: how coarsely each 16x16
    block's average colour is stored); None for another kind of file, or a grey JPEG."""
    tables = getattr(image, "quantization", None) or {}
    return int(tables[1][0]) if 1 in tables and len(tables[1]) else None


def exif_with_size(exif: bytes | None, width: int, height: int) -> bytes | None:
    """EXIF bytes whose PixelXDimension and PixelYDimension (where it has them) say ``width`` x ``height``."""
    if not exif:
        return exif
    from PIL import Image

    parsed = Image.Exif()
    parsed.load(exif)
    picture_size(parsed, width, height)
    return parsed.tobytes()


def holds_deep(path: Path) -> bool:
    """Whether the photo at ``path`` is read as 16 bits (``Photo.rgb16``), from its header: a camera RAW, a PNG of
    16-bit samples, a TIFF of 16-bit samples, named .png, .tif or .tiff (what FFmpeg is asked to read 16 bits of,
    whichever of the two the file is: a JPEG or PNG named .tif was an internal error), a HEIF (by its name or its
    first bytes) or an .avif of more than 8 bits; False where it cannot be told."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in RAW_SUFFIXES:
        return True
    if suffix == ".avif" or suffix in _HEIF_SUFFIXES or _holds_heif(path):
        return deep_bits(path, "AVIF" if suffix == ".avif" else "HEIF") > 8
    if suffix not in SIXTEEN_BIT_SUFFIXES:
        return False
    try:
        with open(path, "rb") as file:
            head = file.read(25)
        if head.startswith(b"\x89PNG"):
            return len(head) == 25 and head[12:16] == b"IHDR" and head[24] == 16
        with open_image(path) as image:
            bits = image.tag_v2.get(258, (8,)) if image.format == "TIFF" else (8,)
            return max(bits if isinstance(bits, tuple) else (bits,)) >= 16
    except (OSError, ValueError, SyntaxError):
        return False


_TOO_MANY = re.compile(r"Metadata Warning, tag (\d+) had too many entries: (\d+), expected (\d+)")


@contextmanager
def _metadata_said(path: Path) -> Iterator[None]:
    """Meanwhile Pillow's warning of a malformed TIFF or EXIF field ('Metadata Warning, tag 271 had too many
    entries: 6, expected 1') is said as what it means for the photo: which field, and that its first value is kept.
    Other warnings go on as they are."""
    import warnings

    from PIL import TiffTags

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        found = _TOO_MANY.fullmatch(str(warning.message))
        if found is None:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
            continue
        tag, count, expected = (int(x) for x in found.groups())
        name = TiffTags.lookup(tag).name
        field_name = f"{name} (tag {tag})" if name != "unknown" else f"tag {tag}"
        warnings.warn(f"{path.name}: its metadata field {field_name} holds {count} values where {expected} belongs; "
                      "the first is kept", stacklevel=2)


def read_photo(path: Path) -> Photo:
    """Read a photo (a camera RAW developed: ``enlight.stream.io.raw_photo``); one-line EnlightError when it cannot
    be read. A malformed metadata field is said in words (``_metadata_said``)."""
    if is_raw(path):
        from enlight.stream.io.raw_photo import read_raw

        return read_raw(path)
    require_format_support(path)
    with _metadata_said(path):
        return _read_pillow_photo(path)


def _read_pillow_photo(path: Path) -> Photo:
    from PIL import UnidentifiedImageError

    try:
        with open_image(path) as image:
            orientation = _orientation(image.getexif().get(ORIENTATION, 1))  # as stored: read before load()
            thumbnail = thumbnail_side(image)
            raw_exif = image.info.get("exif")  # as the file has it: where its maker note was
            image.load()
            exif = image.getexif()
            # Pillow's TIFF loader turns the pixels itself and drops the tag; FFmpeg's 16-bit pixels are as stored
            turned = orientation != 1 and ORIENTATION not in exif
            icc = image.info.get("icc_profile")
            xmp = upright_xmp(image)
            annotations = read_annotations(image)
            fmt = image.format or ""
            chroma_step = _chroma_step(image)
            dpi = _dpi(image.info.get("dpi"), orientation)
            lossless = _lossless(path, image)
            pages = int(getattr(image, "n_frames", 1) or 1)
            grey = image.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
            alpha = _alpha(image)
            rgb, icc = _rgb8_in_profile(image, icc)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, TypeError, OverflowError) as exc:
        # (a damaged TIFF: Pillow's 'Missing dimensions' TypeError for a page without a size, an OverflowError for
        # a size past 32 bits)
        raise EnlightError(f"cannot read {path}: not an image, or truncated/corrupt ({reason(exc)})") from None
    rgb16, alpha16, bits = _read_deep(path, fmt, (rgb.shape[1], rgb.shape[0]))  # (as stored, as Pillow's)
    pillow_turn = 1 if turned else orientation
    rgb, alpha = orient(rgb, pillow_turn), orient(alpha, pillow_turn) if alpha is not None else None
    if rgb16 is not None:
        rgb16 = orient(rgb16, orientation)
        rgb = eight_bits(rgb16)
    return Photo(
        rgb=rgb,
        rgb16=rgb16,
        alpha=alpha,
        grey=grey,
        icc=icc,
        exif=upright_exif(exif, raw_exif, rgb.shape[1], rgb.shape[0]),
        format=fmt,
        xmp=xmp,
        pages=pages,
        alpha16=orient(alpha16, orientation) if alpha16 is not None else None,
        annotations=annotations,
        thumbnail=thumbnail,
        chroma_step=chroma_step,
        dpi=dpi,
        lossless=lossless,
        bits=bits,
    )


def upright_exif(exif, raw: bytes | None, width: int, height: int) -> bytes | None:
    """Pillow's ``Image.Exif`` of a picture written upright at ``width`` x ``height``, as the bytes to write: its
    orientation 1, its picture size the one written, the TIFF layout tags left with the input's pixels and the IPTC
    ones out (they go with the annotations), each field of its standard type, the maker note where ``raw`` (the
    EXIF as the file had it) had it; None where none is left."""
    if ORIENTATION in exif:
        exif[ORIENTATION] = 1
    picture_size(exif, width, height)
    for tag in (*LAYOUT_TAGS, *IPTC_TAGS):  # the IPTC tags are in the annotations
        exif.pop(tag, None)
    return keep_maker_note(standard_types(writable(exif)), raw) if len(exif) else None


_XMP_ORIENTATION = re.compile(rb'(tiff:Orientation\s*=\s*["\']|<tiff:Orientation>)[1-8]')  # attribute or element


def xmp_packet(image) -> bytes | None:
    """An open Pillow image's XMP packet as it is stored (JPEG APP1, PNG iTXt or ImageMagick's raw profile, WebP,
    AVIF/HEIF, TIFF tag 700); None without one."""
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if image.format == "TIFF" and not xmp:
        xmp = image.tag_v2.get(700)
    if image.format == "PNG" and not xmp:  # ImageMagick's (``RAW_PROFILES``)
        xmp = raw_profile(image.info, RAW_PROFILES["xmp"])
    if not xmp:
        return None
    return xmp.encode() if isinstance(xmp, str) else bytes(xmp)


def upright_xmp(image) -> bytes | None:
    """``xmp_packet`` with its orientation set to 1, as the EXIF's is (the pixels are stored upright)."""
    xmp = xmp_packet(image)
    return None if xmp is None else _XMP_ORIENTATION.sub(rb"\g<1>1", xmp)


def photo_format(path: Path) -> str:
    """Pillow's format name for an output photo's extension; one-line EnlightError for others."""
    fmt = _PIL_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise EnlightError(f"cannot write a photo as '{path.suffix}' (use {PHOTO_OUTPUTS})")
    return fmt


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _add_png_metadata(data: bytes, photo: Photo) -> bytes:
    """Insert iCCP, eXIf, the XMP iTXt and the text chunks after IHDR (8-byte signature + 25-byte IHDR chunk)."""
    extra = b""
    if photo.icc:
        extra += _png_chunk(b"iCCP", b"icc\0\0" + zlib.compress(photo.icc))
    if photo.exif:
        extra += _png_chunk(b"eXIf", photo.exif[6:] if photo.exif.startswith(b"Exif\0\0") else photo.exif)
    if photo.xmp:  # keyword, no compression, no language, no translated keyword, the packet
        extra += _png_chunk(b"iTXt", PNG_XMP_KEY + b"\0\0\0\0\0" + photo.xmp)
    for kind, chunk, *_ in png_text(photo.annotations).chunks:
        extra += _png_chunk(kind, chunk)
    if photo.dpi:  # pixels per metre, unit 1 (the metre), in place of the encoder's (its aspect ratio, 1:1)
        extra += _png_chunk(b"pHYs", struct.pack(">IIB", *(round(d / 0.0254) for d in photo.dpi), 1))
        data = _without_chunks(data, b"pHYs")
    return data[:33] + extra + data[33:]


def png_chunks(data: bytes | bytearray) -> Iterator[tuple[int, bytes, int]]:
    """(offset, type, data length) of each chunk of a PNG file's bytes, after its 8-byte signature."""
    at = 8
    while at + 12 <= len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        yield at, bytes(data[at + 4:at + 8]), length
        at += 12 + length


def _without_chunks(data: bytes, kind: bytes) -> bytes:
    """A PNG file's bytes without its chunks of ``kind``."""
    return data[:8] + b"".join(data[at:at + 12 + length] for at, found, length in png_chunks(data) if found != kind)


def metadata_options(fmt: str, icc: bytes | None, exif: bytes | None, xmp: bytes | None) -> dict:
    """Pillow's save options that write an ICC profile, EXIF and an XMP packet (each where not None) in a ``fmt``
    file."""
    options: dict = {}
    if icc:
        options["icc_profile"] = icc
    if exif:
        options["exif"] = exif
    if xmp and fmt == "TIFF":  # tag 700 of the TIFF's own IFD, with the EXIF's tags (beside a ``tiffinfo``
        from PIL import Image  # Pillow writes no EXIF)

        merged = Image.Exif()
        if exif:
            merged.load(exif)
        merged[700] = xmp
        options["exif"] = merged
    elif xmp:
        options |= _xmp_options(fmt, xmp)
    return options


def _xmp_options(fmt: str, xmp: bytes) -> dict:
    """Pillow's save options that write the XMP packet ``xmp`` in a ``fmt`` file."""
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_itxt(PNG_XMP_KEY.decode(), xmp.decode("utf-8", "replace"))
        return {"pnginfo": info}
    return {"xmp": xmp}  # JPEG, WebP, AVIF, HEIF (a TIFF's: ``metadata_options``)


_PNG16 = {1: "gray16be", 3: "rgb48be", 4: "rgba64be"}  # channels -> FFmpeg's 16-bit PNG pixel format


def _write_16bit(path: Path, rgb16: np.ndarray, photo: Photo) -> None:
    """A 16-bit PNG (FFmpeg's png encoder; ICC, EXIF and XMP chunks added) or TIFF (``_write_16bit_tiff``);
    the alpha, where the photo has one, as a fourth 16-bit channel (``_with_alpha16``); one channel (and its alpha)
    where a grey source stays grey (``stays_grey``; a 16-bit grey PNG with alpha is written RGBA: PyAV makes no
    frame of grey and alpha)."""
    pixels = _with_alpha16(rgb16, photo)
    fmt = photo_format(path)
    if stays_grey(rgb16, photo, fmt) and (fmt == "TIFF" or pixels.shape[2] == 3):
        pixels = pixels[..., ::3]  # the grey channel, and the alpha where there is one
    if path.suffix.lower() != ".png":
        _write_16bit_tiff(path, pixels, photo)
        return
    pix_fmt = _PNG16[pixels.shape[2]]
    height, width = rgb16.shape[:2]
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels.squeeze(2) if pixels.shape[2] == 1 else pixels),
                                           format=pix_fmt[:-2] + "le")
        container.mux(stream.encode(frame.reformat(format=pix_fmt)))
        container.mux(stream.encode(None))
    path.write_bytes(_add_png_metadata(path.read_bytes(), photo))


def _with_alpha16(rgb16: np.ndarray, photo: Photo) -> np.ndarray:
    """(H, W, 3) uint16 RGB, or (H, W, 4) with the photo's alpha appended: its 16-bit alpha as read, else its
    8-bit alpha times 257."""
    if photo.alpha16 is not None:
        return np.concatenate([rgb16, photo.alpha16[..., None]], axis=2)
    if photo.alpha is None:
        return rgb16
    return np.concatenate([rgb16, (photo.alpha.astype(np.uint16) * 257)[..., None]], axis=2)



def _write_16bit_tiff(path: Path, pixels16: np.ndarray, photo: Photo) -> None:
    """An uncompressed 16-bit little-endian TIFF: header, one IFD (Pillow's writer: the photo's EXIF tags, its
    Exif and GPS sub-IFDs, ICC tag 34675, XMP tag 700, IPTC tags 33723 and 34377), then the pixels as one strip.
    FFmpeg's TIFF encoder writes none of the metadata; Pillow holds no 16-bit RGB, but its IFD writer places the
    strip right after the IFD (StripOffsets = offset + the IFD's length), where the pixels are written."""
    from PIL import Image, TiffImagePlugin

    pixels = np.ascontiguousarray(pixels16.astype("<u2"))  # (H, W, samples): grey, grey + alpha, RGB or RGBA
    height, width, samples = pixels.shape
    ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=b"II*\x00\x08\x00\x00\x00")
    ifd[282], ifd[283], ifd[296] = *(photo.dpi or (72.0, 72.0)), 2  # the photo's, or 72 dpi; or the EXIF's below
    if photo.exif:
        exif = Image.Exif()
        exif.load(photo.exif)
        for_tiff(exif)
        for tag, value in exif.items():
            if tag not in SUB_IFDS and tag not in LAYOUT_TAGS:  # the sub-IFDs' pointers are rewritten
                ifd[tag] = value
        for tag in SUB_IFDS:
            if exif.get_ifd(tag):
                ifd[tag] = exif.get_ifd(tag)
    ifd[256], ifd[257], ifd[258], ifd[259] = width, height, (16,) * samples, 1
    ifd[262] = 2 if samples >= 3 else 1  # PhotometricInterpretation: RGB, or BlackIsZero
    ifd[274] = ifd.get(274, 1)  # the Photo's EXIF says 1 (read_photo applied the turn)
    ifd[277], ifd[278], ifd[284] = samples, height, 1
    ifd[273], ifd[279] = 0, pixels.nbytes  # StripOffsets: set by tobytes to just after the IFD
    if samples in (2, 4):
        ifd[338] = 2  # ExtraSamples: unassociated alpha
    iptc, photoshop = photo.annotations.iptc, photo.annotations.photoshop
    for tag, data, kind in ((34675, photo.icc, 7), (700, photo.xmp, 1), (33723, iptc, 7), (34377, photoshop, 1)):
        if data:
            ifd[tag], ifd.tagtype[tag] = data, kind
    with open(path, "wb") as out:
        out.write(b"II*\x00" + struct.pack("<I", 8) + ifd.tobytes(8))
        out.write(pixels.tobytes())


GREY_FORMATS = ("PNG", "JPEG", "TIFF", "BMP")  # Pillow's names of the formats written with one channel (and alpha)
DPI_FORMATS = ("PNG", "JPEG", "TIFF", "BMP")  # Pillow's names of the formats that state a resolution outside EXIF


def stays_grey(rgb: np.ndarray, photo: Photo, fmt: str) -> bool:
    """Whether an 8-bit output keeps the one channel of a grey source file: the file held one (``photo.grey``), its
    enhanced pixels (H, W, 3) are grey, the format holds one channel, and no profile came with it (an RGB profile, as
    a grey one becomes on reading, cannot tag one channel). A grey source written as RGB took three times the bytes and
    a JPEG's two chroma planes, for the same picture."""
    if not photo.grey or photo.icc or fmt not in GREY_FORMATS:
        return False
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))


_JPEG_SEGMENT = 65533  # the most a JPEG segment holds after its 2-byte length
_JPEG_XMP_ID = len(b"http://ns.adobe.com/xap/1.0/\0")  # what comes before the XMP packet in its segment


def too_long_for_jpeg(photo: Photo) -> tuple[str, ...]:
    """What of the photo's EXIF a JPEG output leaves out, in words for the run's note: one JPEG segment holds 64 kB
    (a TIFF's EXIF with a long description can be more), and Pillow refused to write the whole file for it. (An XMP
    packet that long goes into the JPEG as extended XMP: ``_jpeg_xmp``.)"""
    if not photo.exif or len(photo.exif) <= _JPEG_SEGMENT:
        return ()
    return (f"EXIF ({len(photo.exif) / 1024:.0f} kB: a JPEG holds 64 kB; .png, .tif or .webp keep it)",)


def _jpeg_xmp(photo: Photo) -> tuple[bytes | None, Annotations]:
    """The XMP packet to write in a JPEG's XMP segment and the annotations to write with it: the photo's own, where
    the packet fits one segment; else a main packet that names the whole one, written in extended XMP segments
    (``as_extended_xmp``: a Photoshop or Lightroom file's XMP can carry megabytes of document history, where Pillow
    refused to write the JPEG at all)."""
    xmp = photo.xmp
    if not xmp or len(xmp) <= _JPEG_SEGMENT - _JPEG_XMP_ID:
        return xmp, photo.annotations
    main, extended = as_extended_xmp(xmp)
    return main, replace(photo.annotations, extended_xmp=extended)


# the most pixels a side that libjpeg-turbo, libwebp and AV1 take (past them: 'broken data stream', an internal error)
_MOST_A_SIDE = {"JPEG": 65500, "WEBP": 16383, "AVIF": 65536}


def check_fits_format(path: Path, width: int, height: int) -> None:
    """One-line EnlightError where a ``width`` x ``height`` picture is larger than the photo format of ``path``
    holds (a phone's or a stitcher's panorama): before it is enhanced, not after."""
    most = _MOST_A_SIDE.get(photo_format(path))
    if most is not None and max(width, height) > most:
        raise EnlightError(f"a {width}x{height} photo is larger than a {path.suffix} file holds ({most} pixels a side "
                           "at most); write it as .png or .tif")


def _write_8bit(path: Path, rgb: np.ndarray, photo: Photo, fmt: str, quality: int) -> None:
    from PIL import Image

    require_format_support(path)
    if stays_grey(rgb, photo, fmt):
        image = Image.fromarray(np.ascontiguousarray(rgb[..., 0]), "L")
    else:
        image = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    if photo.alpha is not None and fmt in ALPHA_FORMATS:
        image.putalpha(Image.fromarray(photo.alpha, "L"))
    image.save(path, format=fmt, **_save_options(rgb, photo, fmt, quality))


def _save_options(rgb: np.ndarray, photo: Photo, fmt: str, quality: int) -> dict:
    """Pillow's save options of a ``fmt`` file of the enhanced (H, W, 3) uint8 ``rgb`` (a JPEG's EXIF thumbnail is
    made of it) with ``photo``'s metadata, at ``quality`` (pillow-heif's writer takes them too)."""
    exif = tiff_exif(photo.exif, photo.annotations) if fmt == "TIFF" else photo.exif
    xmp, annotations = _jpeg_xmp(photo) if fmt == "JPEG" else (photo.xmp, photo.annotations)
    if fmt == "JPEG" and too_long_for_jpeg(photo):
        exif = None  # (the summary names it)
    if exif and fmt == "JPEG":
        exif = with_thumbnail(exif, rgb, photo.thumbnail)  # the old one would preview the dark original
    options = annotation_options(fmt, annotations, metadata_options(fmt, photo.icc, exif, xmp))
    if fmt in LOSSY_FORMATS:
        options["quality"] = quality
    if fmt == "WEBP" and photo.lossless == "webp":
        options["lossless"] = True  # (its quality is then the effort)
    if fmt == "TIFF" and photo.lossless in _TIFF_LOSSLESS:
        options["compression"] = photo.lossless
    if fmt == "JPEG" and quality >= 90:
        options["subsampling"] = 0  # 4:4:4: no colour bleeding at high quality
    if photo.dpi and fmt in DPI_FORMATS and not (fmt == "TIFF" and _has_resolution(exif)):
        options["dpi"] = photo.dpi
    return options


def _has_resolution(exif) -> bool:
    """Whether EXIF (bytes or an ``Image.Exif``) states a resolution (XResolution, tag 282): a TIFF takes it as its
    own, where Pillow's ``dpi`` would be a second value for the same tag."""
    from PIL import Image

    if not exif:
        return False
    if isinstance(exif, bytes):
        loaded = Image.Exif()
        loaded.load(exif)
        exif = loaded
    return 282 in exif


def write_photo(path: Path, rgb: np.ndarray, photo: Photo, *, rgb16: np.ndarray | None = None, quality: int = 95,
                overwrite: bool = False, trailer: bytes = b"") -> Path:
    """Write an enhanced photo to ``path`` through a temporary file and an atomic rename.

    rgb: (H, W, 3) uint8; rgb16: (H, W, 3) uint16, written instead where the format holds more than 8 bits
    (PNG, TIFF: 16; HEIF: 10, ``DEEP_OUTPUT_BITS``); quality: JPEG/WebP/AVIF/HEIF quality 1..100. The ICC, EXIF,
    XMP and, where the format holds them, the IPTC, comments and PNG text of ``photo`` are carried over. trailer:
    bytes written after the picture (a motion photo's clip, ``enlight.stream.apps.motion_clip``).
    """
    fmt = photo_format(path)
    check_fits_format(path, rgb.shape[1], rgb.shape[0])

    def write(tmp: Path) -> None:
        if rgb16 is not None and path.suffix.lower() in SIXTEEN_BIT_SUFFIXES:
            _write_16bit(tmp, rgb16, photo)
        elif rgb16 is not None and fmt == "HEIF":
            require_format_support(path)
            write_heif_deep(tmp, _with_alpha16(rgb16, photo), _save_options(rgb, photo, fmt, quality))
        else:
            _write_8bit(tmp, rgb, photo, fmt, quality)
        if fmt == "TIFF":
            standard_types_in_file(tmp)
        if trailer:
            with open(tmp, "ab") as out:
                out.write(trailer)

    return atomic_write(path, write, overwrite=overwrite)


def atomic_write(path: Path, write: Callable[[Path], None], *, overwrite: bool = False) -> Path:
    """``write(tmp)`` a file into a temporary path beside ``path``, then rename it to ``path``: a reader never sees
    half a file, and a failure leaves nothing (one-line EnlightError)."""
    remove_stale(path)  # what a run killed outright left for this output
    tmp = temporary_path(path)
    try:
        write(tmp)
        if path.exists() and not overwrite:
            raise EnlightError(f"{path} appeared while enhancing; kept nothing (use --force)")
        os.replace(tmp, path)
    except (OSError, ValueError, RuntimeError, av.error.FFmpegError) as exc:  # RuntimeError: HEIF's, AVIF's encoder
        raise EnlightError(disk_full(exc, path.parent) or f"cannot write {path}: {reason(exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path
