"""H.264 / HEVC NAL units in the Annex B byte stream that FFmpeg's encoders hand out (libx264, libx265, NVENC:
each packet is an access unit's NAL units, each after a 00 00 01 or 00 00 00 01 start code, whatever the
container; the MP4 and Matroska muxers turn them into length-prefixed units themselves).

    units(packet bytes)         -> the NAL units, start codes dropped
    joined(units)               -> Annex B bytes again (4-byte start codes)
    escaped(payload)            -> a NAL unit's payload with emulation prevention bytes put in
    is_picture(codec, unit)     -> whether the unit is coded picture data (a VCL unit), before which an access
                                   unit's SEI must come
"""

from __future__ import annotations

import re

_START = re.compile(b"\x00\x00\x01")


def units(data: bytes) -> list[bytes]:
    """The NAL units of Annex B ``data`` (without their start codes, trailing zero bytes dropped); ``[]`` if
    ``data`` does not begin with a start code."""
    starts = [m.end() for m in _START.finditer(data)]
    if not starts or data[: starts[0] - 3].strip(b"\x00"):
        return []
    ends = [s - 3 for s in starts[1:]] + [len(data)]
    found = (data[s:e].rstrip(b"\x00") for s, e in zip(starts, ends, strict=True))
    return [unit for unit in found if unit]


def joined(nal_units: list[bytes]) -> bytes:
    """Annex B bytes of ``nal_units``, each after a 4-byte start code."""
    return b"".join(b"\x00\x00\x00\x01" + unit for unit in nal_units)


def escaped(payload: bytes) -> bytes:
    """``payload`` with an emulation prevention byte (03) after every two zero bytes that a byte <= 03 follows, so
    that no start code appears inside the NAL unit (H.264 7.4.1, HEVC 7.4.2)."""
    out, zeros = bytearray(), 0
    for byte in payload:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def nal_type(codec: str, unit: bytes) -> int:
    """The NAL unit type of ``unit`` (codec ``h264`` or ``hevc``)."""
    return unit[0] & 0x1F if codec == "h264" else (unit[0] >> 1) & 0x3F


def is_picture(codec: str, unit: bytes) -> bool:
    """Whether ``unit`` carries coded picture data: H.264 types 1-5, HEVC types 0-31."""
    kind = nal_type(codec, unit)
    return 1 <= kind <= 5 if codec == "h264" else kind <= 31


__all__ = ["escaped", "is_picture", "joined", "nal_type", "units"]
