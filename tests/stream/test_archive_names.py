"""A .zip whose member names are UTF-8 without the zip's UTF-8 flag (Info-ZIP's ``zip -r`` on Linux and macOS) keeps
its names: they were read as CP437, and ``nüit é.jpg`` was written as ``n├╝it ├⌐.jpg``."""

from __future__ import annotations

import struct
import zipfile
import zlib

import numpy as np
from PIL import Image

from tests.media import dark_frames


def _without_utf8_flag(path):
    """Clear bit 11 (names are UTF-8) in every local and central header of the .zip at ``path``: its names stay the
    UTF-8 bytes Python wrote, as Info-ZIP's ``zip`` writes them."""
    raw = bytearray(path.read_bytes())
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = raw.find(signature)
        while start >= 0:
            flags = struct.unpack_from("<H", raw, start + at)[0] & ~0x800
            struct.pack_into("<H", raw, start + at, flags)
            start = raw.find(signature, start + 4)
    path.write_bytes(raw)
    return path


def _unicode_path_field(name: str, raw: bytes) -> bytes:
    """Info-ZIP's Unicode Path extra field (0x7075) naming ``name`` for the stored name ``raw``."""
    body = b"\x01" + struct.pack("<I", zlib.crc32(raw)) + name.encode()
    return struct.pack("<HH", 0x7075, len(body)) + body


def test_utf8_names_without_the_flag_a_unicode_path_field_and_cp437_names_are_kept(tmp_path, weights, cli):
    photo = tmp_path / "p.png"
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(photo)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.write(photo, "nuit/nüit é.png")  # UTF-8 bytes: its flag cleared below
        packed.write(photo, "cafX.png")  # made b"caf\x82.png" below: an older Windows zip's CP437 'café.png'
        info = zipfile.ZipInfo("Stra?e.png")  # a name in another charset, named by its Unicode Path field
        info.extra = _unicode_path_field("Straße.png", b"Stra?e.png")
        packed.writestr(info, photo.read_bytes())
    _without_utf8_flag(archive)
    archive.write_bytes(archive.read_bytes().replace(b"cafX.png", b"caf\x82.png"))
    with zipfile.ZipFile(archive) as packed:  # what Python's zipfile reads
        assert packed.namelist() == ["nuit/nüit é.png".encode().decode("cp437"), "café.png", "Stra?e.png"]
    out = tmp_path / "day"
    result = cli(archive, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "export.zip:nuit/nüit é.png" in result.stderr, result.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == ["Straße.png", "café.png", "nuit/nüit é.png"], written
    assert np.mean(np.asarray(Image.open(out / "nuit" / "nüit é.png"))) > np.mean(dark_frames(1, 32, 24)[0]) + 10
