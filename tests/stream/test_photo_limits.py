"""Photos at the limits of sizes: a phone's 108- and 200-megapixel photos are read (Pillow's decompression-bomb
guard would warn from 89 megapixels and refuse from 179), one too big for the run's memory is refused in one line
from its header, before it is decoded; EXIF longer than a JPEG segment holds is left out of a JPEG with a note, XMP
goes in as extended XMP."""

from __future__ import annotations

import hashlib
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from enlight.stream.io.photo_formats import photo_size


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


def test_exif_too_long_for_a_jpeg_is_left_out_with_a_note(tmp_path, cli, weights):
    """A TIFF's EXIF with a long description (100 kB) into a .jpg: one JPEG segment holds 64 kB, and the run ended
    'cannot write day.jpg: EXIF data is too long' after the photo was enhanced. Now the JPEG is written without it
    and the summary says so; a .webp keeps it."""
    exif = Image.Exif()
    exif[0x010E], exif[0x010F] = "d" * 100_000, "enlight test camera"  # ImageDescription, Make
    source = tmp_path / "long_exif.tif"
    Image.fromarray(np.random.default_rng(0).integers(0, 40, (24, 32, 3), dtype=np.uint8)).save(
        source, exif=exif.tobytes())
    out = tmp_path / "day.jpg"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "not kept, a .jpg file has no place for them: EXIF (98 kB: a JPEG holds 64 kB" in result.stderr
    assert Image.open(out).size == (32, 24)
    kept = tmp_path / "day.webp"
    result = cli(source, "-o", kept, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0 and "not kept" not in result.stderr, result.stderr
    with Image.open(kept) as webp:
        assert len(webp.info["exif"]) > 100_000


def test_xmp_too_long_for_a_jpeg_segment_goes_in_as_extended_xmp(tmp_path, cli, weights):
    """A PNG's XMP with 100 kB of Photoshop document history into a .jpg: the run ended 'cannot write day.jpg: XMP
    data is too long'. Now the JPEG holds it as extended XMP: a main packet naming it by the MD5 of it, the packet
    in segments after it (what exiftool and Adobe's toolkit read as one)."""
    packet = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              b'<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:History="'
              + b"h" * 100_000 + b'"/></rdf:RDF></x:xmpmeta>')
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode())
    source, out = tmp_path / "long_xmp.png", tmp_path / "day.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 40, (24, 32, 3), dtype=np.uint8)).save(source, pnginfo=info)
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0 and "not kept" not in result.stderr, result.stderr
    extension = b"http://ns.adobe.com/xmp/extension/\0"
    with Image.open(out) as image:
        main = image.info["xmp"]
        parts = [data[len(extension):] for marker, data in image.applist if data.startswith(extension)]
    guid = hashlib.md5(packet).hexdigest().upper().encode()
    assert b'xmpNote:HasExtendedXMP="' + guid + b'"' in main
    assert len(parts) == 2 and all(part[:32] == guid for part in parts)
    assert b"".join(part[40:] for part in sorted(parts, key=lambda part: part[36:40])) == packet


def test_a_noisy_panorama_wider_than_10922_pixels_is_enhanced(tmp_path, cli, weights):
    """A phone's panorama 12000 pixels wide, noisy enough to be denoised: the bilateral's OpenCV look-up refused
    its width (an internal error; tests/stream/test_cpu_forms_denoise.py has the filter's own test)."""
    rng = np.random.default_rng(0)
    source, out = tmp_path / "pano.png", tmp_path / "day.png"
    Image.fromarray(np.clip(rng.normal(30, 8, (16, 12_000, 3)), 0, 255).astype(np.uint8)).save(source)
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "12000x16 8-bit photo" in result.stderr and "denoise light" in result.stderr
    assert Image.open(out).size == (12_000, 16)


def test_a_panorama_larger_than_its_output_format_holds_is_refused_before_it_is_enhanced(tmp_path, cli, weights):
    """A 17000-pixel-wide panorama into a .webp (16383 at most) was refused after it was enhanced; a 66000-pixel one
    into a .jpg (65500) said 'broken data stream when writing image file', into an .avif (65536) it was an internal
    error. Now one line before the work, naming the formats that hold it."""
    pixels = np.random.default_rng(0).integers(0, 40, (8, 66_000, 3), dtype=np.uint8)
    Image.fromarray(pixels[:, :17_000]).save(tmp_path / "pano17k.png")
    Image.fromarray(pixels).save(tmp_path / "pano66k.png")
    for source, out, most in (("pano17k.png", "day.webp", 16383), ("pano66k.png", "day.jpg", 65500),
                              ("pano66k.png", "day.avif", 65536)):
        result = cli(tmp_path / source, "-o", tmp_path / out, "--weights", weights, "--quality", "fast")
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert f"file holds ({most} pixels a side at most); write it as .png or .tif" in result.stderr
        assert not (tmp_path / out).exists()


def test_an_encoder_that_refuses_a_picture_is_a_one_line_error(tmp_path, cli, weights):
    """x265 (pillow-heif's HEIC encoder) refuses a picture 8192 wide and 16 high: a RuntimeError, which was an
    internal error. Now 'cannot write' in one line (or the photo, where an x265 takes it)."""
    source, out = tmp_path / "strip.png", tmp_path / "strip.heic"
    Image.fromarray(np.random.default_rng(0).integers(0, 40, (16, 8192, 3), dtype=np.uint8)).save(source)
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode == 0 or (result.returncode == 2 and len(result.stderr_lines) == 1
                                      and f"cannot write {out}" in result.stderr), result.stderr
