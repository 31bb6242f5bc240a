"""A photo's IPTC, Photoshop resources, JPEG comments and PNG text (``Annotations``): read with Pillow, and
written back where the output format holds them (``enlight.stream.io.photo_reader`` and ``photo_writer`` carry them
with the pixels).

IPTC goes into a JPEG (APP13 Photoshop resources) or a TIFF (tags 33723 and 34377); comments (a JPEG's or a JPEG
2000's COM markers) into a JPEG, a JPEG 2000 (COM: ``enlight.stream.io.jpeg2000.with_comments``) or a PNG ('Comment'
text); PNG text chunks (tEXt, zTXt, iTXt) into a PNG (its 'Comment' into a JPEG's or JPEG 2000's COM too).
``unkept_metadata`` names what an output format has no place for, for the run's note.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from enlight.stream.io.jpeg2000 import jp2_comments

PNG_XMP_KEY = b"XML:com.adobe.xmp"  # the iTXt keyword of a PNG's XMP packet (``Photo.xmp``, not text)
# ImageMagick's PNG text chunks that hold a photo's EXIF and XMP in hex: read as its EXIF and XMP (``raw_profile``),
# and written in the output's own places for them, upright, not carried as text with the old orientation in them
RAW_PROFILES = {"exif": "Raw profile type exif", "xmp": "Raw profile type xmp"}


@dataclass(frozen=True)
class Annotations:
    """What a photo says about itself besides its EXIF, XMP and ICC profile. iptc: the IPTC-IIM records (a
    TIFF's tag 33723, a JPEG's Photoshop resource 0x0404); photoshop: the Photoshop image resource blocks (a
    JPEG's APP13 segments joined, a TIFF's tag 34377), None without them; comments: a JPEG's COM segments;
    text: a PNG's text chunks as (keyword, value) pairs, a value that was an iTXt chunk as Pillow's ``iTXt``
    (its language and translated keyword kept), the XMP packet left out (``Photo.xmp``); colour: a PNG's gAMA,
    cHRM and sRGB chunks as (type, data), the gamma and primaries its pixels are shown with where it has no ICC
    profile (a viewer shows a gAMA of 1.0 as linear light, far brighter than the same file without it);
    extended_xmp: a JPEG's extended XMP segments as stored (after their APP1 marker and length: the namespace, the
    GUID its main XMP names, the whole length, the offset, the part): what does not fit one segment, a phone's
    depth map for a portrait's blur (Google's GDepth) among it."""

    iptc: bytes | None = None
    photoshop: bytes | None = None
    comments: tuple[bytes, ...] = ()
    text: tuple[tuple[str, str], ...] = ()
    colour: tuple[tuple[bytes, bytes], ...] = ()
    extended_xmp: tuple[bytes, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.iptc or self.photoshop or self.comments or self.text or self.colour or self.extended_xmp)


IPTC_TAGS = (33723, 34377)  # a TIFF's IPTC-IIM records and Photoshop resources (``Annotations``)
_PHOTOSHOP = b"Photoshop 3.0\0"  # what a JPEG's APP13 segment with Photoshop resources starts with
_IPTC_RESOURCE = 0x0404  # the Photoshop resource that holds the IPTC-IIM records
_MARKER_BYTES = 65533  # the most a JPEG segment holds after its length
_EXTENDED_XMP = b"http://ns.adobe.com/xmp/extension/\0"  # what a JPEG's extended XMP segment starts with
_ZIP_TEXT = 1024  # PNG text longer than this is written compressed (zTXt, or a compressed iTXt)


def read_annotations(image) -> Annotations:
    """An open Pillow image's IPTC and Photoshop resources (JPEG, TIFF), JPEG and JPEG 2000 comments and PNG text."""
    if image.format == "JPEG2000" and getattr(image, "filename", ""):  # (Pillow's info holds the first comment alone)
        return Annotations(comments=jp2_comments(Path(image.filename)))
    if image.format == "TIFF":
        return Annotations(iptc=_tiff_bytes(image, 33723), photoshop=_tiff_bytes(image, 34377))
    if image.format in ("JPEG", "MPO"):
        segments = getattr(image, "applist", [])
        photoshop = b"".join(data[len(_PHOTOSHOP):] for marker, data in segments
                             if marker == "APP13" and data.startswith(_PHOTOSHOP)) or None
        comments = tuple(data for marker, data in segments if marker == "COM" and data)
        extended = tuple(data for marker, data in segments if marker == "APP1" and data.startswith(_EXTENDED_XMP))
        return Annotations(iptc=_iptc_of(photoshop), photoshop=photoshop, comments=comments, extended_xmp=extended)
    if image.format == "PNG":
        chunks = _png_text(image.filename) if getattr(image, "filename", "") else None
        text, colour = chunks if chunks is not None else (tuple(getattr(image, "text", {}).items()), ())
        profiles = {key for key in RAW_PROFILES.values() if raw_profile(image.info, key) is not None}
        return Annotations(text=tuple((key, value) for key, value in text
                                      if key != PNG_XMP_KEY.decode() and key not in profiles), colour=colour)
    return Annotations()


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def raw_profile(info: dict, key: str) -> bytes | None:
    """The bytes of an ImageMagick raw profile text (``RAW_PROFILES``) in a PNG's ``info``: a newline, the profile's
    name, its length, then its bytes in hex over lines; None without one, or where it cannot be read."""
    text = info.get(key)
    if not isinstance(text, str):
        return None
    try:
        return bytes.fromhex("".join(text.split("\n")[3:])) or None
    except ValueError:
        return None


_PNG_COLOUR = (b"gAMA", b"cHRM", b"sRGB")  # what a PNG says of its pixels' colour besides an ICC profile (iCCP)


def _png_text(path) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[bytes, bytes], ...]] | None:
    """Every text chunk of a PNG file, in order, as (keyword, value) (Pillow's ``text`` is a dict: of several
    chunks with one keyword it keeps the last), and its colour chunks (``Annotations.colour``); None when the file
    cannot be read as PNG chunks."""
    try:
        with open(path, "rb") as file:
            if file.read(8) != _PNG_SIGNATURE:
                return None
            found, colour = [], []
            while header := file.read(8):
                length, kind = struct.unpack(">I4s", header)
                if kind == b"IEND":
                    return tuple(found), tuple(colour)
                if kind in (b"tEXt", b"zTXt", b"iTXt"):
                    found.append(_png_text_chunk(kind, file.read(length + 4)[:length]))
                elif kind in _PNG_COLOUR:
                    colour.append((kind, file.read(length + 4)[:length]))
                else:  # the pixels and the rest: skipped, not read
                    file.seek(length + 4, 1)
    except (OSError, struct.error, ValueError, UnicodeDecodeError, zlib.error):
        return None
    return None


def _png_text_chunk(kind: bytes, data: bytes) -> tuple[str, str]:
    """(keyword, value) of a tEXt, zTXt or iTXt chunk's data; an iTXt value as Pillow's ``iTXt``."""
    from PIL.PngImagePlugin import iTXt

    keyword, _, rest = data.partition(b"\0")
    key = keyword.decode("latin-1")
    if kind == b"tEXt":
        return key, rest.decode("latin-1")
    if kind == b"zTXt":
        return key, zlib.decompress(rest[1:]).decode("latin-1")
    compressed, lang, _, rest = rest[0], *rest[2:].partition(b"\0")
    tkey, _, value = rest.partition(b"\0")
    value = zlib.decompress(value) if compressed else value
    return key, iTXt(value.decode("utf-8"), lang.decode("latin-1"), tkey.decode("utf-8"))


def _tiff_bytes(image, tag: int) -> bytes | None:
    """A TIFF tag's value as the bytes stored, or None. Photoshop writes IPTC as LONGs, which Pillow would read
    as one number (its table says one value): the stored bytes are taken as Pillow's own ``getiptcinfo`` takes
    them, else the value where it is bytes."""
    raw = getattr(image.tag_v2, "_tagdata", {}).get(tag)
    value = raw if raw is not None else image.tag_v2.get(tag)
    return bytes(value) if isinstance(value, bytes | bytearray) and value else None


def _resources(irb: bytes) -> Iterator[tuple[int, bytes]]:
    """(id, data) of each Photoshop image resource block: signature ('8BIM'), id, a Pascal name padded to an
    even length, the data's size, the data padded to an even length."""
    at = 0
    while at + 12 <= len(irb):
        ident, name = struct.unpack_from(">HB", irb, at + 4)
        at += 6 + (name + 1) + ((name + 1) & 1)
        if at + 4 > len(irb):
            return
        (size,) = struct.unpack_from(">I", irb, at)
        yield ident, irb[at + 4:at + 4 + size]
        at += 4 + size + (size & 1)


def _iptc_of(photoshop: bytes | None) -> bytes | None:
    """The IPTC-IIM records in Photoshop resources (resource 0x0404), or None."""
    return next((data for ident, data in _resources(photoshop or b"") if ident == _IPTC_RESOURCE and data), None)


def _with_iptc(annotations: Annotations) -> bytes:
    """The Photoshop resources to write: as read where they hold the IPTC, else with an IPTC block added (a TIFF's
    IPTC going into a JPEG)."""
    irb, iptc = annotations.photoshop or b"", annotations.iptc
    if iptc and _iptc_of(irb) is None:
        irb += b"8BIM" + struct.pack(">HHI", _IPTC_RESOURCE, 0, len(iptc)) + iptc + b"\0" * (len(iptc) & 1)
    return irb


def _jpeg_segments(annotations: Annotations) -> bytes:
    """APP13 segments (the Photoshop resources, IPTC in them), the extended XMP's APP1 segments and COM segments
    (the comments, and a PNG's 'Comment' text), as Pillow's JPEG ``extra`` bytes."""
    irb = _with_iptc(annotations)
    out = b"".join(b"\xff\xe1" + struct.pack(">H", len(data) + 2) + data for data in annotations.extended_xmp)
    step = _MARKER_BYTES - len(_PHOTOSHOP)
    for start in range(0, len(irb), step):
        payload = _PHOTOSHOP + irb[start:start + step]
        out += b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    for comment in comments_of(annotations):
        for start in range(0, len(comment), _MARKER_BYTES):
            out += b"\xff\xfe" + struct.pack(">H", len(comment[start:start + _MARKER_BYTES]) + 2)
            out += comment[start:start + _MARKER_BYTES]
    return out


def comments_of(annotations: Annotations) -> tuple[bytes, ...]:
    """The comments a JPEG's or JPEG 2000's COM markers hold of ``annotations``: its comments, then a PNG's 'Comment'
    text."""
    return (*annotations.comments, *(_latin1_or_utf8(value) for key, value in annotations.text if key == "Comment"))


_EXTENDED_PART = 65400  # the most of an extended XMP packet one segment holds here (65458 would fit; Adobe's 65400)
_XMP_META = re.compile(rb"<x:xmpmeta.*</x:xmpmeta>", re.DOTALL)


def as_extended_xmp(xmp: bytes) -> tuple[bytes, tuple[bytes, ...]]:
    """An XMP packet too long for one JPEG segment, in XMP's own JPEG form for it (XMP Specification Part 3,
    1.1.3.1): a main packet that names the rest by its GUID (xmpNote:HasExtendedXMP: the MD5 of the rest, in
    upper-case hex), and the whole of the packet (its x:xmpmeta, without the packet wrapper) as the extended XMP,
    in segments as ``Annotations.extended_xmp`` holds them (namespace, GUID, whole length, offset, part). exiftool
    and Adobe's XMP toolkit read the two as one."""
    found = _XMP_META.search(xmp)
    rest = found.group(0) if found else xmp
    guid = hashlib.md5(rest).hexdigest().upper().encode()
    main = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            b'xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="' + guid
            + b'"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
    return main, tuple(_EXTENDED_XMP + guid + struct.pack(">II", len(rest), at) + rest[at:at + _EXTENDED_PART]
                       for at in range(0, len(rest), _EXTENDED_PART))


def _latin1_or_utf8(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def png_text(annotations: Annotations, info=None):
    """A Pillow ``PngInfo`` (``info``, or a new one) with the PNG text chunks added, and a JPEG's comments as
    'Comment' text (Latin-1, so their bytes are kept)."""
    from PIL.PngImagePlugin import PngInfo, iTXt

    info = info if info is not None else PngInfo()
    for kind, data in annotations.colour:
        info.add(kind, data)
    comments = tuple(("Comment", comment.decode("latin-1")) for comment in annotations.comments)
    for key, value in (*annotations.text, *comments):
        if isinstance(value, iTXt):
            info.add_itxt(key, value, value.lang or "", value.tkey or "", zip=len(value) > _ZIP_TEXT)
        else:
            info.add_text(key, value, zip=len(value) > _ZIP_TEXT)
    return info


def tiff_exif(exif: bytes | None, annotations: Annotations) -> bytes | None:
    """EXIF bytes (a TIFF's own IFD) with the IPTC (tag 33723) and Photoshop resources (tag 34377) added, ready for
    Pillow's TIFF writer (``enlight.stream.io.exif_types.for_tiff``)."""
    if not (exif or annotations.iptc or annotations.photoshop):
        return exif
    from PIL import Image

    from enlight.stream.io.exif_types import for_tiff

    merged = Image.Exif()
    if exif:
        merged.load(exif)
        for_tiff(merged)
    for tag, data in zip(IPTC_TAGS, (annotations.iptc, annotations.photoshop), strict=True):
        if data:
            merged[tag] = data
    return merged.tobytes()


def annotation_options(fmt: str, annotations: Annotations, options: dict) -> dict:
    """``options`` (``metadata_options``' for a photo) with the IPTC, comments and PNG text a ``fmt`` file holds."""
    if fmt == "JPEG" and annotations:
        options["extra"] = _jpeg_segments(annotations)
    elif fmt == "PNG" and (annotations.text or annotations.comments or annotations.colour):
        options["pnginfo"] = png_text(annotations, options.get("pnginfo"))
    return options


_COMMENT_FORMATS = ("JPEG", "JPEG2000", "PNG")  # Pillow's names of the formats written with the comments


def unkept_metadata(annotations: Annotations, fmt: str, *, profiled: bool = False,
                    source: str = "JPEG") -> tuple[str, ...]:
    """What of ``annotations`` a ``fmt`` file (Pillow's format name) has no place for, in words for a note:
    IPTC goes into JPEG and TIFF, comments into JPEG, JPEG 2000 and PNG (named as a ``source`` file's: a 'JPEG
    comment', a 'JPEG 2000 comment'), PNG text into PNG (its 'Comment' into JPEG and JPEG 2000 too), a PNG's
    colour chunks into PNG (nothing is lost without them where the picture has an ICC profile, ``profiled``: it
    overrides them)."""
    lost = []
    if (annotations.iptc or annotations.photoshop) and fmt not in ("JPEG", "TIFF"):
        lost.append("IPTC" if annotations.iptc else "Photoshop resources")
    if annotations.comments and fmt not in _COMMENT_FORMATS:
        lost.append("JPEG 2000 comment" if source == "JPEG2000" else "JPEG comment")
    keys = [key for key, _ in annotations.text if not (fmt in _COMMENT_FORMATS and fmt != "PNG" and key == "Comment")]
    if keys and fmt != "PNG":
        lost.append(f"PNG text ({', '.join(dict.fromkeys(keys))})")
    if annotations.extended_xmp and fmt != "JPEG":
        size = sum(len(data) - len(_EXTENDED_XMP) - 40 for data in annotations.extended_xmp)  # GUID, length, offset
        lost.append(f"the JPEG's extended XMP ({size / 1024:.0f} kB: a depth map, for one)")
    if fmt != "PNG" and not profiled and not shown_as_srgb(annotations.colour):
        lost.append(f"the PNG's colour tags ({', '.join(kind.decode() for kind, _ in annotations.colour)}; without "
                    "them the picture can look lighter or darker: a .png keeps them)")
    return tuple(lost)


_SRGB_GAMMA = 45455  # gAMA's 1/2.2 in units of 1/100000, what sRGB's curve is taken for
_SRGB_CHRM = (31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)  # white, red, green, blue x and y (1/100000)


def shown_as_srgb(colour: tuple[tuple[bytes, bytes], ...]) -> bool:
    """Whether a PNG's colour chunks (``Annotations.colour``) say what a file without them is shown as: sRGB, a
    gamma of 1/2.2 (within 1%), sRGB's primaries (within 0.01): nothing is lost where a format has no place for
    them."""
    for kind, data in colour:
        if kind == b"gAMA" and not (len(data) == 4 and abs(struct.unpack(">I", data)[0] - _SRGB_GAMMA) <= 455):
            return False
        if kind == b"cHRM" and not (len(data) == 32 and all(
                abs(value - srgb) <= 1000 for value, srgb in zip(struct.unpack(">8I", data), _SRGB_CHRM, strict=True))):
            return False
    return True
