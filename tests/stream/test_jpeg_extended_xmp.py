"""A JPEG's extended XMP (the XMP that does not fit one segment, in APP1 segments of its own named by the GUID its
main XMP gives: a phone portrait's depth map, Google's GDepth) goes into a JPEG output as it was, and is named in
the summary where another format leaves it out."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
from PIL import Image

_EXTENSION = b"http://ns.adobe.com/xmp/extension/\0"


def _portrait(path: Path) -> tuple[Path, bytes]:
    """A JPEG with a main XMP naming its extended XMP (150 kB of a depth map, in three segments); and the latter."""
    rdf = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    extended = (rdf + b'<rdf:Description xmlns:GDepth="http://ns.google.com/photos/1.0/depthmap/" GDepth:Data="'
                + b"QUJD" * 37_500 + b'"/></rdf:RDF></x:xmpmeta>')
    guid = hashlib.md5(extended).hexdigest().upper().encode()
    main = (rdf + b'<rdf:Description xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="' + guid
            + b'"/></rdf:RDF></x:xmpmeta>')
    segments = b""
    for offset in range(0, len(extended), 65_000):
        payload = _EXTENSION + guid + struct.pack(">II", len(extended), offset) + extended[offset:offset + 65_000]
        segments += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    pixels = np.random.default_rng(0).integers(0, 40, (24, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, xmp=main, extra=segments)
    return path, extended


def _extended_of(path: Path) -> bytes:
    """The extended XMP a JPEG's segments hold, put together by their offsets."""
    with Image.open(path) as image:
        parts = [data[len(_EXTENSION):] for marker, data in image.applist
                 if marker == "APP1" and data.startswith(_EXTENSION)]
    whole = bytearray(struct.unpack(">I", parts[0][32:36])[0]) if parts else bytearray()
    for part in parts:
        offset = struct.unpack(">I", part[36:40])[0]
        whole[offset:offset + len(part) - 40] = part[40:]
    return bytes(whole)


def test_a_jpegs_extended_xmp_is_kept_in_a_jpeg_and_named_elsewhere(tmp_path, cli, weights):
    """It was left out of every output, silently: a portrait's depth map was lost, the main XMP still naming it."""
    source, extended = _portrait(tmp_path / "portrait.jpg")
    assert _extended_of(source) == extended
    out = tmp_path / "day.jpg"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0 and "not kept" not in result.stderr, result.stderr
    assert _extended_of(out) == extended
    with Image.open(out) as image:
        assert hashlib.md5(extended).hexdigest().upper().encode() in image.info["xmp"]
    result = cli(source, "-o", tmp_path / "day.png", "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "not kept, a .png file has no place for them: the JPEG's extended XMP (147 kB" in result.stderr
