"""An iPhone's HEIC stores an HDR gain map and, for a portrait, a depth map beside the photo, each an auxiliary
image of it. The enhanced photo is written alone (the gain map was made for the dark original's tones; pillow-heif
writes no depth map). Before, both went without a word, where a JPEG's gain map got a note; now the summary names
them."""

from __future__ import annotations

import struct

import numpy as np
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from tests.media import dark_frames
from tests.stream.test_motion_photo import plan  # noqa: F401 (fixture)

GAIN_MAP = "urn:com:apple:photo:2020:aux:hdrgainmap"
DEPTH = "urn:mpeg:hevc:2015:auxid:2"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _children(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """The (type, start, end) of the boxes from ``start`` to ``end`` of ``data``."""
    found = []
    while start < end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        found.append((kind, start, start + size))
        start += size
    return found


def _shifted_iloc(iloc: bytes, delta: int) -> bytes:
    """An 'iloc' box (version 0 or 1, 4-byte offsets) with its extents' offsets moved by ``delta``."""
    out, version = bytearray(iloc), iloc[8]
    offset_size, length_size, base_size = iloc[12] >> 4, iloc[12] & 15, iloc[13] >> 4
    assert offset_size == 4
    count, at = struct.unpack(">H", iloc[14:16])[0], 16
    for _ in range(count):
        at += 4 + (2 if version else 0) + base_size  # item, construction method, data reference, base offset
        extents, at = struct.unpack(">H", out[at:at + 2])[0], at + 2
        for _ in range(extents):
            struct.pack_into(">I", out, at, struct.unpack(">I", out[at:at + 4])[0] + delta)
            at += offset_size + length_size
    return bytes(out)


def _properties(data: bytes, iprp: tuple[bytes, int, int], urns: dict[int, str]) -> bytes:
    """The 'iprp' box with an 'auxC' property of each URN in ``urns`` (item: URN), associated with its item."""
    ipco, ipma = (next(box for box in _children(data, iprp[1] + 8, iprp[2]) if box[0] == kind)
                  for kind in (b"ipco", b"ipma"))
    count = len(_children(data, ipco[1] + 8, ipco[2]))
    added = b"".join(_box(b"auxC", bytes(4) + urn.encode() + b"\0") for urn in urns.values())
    table, at = bytearray(data[ipma[1] + 8:ipma[1] + 16]), ipma[1] + 16
    for _ in range(struct.unpack(">I", table[4:8])[0]):
        item, n = struct.unpack(">HB", data[at:at + 3])
        links = data[at + 3:at + 3 + n] + (bytes([0x80 | count + 1 + list(urns).index(item)]) if item in urns else b"")
        table += struct.pack(">HB", item, len(links)) + links
        at += 3 + n
    return _box(b"iprp", _box(b"ipco", data[ipco[1] + 8:ipco[2]] + added) + _box(b"ipma", bytes(table)))


def with_auxiliary(data: bytes, urns: dict[int, str]) -> bytes:
    """A HEIF of top-level pictures (as pillow-heif writes one) whose items ``urns`` (item ID: URN) are made
    auxiliary images of item 1 ('auxl' references and 'auxC' properties), as an iPhone stores them."""
    meta = next(box for box in _children(data, 0, len(data)) if box[0] == b"meta")
    parts = []
    for kind, start, end in _children(data, meta[1] + 12, meta[2]):
        parts.append(_properties(data, (kind, start, end), urns) if kind == b"iprp" else data[start:end])
        if kind == b"pitm":
            parts.append(_box(b"iref", bytes(4) + b"".join(_box(b"auxl", struct.pack(">HHH", item, 1, 1))
                                                           for item in urns)))
    delta = 12 + sum(map(len, parts)) - (meta[2] - meta[1])
    parts = [_shifted_iloc(part, delta) if part[4:8] == b"iloc" else part for part in parts]
    return data[:meta[1]] + _box(b"meta", data[meta[1] + 8:meta[1] + 12] + b"".join(parts)) + data[meta[2]:]


def iphone_heic(path, urns: list[str]):
    """A dark 96x64 HEIC with a grey 48x32 picture stored beside it for each URN (the gain map, the depth map)."""
    import pillow_heif

    heif = pillow_heif.from_pillow(Image.fromarray(dark_frames(1, 96, 64)[0]))
    for _ in urns:
        heif.add_from_pillow(Image.fromarray(np.full((32, 48, 3), 128, np.uint8)))
    plain = path.with_suffix(".plain.heic")
    heif.save(plain, quality=80)
    path.write_bytes(with_auxiliary(plain.read_bytes(), {2 + i: urn for i, urn in enumerate(urns)}))
    plain.unlink()
    found = pillow_heif.open_heif(path)
    assert len(found) == 1 and (GAIN_MAP not in urns or GAIN_MAP in found.info["aux"])  # as libheif reads it
    return path


def test_a_heic_says_its_gain_map_and_depth_map_were_left_out(tmp_path, plan):  # noqa: F811
    source = iphone_heic(tmp_path / "IMG_0001.HEIC", [GAIN_MAP, DEPTH])
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.heic", plan=plan))  # before: '' (nothing said)
    assert stats.motion == ("the HDR gain map was left out: it was made for the original's tones; its depth map stored "
                            "beside the picture was left out (the output holds the enhanced picture alone)")
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan))
    assert "the HDR gain map was left out" in stats.motion


def test_a_heic_with_nothing_beside_it_has_no_note(tmp_path, plan):  # noqa: F811
    import pillow_heif

    source = tmp_path / "IMG_0002.HEIC"
    pillow_heif.from_pillow(Image.fromarray(dark_frames(1, 96, 64)[0])).save(source, quality=80)
    assert enhance_photo(PhotoConfig(source, tmp_path / "day.heic", plan=plan)).motion == ""
