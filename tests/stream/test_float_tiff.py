"""32-bit floating-point TIFFs (``enlight.stream.io.float_photo``): a grey one (Pillow's mode 'F') was enhanced at 8
bits and written at 8 into a .tif ('96x64 8-bit photo', no note), an RGB one (SampleFormat 3, as tifffile and libtiff
write an HDR merge) was refused as 'not an image' (Pillow cannot open it). Both are read at 16 bits with a note of the
range they were read with, enhanced through the deep path and written at 16 bits where the output holds them."""

from __future__ import annotations

import struct

import av
import numpy as np
from PIL import Image

from enlight.stream.io.float_photo import float_sixteen
from enlight.stream.io.photo_reader import read_photo


def _float_tiff(path, values: np.ndarray):
    """An uncompressed little-endian TIFF of (H, W, 3) float32 ``values``: 32 bits a sample, SampleFormat 3."""
    height, width = values.shape[:2]
    pixels = np.ascontiguousarray(values, "<f4").tobytes()
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 3, None), (259, 3, 1, 1), (262, 3, 1, 2),
               (273, 4, 1, None), (277, 3, 1, 3), (278, 4, 1, height), (279, 4, 1, len(pixels)), (339, 3, 3, None)]
    shorts_at = 8 + 2 + 12 * len(entries) + 4  # (after the IFD: 258's and 339's three values, then the pixels)
    where = {258: (shorts_at, (32, 32, 32)), 339: (shorts_at + 6, (3, 3, 3)), 273: (shorts_at + 12, None)}
    ifd = b"".join(struct.pack("<HHI", tag, kind, count) + (
        struct.pack("<I", where[tag][0]) if value is None else struct.pack("<HH" if kind == 3 else "<I",
                                                                          *((value, 0) if kind == 3 else (value,))))
        for tag, kind, count, value in entries)
    extra = struct.pack("<6H", 32, 32, 32, 3, 3, 3)
    path.write_bytes(b"II*\0" + struct.pack("<IH", 8, len(entries)) + ifd + b"\0" * 4 + extra + pixels)
    return path


def _night_values(width: int = 96, height: int = 64) -> np.ndarray:
    """(H, W, 3) float32 in 0.01..0.17: a dark, smooth picture as an HDR merge's 0..1 values."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack([x / width * 0.15, y / height * 0.12, (x + y) / (width + height) * 0.1], axis=-1) + 0.01


def _bits(path) -> tuple[int, str]:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    return frame.format.components[0].bits, frame.format.name


def test_an_rgb_float_tiff_is_read_and_written_at_16_bits(tmp_path, cli, weights):
    values = _night_values()
    source = _float_tiff(tmp_path / "merge.tif", values)
    photo = read_photo(source)
    assert photo.rgb16 is not None and photo.bits == 32
    assert np.abs(photo.rgb16.astype(float) - values * 65535).max() <= 1  # its own values, white at 1
    result = cli(source, "-o", tmp_path / "day.tif", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "96x64 16-bit photo" in result.stderr and "32-bit floating-point values read as 0..1" in result.stderr
    assert _bits(tmp_path / "day.tif")[0] == 16
    into_jpeg = cli(source, "-o", tmp_path / "day.jpg", "--weights", weights)
    assert into_jpeg.returncode == 0, into_jpeg.stderr
    assert "floating-point values written as 8-bit integers: a .jpg file holds 8; .png and .tif hold 16" in \
        into_jpeg.stderr


def test_a_grey_float_tiff_is_enhanced_and_written_at_16_bits(tmp_path, cli, weights):
    source = tmp_path / "grey.tif"
    Image.fromarray(_night_values().mean(axis=2), "F").save(source)
    result = cli(source, "-o", tmp_path / "day.tif", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "96x64 16-bit photo" in result.stderr and "32-bit floating-point values read as 0..1" in result.stderr
    assert _bits(tmp_path / "day.tif") == (16, "gray16le")


def test_values_past_white_and_below_black_are_clipped_with_a_note():
    values = np.full((10, 100), 0.5, np.float32)
    values[0, :1] = 3.0  # an HDR merge's highlight: 0.1% of the pixels past 1
    values[1, :2] = -0.2
    values[2, 0] = np.nan
    sixteen, note = float_sixteen(values)
    assert sixteen[0, 0] == 65535 and sixteen[5, 5] == 32768 and sixteen[1, 0] == 0 and sixteen[2, 0] == 0
    assert note == ("its 32-bit floating-point values read as 0..1 (white at 1); 0.1% of the pixels past 1 clipped to "
                    "white; 0.3% below 0 (or not a number) made black")
    levels, note = float_sixteen(np.linspace(0, 200, 100, dtype=np.float32).reshape(10, 10))  # stored as levels
    assert levels.max() == round(200 / 255 * 65535) and "levels 0..255" in note
