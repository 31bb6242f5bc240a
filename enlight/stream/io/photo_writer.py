"""Writing an enhanced photo with what its source carried: ICC profile, EXIF, XMP, IPTC, comments and PNG text.

    write_photo(path, rgb8, photo, rgb16=None, quality=95)   # temp file + atomic rename

8-bit pixels go through Pillow. A 16-bit PNG is written by FFmpeg's png encoder with its ICC profile (iCCP), EXIF
(eXIf) and XMP (iTXt) chunks added; a 16-bit TIFF by our own few lines around Pillow's IFD writer (FFmpeg's TIFF
encoder writes no ICC, EXIF or XMP); a HEIC at 10 bits by pillow-heif, with the metadata an 8-bit one has. A JPEG XL
(8 or 16 bits) is written by ``enlight.stream.io.jpeg_xl`` with its EXIF and XMP, in sRGB: pixels in another profile
are converted to it first (``rgb_profile.in_srgb``; the run's note says so); so is a BMP, a Netpbm file (.ppm,
.pgm, .pnm: 16 bits by ``enlight.stream.io.netpbm``, 8 by Pillow), a Targa or a JPEG 2000 (their options: a Targa's
run-length coding, a JPEG 2000's lossless or lossy kind, ``enlight.stream.io.jpeg2000``), none of which Pillow writes
with a profile, EXIF or XMP. An alpha channel goes into each as a fourth channel (a Netpbm file holds none). The
print resolution (``Photo.dpi``) goes where the format states one: a JPEG's, PNG's, TIFF's or BMP's header, a .jp2's
resolution box (``jpeg2000.with_resolution``), the EXIF of a WebP, AVIF, HEIF or JPEG XL (``exif_with_resolution``,
where it states none of its own); a Netpbm file, a Targa and a .j2k have no place for it (the note names it). The
EXIF orientation is written as 1 (upright: ``read_photo`` applied it to the pixels). IPTC, JPEG comments and PNG
text chunks are written back where the output format holds them: IPTC in a JPEG or TIFF, a comment in a JPEG or as a
PNG's 'Comment' text; ``unkept_metadata`` names the rest. A GIF of one picture written as a .gif gets its pixels and
transparency alone, in sRGB (``enlight.stream.io.gif_still``). Every file is written under a temporary name and renamed
when complete (``atomic_write``).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import av
import numpy as np

from enlight.errors import EnlightError, disk_full, reason
from enlight.stream.io import jpeg_xl
from enlight.stream.io.annotations import (
    PNG_XMP_KEY,
    Annotations,
    annotation_options,
    as_extended_xmp,
    comments_of,
    png_text,
    tiff_exif,
)
from enlight.stream.io.deep_photo import write_heif_deep
from enlight.stream.io.exif_thumbnail import with_thumbnail
from enlight.stream.io.exif_types import SUB_IFDS, for_tiff, standard_types_in_file
from enlight.stream.io.gif_still import write_gif_still
from enlight.stream.io.hdr_photo import heif_options
from enlight.stream.io.jpeg2000 import psnr_for, with_comments, with_resolution
from enlight.stream.io.jpeg2000 import save_options as jpeg2000_options
from enlight.stream.io.jpeg2000_deep import write_jpeg2000_16
from enlight.stream.io.netpbm import NETPBM_SUFFIXES, grey_of, netpbm_channels, write_netpbm16
from enlight.stream.io.pam import write_pam
from enlight.stream.io.photo_formats import (
    ALPHA_FORMATS,
    DPI_FORMATS,
    EXIF_DPI_FORMATS,
    GREY_FORMATS,
    LOSSY_FORMATS,
    SIXTEEN_BIT_SUFFIXES,
    SRGB_FORMATS,
    TIFF_LOSSLESS,
    check_fits_format,
    photo_format,
    require_format_support,
)
from enlight.stream.io.photo_metadata import LAYOUT_TAGS, exif_with_resolution
from enlight.stream.io.photo_reader import Photo
from enlight.stream.io.rgb_profile import in_srgb
from enlight.stream.io.temporary import remove_stale, temporary_path


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
    if photo.dpi:  # pixels per metre, unit 1 (the metre)
        extra += _png_chunk(b"pHYs", struct.pack(">IIB", *(round(d / 0.0254) for d in photo.dpi), 1))
    data = _without_chunks(data, b"pHYs")  # FFmpeg's, from the frame's unset pixel aspect ratio: 0:1, unit unknown
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


def _write_8bit(path: Path, rgb: np.ndarray, photo: Photo, fmt: str, quality: int) -> None:
    """A ``fmt`` file of the enhanced (H, W, 3) uint8 ``rgb`` through Pillow: in sRGB for a format that has no
    place for a profile (``SRGB_FORMATS``), one channel where a grey source stays grey (``stays_grey``) or the
    output is a .pgm (``netpbm_channels``), with the photo's alpha where the format holds one."""
    from PIL import Image

    require_format_support(path)
    pixels = in_srgb(rgb, photo.icc) if fmt in SRGB_FORMATS else rgb
    if _channels(path, rgb, photo) == 1:
        image = Image.fromarray(np.ascontiguousarray(grey_of(pixels)[..., 0]), "L")
    else:
        image = Image.fromarray(np.ascontiguousarray(pixels), "RGB")
    if photo.alpha is not None and fmt in ALPHA_FORMATS:
        image.putalpha(Image.fromarray(photo.alpha, "L"))
    image.save(path, format=fmt, **_save_options(rgb, photo, fmt, quality, path.suffix))
    if fmt == "JPEG2000":
        _jpeg2000_extras(path, photo)


def _jpeg2000_extras(path: Path, photo: Photo) -> None:
    """What Pillow and FFmpeg write into no JPEG 2000 file, added to the one at ``path``: the photo's print
    resolution (a JP2's resolution box; a .j2k codestream has no place for it) and its comments (COM markers)."""
    data = with_comments(path.read_bytes(), comments_of(photo.annotations))
    path.write_bytes(with_resolution(data, photo.dpi) if photo.dpi else data)


def _write_jpeg2000_16(path: Path, rgb: np.ndarray, rgb16: np.ndarray, photo: Photo, quality: int) -> None:
    """A 16-bit JPEG 2000 file (``write_jpeg2000_16``) of the enhanced (H, W, 3) uint16 ``rgb16`` (``rgb``: its 8-bit
    picture), in sRGB, with the photo's alpha, one channel where a grey source stays grey (``stays_grey``): lossless
    where the source is (``Photo.lossless``) or ``quality`` is 100, else at its PSNR (``psnr_for``)."""
    require_format_support(path)
    pixels = _with_alpha16(in_srgb(rgb16, photo.icc), photo)
    if stays_grey(rgb, photo, "JPEG2000"):
        pixels = pixels[..., ::3]  # the grey channel, and the alpha where there is one
    write_jpeg2000_16(path, pixels, lossless=photo.lossless == "jpeg2000" or quality >= 100,
                      psnr=psnr_for(quality))
    _jpeg2000_extras(path, photo)


def _channels(path: Path, rgb: np.ndarray, photo: Photo) -> int:
    """The colour channels of the photo output at ``path`` of the enhanced (H, W, 3) ``rgb``: 1 where a grey source
    stays grey (``stays_grey``), 3 otherwise; a Netpbm output's as its name says (``netpbm_channels``)."""
    grey = stays_grey(rgb, photo, photo_format(path))
    suffix = path.suffix.lower()
    return netpbm_channels(suffix, grey=grey) if suffix in NETPBM_SUFFIXES else 1 if grey else 3


def _write_netpbm16(path: Path, rgb: np.ndarray, rgb16: np.ndarray, photo: Photo) -> None:
    """A 16-bit Netpbm file (``write_netpbm16``) of the enhanced (H, W, 3) uint16 ``rgb16`` (``rgb``: its 8-bit
    picture), in sRGB, grey where ``_channels`` says."""
    pixels = in_srgb(rgb16, photo.icc)
    write_netpbm16(path, grey_of(pixels) if _channels(path, rgb, photo) == 1 else pixels)


def _write_pam(path: Path, rgb: np.ndarray, rgb16: np.ndarray | None, photo: Photo) -> None:
    """A PAM file (``write_pam``) of the enhanced (H, W, 3) uint8 ``rgb``, or of its (H, W, 3) uint16 ``rgb16`` where
    given, in sRGB, with the photo's alpha; one channel (and its alpha) where a grey source stays grey."""
    if rgb16 is not None:
        pixels = _with_alpha16(in_srgb(rgb16, photo.icc), photo)
    else:
        rgb_srgb = in_srgb(rgb, photo.icc)
        pixels = rgb_srgb if photo.alpha is None else np.concatenate([rgb_srgb, photo.alpha[..., None]], axis=2)
    write_pam(path, pixels[..., ::3] if stays_grey(rgb, photo, "PAM") else pixels)


def _write_jxl(path: Path, rgb: np.ndarray, rgb16: np.ndarray | None, photo: Photo, quality: int) -> None:
    """A .jxl of the enhanced (H, W, 3) uint8 ``rgb``, or of its (H, W, 3) uint16 ``rgb16`` where given, in sRGB
    (module docstring), with the photo's alpha, EXIF and XMP; one channel (and its alpha) where a grey source stays
    grey (``stays_grey``); lossless where the source is a lossless .jxl (``Photo.lossless``), else at ``quality``."""
    require_format_support(path)
    if rgb16 is not None:
        pixels = _with_alpha16(in_srgb(rgb16, photo.icc), photo)
    else:
        rgb_srgb = in_srgb(rgb, photo.icc)
        pixels = rgb_srgb if photo.alpha is None else np.concatenate([rgb_srgb, photo.alpha[..., None]], axis=2)
    if stays_grey(rgb, photo, jpeg_xl.FORMAT):
        pixels = pixels[..., ::3]  # the grey channel, and the alpha where there is one
    jpeg_xl.write_jxl(path, pixels, exif=exif_with_resolution(photo.exif, photo.dpi), xmp=photo.xmp,
                      quality=100 if photo.lossless == "jxl" else quality)


def _save_options(rgb: np.ndarray, photo: Photo, fmt: str, quality: int, suffix: str = "") -> dict:
    """Pillow's save options of a ``fmt`` file of the enhanced (H, W, 3) uint8 ``rgb`` (a JPEG's EXIF thumbnail is
    made of it) with ``photo``'s metadata, at ``quality`` (pillow-heif's writer takes them too)."""
    exif = tiff_exif(photo.exif, photo.annotations) if fmt == "TIFF" else photo.exif
    if fmt in EXIF_DPI_FORMATS:  # (their one place for the print resolution)
        exif = exif_with_resolution(exif, photo.dpi)
    xmp, annotations = _jpeg_xmp(photo) if fmt == "JPEG" else (photo.xmp, photo.annotations)
    if fmt == "JPEG" and too_long_for_jpeg(photo):
        exif = None  # (the summary names it)
    if exif and fmt == "JPEG":
        exif = with_thumbnail(exif, rgb, photo.thumbnail)  # the old one would preview the dark original
    options = annotation_options(fmt, annotations, metadata_options(fmt, None if fmt in SRGB_FORMATS else photo.icc,
                                                                    exif, xmp))
    if fmt in LOSSY_FORMATS and fmt != "JPEG2000":
        options["quality"] = quality
    if fmt == "JPEG2000":  # (its quality: a PSNR)
        options |= jpeg2000_options(lossless=photo.lossless == "jpeg2000", quality=quality, suffix=suffix)
    if fmt == "TGA" and photo.lossless == "tga_rle":
        options["compression"] = "tga_rle"
    if fmt == "HEIF" and photo.hdr is not None:  # its pixels as stored, PQ or HLG (--hdr keep)
        options |= heif_options(photo.hdr)
    if fmt == "WEBP" and photo.lossless == "webp":
        options["lossless"] = True  # (its quality is then the effort)
    if fmt == "TIFF" and photo.lossless in TIFF_LOSSLESS:
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
    (PNG, TIFF, JPEG XL, Netpbm, PAM, JPEG 2000: 16; HEIF: 10, ``DEEP_OUTPUT_BITS``); quality: JPEG/WebP/AVIF/HEIF/
    JPEG XL/JPEG 2000 quality 1..100 (a JPEG XL's: ``jpeg_xl.distance``; a JPEG 2000's: ``jpeg2000.psnr_for``). The ICC,
    XMP and, where the format holds them, the IPTC, comments and PNG text of ``photo`` are carried over. trailer:
    bytes written after the picture (a motion photo's clip, ``enlight.stream.apps.motion_clip``).
    """
    fmt = photo_format(path)
    check_fits_format(path, rgb.shape[1], rgb.shape[0])

    def write(tmp: Path) -> None:
        if rgb16 is not None and path.suffix.lower() in SIXTEEN_BIT_SUFFIXES:
            _write_16bit(tmp, rgb16, photo)
        elif rgb16 is not None and path.suffix.lower() in NETPBM_SUFFIXES:
            _write_netpbm16(tmp, rgb, rgb16, photo)
        elif fmt == jpeg_xl.FORMAT:
            _write_jxl(tmp, rgb, rgb16, photo, quality)
        elif fmt == "PAM":
            _write_pam(tmp, rgb, rgb16, photo)
        elif fmt == "GIF":  # (a GIF of one picture: ``gif_still``)
            write_gif_still(tmp, in_srgb(rgb, photo.icc), photo.alpha)
        elif rgb16 is not None and fmt == "JPEG2000":
            _write_jpeg2000_16(tmp, rgb, rgb16, photo, quality)
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
