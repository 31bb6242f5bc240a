"""Small real ICC profiles for tests, written here byte by byte (ICC v2): a grey one with a gamma tone curve, a
wide-gamut RGB one, and a CMYK one whose table (A2B0, lut16Type) takes inks to CIELAB, as a printer's does.
LittleCMS reads each, through Pillow's ImageCms as through ``enlight.stream.io.lcms16``.

    grey_profile(1.0)     # linear grey: a mid-level 0.5 is sRGB 0.735 (a viewer shows it far lighter than as sRGB)
    rgb_profile()         # Display P3's primaries, gamma 2.2: a wide-gamut RGB one
    cmyk_profile()        # inks -> Lab, as (1 - c)(1 - k) ... through sRGB on a cream paper, a 5-point grid
"""

from __future__ import annotations

import struct

import numpy as np

_D50 = (0.9642, 1.0, 0.8249)
PAPER = (1.0, 0.93, 0.78)  # the CMYK profile's paper, as sRGB: cream, not white


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(values) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in values)


def _desc(text: str) -> bytes:
    ascii_text = text.encode() + b"\0"
    return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 8
            + b"\0\0" + b"\0" * 67)  # no Unicode, no ScriptCode (67 bytes)


def _profile(device_class: bytes, space: bytes, pcs: bytes, tags: dict[bytes, bytes]) -> bytes:
    """A whole profile: 128-byte header, tag table, then each tag's data on a 4-byte boundary."""
    table_size = 4 + 12 * len(tags)
    at, entries, data = 128 + table_size, b"", b""
    for signature, body in tags.items():
        body += b"\0" * (-len(body) % 4)
        entries += signature + struct.pack(">II", at + len(data), len(body))
        data += body
    size = 128 + table_size + len(data)
    header = (struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + device_class + space + pcs
              + b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + b"".join(_s15(v) for v in _D50))
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + entries + data


def grey_profile(gamma: float) -> bytes:
    """A grey display profile whose tone curve is ``gamma`` (1.0: linear light)."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    return _profile(b"mntr", b"GRAY", b"XYZ ", {b"desc": _desc(f"grey gamma {gamma}"), b"wtpt": _xyz(_D50),
                                                 b"kTRC": curve})


def rgb_profile(gamma: float = 2.2) -> bytes:
    """A wide-gamut RGB display profile: Display P3's primaries (adapted to D50, as its tags hold them), a ``gamma``
    tone curve on each channel."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    colorants = {b"rXYZ": (0.5151, 0.2412, -0.0011), b"gXYZ": (0.2920, 0.6922, 0.0419),
                 b"bXYZ": (0.1571, 0.0666, 0.7841)}
    tags = {b"desc": _desc("wide gamut"), b"wtpt": _xyz(_D50)} | {key: _xyz(value) for key, value in colorants.items()}
    return _profile(b"mntr", b"RGB ", b"XYZ ", tags | {b"rTRC": curve, b"gTRC": curve, b"bTRC": curve})


def _lab_of_inks(cmyk: np.ndarray) -> np.ndarray:
    """(..., 4) inks 0-1 -> (..., 3) CIELAB (D50) of (1 - c)(1 - k), (1 - m)(1 - k), (1 - y)(1 - k) as sRGB, on a
    cream paper (``PAPER``: what the plain formula, white paper, gets wrong)."""
    rgb = (1 - cmyk[..., :3]) * (1 - cmyk[..., 3:]) * np.array(PAPER)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    to_xyz_d50 = np.array([[0.4360, 0.3851, 0.1431], [0.2225, 0.7169, 0.0606], [0.0139, 0.0971, 0.7139]])
    xyz = linear @ to_xyz_d50.T / np.array(_D50)
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def cmyk_profile(grid: int = 5) -> bytes:
    """A CMYK output profile: A2B0 a lut16Type of ``grid`` points on each ink (identity curves) to Lab."""
    axis = np.linspace(0, 1, grid)
    inks = np.stack(np.meshgrid(axis, axis, axis, axis, indexing="ij"), -1).reshape(-1, 4)  # C slowest
    lab = _lab_of_inks(inks)
    encoded = np.stack([lab[:, 0] * 652.80, (lab[:, 1] + 128) * 256, (lab[:, 2] + 128) * 256], -1)  # v2 Lab
    table = np.clip(np.round(encoded), 0, 65535).astype(">u2").tobytes()
    identity = np.array([0, 65535], ">u2").tobytes()
    lut = (b"mft2\0\0\0\0" + bytes([4, 3, grid, 0]) + b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
           + struct.pack(">HH", 2, 2) + identity * 4 + table + identity * 3)
    return _profile(b"prtr", b"CMYK", b"Lab ", {b"desc": _desc("test inks"), b"wtpt": _xyz(_D50), b"A2B0": lut})
