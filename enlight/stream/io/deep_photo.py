"""HEIF and AVIF photos of more than 8 bits a channel (a 10-bit HEIC from an Android or Sony camera, a 10- or 12-bit
AVIF): read at their own depth, as 16 bits, and a HEIC output written at 10.

    bits = deep_bits(path, "HEIF")                      # from the header: 10, 12; 8 for an 8-bit file
    found = read_deep(path, "AVIF", (width, height))    # DeepPixels(rgb16, alpha16, bits) or None
    write_heif_deep(path, pixels16, options)           # 10 bits a channel

Pillow reads both at 8 bits: pillow-heif's plugin shifts a 10-bit value down 2 bits, Pillow's AVIF decoder asks
libavif for 8. A HEIF's deep pixels come from pillow-heif's own reader with the values as stored
(``hdr_to_16bit=False``; libheif turns them by the file's irot/imir, as the plugin's are); an AVIF's from FFmpeg's
decoder (libdav1d), converted to 16-bit R'G'B' with the file's own matrix and range (libavif's BT.601 where it
states none), stored as they are, as Pillow's are (the caller turns both by the same orientation). An N-bit value v
becomes round(v * 65535 / (2^N - 1)), so that N-bit white is 16-bit white (pillow-heif's own 16-bit mode shifts
left: 1023 -> 65472, not 65535). A file FFmpeg reads in part (a grid AVIF's first tile, a cropped picture: another
size than Pillow's) is left at 8 bits.

pillow-heif writes 16-bit data (``RGB;16``) as 10 bits by dropping the low 6: ``write_heif_deep`` rounds each value
to 10 bits first (65535 -> 1023, and back to 65535 when read). 10 bits and not 12 for every deep photo: x265 here
writes Main 12 too, but phones and viewers decode HEVC Main 10 (Apple's and Windows' HEIF readers among them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

HEIF_BITS = 10  # what a HEIC output holds (module docstring)
_AVIF_BT601 = 6  # AVColorSpace SMPTE170M: libavif's matrix for a file that states none


@dataclass(frozen=True)
class DeepPixels:
    """rgb16: (H, W, 3) uint16, full 16-bit range; alpha16: (H, W) uint16 or None; bits: the file's bits a
    channel (10, 12)."""

    rgb16: np.ndarray
    alpha16: np.ndarray | None
    bits: int


_ROWS = 256  # rows scaled at a time: the 32-bit products of a 50-megapixel photo at once would be 600 MB


def _scaled(values: np.ndarray, times: int, over: int) -> np.ndarray:
    """(H, ...) integer values up to 65535 -> uint16 round(v * times / over), a few rows at a time."""
    out = np.empty(values.shape, np.uint16)
    for top in range(0, values.shape[0], _ROWS):
        part = values[top:top + _ROWS].astype(np.uint32)
        out[top:top + _ROWS] = (part * times + over // 2) // over
    return out


def to_sixteen(values: np.ndarray, bits: int) -> np.ndarray:
    """(H, ...) integer ``bits``-bit values -> uint16, N-bit white at 65535: round(v * 65535 / (2^N - 1))."""
    return _scaled(values, 65535, (1 << bits) - 1)


def from_sixteen(values16: np.ndarray, bits: int) -> np.ndarray:
    """(H, ...) uint16 -> the nearest ``bits``-bit values (uint16): round(v * (2^N - 1) / 65535)."""
    return _scaled(values16, (1 << bits) - 1, 65535)


def deep_bits(path: Path, fmt: str) -> int:
    """The bits a channel of the photo at ``path``, from its header, where it is a HEIF or AVIF (Pillow's format
    name ``fmt``); 8 for other formats and for a header that cannot be read."""
    try:
        if fmt == "HEIF":
            import pillow_heif

            heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=False, hdr_to_16bit=False)
            return int(heif[heif.primary_index].info.get("bit_depth") or 8)
        if fmt == "AVIF":
            with av.open(str(path)) as container:
                found = container.streams.video[0].codec_context.format
            return found.components[0].bits if found is not None else 8
    except (ImportError, OSError, ValueError, RuntimeError, SyntaxError, EOFError, IndexError, av.error.FFmpegError):
        pass
    return 8


def read_deep(path: Path, fmt: str, size: tuple[int, int]) -> DeepPixels | None:
    """The deep pixels of a HEIF or AVIF photo of more than 8 bits a channel (module docstring) whose picture Pillow
    read at ``size`` (width, height), as stored; None for an 8-bit one, another format, or one read otherwise."""
    if deep_bits(path, fmt) <= 8:
        return None
    try:
        found = _read_heif(path) if fmt == "HEIF" else _read_avif(path)
    except (OSError, ValueError, RuntimeError, SyntaxError, EOFError, StopIteration, av.error.FFmpegError):
        return None
    if found is None or found.rgb16.shape[1::-1] != tuple(size):
        return None
    return found


def _read_heif(path: Path) -> DeepPixels | None:
    """pillow-heif's primary picture at its own depth (mode 'RGB;10', 'RGBA;12', a grey 'I;10' ...), turned by
    libheif; grey on three channels."""
    import pillow_heif

    heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=False, hdr_to_16bit=False)
    image = heif[heif.primary_index]
    depth = image.mode.partition(";")[2]
    if not depth.isdigit() or int(depth) <= 8:
        return None
    bits = int(depth)
    values = np.asarray(image)
    values = values[..., None] if values.ndim == 2 else values
    if values.shape[2] in (1, 2):  # grey, and its alpha
        values = np.concatenate([np.repeat(values[..., :1], 3, axis=2), values[..., 1:]], axis=2)
    pixels = to_sixteen(values, bits)
    alpha = np.ascontiguousarray(pixels[..., 3]) if pixels.shape[2] == 4 else None
    return DeepPixels(np.ascontiguousarray(pixels[..., :3]), alpha, bits)


def _read_avif(path: Path) -> DeepPixels | None:
    """FFmpeg's first picture of an AVIF of more than 8 bits, as 16-bit R'G'B' in its own matrix and range (its alpha
    is Pillow's: FFmpeg gives none)."""
    from av.video.reformatter import ColorRange

    from enlight.stream.io.frames import ColorInfo
    from enlight.stream.io.hdr import DEEP_INTERPOLATION

    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    bits = frame.format.components[0].bits
    if bits <= 8:
        return None
    colour = ColorInfo.from_frame(frame)
    if colour.matrix == 2:  # unspecified
        colour = ColorInfo.from_tags(_AVIF_BT601, colour.color_range, colour.primaries, colour.transfer,
                                     pix_fmt=frame.format.name, width=frame.width, height=frame.height)
    rgb16 = frame.reformat(format="rgb48le", src_colorspace=colour.sws_matrix, dst_colorspace=colour.sws_matrix,
                           src_color_range=colour.sws_range, dst_color_range=ColorRange.JPEG,
                           interpolation=DEEP_INTERPOLATION).to_ndarray()
    return DeepPixels(np.ascontiguousarray(rgb16), None, bits)


def write_heif_deep(path: Path, pixels16: np.ndarray, options: dict) -> None:
    """A 10-bit HEIC of (H, W, 3) uint16 RGB, or (H, W, 4) RGBA, through pillow-heif with ``options`` (Pillow's save
    options of a HEIF: quality, exif, xmp, icc_profile), each value rounded to 10 bits (module docstring)."""
    import pillow_heif

    height, width, channels = pixels16.shape
    data = np.ascontiguousarray(from_sixteen(pixels16, HEIF_BITS) << (16 - HEIF_BITS))
    mode = "RGBA;16" if channels == 4 else "RGB;16"
    pillow_heif.from_bytes(mode=mode, size=(width, height), data=data.tobytes()).save(path, format="HEIF",
                                                                                        **options)
