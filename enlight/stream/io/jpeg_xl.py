"""JPEG XL photos (.jxl: what Apple's devices, Adobe's export and Linux desktops make), read and written through
pyjpegxl (libjxl), an optional dependency: ``pip install 'enlight-video[jxl]'``.

    register(path)                    # before Pillow opens one: EnlightError naming pyjpegxl where it is missing
    jpeg = held_jpeg(path)            # the JPEG a losslessly recompressed .jxl holds, bit for bit, or None
    lossless(path)                    # whether it is coded without loss (its header: not in XYB)
    found = read_deep(path)           # DeepPixels of a .jxl of more than 8 bits a channel, else None
    write_jxl(path, pixels, exif=..., xmp=..., quality=95)

Pillow opens a .jxl through the small plugin here: its 8-bit pixels (RGB, RGBA, L, LA) decoded when loaded, its
ICC profile (the one that describes the decoded pixels, as libjxl gives it), EXIF and XMP in ``info``. libjxl turns
the pixels by the codestream's orientation itself, which is where a .jxl keeps it (an EXIF orientation beside it is
not applied again: ``orientation``). A .jxl made from a JPEG by ``cjxl photo.jpg`` holds that JPEG's bitstream
(its 'jbrd' box): it is read as that JPEG (its pixels as a JPEG decoder gives them, its quantisation, IPTC and
comments). A .jxl of 10 to 16 bits is read at its depth as 16 bits, N-bit white at 65535, as a 16-bit PNG is.

Written: 8 or 16 bits a channel, grey or RGB, with alpha, EXIF (its box with the 4-byte offset the format asks for:
pyjpegxl writes the bytes it is given) and XMP. pyjpegxl stores a codestream tagged sRGB whatever ICC profile it is
given (the profile goes in a box of its own that no other reader reads), so the caller converts other profiles to
sRGB first (``enlight.stream.io.photo_writer``). --photo-quality maps to libjxl's distance as cjxl's -q does
(``distance``): 90 is distance 1.0 (visually lossless), 100 is lossless; a lossless source (``lossless``: coded in
its own colours, not XYB) is written lossless whatever the quality, as a lossless WebP is.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np

from enlight.errors import EnlightError
from enlight.stream.io.deep_photo import DeepPixels
from enlight.stream.io.jxl_header import xyb_encoded

FORMAT = "JXL"  # Pillow's name of the format, as the plugin registers it
_CODESTREAM = b"\xff\x0a"  # a bare JPEG XL codestream's first bytes
_CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"  # the ISO BMFF container's signature box
_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}  # channels -> Pillow's mode
_NEEDED = "JPEG XL photos need pyjpegxl (pip install 'enlight-video[jxl]', or pip install pyjpegxl; Python 3.11+)"


def holds_jxl(path: Path) -> bool:
    """Whether the file at ``path`` starts as a JPEG XL file does (a bare codestream or the container), whatever
    its name."""
    try:
        with open(path, "rb") as file:
            head = file.read(12)
    except OSError:
        return False
    return head.startswith(_CODESTREAM) or head == _CONTAINER


def _codec():
    """The pyjpegxl module; a one-line EnlightError where it is not installed."""
    try:
        import pyjpegxl
    except ImportError:
        raise EnlightError(_NEEDED) from None
    return pyjpegxl


def register(path: Path) -> None:
    """Before the .jxl at ``path`` is opened or written: the plugin registered with Pillow (once), or a one-line
    EnlightError naming the package to install."""
    try:
        _codec()
    except EnlightError as exc:
        raise EnlightError(f"{Path(path).name}: {exc}") from None
    from PIL import Image

    if FORMAT not in Image.OPEN:
        Image.register_open(FORMAT, _plugin(), _accept)
        Image.register_extension(FORMAT, ".jxl")
        Image.register_mime(FORMAT, "image/jxl")


def _accept(prefix: bytes) -> bool:
    return prefix[:2] == _CODESTREAM or prefix[:12] == _CONTAINER


def exif_payload(box: bytes | None) -> bytes | None:
    """A JPEG XL Exif box's content (a 4-byte offset to the TIFF header, then the EXIF) -> the EXIF from its TIFF
    header on, as Pillow reads it; a box that starts with the EXIF itself (a writer that left the offset out) as it
    is; None for none or an offset past its end."""
    if not box or len(box) < 8:
        return None
    if box.startswith((b"Exif\0\0", b"II*\0", b"MM\0*")):
        return bytes(box)
    offset = 4 + int.from_bytes(box[:4], "big")
    return bytes(box[offset:]) if offset + 8 <= len(box) else None


def _plugin():
    """Pillow's ImageFile class for JPEG XL (module docstring), made when the codec is there."""
    from PIL import ImageFile

    class JxlImageFile(ImageFile.ImageFile):
        format = FORMAT
        format_description = "JPEG XL"

        def _open(self) -> None:
            self._data = self.fp.read()
            try:
                found = _codec().probe(self._data)
            except RuntimeError as exc:
                raise SyntaxError(f"not a JPEG XL picture ({exc})") from None
            channels = found.num_color_channels + bool(found.has_alpha)
            self._mode, self._size = _MODES.get(channels, "RGB"), (found.width, found.height)
            icc = _own_profile(found.icc)
            for key, value in (("icc_profile", icc), ("exif", exif_payload(found.exif)), ("xmp", found.xmp)):
                if value:
                    self.info[key] = bytes(value)
            self.tile = []

        def load(self):
            if self._data is not None:
                pixels = _decoded(self._data, "uint8")
                self._data = None
                if self._exclusive_fp and self.fp:
                    self.fp.close()
                self.fp = io.BytesIO(np.ascontiguousarray(pixels).tobytes())
                self.tile = [ImageFile._Tile("raw", (0, 0, *self.size), 0, self.mode)]
            return super().load()

    return JxlImageFile


def _own_profile(icc: bytes | None) -> bytes | None:
    """The ICC profile libjxl gives for a .jxl's pixels, where it says more than sRGB: None for sRGB, or grey on
    sRGB's curve, which libjxl makes up for a file that names its colours so (most do), and which an untagged
    picture is taken for anyway (a grey photo in a profile was converted to sRGB and written as RGB)."""
    from enlight.stream.io.rgb_profile import srgb_transform

    if not icc:
        return None
    icc = bytes(icc)
    if icc[16:20] == b"GRAY":
        return None if _grey_is_srgb(icc) else icc
    return None if srgb_transform(icc).srgb else icc


def _grey_is_srgb(icc: bytes) -> bool:
    """Whether the grey ICC profile ``icc`` takes each of the 256 levels to the same sRGB grey (within a level)."""
    from PIL import Image, ImageCms

    try:
        transform = ImageCms.buildTransform(ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB"),
                                            "L", "RGB")
        levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
        found = np.asarray(transform.apply(Image.fromarray(levels, "L"))).astype(np.int16)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return False
    return int(np.abs(found - levels[..., None]).max()) <= 1


def _decoded(data: bytes, dtype: str) -> np.ndarray:
    """(H, W, C) ``dtype`` pixels (C: 1 grey, 2 grey and alpha, 3 RGB, 4 RGBA) of JPEG XL ``data``, upright by its
    codestream's orientation; OSError where libjxl cannot decode it (truncated, damaged)."""
    try:
        _, pixels = _codec().decode_to_numpy(data, dtype=dtype)
    except RuntimeError as exc:
        raise OSError(f"JPEG XL: {exc}") from None
    return pixels if pixels.ndim == 3 else pixels[..., None]


def _box_types(path: Path) -> list[bytes]:
    """The types of the boxes of a JPEG XL container file, in order ([] for a bare codestream or an unreadable
    file): read from their headers, seeking past their contents."""
    types: list[bytes] = []
    try:
        with open(path, "rb") as file:
            if file.read(12) != _CONTAINER:
                return types
            at = 12
            while len(types) < 64:
                file.seek(at)
                head = file.read(16)
                if len(head) < 8:
                    break
                size, kind = struct.unpack(">I4s", head[:8])
                types.append(kind)
                size = struct.unpack(">Q", head[8:16])[0] if size == 1 and len(head) == 16 else size
                if size < 8:  # 0: the last box, to the end of the file
                    break
                at += size
    except OSError:
        pass
    return types


def held_jpeg(path: Path) -> bytes | None:
    """The JPEG file a .jxl made from it without loss holds (``cjxl photo.jpg``: a 'jbrd' box beside the
    codestream), bit for bit; None for another .jxl, or where it cannot be rebuilt."""
    if b"jbrd" not in _box_types(path):
        return None
    try:
        return bytes(_codec().jxl_to_jpeg(Path(path).read_bytes()))
    except (RuntimeError, OSError):
        return None


def lossless(path: Path) -> bool:
    """Whether the .jxl at ``path`` is coded in its own colours, as a lossless one is (not in libjxl's XYB, which its
    lossy coding uses: ``jxl_header.xyb_encoded``); False where its header cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return False
    return xyb_encoded(data) is False


def jxl_bits(path: Path) -> int:
    """The bits a channel of the .jxl at ``path``, from its header; 8 where it cannot be read (pyjpegxl missing
    included: reading it then says why)."""
    try:
        return int(_codec().probe_file(str(path)).bits_per_sample)
    except (EnlightError, RuntimeError, OSError, ValueError):
        return 8


def read_deep(path: Path) -> DeepPixels | None:
    """The pixels of a .jxl of more than 8 bits a channel at 16 bits (libjxl scales N-bit white to 65535): (H, W,
    3) uint16 RGB (grey on three channels), its (H, W) uint16 alpha or None, and its bits; None for an 8-bit one."""
    bits = jxl_bits(path)
    if bits <= 8:
        return None
    pixels = _decoded(Path(path).read_bytes(), "uint16")
    colour = pixels[..., :1].repeat(3, axis=2) if pixels.shape[2] in (1, 2) else pixels[..., :3]
    alpha = pixels[..., -1] if pixels.shape[2] in (2, 4) else None
    return DeepPixels(np.ascontiguousarray(colour), None if alpha is None else np.ascontiguousarray(alpha),
                      min(bits, 16))


_MOST_DISTANCE = 15.0  # pyjpegxl takes a quality of 15 or less as a distance, past it as a percentage


def distance(quality: int) -> float:
    """libjxl's distance for a quality of 1..99 (``JxlEncoderDistanceFromQuality``, what cjxl -q uses): 0.1 +
    (100 - q) * 0.09 from 30 up (90: 1.0, 95: 0.55, 50: 4.6), a parabola below (to 25 at 0), held at 15 (pyjpegxl
    takes no more: a quality of 10 or less)."""
    if quality >= 30:
        return round(0.1 + (100 - quality) * 0.09, 3)
    return min(_MOST_DISTANCE, round(53 / 3000 * quality * quality - 23 / 20 * quality + 25, 3))


def write_jxl(path: Path, pixels: np.ndarray, *, exif: bytes | None, xmp: bytes | None, quality: int) -> None:
    """A .jxl of (H, W, C) uint8 or uint16 ``pixels`` (C: 1 grey, 2 grey and alpha, 3 RGB, 4 RGBA; tagged sRGB),
    with ``exif`` (Pillow's bytes, with or without 'Exif\\0\\0') and the XMP packet ``xmp``; lossless at a
    ``quality`` of 100, else at libjxl's ``distance`` for it. OSError where libjxl refuses."""
    tiff = exif[6:] if exif and exif.startswith(b"Exif\0\0") else exif
    options = {"lossless": True} if quality >= 100 else {"quality": distance(quality)}
    try:
        data = _codec().encode_from_numpy(np.ascontiguousarray(pixels), exif=b"\0\0\0\0" + tiff if tiff else None,
                                          xmp=xmp or None, **options)
    except RuntimeError as exc:
        raise OSError(f"JPEG XL encoder: {exc}") from None
    Path(path).write_bytes(data)
