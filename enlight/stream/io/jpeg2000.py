"""JPEG 2000 photos (.jp2 files, .j2k bare codestreams), read and written through Pillow's OpenJPEG: what it leaves
to us.

    reversible(path)   # True: the lossless 5-3 wavelet; False: the lossy 9-7 one; None where it cannot be told
    jp2_icc(path)      # the ICC profile in a JP2's colour box (Pillow reads none), or None
    jp2_bits(path)     # the bits a channel of its first component (its SIZ marker); 8 where it cannot be read
    jp2_comments(path)           # its comments (COM markers), less an encoder's signature
    with_comments(data, comments)   # a JPEG 2000 file's bytes with those comments in its codestream's header
    unread_jpx(path)   # why a JPEG 2000 part 2 file (.jpf, .jpx) is not read, in one line; '' where it is
    save_options(lossless=..., quality=95)   # Pillow's save options
    with_resolution(data, dpi)   # a JP2 file's bytes with a print resolution (its 'res ' box), which Pillow omits

Pillow reads a colour picture of more than 8 bits a channel at 8 (a grey one at 16): deeper ones are read at their
depth by FFmpeg's decoder, as a 16-bit PNG is (``enlight.stream.io.photo_reader``), and written at 8 (Pillow writes
no deep colour). A .jp2 output keeps its source's kind: a lossless (reversible) one is written lossless, a lossy
one, or a photo of another format, at --photo-quality: OpenJPEG's layer at a PSNR that ``psnr_for`` gives, about
what a JPEG of that quality measures (100: lossless). Pillow writes no ICC profile, EXIF or XMP into one: a photo
in another profile is written in sRGB (``enlight.stream.io.rgb_profile.in_srgb``), and no resolution: a .jp2's
is added in its header's resolution box (``with_resolution``; a .j2k codestream has no place for one). Its comments
(a scanner's, an archive's) are read from its codestream's COM markers and written into one's again
(``with_comments``), less the signature an encoder leaves in each file it writes ('Created by OpenJPEG version
2.5.4', FFmpeg's 'Lavc62.28.102', Kakadu's): it names the program that wrote that file, not the photo.
"""

from __future__ import annotations

import io
import re
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np

_SOC_SIZ = b"\xff\x4f\xff\x51"  # a codestream's first two markers
_COD, _SOT, _COM = b"\xff\x52", b"\xff\x90", b"\xff\x64"
_SIGNATURE = re.compile(rb"Created by OpenJPEG version \S+|Lavc[\d.]+|Kakadu-v?\S+")  # an encoder's own comment
_COMMENT_BYTES = 65531  # the most a COM segment holds after its length and registration (Rcom)
_JP2 = b"\x00\x00\x00\x0cjP  \r\n\x87\n"  # a JP2 file's signature box
CODESTREAM_SUFFIX = ".j2k"  # a bare codestream (the other JPEG 2000 names: a JP2 file)
# --photo-quality -> PSNR (dB): the mean of 9 LOL and MEF photos written by Pillow as JPEG (4:4:4 from 90) measured
# 36.1 dB at 50, 38.1 at 75, 42.0 at 90, 43.9 at 95; OpenJPEG's layer at a PSNR lands within 0.5 dB of it
_QUALITY = (1, 50, 75, 90, 95, 99)
_PSNR = (24.0, 36.0, 38.0, 42.0, 44.0, 48.0)


def _boxes(file, start: int, end: int | None):
    """(type, content offset, content end) of the boxes from ``start`` to ``end`` (None: the file's end) of an
    open JP2 file."""
    at = start
    while end is None or at + 8 <= end:
        file.seek(at)
        head = file.read(16)
        if len(head) < 8:
            return
        size, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if size == 1 and len(head) == 16:
            size, header = struct.unpack(">Q", head[8:16])[0], 16
        stop = (end if end is not None else at + (1 << 62)) if size == 0 else at + size
        yield kind, at + header, stop
        if size == 0 or size < header:
            return
        at = stop


def _codestream_head(path: Path, size: int = 1 << 16) -> bytes:
    """The first ``size`` bytes of the codestream of the JPEG 2000 file at ``path`` (a JP2's 'jp2c' box, or the
    whole of a bare codestream); b'' where there is none."""
    try:
        with open(path, "rb") as file:
            if file.read(4) == _SOC_SIZ:
                file.seek(0)
                return file.read(size)
            file.seek(0)
            if file.read(12) != _JP2:
                return b""
            for kind, at, _ in _boxes(file, 0, None):
                if kind == b"jp2c":
                    file.seek(at)
                    return file.read(size)
    except OSError:
        pass
    return b""


def _markers(head: bytes):
    """(marker, offset) of the main header's marker segments of a codestream's first bytes, SIZ on, until the
    first tile (SOT)."""
    at = 2 if head.startswith(_SOC_SIZ) else len(head)
    while at + 4 <= len(head):
        marker = head[at:at + 2]
        if marker == _SOT or marker[0] != 0xFF:
            return
        yield marker, at
        at += 2 + int.from_bytes(head[at + 2:at + 4], "big")


def reversible(path: Path) -> bool | None:
    """Whether the JPEG 2000 file at ``path`` is coded with the reversible 5-3 wavelet (its COD marker's
    transform: what a lossless file uses; the 9-7 one is lossy); None where it cannot be told."""
    head = _codestream_head(path)
    for marker, at in _markers(head):
        if marker == _COD and at + 14 <= len(head):
            return head[at + 13] == 1
    return None


def jp2_bits(path: Path) -> int:
    """The bits a channel of the JPEG 2000 file at ``path``: its first component's, from its SIZ marker; 8 where it
    cannot be read."""
    head = _codestream_head(path, 64)
    return (head[42] & 0x7F) + 1 if len(head) > 42 and head.startswith(_SOC_SIZ) else 8


def jp2_comments(path: Path) -> tuple[bytes, ...]:
    """The comments of the JPEG 2000 file at ``path``: its codestream's main header's COM markers, as stored (after
    their registration: text or binary), less an encoder's signature (module docstring); () where it has none or
    cannot be read. (Pillow's ``info["comment"]`` holds the first alone.)"""
    head, found = _codestream_head(path, 1 << 20), []
    for marker, at in _markers(head):
        end = at + 2 + int.from_bytes(head[at + 2:at + 4], "big")
        if marker == _COM and end <= len(head) and not _SIGNATURE.fullmatch(head[at + 6:end]):
            found.append(head[at + 6:end])
    return tuple(comment for comment in found if comment)


def _com_segments(comments: tuple[bytes, ...]) -> bytes:
    """COM marker segments holding ``comments``, each in parts of at most ``_COMMENT_BYTES``: registration 1
    (Latin-1 text) where a comment is text, 0 (binary) where it holds control bytes."""
    out = b""
    for comment in comments:
        text = not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", comment)
        for start in range(0, len(comment), _COMMENT_BYTES):
            part = comment[start:start + _COMMENT_BYTES]
            out += _COM + struct.pack(">HH", 4 + len(part), int(text)) + part
    return out


def with_comments(data: bytes, comments: tuple[bytes, ...]) -> bytes:
    """A JPEG 2000 file's bytes (a JP2 file, or a bare codestream) with COM segments holding ``comments`` at the end
    of its codestream's main header (before its first tile), the JP2's codestream box made as much longer; ``data``
    as it is where there are none, or its codestream's header cannot be read."""
    start, box = 0, None
    if comments and data.startswith(_JP2):
        found = [at for kind, at, _ in _boxes(io.BytesIO(data), 0, None) if kind == b"jp2c"]
        start = found[0] if found and data[found[0] - 4:found[0]] == b"jp2c" else len(data)  # (no 64-bit length)
        box = start - 8
    head = data[start:start + (1 << 20)]
    markers = list(_markers(head)) if comments else []
    if not markers:
        return data
    at = markers[-1][1] + 2 + int.from_bytes(head[markers[-1][1] + 2:markers[-1][1] + 4], "big")
    if head[at:at + 2] != _SOT:
        return data
    added = _com_segments(comments)
    data = data[:start + at] + added + data[start + at:]
    if box is not None and data[box:box + 4] != b"\0\0\0\0":  # (0: to the file's end)
        data = data[:box] + struct.pack(">I", int.from_bytes(data[box:box + 4], "big") + len(added)) + data[box + 4:]
    return data


def unread_jpx(path: Path) -> str:
    """Why the JPEG 2000 file at ``path`` is not read, in one line, where it is a part 2 (JPX) file whose picture is
    in no codestream box (its codestream in fragments, 'ftbl', or in a compositing layer's header, 'jpch'), which
    OpenJPEG does not read: it reads a JP2's 'jp2c' box alone (a .jpf or .jpx that holds one is read as a JP2);
    '' otherwise."""
    try:
        with open(path, "rb") as file:
            if file.read(12) != _JP2:
                return ""
            kinds = {kind for kind, _, _ in _boxes(file, 0, None)}
    except (OSError, struct.error):
        return ""
    if b"jp2c" in kinds:
        return ""
    held = ", ".join(kind.decode("latin-1").strip() for kind in (b"ftbl", b"jpch", b"jplh") if kind in kinds)
    return (f"{path.name} is a JPEG 2000 part 2 (JPX) file whose picture is in no codestream box"
            f"{f' ({held})' if held else ''}: OpenJPEG, which reads JPEG 2000 here, does not read it; convert it to "
            ".jp2 or .tif first (kdu_expand, say)")


def jp2_icc(path: Path) -> bytes | None:
    """The ICC profile of the JP2 file at ``path``: its header's colour box ('colr', method 2 or 3), which Pillow
    does not read; None for a bare codestream, a file that names its colours (sRGB, grey) or that cannot be read."""
    try:
        with open(path, "rb") as file:
            if file.read(12) != _JP2:
                return None
            for kind, at, end in _boxes(file, 0, None):
                if kind != b"jp2h":
                    continue
                for inner, start, stop in _boxes(file, at, end):
                    file.seek(start)
                    if inner == b"colr" and file.read(1) in (b"\x02", b"\x03"):
                        file.seek(start + 3)
                        icc = file.read(stop - start - 3)
                        return icc if len(icc) >= 128 else None
                return None
    except (OSError, struct.error):
        pass
    return None


def psnr_for(quality: int) -> float:
    """The PSNR (dB) of OpenJPEG's layer for a --photo-quality of 1..99 (module docstring)."""
    return round(float(np.interp(quality, _QUALITY, _PSNR)), 1)


def save_options(*, lossless: bool, quality: int, suffix: str = ".jp2") -> dict:
    """Pillow's save options of a JPEG 2000 output named ``suffix``: the reversible wavelet and no layer (lossless)
    where ``lossless`` or at a ``quality`` of 100, else the 9-7 wavelet and one layer at ``psnr_for(quality)``; a bare
    codestream for .j2k in any case (Pillow takes one only from a lower-case '.j2k' name: a .J2K got a JP2 file)."""
    kind = {"no_jp2": suffix.lower() == CODESTREAM_SUFFIX}
    if lossless or quality >= 100:
        return {"irreversible": False, **kind}
    return {"irreversible": True, "quality_mode": "dB", "quality_layers": [psnr_for(quality)], **kind}


_METRES_AN_INCH = Fraction(254, 10000)
_MOST = 65535  # a resolution box's numerators and denominators are 16 bits


def _per_metre(dpi: float) -> tuple[int, int, int]:
    """(numerator, denominator, exponent) of a resolution box: ``dpi`` in pixels a metre, as num / den * 10**exp,
    the exponent from 0 up (Pillow reads it unsigned) to the first that leaves the numerator room; within 0.001%
    (300 dpi: 11811 / 1 a metre, read back as 299.9994 dpi, as a PNG's pHYs in whole pixels a metre reads)."""
    value = Fraction(dpi).limit_denominator(1_000_000) / _METRES_AN_INCH
    exponent = 0
    while value / 10 ** exponent > _MOST:
        exponent += 1
    scaled = value / 10 ** exponent
    near = scaled.limit_denominator(max(1, int(_MOST // max(scaled, 1))))
    return min(near.numerator, _MOST) or 1, near.denominator, exponent


def with_resolution(data: bytes, dpi: tuple[float, float]) -> bytes:
    """A JP2 file's bytes (as Pillow wrote them: signature, 'ftyp', 'jp2h', then the codestream) with a resolution
    box in its header ('res ' holding 'resc', which Pillow reads as the dpi, and 'resd', the display resolution,
    which other readers take): ``dpi`` (horizontal, vertical) in pixels a metre. ``data`` as it is where it is no
    JP2 file, or its header has a resolution box already or a length this does not rewrite."""
    if not data.startswith(_JP2):
        return data
    at = 12
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"jp2h":
            if size < 8 or b"res " in data[at + 8:at + size]:
                return data
            (hn, hd, he), (vn, vd, ve) = _per_metre(dpi[0]), _per_metre(dpi[1])
            fields = struct.pack(">HHHHBB", vn, vd, hn, hd, ve, he)  # vertical first
            inner = b"".join(struct.pack(">I4s", 8 + len(fields), kind) + fields for kind in (b"resc", b"resd"))
            box = struct.pack(">I4s", 8 + len(inner), b"res ") + inner
            return data[:at] + struct.pack(">I4s", size + len(box), kind) + data[at + 8:at + size] + box + \
                data[at + size:]
        if size < 8:
            return data
        at += size
    return data
