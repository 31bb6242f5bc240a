"""Photo formats: which files are photos (by name, and by their first bytes where a name misleads: an iPhone's HEIC
named .jpg), Pillow's name of each output's format and what each holds (alpha, one channel, a resolution, a quality,
more than 8 bits, a picture's largest side, metadata, an ICC profile), the support a format needs (pillow-heif,
Pillow's AVIF and OpenJPEG, pyjpegxl for JPEG XL, our PAM plugin), and what a file's header says before it is
decoded (its size, whether it is read deep, whether a GIF holds one picture).

    is_photo(path); photo_format(path) -> 'JPEG'; photo_size(path) -> (width, height)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from enlight.errors import EnlightError
from enlight.photo_suffixes import PHOTO_INPUTS, PHOTO_OUTPUTS, PILLOW_FORMATS, RAW_SUFFIXES
from enlight.stream.io import jpeg_xl
from enlight.stream.io.deep_photo import HEIF_BITS, deep_bits
from enlight.stream.io.float_photo import is_float_rgb_tiff
from enlight.stream.io.jpeg2000 import CODESTREAM_SUFFIX, jp2_bits
from enlight.stream.io.netpbm import NETPBM_SUFFIXES, netpbm_bits
from enlight.stream.io.pam import MAGIC as PAM_MAGIC
from enlight.stream.io.pam import PAM_SUFFIX, pam_bits

PHOTO_SUFFIXES = frozenset(PILLOW_FORMATS)  # read and written (the list: ``enlight.photo_suffixes``)
JPEG_SUFFIXES = frozenset(s for s, kind in PILLOW_FORMATS.items() if kind == "JPEG")
SIXTEEN_BIT_SUFFIXES = frozenset({".png", ".tif", ".tiff"})
_HEIF_SUFFIXES = frozenset({".heic", ".heif"})
_JPEG2000_SUFFIXES = frozenset(s for s, kind in PILLOW_FORMATS.items() if kind == "JPEG2000")
# the photos of more than 8 bits a channel that FFmpeg reads at 16 (``enlight.stream.io.photo_reader``)
FFMPEG_DEEP_SUFFIXES = SIXTEEN_BIT_SUFFIXES | NETPBM_SUFFIXES | {PAM_SUFFIX} | _JPEG2000_SUFFIXES
# the bits a channel each photo output holds of a photo read deeper than 8 (``Photo.rgb16``): the others hold 8
DEEP_OUTPUT_BITS = {".png": 16, ".tif": 16, ".tiff": 16, ".heic": HEIF_BITS, ".heif": HEIF_BITS, ".jxl": 16,
                    **dict.fromkeys(NETPBM_SUFFIXES | {PAM_SUFFIX} | _JPEG2000_SUFFIXES, 16)}


def is_photo(path: Path | str) -> bool:
    """Whether ``path`` is named as a photo this tool reads (a camera RAW included)."""
    return Path(str(path)).suffix.lower() in PHOTO_INPUTS


# pictures FFmpeg reads as a video: enhanced as a photo into a photo output when they hold one picture
_ONE_PICTURE_SUFFIXES = frozenset({".gif", ".ico"})


# the pictures of ``_ONE_PICTURE_SUFFIXES`` written again as a photo (``gif_still``), and Pillow's name of their format
_STILL_OUTPUTS = {".gif": "GIF"}


def still_gif(source: Path | str, output: Path | str) -> bool:
    """Whether ``source`` is a GIF of one picture (``is_one_picture``) written as a .gif: a still photo, enhanced and
    written as one (it went through the video path: a loop tag, a frame time and the video's progress bar)."""
    return Path(str(output)).suffix.lower() in _STILL_OUTPUTS and Path(str(source)).suffix.lower() == ".gif" \
        and is_one_picture(source)


def written_as_photo(source: Path | str, output: Path | str) -> bool:
    """Whether ``source`` into ``output`` is a photo's run: a photo, a GIF of one picture or an icon
    (``is_one_picture``) into a photo output, or a GIF of one picture into a .gif (``still_gif``)."""
    return ((is_photo(source) or is_one_picture(source)) and is_photo(output)) or still_gif(source, output)


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


def _starts_with(path: Path, magic: bytes) -> bool:
    """Whether the file at ``path`` starts with ``magic`` (False where it cannot be read)."""
    try:
        with open(path, "rb") as file:
            return file.read(len(magic)) == magic
    except OSError:
        return False


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
    with Pillow; before an .avif, check that this Pillow has AVIF (11.3 on), before a .jp2 or .j2k that it has
    OpenJPEG; before a .jxl (or a JPEG XL file by another name) or a .pam (or a PAM file by another name), register
    ours (``enlight.stream.io.jpeg_xl``, ``enlight.stream.io.pam``). A one-line EnlightError when the support is
    missing."""
    suffix = path.suffix.lower()
    if suffix == PAM_SUFFIX or _starts_with(path, PAM_MAGIC):
        from enlight.stream.io.pam import register

        register()
        return
    if suffix == ".jxl" or jpeg_xl.holds_jxl(path):
        jpeg_xl.register(path)
        return
    if suffix == ".avif":
        from PIL import features

        if not features.check("avif"):
            raise EnlightError(f"{path.name}: this Pillow cannot read or write AVIF (pip install 'pillow>=11.3')")
    if suffix in _JPEG2000_SUFFIXES:
        from PIL import features

        if not features.check("jpg_2000"):
            raise EnlightError(f"{path.name}: this Pillow was built without OpenJPEG and cannot read or write JPEG "
                               "2000 (Pillow's own wheels have it: pip install --force-reinstall pillow)")
    if suffix not in _HEIF_SUFFIXES and not _holds_heif(path):
        return
    try:
        import pillow_heif
    except ImportError:
        raise EnlightError(f"{path.name}: HEIC/HEIF photos need pillow-heif (pip install pillow-heif)") from None
    pillow_heif.register_heif_opener()


# the lossless compressions of a TIFF that Pillow writes again (an LZW or deflate TIFF was written uncompressed)
TIFF_LOSSLESS = frozenset({"tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits"})


# Pillow's names of the photo formats written with alpha, and of those written at --photo-quality
ALPHA_FORMATS = ("PNG", "WEBP", "TIFF", "AVIF", "HEIF", "JXL", "TGA", "JPEG2000", "PAM", "GIF")  # (a GIF's: on or off)
LOSSY_FORMATS = ("JPEG", "WEBP", "AVIF", "HEIF", "JXL", "JPEG2000")
LOSSY_SUFFIXES = frozenset(s for s, kind in PILLOW_FORMATS.items() if kind in LOSSY_FORMATS)


@contextmanager
def open_image(path: Path | IO[bytes]) -> Iterator:
    """``with open_image(path) as image``: ``PIL.Image.open(path)`` (a path, or a file's bytes), read without
    Pillow's decompression-bomb guard, which warns from 89 megapixels and refuses from 179: a phone's 108- or
    200-megapixel photo (16320x12240) is no bomb. The memory a photo needs is weighed against the run's instead, from
    its header before it is decoded (``enlight.stream.apps.photo.tile_layout``)."""
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


def holds_deep(path: Path) -> bool:
    """Whether the photo at ``path`` is read as 16 bits (``Photo.rgb16``), from its header: a camera RAW, a PNG of
    16-bit samples, a TIFF of 16-bit samples, named .png, .tif or .tiff (what FFmpeg is asked to read 16 bits of,
    whichever of the two the file is: a JPEG or PNG named .tif was an internal error), a HEIF (by its name or its
    first bytes), an .avif, a .jxl, a Netpbm file (.ppm, .pgm, .pnm, .pam: its maxval) or a JPEG 2000 of more than
    8 bits (a 32-bit floating-point TIFF among them, ``float_photo``); False where it cannot be told."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in RAW_SUFFIXES:
        return True
    if suffix == ".jxl":
        return jpeg_xl.jxl_bits(path) > 8
    if suffix == ".avif" or suffix in _HEIF_SUFFIXES or _holds_heif(path):
        return deep_bits(path, "AVIF" if suffix == ".avif" else "HEIF") > 8
    if suffix in NETPBM_SUFFIXES:
        return netpbm_bits(path) > 8
    if suffix == PAM_SUFFIX:
        return pam_bits(path) > 8
    if suffix in _JPEG2000_SUFFIXES:
        return jp2_bits(path) > 8
    if suffix not in SIXTEEN_BIT_SUFFIXES:
        return False
    try:
        with open(path, "rb") as file:
            head = file.read(25)
        if head.startswith(b"\x89PNG"):
            return len(head) == 25 and head[12:16] == b"IHDR" and head[24] == 16
        if is_float_rgb_tiff(path):  # (which Pillow does not open)
            return True
        with open_image(path) as image:
            bits = image.tag_v2.get(258, (8,)) if image.format == "TIFF" else (8,)
            return max(bits if isinstance(bits, tuple) else (bits,)) >= 16
    except (OSError, ValueError, SyntaxError):
        return False


def photo_format(path: Path) -> str:
    """Pillow's format name for an output photo's extension (a .gif's, 'GIF', where a GIF of one picture is written
    as one: ``still_gif``); one-line EnlightError for others."""
    fmt = PILLOW_FORMATS.get(path.suffix.lower()) or _STILL_OUTPUTS.get(path.suffix.lower())
    if fmt is None:
        raise EnlightError(f"cannot write a photo as '{path.suffix}' (use {PHOTO_OUTPUTS})")
    return fmt


# Pillow's names of the formats written with one channel (a .ppm holds three: ``netpbm.netpbm_channels``)
GREY_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "JXL", "PPM", "TGA", "JPEG2000", "PAM")
DPI_FORMATS = ("PNG", "JPEG", "TIFF", "BMP")  # Pillow's names of the formats that state a resolution outside EXIF
EXIF_DPI_FORMATS = ("WEBP", "AVIF", "HEIF", "JXL")  # and of those that state it in their EXIF alone
# Pillow's names of the formats written without EXIF and XMP (the run's note names what is lost), and of those
# written in sRGB, with no ICC profile (a photo in another is converted: ``rgb_profile.in_srgb``; the note says so)
BARE_FORMATS = ("BMP", "PPM", "PAM", "TGA", "JPEG2000", "GIF")
SRGB_FORMATS = ("JXL", "BMP", "PPM", "PAM", "TGA", "JPEG2000", "GIF")
_JP2_FILE_SUFFIXES = _JPEG2000_SUFFIXES - {CODESTREAM_SUFFIX}  # JPEG 2000 outputs written as a JP2 file


def holds_resolution(path: Path) -> bool:
    """Whether a photo output at ``path`` states a print resolution (dpi): in its own header (``DPI_FORMATS``), in
    the EXIF written into it (``EXIF_DPI_FORMATS``) or, for a .jp2 (.jpf, .jpx), in its header's resolution box
    (``jpeg2000.with_resolution``). A Netpbm file (a PAM too), a Targa and a bare JPEG 2000 codestream (.j2k) have
    no place for one."""
    fmt = photo_format(path)
    return fmt in DPI_FORMATS + EXIF_DPI_FORMATS or path.suffix.lower() in _JP2_FILE_SUFFIXES


# the most pixels a side that libjpeg-turbo, libwebp and AV1 take (past them: 'broken data stream', an internal error),
# and a Targa header's 16-bit sides hold
_MOST_A_SIDE = {"JPEG": 65500, "WEBP": 16383, "AVIF": 65536, "TGA": 65535, "GIF": 65535}


def check_fits_format(path: Path, width: int, height: int) -> None:
    """One-line EnlightError where a ``width`` x ``height`` picture is larger than the photo format of ``path``
    holds (a phone's or a stitcher's panorama): before it is enhanced, not after."""
    most = _MOST_A_SIDE.get(photo_format(path))
    if most is not None and max(width, height) > most:
        raise EnlightError(f"a {width}x{height} photo is larger than a {path.suffix} file holds ({most} pixels a side "
                           "at most); write it as .png or .tif")

