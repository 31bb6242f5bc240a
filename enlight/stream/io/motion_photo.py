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

from enlight.stream.io.samsung_trailer import MOTION_CLIP, read_record, records


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
    records: tuple[str, ...] = ()  # the names of a Samsung trailer's records, but the clip's (not carried over)


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


def holds_clip(path: Path, xmp: bytes | None) -> bool:
    """Whether the JPEG at ``path`` is a motion photo: its ``xmp`` says so, or its Samsung trailer holds a clip."""
    return is_motion_photo(xmp) or any(record.name == MOTION_CLIP for record in records(path))


def read_trailer(path: Path, xmp: bytes | None) -> Trailer | None:
    """What ``path`` (a JPEG) carries after its picture, as its ``xmp`` describes it, and the records of a Samsung
    trailer (``enlight.stream.io.samsung_trailer``: an older Galaxy's motion photo names its clip there alone); None
    when neither lists anything after the picture."""
    xmp = xmp or b""
    samsung = records(path)
    names = tuple(record.name for record in samsung if record.name != MOTION_CLIP)
    items = directory(xmp)
    left_out = tuple(item.semantic or item.mime for item in items[1:] if item.semantic != _VIDEO_SEMANTIC)
    clip = next((record for record in samsung if record.name == MOTION_CLIP), None)
    if is_motion_photo(xmp):
        video, mime = _listed_clip(path.read_bytes(), xmp, items)
        if video is None and clip is not None:
            video, mime = read_record(path, clip), "video/mp4"
    elif clip is not None:
        video, mime = read_record(path, clip), "video/mp4"
    else:
        return Trailer(None, left_out=left_out, records=names) if left_out or names else None
    return Trailer(video if video is None or _is_iso_media(video) else None, mime, left_out, names)


def _listed_clip(data: bytes, xmp: bytes, items: list[Item]) -> tuple[bytes | None, str]:
    """The clip a motion photo's ``xmp`` lists at the end of ``data`` (the file), and its MIME type."""
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
    return _clip(data, length, end), mime


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


_NAMESPACES = (b'xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" '
               b'xmlns:Container="http://ns.google.com/photos/1.0/container/" '
               b'xmlns:Item="http://ns.google.com/photos/1.0/container/item/"')
_LISTED = (b'<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" '
           b'Item:Length="0" Item:Padding="0"/></rdf:li>')
_DIRECTORY = (b'<Container:Directory><rdf:Seq><rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" '
              b'Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>' + _LISTED +
              b'</rdf:Seq></Container:Directory>')
_PACKET = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'</rdf:RDF></x:xmpmeta>')


def listing_clip(xmp: bytes | None) -> bytes:
    """``xmp`` (None: none) that names a motion photo clip after the picture as Google's format 1.0 does (its
    length 0, for ``rewrite_xmp`` to set), where it named none: an older Galaxy's clip was named in its Samsung
    trailer alone, which the enhanced file does not carry."""
    xmp = xmp if xmp and b"</rdf:RDF>" in xmp else _PACKET
    if is_motion_photo(xmp):
        return xmp
    has_directory = bool(directory(xmp))
    if has_directory:  # the clip's item after the others
        xmp = re.sub(rb"(<Container:Directory\b.*?)(</rdf:Seq>)", lambda found: found[1] + _LISTED + found[2], xmp,
                     count=1, flags=re.S)
    description = (b'<rdf:Description rdf:about="" ' + _NAMESPACES + b' GCamera:MotionPhoto="1" '
                   b'GCamera:MotionPhotoVersion="1">' + (b"" if has_directory else _DIRECTORY) + b"</rdf:Description>")
    at = xmp.rindex(b"</rdf:RDF>")
    return xmp[:at] + description + xmp[at:]


def rewrite_xmp(xmp: bytes | None, video_length: int | None) -> bytes | None:
    """``xmp`` describing a file of the primary picture followed by a video of ``video_length`` bytes (None: no
    video: the motion markers set to 0, the video's item removed); every other appended item is removed from the
    directory, and a gain map's ``hdrgm:`` markers with it. A video where the XMP (None: none) named none is named
    (``listing_clip``)."""
    if video_length is not None:
        xmp = listing_clip(xmp)
    if not xmp:
        return xmp
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


__all__ = ["Item", "Trailer", "directory", "holds_clip", "is_motion_photo", "listing_clip", "read_trailer",
           "rewrite_xmp"]
