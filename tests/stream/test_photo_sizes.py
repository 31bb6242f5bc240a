"""Photos at the ends of the size range: a phone's 108- and 200-megapixel photos are read (Pillow's
decompression-bomb guard would warn from 89 megapixels and refuse from 179), and one too big for the run's memory
is refused in one line from its header, before it is decoded."""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

from enlight.stream.io.images import photo_size


def _flat_png(path: Path, width: int, height: int) -> Path:
    """A grey 8-bit PNG of ``width`` x ``height`` black pixels: a few hundred kB however large its picture, as a
    decompression bomb is (written row by row, never whole in memory)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    packer, row = zlib.compressobj(9), b"\0" * (width + 1)  # filter byte 0, then the row's samples
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
    return path


def test_a_108_megapixel_photo_is_read_without_a_bomb_warning(tmp_path):
    """A Samsung or Xiaomi 108-megapixel photo (12000x9000): Pillow warned 'could be decompression bomb DOS
    attack', which the run printed as its own warning."""
    source = _flat_png(tmp_path / "phone108.png", 12000, 9000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert photo_size(source) == (12000, 9000)


def test_a_photo_too_big_for_memory_is_refused_from_its_header(tmp_path, cli, weights):
    """A 200-megapixel phone photo's size (16320x12240) under --max-memory 1: one line naming the memory it needs,
    before its pixels are decoded; it was an 'internal error: DecompressionBombError'."""
    source = _flat_png(tmp_path / "phone200.png", 16320, 12240)
    out = tmp_path / "day.png"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast", "--max-memory", "1", timeout=60)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    assert "a 16320x12240 photo needs at least" in result.stderr and "--max-memory 1 GB" in result.stderr
    assert not out.exists()
