"""Whether a JPEG XL file is lossless, from its codestream's header (ISO/IEC 18181-1, A.3 to A.5), which pyjpegxl's
probe does not say.

    xyb_encoded(data)   # True: lossy (libjxl codes a lossy file in its XYB colours); False: lossless; None: not told

A lossless .jxl (``cjxl -d 0``, an editor's lossless export) keeps its own colours (``xyb_encoded`` false, what
``jxlinfo`` reports as '(possibly) lossless'); libjxl's lossy coding is in XYB. The header is read bit by bit, least
significant first: the size, then the image metadata up to that flag (orientation, intrinsic size, preview,
animation, bit depth and the extra channels, an alpha among them, come before it). In a container, the codestream is
the 'jxlc' box, or the 'jxlp' boxes after their 4-byte index.
"""

from __future__ import annotations

import struct

_CODESTREAM = b"\xff\x0a"
_CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
_SIZE = ((9, 1), (13, 1), (18, 1), (30, 1))  # SizeHeader's U32 of a side (bits, offset)
_PREVIEW_DIV8 = (16, 32, (5, 1), (9, 33))
_PREVIEW = ((6, 1), (8, 65), (10, 321), (12, 1345))


class _Bits:
    """A reader of ``data``'s bits, least significant first; IndexError past its end."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def u(self, count: int) -> int:
        value = 0
        for i in range(count):
            value |= ((self.data[self.at >> 3] >> (self.at & 7)) & 1) << i
            self.at += 1
        return value

    def flag(self) -> bool:
        return bool(self.u(1))

    def u32(self, *choices) -> int:
        """A U32: 2 bits choose one of four: a value (int) or (bits, offset)."""
        chosen = choices[self.u(2)]
        return chosen if isinstance(chosen, int) else self.u(chosen[0]) + chosen[1]


def _size(bits: _Bits) -> None:
    small = bits.flag()
    bits.u(5) if small else bits.u32(*_SIZE)
    if bits.u(3) == 0:  # no aspect ratio: the width too
        bits.u(5) if small else bits.u32(*_SIZE)


def _preview(bits: _Bits) -> None:
    choices = _PREVIEW_DIV8 if bits.flag() else _PREVIEW
    bits.u32(*choices)
    if bits.u(3) == 0:
        bits.u32(*choices)


def _bit_depth(bits: _Bits) -> None:
    if bits.flag():  # floating point samples
        bits.u32(32, 16, 24, (6, 1))
        bits.u(4)
    else:
        bits.u32(8, 10, 12, (6, 1))


def _extra_channel(bits: _Bits) -> None:
    if bits.flag():  # all default: an 8-bit alpha
        return
    kind = bits.u32(0, 1, (4, 2), (6, 18))
    _bit_depth(bits)
    bits.u32(0, 3, 4, (3, 1))  # dim_shift
    bits.u(8 * bits.u32(0, (4, 0), (5, 16), (10, 48)))  # its name
    if kind == 0:  # alpha: associated or not
        bits.flag()
    elif kind == 2:  # a spot colour: 4 half floats
        bits.u(64)
    elif kind == 5:  # a CFA channel
        bits.u32(1, (2, 0), (4, 3), (8, 19))


def _metadata_xyb(bits: _Bits) -> bool:
    """ImageMetadata up to xyb_encoded, which it returns."""
    if bits.flag():  # all default: XYB
        return True
    if bits.flag():  # extra fields
        bits.u(3)  # orientation
        if bits.flag():
            _size(bits)  # intrinsic size
        if bits.flag():
            _preview(bits)
        if bits.flag():  # animation: ticks per second, loops, timecodes
            bits.u32(100, 1000, (10, 1), (30, 1))
            bits.u32(1, 1001, (8, 1), (10, 1))
            bits.u32(0, (3, 0), (16, 0), (32, 0))
            bits.flag()
    _bit_depth(bits)
    bits.flag()  # modular 16-bit buffers
    for _ in range(bits.u32(0, 1, (4, 2), (12, 1))):
        _extra_channel(bits)
    return bits.flag()


def _codestream(data: bytes) -> bytes:
    """The codestream's first bytes of a .jxl's ``data`` (the file's first kilobytes): as they are, or from its
    container's 'jxlc' or first 'jxlp' box; b'' where there is none."""
    if data.startswith(_CODESTREAM):
        return data
    if not data.startswith(_CONTAINER):
        return b""
    at = len(_CONTAINER)
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        header = 8
        if size == 1 and at + 16 <= len(data):
            size, header = struct.unpack(">Q", data[at + 8:at + 16])[0], 16
        if kind == b"jxlc":
            return data[at + header:]
        if kind == b"jxlp":
            return data[at + header + 4:]
        if size < header:
            return b""
        at += size
    return b""


def xyb_encoded(data: bytes) -> bool | None:
    """Whether the .jxl whose first kilobytes are ``data`` is coded in XYB (lossy); False for its own colours (what
    a lossless file keeps); None where its header cannot be read from them."""
    stream = _codestream(data)
    if not stream.startswith(_CODESTREAM):
        return None
    bits = _Bits(stream[2:])
    try:
        _size(bits)
        return _metadata_xyb(bits)
    except IndexError:
        return None
