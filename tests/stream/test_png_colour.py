"""A PNG's colour chunks (gAMA, cHRM, sRGB: the gamma and primaries its pixels are shown with where it has no ICC
profile) are written into a PNG output, 8- or 16-bit, and named in the summary where another format leaves them
out and they are not sRGB's own."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import av
import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

LINEAR = struct.pack(">I", 100000)  # gAMA 1.0: linear light, shown far brighter than the same pixels untagged
SRGB_CHRM = struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)


def _tagged_png(path: Path, gamma: bytes, *, sixteen: bool = False) -> Path:
    pixels = np.random.default_rng(0).integers(0, 40, (24, 32, 3), dtype=np.uint8)
    info = PngInfo()
    info.add(b"gAMA", gamma)
    info.add(b"cHRM", SRGB_CHRM)
    if not sixteen:
        Image.fromarray(pixels).save(path, pnginfo=info)
        return path
    with av.open(str(path), "w", format="image2") as container:  # Pillow writes no 16-bit RGB
        stream = container.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 32, 24, "rgb48be"
        frame = av.VideoFrame.from_ndarray(pixels.astype(np.uint16) * 257, format="rgb48le")
        container.mux(stream.encode(frame.reformat(format="rgb48be")))
        container.mux(stream.encode(None))
    data = path.read_bytes()
    chunks = b"".join(struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
                      for k, d, *_ in info.chunks)
    path.write_bytes(data[:33] + chunks + data[33:])  # after the signature and IHDR
    return path


def test_gamma_and_primaries_are_kept_in_a_png(tmp_path, cli, weights):
    """They were dropped: a gAMA 1.0 PNG came out untagged, shown as sRGB (much darker than its source)."""
    for sixteen in (False, True):
        source = _tagged_png(tmp_path / f"linear{int(sixteen)}.png", LINEAR, sixteen=sixteen)
        out = tmp_path / f"day{int(sixteen)}.png"
        result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
        assert result.returncode == 0, result.stderr
        assert f"{16 if sixteen else 8}-bit photo" in result.stderr and "not kept" not in result.stderr
        with Image.open(out) as image:
            assert image.info.get("gamma") == 1.0
            assert image.info.get("chromaticity") == (0.3127, 0.329, 0.64, 0.33, 0.3, 0.6, 0.15, 0.06)


def test_another_format_names_a_gamma_it_leaves_out(tmp_path, cli, weights):
    """Into a .jpg: a gamma other than sRGB's is named; sRGB's own (1/2.2) goes unmentioned, nothing is lost."""
    linear = cli(_tagged_png(tmp_path / "linear.png", LINEAR), "-o", tmp_path / "linear.jpg", "--weights", weights,
                 "--quality", "fast")
    assert linear.returncode == 0, linear.stderr
    assert "not kept, a .jpg file has no place for them: the PNG's colour tags (gAMA, cHRM;" in linear.stderr
    srgb = cli(_tagged_png(tmp_path / "srgb.png", struct.pack(">I", 45455)), "-o", tmp_path / "srgb.jpg",
               "--weights", weights, "--quality", "fast")
    assert srgb.returncode == 0 and "not kept" not in srgb.stderr, srgb.stderr
