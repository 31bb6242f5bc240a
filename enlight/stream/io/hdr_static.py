"""HDR10's static metadata, for ``--hdr keep``: the mastering display (SMPTE ST 2086: its primaries, white point and
luminance range) and the content light levels (CTA-861.3: MaxCLL, MaxFALL). An HDR10 source states them with its
frames (FFmpeg's frame side data); a player or TV tone-maps the picture to its own screen from them, and without
them assumes a 1000- or 4000-nit master. PyAV cannot attach side data to the frames it encodes, so they are
handed to the encoder as its own options: libx265's ``master-display`` and ``max-cll`` (``x265_params``), SVT-AV1's
``mastering-display`` and ``content-light`` (``svtav1_params``); other encoders get a note.

FFmpeg's structures, read from the side data's bytes: AVMasteringDisplayMetadata is display_primaries[3][2]
(R, G, B; x, y), white_point[2], min_luminance, max_luminance (each an AVRational: two int32), then
has_primaries and has_luminance (int32); AVContentLightMetadata is MaxCLL and MaxFALL (unsigned int32).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from fractions import Fraction

import av

from enlight.stream.io.side_data import frame_side_data

_MASTERING = av.sidedata.sidedata.Type.MASTERING_DISPLAY_METADATA
_LIGHT = av.sidedata.sidedata.Type.CONTENT_LIGHT_LEVEL
_CHROMA_UNIT, _LUMA_UNIT = 50000, 10000  # HEVC's SEI units: 0.00002 for x and y, 0.0001 cd/m2


@dataclass(frozen=True)
class HdrStatic:
    """primaries: ((x, y) of green, blue, red), white: (x, y), luminance: (max, min) in cd/m2, each None where the
    source does not state it; light: (MaxCLL, MaxFALL) in cd/m2, or None."""

    primaries: tuple[tuple[Fraction, Fraction], ...] | None = None
    white: tuple[Fraction, Fraction] | None = None
    luminance: tuple[Fraction, Fraction] | None = None
    light: tuple[int, int] | None = None

    def describe(self) -> str:
        parts = [f"mastering display {float(self.luminance[0]):g}/{float(self.luminance[1]):g} cd/m2"] \
            if self.luminance else (["mastering display primaries"] if self.primaries else [])
        parts += [f"MaxCLL {self.light[0]}, MaxFALL {self.light[1]}"] if self.light else []
        return ", ".join(parts)


def read_hdr_static(frame: av.VideoFrame) -> HdrStatic | None:
    """What ``frame``'s side data states of HDR10's static metadata; None when it states nothing."""
    mastering = light = None
    for data in frame_side_data(frame):
        if data.type == _MASTERING and data.buffer_size >= 88:
            mastering = bytes(data)
        elif data.type == _LIGHT and data.buffer_size >= 8:
            light = struct.unpack_from("=II", bytes(data))
    found = replace(_mastering(mastering) if mastering else HdrStatic(), light=light if light and any(light) else None)
    return found if found != HdrStatic() else None


_DYNAMIC = {"DYNAMIC_HDR_PLUS": "HDR10+", "DOVI_RPU_BUFFER": "Dolby Vision", "DOVI_METADATA": "Dolby Vision",
            "DYNAMIC_HDR_VIVID": "HDR Vivid"}  # frame side data that carries scene-by-scene tone mapping


def dynamic_metadata(frame: av.VideoFrame) -> list[str]:
    """The names of the dynamic HDR metadata ``frame`` carries (HDR10+, Dolby Vision, HDR Vivid): per-scene
    brightness for a display's tone mapping. None of it is kept: it describes the original's brightness, not the
    enhanced picture's, and PyAV cannot attach side data to the frames it encodes."""
    return sorted({_DYNAMIC[data.type.name] for data in frame_side_data(frame) if data.type.name in _DYNAMIC})


def _mastering(raw: bytes) -> HdrStatic:
    values = struct.unpack_from("=20i", raw)  # 10 rationals: R, G, B (x, y), white (x, y), min, max luminance
    rationals = [Fraction(n, d) if d else None for n, d in zip(values[0:20:2], values[1:20:2], strict=True)]
    has_primaries, has_luminance = struct.unpack_from("=ii", raw, 80)
    red, green, blue = (tuple(rationals[i:i + 2]) for i in (0, 2, 4))
    primaries = (green, blue, red) if has_primaries and None not in (*red, *green, *blue) else None
    white = tuple(rationals[6:8]) if has_primaries and None not in rationals[6:8] else None
    luminance = (rationals[9], rationals[8]) if has_luminance and None not in rationals[8:10] else None
    return HdrStatic(primaries, white, luminance)


def x265_params(static: HdrStatic) -> str:
    """libx265's options for ``static``: 'master-display=G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min):max-cll=CLL,FALL'
    (the parts stated), in the units of HEVC's SEI."""
    parts = []
    if static.primaries and static.white and static.luminance:
        xy = "".join(f"{name}({round(x * _CHROMA_UNIT)},{round(y * _CHROMA_UNIT)})"
                     for name, (x, y) in zip(("G", "B", "R", "WP"), (*static.primaries, static.white), strict=True))
        parts.append(f"master-display={xy}L({round(static.luminance[0] * _LUMA_UNIT)},"
                     f"{round(static.luminance[1] * _LUMA_UNIT)})")
    if static.light:
        parts.append(f"max-cll={static.light[0]},{static.light[1]}")
    return ":".join(parts)


def svtav1_params(static: HdrStatic) -> str:
    """SVT-AV1's options for ``static``: 'mastering-display=G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min):content-light=CLL,FALL'
    (the parts stated), as decimal chromaticities and cd/m2."""
    parts = []
    if static.primaries and static.white and static.luminance:
        xy = "".join(f"{name}({float(x):.5f},{float(y):.5f})"
                     for name, (x, y) in zip(("G", "B", "R", "WP"), (*static.primaries, static.white), strict=True))
        parts.append(f"mastering-display={xy}L({float(static.luminance[0]):.4f},{float(static.luminance[1]):.4f})")
    if static.light:
        parts.append(f"content-light={static.light[0]},{static.light[1]}")
    return ":".join(parts)


_PARAMS = {"libx265": ("x265-params", x265_params), "libsvtav1": ("svtav1-params", svtav1_params)}


def with_static(codec: str, options: dict[str, str], static: HdrStatic | None) -> tuple[dict[str, str], list[str]]:
    """(``codec``'s encoder options with ``static`` added where it takes them: libx265, libsvtav1; a note where it
    does not)."""
    if static is None:
        return options, []
    if codec not in _PARAMS:
        return options, [f"the HDR10 metadata ({static.describe()}) was not kept: {codec} is not given it here "
                         "(--codec libx265, or libsvtav1 in a .webm, keeps it)"]
    key, params = _PARAMS[codec]
    return {**options, key: ":".join(filter(None, (options.get(key), params(static))))}, []


__all__ = ["HdrStatic", "dynamic_metadata", "read_hdr_static", "svtav1_params", "with_static", "x265_params"]
