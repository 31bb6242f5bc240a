"""Netpbm photos (.ppm colour, .pgm grey, .pnm either): what Pillow leaves to us. A 1-bit bitmap (.pbm, or a P1/P4
file by another name) is refused: it has no shades for the model to lift.

Pillow reads a PPM of more than 8 bits a channel (a maxval past 255: 65535 from a scanner or ``dcraw -4``, 1023,
4095) at 8 bits, and writes none; a PGM's it reads at 16 (mode I). The deep pixels of both are read by FFmpeg's
decoder, as a 16-bit PNG's are (``enlight.stream.io.photo_reader``), N-bit white at 65535, and written here at 16
bits: maxval 65535, big-endian, as the format stores them. A .pgm output holds one channel (a colour picture is
written as its BT.601 luma, with a note), a .ppm three, a .pnm either (one where the picture stays grey).

    header = netpbm_header(path)     # NetpbmHeader('P6', width, height, maxval) or None
    netpbm_bits(path)                # 16 for maxval 65535, 10 for 1023, 8 for 255, 1 for a bitmap; 8 unreadable
    write_netpbm16(path, pixels16)   # (H, W, 1) -> P5, (H, W, 3) -> P6, maxval 65535
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from enlight.ops.luma import BT601_LUMA

NETPBM_SUFFIXES = frozenset({".ppm", ".pgm", ".pnm"})  # read and written
BITMAP_SUFFIX = ".pbm"  # 1-bit: refused
_TOKEN = re.compile(rb"(?:\s|#[^\n\r]*)*(\d+)")  # a header's number after white space and comments


@dataclass(frozen=True)
class NetpbmHeader:
    """kind: 'P1'..'P6' (P1/P4 a bitmap, P2/P5 grey, P3/P6 colour; P1-P3 as text); maxval: white (1 for a bitmap)."""

    kind: str
    width: int
    height: int
    maxval: int

    @property
    def bitmap(self) -> bool:
        return self.kind in ("P1", "P4")


def netpbm_header(path: Path) -> NetpbmHeader | None:
    """The header of the Netpbm file at ``path`` (its first bytes: magic, width, height and, but for a bitmap,
    maxval, with any comments between them); None where it is not one or cannot be read."""
    try:
        with open(path, "rb") as file:
            head = file.read(4096)
    except OSError:
        return None
    kind = head[:2].decode("latin-1")
    if kind not in ("P1", "P2", "P3", "P4", "P5", "P6"):
        return None
    numbers, at = [], 2
    while len(numbers) < (2 if kind in ("P1", "P4") else 3):
        found = _TOKEN.match(head, at)
        if found is None:
            return None
        numbers.append(int(found.group(1)))
        at = found.end()
    width, height, maxval = (*numbers, 1) if len(numbers) == 2 else numbers
    return NetpbmHeader(kind, width, height, maxval) if 0 < maxval < 65536 else None


def netpbm_bits(path: Path) -> int:
    """The bits a channel of the Netpbm file at ``path``: those of its maxval (65535: 16, 1023: 10, 255: 8, a
    bitmap 1); 8 where its header cannot be read."""
    header = netpbm_header(path)
    return header.maxval.bit_length() if header is not None else 8


def one_bit_error_text(name: str) -> str:
    """The one line that refuses a 1-bit bitmap named ``name``."""
    return (f"{name} is a 1-bit picture (black and white only: a Netpbm bitmap): it has no shades of light for the "
            "model to lift; a grey or colour photo is enhanced (.pgm, .ppm, .png, .jpg, ...)")


def netpbm_channels(suffix: str, *, grey: bool) -> int:
    """The channels a Netpbm output named ``suffix`` holds of a picture that stays ``grey`` (or not): .pgm 1, .ppm
    3, .pnm either."""
    if suffix == ".pgm":
        return 1
    return 1 if suffix == ".pnm" and grey else 3


def grey_of(pixels: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 or uint16 RGB -> (H, W, 1) of the same type: its BT.601 luma (three equal channels: the
    first), rounded."""
    if np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 1], pixels[..., 2]):
        return np.ascontiguousarray(pixels[..., :1])
    luma = np.tensordot(pixels.astype(np.float32), np.asarray(BT601_LUMA, np.float32), axes=([2], [0]))
    top = np.iinfo(pixels.dtype).max
    return np.clip(np.round(luma), 0, top).astype(pixels.dtype)[..., None]


def write_netpbm16(path: Path, pixels16: np.ndarray) -> None:
    """A 16-bit Netpbm file of (H, W, 1) uint16 grey (P5) or (H, W, 3) RGB (P6): maxval 65535, big-endian."""
    height, width, channels = pixels16.shape
    kind = b"P5" if channels == 1 else b"P6"
    with open(path, "wb") as out:
        out.write(kind + b"\n%d %d\n65535\n" % (width, height))
        out.write(np.ascontiguousarray(pixels16.astype(">u2")).tobytes())
