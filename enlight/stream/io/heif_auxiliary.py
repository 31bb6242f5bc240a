"""The pictures a HEIC stores beside its photo: an iPhone's HDR gain map (``urn:com:apple:photo:2020:aux:hdrgainmap``,
or ISO 21496-1's), a portrait's depth map and its mattes (skin, hair, teeth, the portrait effect), each an auxiliary
image of the primary one. The enhanced photo is written alone: the gain map was made for the dark original's tones
(an HDR screen would brighten the new picture by the old map), and pillow-heif writes no depth map or matte; so a
note names what was left out, as a JPEG's gain map gets (``enlight.stream.apps.motion_clip``).
"""

from __future__ import annotations

from pathlib import Path

GAIN_MAP = "HDR gain map"
_DEPTH = "depth map"


def auxiliary_images(path: Path) -> tuple[str, ...]:
    """What the HEIF at ``path`` stores beside its primary picture, each named once in words ('HDR gain map',
    'depth map', 'portrait matte', 'auxiliary image'); () for none, or a file pillow-heif cannot open."""
    try:
        import pillow_heif

        heif = pillow_heif.open_heif(path)
        urns, depth = list(heif.info.get("aux") or {}), bool(heif.info.get("depth_images"))
    except (ImportError, OSError, ValueError, RuntimeError):
        return ()
    names = [_name(urn) for urn in urns] + ([_DEPTH] if depth else [])
    return tuple(dict.fromkeys(names))


def _name(urn: str) -> str:
    if "gainmap" in urn.lower() or "21496" in urn:
        return GAIN_MAP
    if "matte" in urn.lower():
        return "portrait matte"
    if urn.endswith(("auxid:2", ":depth")):
        return _DEPTH
    return "auxiliary image"


def auxiliary_note(names: tuple[str, ...]) -> str:
    """The summary's words for ``names`` (``auxiliary_images``; a JPEG's appended items too) left out; '' for none:
    a gain map was made for the original's tones, the others are not written."""
    notes = [f"the {GAIN_MAP} was left out: it was made for the original's tones"] if GAIN_MAP in names else []
    others = [name for name in names if name != GAIN_MAP]
    if others:
        joined = " and ".join([", ".join(others[:-1]), others[-1]] if len(others) > 1 else others)
        notes.append(f"its {joined} stored beside the picture {'were' if len(others) > 1 else 'was'} left out "
                     "(the output holds the enhanced picture alone)")
    return "; ".join(notes)


__all__ = ["GAIN_MAP", "auxiliary_images", "auxiliary_note"]
