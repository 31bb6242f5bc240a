"""A PNG's own metadata: its colour chunks (gAMA, cHRM, sRGB: the gamma and primaries its pixels are shown with where
it has no ICC profile) are written into a PNG output, 8- or 16-bit, and named in the summary where another format
leaves them out and they are not sRGB's own; ImageMagick's raw profile texts of EXIF and XMP are read as the photo's
EXIF and XMP."""

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


def _tagged_png(path: Path, gamma: bytes, *, sixteen: bool = False, icc: bytes | None = None) -> Path:
    pixels = np.random.default_rng(0).integers(0, 40, (24, 32, 3), dtype=np.uint8)
    info = PngInfo()
    info.add(b"gAMA", gamma)
    info.add(b"cHRM", SRGB_CHRM)
    if not sixteen:
        Image.fromarray(pixels).save(path, pnginfo=info, icc_profile=icc)
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
    """Into a .jpg: a gamma other than sRGB's is named; sRGB's own (1/2.2) goes unmentioned, nothing is lost, as does
    one of a PNG with an ICC profile."""
    linear = cli(_tagged_png(tmp_path / "linear.png", LINEAR), "-o", tmp_path / "linear.jpg", "--weights", weights,
                 "--quality", "fast")
    assert linear.returncode == 0, linear.stderr
    assert "not kept, a .jpg file has no place for them: the PNG's colour tags (gAMA, cHRM;" in linear.stderr
    srgb = cli(_tagged_png(tmp_path / "srgb.png", struct.pack(">I", 45455)), "-o", tmp_path / "srgb.jpg",
               "--weights", weights, "--quality", "fast")
    assert srgb.returncode == 0 and "not kept" not in srgb.stderr, srgb.stderr
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    profiled = cli(_tagged_png(tmp_path / "profiled.png", LINEAR, icc=profile), "-o", tmp_path / "profiled.jpg",
                   "--weights", weights, "--quality", "fast")  # its ICC profile, kept, overrides gAMA and cHRM
    assert profiled.returncode == 0 and "not kept" not in profiled.stderr, profiled.stderr


def _raw_profile(name: str, data: bytes) -> str:
    """ImageMagick's text of a profile: a newline, its name, its length, its bytes in hex over lines."""
    hexed = data.hex()
    return f"\n{name}\n{len(data):8}\n" + "\n".join(hexed[i:i + 72] for i in range(0, len(hexed), 72)) + "\n"


def test_imagemagicks_exif_and_xmp_texts_are_the_photos_own(tmp_path, cli, weights):
    """A PNG written by ImageMagick holds its EXIF and XMP as 'Raw profile type exif/xmp' text. Pillow reads the EXIF
    from it, so the picture was turned upright, yet the text went into the PNG output as it was, orientation 6 and
    all (exiftool and ImageMagick read it: turned twice), and into a .jpg it was named as PNG text not kept; the XMP
    was not read as XMP at all. Now both are the photo's own EXIF and XMP, written upright in their places."""
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = 6, "enlight test camera"
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"/></rdf:RDF></x:xmpmeta>')
    info = PngInfo()
    info.add_text("Raw profile type exif", _raw_profile("exif", exif.tobytes()), zip=True)
    info.add_text("Raw profile type xmp", _raw_profile("xmp", xmp), zip=True)
    source = tmp_path / "magick.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 40, (24, 32, 3), dtype=np.uint8)).save(source, pnginfo=info)
    for suffix in (".png", ".jpg"):
        out = tmp_path / f"day{suffix}"
        result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
        assert result.returncode == 0 and "not kept" not in result.stderr, result.stderr
        with Image.open(out) as image:
            assert image.size == (24, 32) and not any(key.startswith("Raw profile") for key in image.info)
            assert image.getexif()[0x0112] == 1 and image.getexif()[0x010F] == "enlight test camera"
            assert b'xmp:Rating="4"' in (image.info.get("xmp") or image.info["XML:com.adobe.xmp"].encode())
