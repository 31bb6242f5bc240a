"""HDR still photos: a HEIF, AVIF or PNG whose colour is PQ (SMPTE ST 2084) or HLG (ARIB STD-B67), as Android phones,
Chrome's and Windows' HDR screenshots, cameras' HEIF modes (Canon, Sony, Samsung HLG) and HDR editors write them.

    tag = hdr_tag(path, "HEIF", image.info, icc)    # HdrTag or None: from its nclx colour box
    rgb16 = sdr16(rgb16_pq, tag.name)                # (H, W, 3) uint16 sRGB, as an SDR photo holds it

The tag is the file's nclx (H.273) colour box: pillow-heif's ``info['nclx_profile']`` of a HEIF, FFmpeg's colour tags
of an AVIF (Pillow's AVIF reader says nothing of it), a PNG's cICP chunk (the same four code points; PNG's third
edition, 2025), read here from its header: Pillow reads none of it. A HEIF or AVIF with an ICC profile is not taken as
HDR: its profile describes its pixels, as HEIF and AVIF readers take it over the nclx box. A PNG's cICP is taken over
its ICC profile (its iCCP chunk), as that standard says: an HDR screenshot carries both, the profile for readers
that know no cICP (``png_cicp``).

``sdr16`` is the video path's conversion (``enlight.stream.io.hdr``: to light with SDR white at 203 nits, BT.2020 to
BT.709 primaries, the highlight shoulder) encoded as a still photo is, with sRGB's curve at 16 bits (video's BT.1886
curve, power 1/2.4, would show its shadows a third lighter on an sRGB screen: 1% of white at code 37 of 255, not
25), a few rows at a time. ``heif_options`` are pillow-heif's save options that write the tag (``--hdr keep``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from enlight.stream.io.hdr import encoded, sdr_display_light, to_sdr_light

_TRANSFERS = {16: "PQ", 18: "HLG"}  # H.273 transfer characteristics (as FFmpeg's AVColorTransferCharacteristic)
_PRIMARIES = {1: "BT.709", 9: "BT.2020", 12: "Display P3"}
_HEIF_STATIC = ("content_light_level", "mastering_display_colour_volume", "ambient_viewing_environment",
                "nominal_diffuse_white_luminance")  # pillow-heif's HDR metadata of an image, read and written
_ROWS = 256  # rows converted at a time: the float light of a 50-megapixel photo at once would be 600 MB a copy


@dataclass(frozen=True)
class HdrTag:
    """An HDR photo's nclx colour box (H.273 code points): primaries (9: BT.2020), transfer (16: PQ, 18: HLG),
    matrix, full_range; static: a HEIF's HDR metadata as pillow-heif reads and writes it (``_HEIF_STATIC``: its
    light levels, mastering display), written back with ``--hdr keep``."""

    primaries: int
    transfer: int
    matrix: int
    full_range: bool
    static: dict = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        """'PQ' or 'HLG'."""
        return _TRANSFERS[self.transfer]

    def describe(self) -> str:
        """'PQ, BT.2020' ..."""
        primaries = _PRIMARIES.get(self.primaries)
        return f"{self.name}, {primaries}" if primaries else self.name


def hdr_tag(path: Path, fmt: str, info: dict, icc: bytes | None) -> HdrTag | None:
    """The PQ or HLG tag of the photo at ``path`` (Pillow's format name ``fmt`` and ``info``, the ICC profile it
    was read with ``icc``); None for an SDR one, a HEIF or AVIF with an ICC profile, or another format than HEIF,
    AVIF and PNG. (A PNG's cICP is taken over its ICC profile: the reader then leaves the profile unused.)"""
    if fmt == "PNG":
        tag = png_cicp(path)
        return tag if tag is not None and tag.transfer in _TRANSFERS else None
    if icc:
        return None
    if fmt == "HEIF":
        nclx = info.get("nclx_profile") or {}
        if nclx.get("transfer_characteristics") not in _TRANSFERS:
            return None
        return HdrTag(int(nclx.get("color_primaries", 2)), int(nclx["transfer_characteristics"]),
                      int(nclx.get("matrix_coefficients", 2)), bool(nclx.get("full_range_flag", 1)),
                      {key: info[key] for key in _HEIF_STATIC if info.get(key) is not None})
    return _avif_tag(path) if fmt == "AVIF" else None


_PNG = b"\x89PNG\r\n\x1a\n"


def png_cicp(path: Path) -> HdrTag | None:
    """The colour code points of the PNG at ``path``'s cICP chunk (primaries, transfer, matrix, full range), read
    from its chunks before its first IDAT; None where it has none or cannot be read."""
    try:
        with open(path, "rb") as file:
            if file.read(8) != _PNG:
                return None
            while len(head := file.read(8)) == 8:
                length, kind = int.from_bytes(head[:4], "big"), head[4:]
                if kind in (b"IDAT", b"IEND"):
                    return None
                if kind == b"cICP" and length == 4:
                    primaries, transfer, matrix, full = file.read(4)
                    return HdrTag(primaries, transfer, matrix, bool(full))
                file.seek(length + 4, 1)  # (its data and CRC)
    except OSError:
        return None
    return None


def _avif_tag(path: Path) -> HdrTag | None:
    """An AVIF's PQ or HLG tag as FFmpeg reads it from the file (its colr box, or the AV1 sequence header)."""
    try:
        with av.open(str(path)) as container:
            ctx = container.streams.video[0].codec_context
            tags = int(ctx.color_primaries), int(ctx.color_trc), int(ctx.colorspace), int(ctx.color_range)
    except (av.error.FFmpegError, IndexError, OSError):
        return None
    primaries, transfer, matrix, colour_range = tags
    return HdrTag(primaries, transfer, matrix, colour_range == 2) if transfer in _TRANSFERS else None


@functools.cache
def _srgb16() -> np.ndarray:
    """sqrt(linear light) in 65536 even steps -> its 16-bit sRGB code value (IEC 61966-2-1's curve)."""
    linear = (np.arange(65536, dtype=np.float64) / 65535) ** 2
    curve = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055)
    return np.round(65535 * curve).astype(np.uint16)


def sdr16(rgb16: np.ndarray, transfer: str) -> np.ndarray:
    """(H, W, 3) uint16 BT.2020 R'G'B' coded with ``transfer`` ('PQ', 'HLG'), white at 65535 -> (H, W, 3) uint16
    sRGB R'G'B' of the SDR picture (module docstring), a few rows at a time."""
    out = np.empty(rgb16.shape, np.uint16)
    for top in range(0, rgb16.shape[0], _ROWS):
        rows = np.ascontiguousarray(rgb16[top:top + _ROWS])
        out[top:top + _ROWS] = encoded(sdr_display_light(to_sdr_light(rows, transfer)), _srgb16())
    return out


def heif_options(tag: HdrTag) -> dict:
    """pillow-heif's save options that tag a HEIC as ``tag`` (its pixels given as R'G'B': converted to YCbCr with
    its matrix, BT.2020's where it names none) with its HDR metadata."""
    matrix = tag.matrix if tag.matrix in (1, 5, 6, 9) else 9
    return {"color_primaries": tag.primaries, "transfer_characteristics": tag.transfer,
            "matrix_coefficients": matrix, "full_range_flag": 1, **tag.static}


def is_hdr_photo(path: Path) -> bool:
    """Whether the photo at ``path`` is tagged PQ or HLG (``hdr_tag``), from its header; False where it cannot be
    read (the run says why)."""
    from enlight.errors import EnlightError
    from enlight.stream.io.photo_formats import open_image, require_format_support

    try:
        require_format_support(path)
        with open_image(path) as image:
            return hdr_tag(path, image.format or "", image.info, image.info.get("icc_profile")) is not None
    except (OSError, ValueError, SyntaxError, EnlightError):
        return False
