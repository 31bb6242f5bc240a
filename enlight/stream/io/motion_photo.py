"""A phone's motion photo: a JPEG with a short video appended after its picture (Google's Motion Photo format 1.0,
the older MicroVideo form, and Samsung's files that follow Google's), and the other items such a file may append
(an Ultra HDR gain map, a depth map), listed in its XMP.

The file's XMP says what follows the picture: ``GCamera:MotionPhoto="1"`` with a ``Container:Directory`` whose
items (primary picture first) each give a MIME type, a semantic ('MotionPhoto', 'GainMap', 'Depth') and a length
in bytes, the items stored in that order after the primary picture's end; or, in the older form,
``GCamera:MicroVideo="1"`` with ``GCamera:MicroVideoOffset``, the video's length counted from the file's end.
Pillow reads the picture and ignores what follows it, and a picture written again has nothing after it, so an
XMP carried over unchanged promised a video (or a gain map) that the new file does not hold: a viewer read the
picture's own bytes as the video.

A phone writes each value as an attribute (``GCamera:MotionPhoto="1"``, ``<Container:Item Item:Length="..."/>``);
exiftool, which rewrites the whole packet when it changes any tag (``exiftool -gps:all=`` before a photo is shared,
a rating, a keyword), writes the same values as elements (``<GCamera:MotionPhoto>1</GCamera:MotionPhoto>``, an item's
fields as ``<Item:Length>...</Item:Length>``) in single-quoted attributes: both are read and rewritten.

``read_trailer`` finds the video and what else was appended; ``rewrite_xmp`` makes the XMP describe the new file:
the primary picture, then the video at its new length (``video_length``), or no video at all (``None``: the
motion markers set to 0). Items that are not carried over (a gain map made for the original's tones) leave the
directory; an Ultra HDR gain map's ``hdrgm:`` markers go with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


def _value(name: bytes, value: bytes) -> re.Pattern:
    """``name``'s ``value`` as an attribute (``name="value"``, either quote) or an element (``<name>value</name>``):
    groups 'head' (up to the value), 'value' and 'tail'."""
    return re.compile(rb"(?P<head>(?:\b" + name + rb"\s*=\s*[\"']|<" + name + rb">)\s*)(?P<value>" + value +
                      rb")(?P<tail>\s*(?:[\"']|</" + name + rb">))")


_MOTION = _value(rb"GCamera:(?:MotionPhoto|MicroVideo)", rb"1")
_LEGACY_OFFSET = _value(rb"GCamera:MicroVideoOffset", rb"\d+")
_ITEM = re.compile(rb"<rdf:li\b[^>]*>\s*<Container:Item\b(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</Container:Item>)"
                   rb"\s*</rdf:li>\s*", re.S)
_FIELD = re.compile(rb"""Item:(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')|<Item:(\w+)>\s*([^<]*?)\s*</Item:\4>""")
_GAIN_MAP_MARKS = re.compile(rb"""\s+hdrgm:\w+\s*=\s*(?:"[^"]*"|'[^']*')|\s*<hdrgm:(\w+)>[^<]*</hdrgm:\1>""")
_VIDEO_SEMANTIC = "MotionPhoto"


@dataclass(frozen=True)
class Item:
    """One entry of the container directory: ``semantic`` ('Primary', 'MotionPhoto', 'GainMap', ...), ``mime``,
    ``length`` and ``padding`` in bytes (the primary's length is 0: it runs to its own end)."""

    semantic: str
    mime: str
    length: int
    padding: int


@dataclass(frozen=True)
class Trailer:
    """What a JPEG carries after its picture: ``video`` the motion photo's clip (an MP4's bytes; None: none, or it
    could not be found where the XMP says), ``mime`` its type, ``left_out`` the semantics of the other items
    (they are not carried over)."""

    video: bytes | None
    mime: str = "video/mp4"
    left_out: tuple[str, ...] = ()


def directory(xmp: bytes) -> list[Item]:
    """The container directory's items, in order ([] without one)."""
    items = []
    for match in _ITEM.finditer(xmp):
        fields = _fields(match)
        items.append(Item(fields.get("Semantic", ""), fields.get("Mime", ""), _int(fields.get("Length")),
                          _int(fields.get("Padding"))))
    return items


def _fields(item: re.Match) -> dict[str, str]:
    """An ``_ITEM`` match's fields ('Semantic', 'Mime', 'Length', 'Padding'), attributes or elements."""
    text = item["attrs"] + (item["body"] or b"")
    return {(found[0] or found[3]).decode(): (found[1] or found[2] or found[4]).decode("utf-8", "replace")
            for found in _FIELD.findall(text)}


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


def is_motion_photo(xmp: bytes | None) -> bool:
    return bool(xmp) and _MOTION.search(xmp) is not None


def read_trailer(path: Path, xmp: bytes | None) -> Trailer | None:
    """What ``path`` (a JPEG) carries after its picture, as its ``xmp`` describes it; None when the XMP lists
    nothing after the picture."""
    if not xmp:
        return None
    items = directory(xmp)
    extra = [item for item in items[1:] if item.semantic != _VIDEO_SEMANTIC]
    left_out = tuple(item.semantic or item.mime for item in extra)
    if not is_motion_photo(xmp):
        return Trailer(None, left_out=left_out) if left_out else None
    data = path.read_bytes()
    after, video = 0, None  # bytes stored after the video, in the directory's order
    for item in reversed(items[1:]):
        if item.semantic == _VIDEO_SEMANTIC:
            video = (item, after)
            break
        after += item.length + item.padding
    if video is not None and video[0].length:
        length, end, mime = video[0].length, len(data) - video[1], video[0].mime or "video/mp4"
    else:
        legacy = _LEGACY_OFFSET.search(xmp)
        length, end, mime = (int(legacy["value"]) if legacy else 0), len(data), "video/mp4"
    return Trailer(_clip(data, length, end), mime, left_out)


def _clip(data: bytes, length: int, end: int) -> bytes | None:
    """The ``length`` bytes of the clip that ends at ``end`` in ``data``; where no MP4 starts there (a Samsung file
    keeps more data after its clip, unlisted), the last MP4 start ('ftyp') from which ``length`` bytes fit."""
    if length <= 16:
        return None
    clip = data[end - length:end]
    if _is_iso_media(clip):
        return clip
    at = data.rfind(b"ftyp")
    while at >= 4:
        clip = data[at - 4:at - 4 + length]
        if len(clip) == length and _is_iso_media(clip):
            return clip
        at = data.rfind(b"ftyp", 0, at)
    return None


def _is_iso_media(clip: bytes) -> bool:
    """Whether ``clip`` starts as an MP4 or QuickTime file does (a box of 8 to 255 bytes, then 'ftyp')."""
    return len(clip) > 16 and clip[4:8] == b"ftyp" and 8 <= int.from_bytes(clip[:4], "big") < 256


def rewrite_xmp(xmp: bytes, video_length: int | None) -> bytes:
    """``xmp`` describing a file of the primary picture followed by a video of ``video_length`` bytes (None: no
    video: the motion markers set to 0, the video's item removed); every other appended item is removed from the
    directory, and a gain map's ``hdrgm:`` markers with it."""
    items = directory(xmp)
    if any(item.semantic == "GainMap" for item in items):
        xmp = _GAIN_MAP_MARKS.sub(b"", xmp)

    def keep(match: re.Match) -> bytes:
        semantic = _fields(match).get("Semantic", "")
        if semantic == "Primary":
            return match[0]
        if semantic == _VIDEO_SEMANTIC and video_length is not None:
            text = _set(_value(rb"Item:Length", rb"\d*"), match[0], video_length)
            return _set(_value(rb"Item:Padding", rb"\d*"), text, 0)
        return b""

    xmp = _ITEM.sub(keep, xmp)
    if video_length is None:
        return _set(_MOTION, xmp, 0)
    return _set(_LEGACY_OFFSET, xmp, video_length)


def _set(pattern: re.Pattern, text: bytes, value: int) -> bytes:
    """``text`` with every value that ``pattern`` (a ``_value`` pattern) finds made ``value``."""
    return pattern.sub(lambda found: found["head"] + b"%d" % value + found["tail"], text)


__all__ = ["Item", "Trailer", "directory", "is_motion_photo", "read_trailer", "rewrite_xmp"]
