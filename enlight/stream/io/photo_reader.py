"""Reading a photo: pixels, EXIF orientation, ICC profile, EXIF, XMP, IPTC, comments and PNG text.

    photo = read_photo(path)          # orientation applied; 16-bit PNG/TIFF, deep HEIF/AVIF/JPEG XL kept as rgb16

8-bit pixels, EXIF and ICC come from Pillow. Pillow keeps no 16-bit RGB, so 16-bit PNG and TIFF
pixels are read by PyAV's (FFmpeg's) png and tiff decoders (rgb48), as are a Netpbm file's of more than 8 bits (a
maxval past 255: Pillow read a PPM's at 8; a PAM's 8 bits, .pam, through ``enlight.stream.io.pam``'s plugin) and a
JPEG 2000's (Pillow read a colour one's at 8; its ICC profile, in the JP2's colour box, and its comments are read by
``enlight.stream.io.jpeg2000``), and a HEIF or AVIF of 10 or 12 bits a channel
by pillow-heif's own reader or FFmpeg's (``enlight.stream.io.deep_photo``), and a JPEG XL of more than 8 by libjxl
(``enlight.stream.io.jpeg_xl``), and a 32-bit floating-point TIFF's (a grey one's values by Pillow, an RGB one's, which
Pillow does not open, by FFmpeg, its tags by Pillow's EXIF reader: ``enlight.stream.io.float_photo``), all as 16
bits. The EXIF orientation is
applied to the pixels and the tag is set to 1 (upright: ``enlight.stream.io.photo_metadata``), so no viewer turns the
picture twice. A 16-bit (or deep HEIF) file's alpha is read at 16 bits beside its RGB. IPTC (a JPEG's APP13 Photoshop
resources, a TIFF's tags 33723 and 34377), JPEG comments (COM) and PNG text chunks (tEXt, zTXt, iTXt) are read with
it (``enlight.stream.io.annotations``). HEIC/HEIF (what phones take) go through pillow-heif's Pillow plugin, AVIF
through Pillow's own, JPEG XL through ours (their deep pixels as above; a .jxl that holds a JPEG is read as that
JPEG). A 1-bit Netpbm bitmap is refused (``enlight.stream.io.netpbm``). ``enlight.stream.io.photo_writer`` writes it
back.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from enlight.errors import EnlightError, reason
from enlight.stream.io import jpeg_xl
from enlight.stream.io.annotations import Annotations, read_annotations
from enlight.stream.io.deep_photo import read_deep
from enlight.stream.io.exif_thumbnail import thumbnail_side
from enlight.stream.io.float_photo import FLOAT_BITS, float_sixteen, is_float_rgb_tiff, read_float_rgb
from enlight.stream.io.hdr_photo import HdrTag, hdr_tag
from enlight.stream.io.jpeg2000 import jp2_bits, jp2_icc, reversible, unread_jpx
from enlight.stream.io.netpbm import NETPBM_SUFFIXES, netpbm_bits, one_bit_error_text
from enlight.stream.io.pam import PAM_SUFFIX, pam_bits, unread_pam
from enlight.stream.io.photo_colour import GREY_MODES, deep_in_profile, rgb8_in_profile
from enlight.stream.io.photo_formats import (
    FFMPEG_DEEP_SUFFIXES,
    SIXTEEN_BIT_SUFFIXES,
    TIFF_LOSSLESS,
    is_raw,
    open_image,
    require_format_support,
)
from enlight.stream.io.photo_metadata import (
    ORIENTATION,
    RESOLUTION_UNIT,
    X_RESOLUTION,
    Y_RESOLUTION,
    upright_exif,
    upright_xmp,
    xmp_packet,
)

_SIXTEEN_BIT = ("rgb48", "rgba64", "gray16", "ya16", "bgr48", "bgra64")
_SIXTEEN_BIT_ALPHA = ("rgba64", "ya16", "bgra64")


@dataclass
class Photo:
    """A photo, upright. rgb: (H, W, 3) uint8 RGB; rgb16: (H, W, 3) uint16 RGB for 16-bit sources and HEIF or AVIF
    ones of 10 or 12 bits (N-bit white at 65535), else None; bits: the bits a channel of a file read so (32 for a
    floating-point TIFF's, ``float_photo``; 16, 12, 10), else 8 (a camera RAW developed at 16 bits included: it is
    no file's depth); alpha: (H, W) uint8 or None;
    alpha16: (H, W) uint16, the alpha of a 16-bit or deep HEIF file at 16 bits, or None; grey: the file holds one
    channel (L, I;16);
    icc: the ICC profile bytes or None; exif: EXIF bytes with orientation 1, or None; xmp: the XMP packet
    (ratings, keywords, creator and copyright, edits) made true of the upright picture as the EXIF is
    (``upright_xmp``: orientation 1, X/Y resolution swapped by a quarter turn, the size read), or None; pages: the
    pictures in the file (a multi-page TIFF's pages; an MPO's or Ultra HDR JPEG's second image), of which
    the first is this photo; annotations: its IPTC, comments and PNG text (``Annotations``); thumbnail: the longer
    side of its EXIF thumbnail (``enlight.stream.io.exif_thumbnail``), 0 when it has none; chroma_step: a JPEG's
    chroma DC quantisation step (``enlight.ops.chroma_blocks``), None for other files; dpi: the print resolution
    (horizontal, vertical) of the upright picture where the file states it outside its EXIF (a JPEG's JFIF header,
    a PNG's pHYs chunk, a TIFF's own tags), else None; hdr: the PQ or HLG tag of a HEIF or AVIF whose pixels are so
    coded (``enlight.stream.io.hdr_photo``: ``enlight.stream.apps.photo_hdr`` converts them), else None."""

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
    colour_note: str = ""  # what of its colours could not be converted honestly (``enlight.stream.io.photo_colour``)
    hdr: HdrTag | None = None


def _lossless(path: Path, image) -> str | None:
    """How an open Pillow image stores its pixels without loss, where its format has a lossy way too or a
    compressed one: 'webp' for a lossless WebP (a VP8L picture; it was written lossy), a TIFF's compression
    ('tiff_lzw', ...; it was written uncompressed, twice the size), 'tga_rle' for a run-length Targa, 'jpeg2000'
    for a reversible JPEG 2000 (``jpeg2000.reversible``), 'jxl' for a JPEG XL in its own colours
    (``jpeg_xl.lossless``; both were written lossy); None otherwise."""
    if image.format in ("TIFF", "TGA"):
        return image.info.get("compression") if image.info.get("compression") in TIFF_LOSSLESS | {"tga_rle"} else None
    if image.format == "JPEG2000":
        return "jpeg2000" if reversible(path) else None
    if image.format == jpeg_xl.FORMAT:
        return "jxl" if jpeg_xl.lossless(path) else None
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
    """(H, W, 3) uint16 RGB of a 16-bit PNG/TIFF, or a Netpbm (PAM) or JPEG 2000 file of more than 8 bits (FFmpeg), or
    of a HEIF or AVIF of more than 8 bits (``read_deep``: Pillow's format name ``fmt``, its picture's ``size``), as
    stored, its (H, W) uint16 alpha (None without one, or where only Pillow reads it) and the file's bits a channel
    (a Netpbm file's maxval's, a JPEG 2000's own); (None, None, 8) for 8-bit files, and for pixels FFmpeg reads at
    another size than Pillow's."""
    found = read_deep(path, fmt, size) if fmt in ("HEIF", "AVIF") else None
    if fmt == jpeg_xl.FORMAT:
        found = jpeg_xl.read_deep(path)
    if found is not None:
        return found.rgb16, found.alpha16, found.bits
    rgb16, alpha16 = _read_16bit(path)
    if rgb16 is None or path.suffix.lower() in SIXTEEN_BIT_SUFFIXES:  # (a TIFF's size: after Pillow turned it)
        return rgb16, alpha16, 8 if rgb16 is None else 16
    if rgb16.shape[1::-1] != tuple(size):
        return None, None, 8
    suffix = path.suffix.lower()
    bits_of = netpbm_bits if suffix in NETPBM_SUFFIXES else pam_bits if suffix == PAM_SUFFIX else jp2_bits
    bits = bits_of(path)
    return rgb16, alpha16, bits if 8 < bits <= 16 else 16


def _read_16bit(path: Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(H, W, 3) uint16 RGB of a 16-bit PNG/TIFF or a deep Netpbm or JPEG 2000 file (via FFmpeg, N-bit white at
    65535) and its (H, W) uint16 alpha (None without one); (None, None) for 8-bit files."""
    if path.suffix.lower() not in FFMPEG_DEEP_SUFFIXES:
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


def _alpha(image) -> np.ndarray | None:
    """(H, W) uint8 alpha of a Pillow image, or None: its A channel, or a palette's or colour key's
    transparency (PNG tRNS, GIF) as Pillow's RGBA conversion reads it."""
    if image.mode in ("RGBA", "LA", "PA"):
        return np.asarray(image.getchannel("A"))
    if "transparency" in image.info:
        return np.asarray(image.convert("RGBA").getchannel("A"))
    return None


def _tga_alpha_unused(path: Path, fmt: str) -> bool:
    """Whether the file at ``path`` is a 32-bit Targa (Pillow's format name ``fmt``) whose header says its pixels'
    fourth byte is no alpha: its descriptor's attribute bits 0 (what a writer that pads BGR to 4 bytes leaves, the
    byte often 0: Pillow reads it as alpha, a transparent picture)."""
    if fmt != "TGA":
        return False
    with open(path, "rb") as file:
        head = file.read(18)
    return len(head) == 18 and head[16] == 32 and head[17] & 0x0F == 0


def eight_bits(rgb16: np.ndarray) -> np.ndarray:
    """(..., 3) uint16 -> the same as uint8, rounded (one 8-bit step = 257): what the model sees of a 16-bit photo."""
    return ((rgb16.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _chroma_step(image) -> int | None:
    """The chroma DC quantisation step of an open JPEG (its second table's first entry: how coarsely each 16x16
    block's average colour is stored); None for another kind of file, or a grey JPEG."""
    tables = getattr(image, "quantization", None) or {}
    return int(tables[1][0]) if 1 in tables and len(tables[1]) else None


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
    if unread := unread_jpx(path) or unread_pam(path):
        raise EnlightError(unread)
    jpeg = jpeg_xl.held_jpeg(path) if jpeg_xl.holds_jxl(path) else None
    if is_float_rgb_tiff(path):  # (which Pillow does not open)
        return _read_float_rgb_photo(path)
    with _metadata_said(path):
        if jpeg is not None:  # a JPEG recompressed without loss (``cjxl photo.jpg``): read as that JPEG
            return replace(_read_pillow_photo(path, io.BytesIO(jpeg)), format=jpeg_xl.FORMAT)
        return _read_pillow_photo(path)


def _inks16(image) -> np.ndarray | None:
    """Pillow's (H, W, 4) uint8 inks of a 16-bit CMYK TIFF (to check FFmpeg's 16-bit ones by: ``deep_in_profile``);
    None for any other picture."""
    bits = getattr(image, "tag_v2", {}).get(258, ()) if image.mode == "CMYK" else ()
    return np.asarray(image) if 16 in tuple(bits) else None


def _read_pillow_photo(path: Path, source: io.BytesIO | None = None) -> Photo:
    """The photo at ``path`` read by Pillow, from ``source`` where given (the bytes of the JPEG a .jxl holds)."""
    from PIL import UnidentifiedImageError

    try:
        with open_image(source or path) as image:
            if image.format in ("PPM", "PAM") and image.mode == "1":  # a Netpbm bitmap (P1, P4, P7), by any name
                raise EnlightError(one_bit_error_text(path.name))
            # as stored: read before load(); libjxl turns a JPEG XL's pixels by its codestream's orientation itself
            orientation = _orientation(image.getexif().get(ORIENTATION, 1)) if image.format != jpeg_xl.FORMAT else 1
            thumbnail = thumbnail_side(image)
            raw_exif = image.info.get("exif")  # as the file has it: where its maker note was
            image.load()
            exif = image.getexif()
            # Pillow's TIFF loader turns the pixels itself and drops the tag; FFmpeg's 16-bit pixels are as stored
            turned = orientation != 1 and ORIENTATION not in exif
            # (a JP2's profile: its colour box, which Pillow does not read)
            icc = image.info.get("icc_profile") or (jp2_icc(path) if image.format == "JPEG2000" else None)
            hdr = hdr_tag(path, image.format or "", image.info, icc)
            icc = None if hdr is not None else icc  # (a PNG's cICP names its colours over its ICC profile)
            source = (image.mode, icc, _inks16(image) if image.mode != "F" else np.asarray(image))
            xmp = xmp_packet(image)
            annotations = read_annotations(image)
            fmt = image.format or ""
            chroma_step = _chroma_step(image)
            dpi = _dpi(image.info.get("dpi"), orientation)
            lossless = _lossless(path, image)
            pages = int(getattr(image, "n_frames", 1) or 1)
            alpha = None if _tga_alpha_unused(path, image.format) else _alpha(image)
            rgb, icc, note = rgb8_in_profile(image, source[1])
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, TypeError, OverflowError) as exc:
        # (a damaged TIFF: Pillow's 'Missing dimensions' TypeError for a page without a size, an OverflowError for
        # a size past 32 bits)
        raise EnlightError(f"cannot read {path}: not an image, or truncated/corrupt ({reason(exc)})") from None
    pillow_turn, size = 1 if turned else orientation, (rgb.shape[1], rgb.shape[0])  # (Pillow's, before its turn)
    rgb, alpha = orient(rgb, pillow_turn), orient(alpha, pillow_turn) if alpha is not None else None
    exif = upright_exif(exif, raw_exif, rgb.shape[1], rgb.shape[0], orientation)  # (its resolution turned too)
    xmp = upright_xmp(xmp, rgb.shape[1], rgb.shape[0], orientation)  # (and the XMP's)
    photo = Photo(rgb=rgb, rgb16=None, alpha=alpha, grey=source[0] in GREY_MODES, icc=icc, exif=exif, format=fmt,
                  xmp=xmp, pages=pages, annotations=annotations, thumbnail=thumbnail, chroma_step=chroma_step,
                  dpi=dpi, lossless=lossless, colour_note=note, hdr=hdr)
    return _with_deep(photo, path, (source, size), (orientation, pillow_turn))


def _with_deep(photo: Photo, path: Path, read: tuple, turns: tuple[int, int]) -> Photo:
    """``photo`` (read by Pillow at 8 bits) with its 16-bit or deep pixels where the file has them (``_read_deep``; a
    float grey TIFF's from Pillow's, ``float_photo``), upright, in the profile it is tagged with (``deep_in_profile``).
    read: (the file's Pillow mode, its ICC profile and, for a CMYK one, Pillow's (H, W, 4) uint8 inks, for a float
    grey one (mode 'F') its (H, W) float32 values), and the (width, height) of Pillow's picture, both before
    ``photo``'s turn; turns: the EXIF orientation of the file's pixels and of Pillow's (1 where Pillow turned them
    itself)."""
    (mode, icc, cmyk8), size = read
    if mode == "F":  # a 32-bit float grey TIFF: Pillow's values (``float_photo``), turned as Pillow's picture
        grey16, note = float_sixteen(orient(cmyk8, turns[1]))
        rgb16 = np.repeat(grey16[..., None], 3, axis=2)
        return replace(photo, rgb=eight_bits(rgb16), rgb16=rgb16, bits=FLOAT_BITS,
                       colour_note="; ".join(text for text in (photo.colour_note, note) if text))
    rgb16, alpha16, bits = _read_deep(path, photo.format, size)  # (as stored)
    if rgb16 is None:
        return photo
    orientation, pillow_turn = turns
    deep = deep_in_profile(orient(rgb16, orientation), orient(alpha16, orientation) if alpha16 is not None else None,
                           mode, icc, orient(cmyk8, pillow_turn) if cmyk8 is not None else None, bits)
    if deep.rgb16 is None:  # converted at 8 bits: Pillow's
        return replace(photo, colour_note="; ".join(note for note in (photo.colour_note, deep.note) if note))
    return replace(photo, rgb=eight_bits(deep.rgb16), rgb16=deep.rgb16, alpha16=deep.alpha16, icc=deep.icc,
                   colour_note=deep.note, bits=bits)


def _float_dpi(tags, orientation: int) -> tuple[float, float] | None:
    """A TIFF's print resolution from its tags (282, 283 and its unit, 296: 2 inches, 3 centimetres) as ``_dpi``
    gives it; None without one."""
    if X_RESOLUTION not in tags or Y_RESOLUTION not in tags:
        return None
    per_inch = 2.54 if tags.get(RESOLUTION_UNIT, 2) == 3 else 1.0
    return _dpi((float(tags[X_RESOLUTION]) * per_inch, float(tags[Y_RESOLUTION]) * per_inch), orientation)


def _read_float_rgb_photo(path: Path) -> Photo:
    """A 32-bit floating-point RGB(A) TIFF (``float_photo``): FFmpeg's pixels at 16 bits, upright, and its ICC
    profile, EXIF, XMP and print resolution from its tags (Pillow reads those, not its pixels)."""
    from PIL import Image

    values = read_float_rgb(path)
    if values is None:
        raise EnlightError(f"cannot read {path}: a 32-bit floating-point TIFF that FFmpeg does not decode")
    try:
        with open(path, "rb") as file:
            tags = Image.Exif()
            tags.load_from_fp(file)
            tags.get_ifd(0x8769)  # (the EXIF's own fields, read while the file is open)
            icc, xmp = tags.get(34675), tags.get(700)
    except (OSError, ValueError, SyntaxError, struct.error) as exc:
        raise EnlightError(f"cannot read {path}: not an image, or truncated/corrupt ({reason(exc)})") from None
    orientation = _orientation(tags.get(ORIENTATION, 1))
    rgb16, note = float_sixteen(orient(values[..., :3], orientation))
    alpha16 = float_sixteen(orient(values[..., 3], orientation))[0] if values.shape[2] == 4 else None
    height, width = rgb16.shape[:2]
    exif = upright_exif(tags, None, width, height, orientation)
    deep = deep_in_profile(rgb16, alpha16, "RGB", icc if isinstance(icc, bytes) else None, None, FLOAT_BITS)
    rgb16 = deep.rgb16 if deep.rgb16 is not None else rgb16
    alpha = eight_bits(np.repeat(alpha16[..., None], 3, axis=2))[..., 0] if alpha16 is not None else None
    return Photo(rgb=eight_bits(rgb16), rgb16=rgb16, alpha=alpha, alpha16=alpha16, grey=False, icc=deep.icc, exif=exif,
                 format="TIFF", xmp=upright_xmp(xmp if isinstance(xmp, bytes) else None, width, height, orientation),
                 dpi=_float_dpi(tags, orientation), bits=FLOAT_BITS,
                 colour_note="; ".join(text for text in (note, deep.note) if text))
