"""A JPEG's EXIF thumbnail (IFD1) is re-made from the enhanced picture, upright and at the old one's size; the rest of
the EXIF is kept; a thumbnail that cannot fit is left out, never a broken segment."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess

import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.exif_thumbnail import with_thumbnail
from tests.media import dark_frames

IFD1 = -1  # Pillow's key for it


def _thumbnail_of(exif: Image.Exif, raw: bytes) -> Image.Image | None:
    """The thumbnail JPEG that ``exif``'s IFD1 points to, read with Pillow's own parser; None without one."""
    ifd1 = exif.get_ifd(IFD1)
    if 0x0201 not in ifd1:
        return None
    start = 6 + ifd1[0x0201]  # offsets count from the TIFF header, after "Exif\0\0"
    return Image.open(io.BytesIO(raw[start:start + ifd1[0x0202]]))


def _camera_jpeg(path, stored: np.ndarray, *, thumbnail: bool, orientation: int = 6):
    """A camera-like JPEG of ``stored`` (as stored): orientation, Make, a GPS latitude and, if asked, a thumbnail of
    the (dark) stored picture, 160 px on its longer side."""
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112], exif[0x010F] = orientation, "enlight test camera"
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 0.0)})
    raw = exif.tobytes()
    if thumbnail:
        raw = with_thumbnail(raw, stored, 160)
    image.save(path, exif=raw, quality=95)
    return path


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def test_the_thumbnail_is_made_again_from_the_enhanced_picture(tmp_path, plan):
    stored = np.repeat(np.repeat(dark_frames(1, 80, 48)[0], 4, axis=0), 4, axis=1)  # 320 wide, 192 high as stored
    source = _camera_jpeg(tmp_path / "dusk.jpg", stored, thumbnail=True)
    with Image.open(source) as original:
        old = _thumbnail_of(original.getexif(), original.info["exif"])
        assert old is not None and old.size == (160, 96)  # the dark picture, as stored (on its side)
        old_mean = np.asarray(old).mean()
    out = tmp_path / "day.jpg"
    enhance_photo(PhotoConfig(source, out, plan=plan))
    with Image.open(out) as result:
        exif = result.getexif()
        assert result.size == (192, 320)
        assert exif.get(0x0112, 1) == 1 and exif.get(0x010F) == "enlight test camera"
        assert exif.get_ifd(0x8825).get(1) == "N"  # GPS kept
        new = _thumbnail_of(exif, result.info["exif"])
        assert new is not None and new.size == (96, 160)  # upright, as the picture now is
        small = np.asarray(result.convert("RGB").resize(new.size, Image.Resampling.BOX)).astype(float)
        thumb = np.asarray(new.convert("RGB")).astype(float)
    assert thumb.mean() > old_mean + 10  # it previews the enhanced picture, not the dark original
    assert np.abs(thumb - small).mean() < 6


def test_no_thumbnail_is_added_where_there_was_none(tmp_path, plan):
    source = _camera_jpeg(tmp_path / "dusk.jpg", dark_frames(1, 64, 40)[0], thumbnail=False)
    out = tmp_path / "day.jpg"
    enhance_photo(PhotoConfig(source, out, plan=plan))
    with Image.open(out) as result:
        assert result.getexif().get(0x010F) == "enlight test camera"
        assert _thumbnail_of(result.getexif(), result.info["exif"]) is None


def test_big_endian_exif_gets_its_thumbnail_in_its_own_byte_order():
    make = b"Cam\x00"  # fits in the entry itself
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHI", 0x010F, 2, 4) + make + struct.pack(">I", 0)
    rgb = np.full((30, 50, 3), 200, np.uint8)
    raw = with_thumbnail(b"Exif\x00\x00" + tiff, rgb, 20)
    exif = Image.Exif()
    exif.load(raw)
    assert exif.get(0x010F) == "Cam"
    thumb = _thumbnail_of(exif, raw)
    assert thumb is not None and thumb.size == (20, 12) and abs(np.asarray(thumb).mean() - 200) < 3


def test_a_thumbnail_that_cannot_fit_is_left_out():
    exif = Image.Exif()
    exif[0x010F] = "x" * 64_000  # the segment is nearly full already
    raw = exif.tobytes()
    noise = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)  # compresses badly
    assert with_thumbnail(raw, noise, 160) == raw
    assert with_thumbnail(raw, noise, 0) == raw
    assert with_thumbnail(b"not exif", noise, 160) == b"not exif"


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
def test_exiftool_reads_the_new_thumbnail(tmp_path, plan):
    source = _camera_jpeg(tmp_path / "dusk.jpg", dark_frames(1, 160, 96)[0], thumbnail=True, orientation=1)
    out = tmp_path / "day.jpg"
    enhance_photo(PhotoConfig(source, out, plan=plan))
    thumb = subprocess.run(["exiftool", "-b", "-ThumbnailImage", str(out)], capture_output=True, check=True).stdout
    assert Image.open(io.BytesIO(thumb)).size == (160, 96)
    report = subprocess.run(["exiftool", "-validate", "-warning", "-a", str(out)], capture_output=True, text=True)
    assert "IFD1" not in report.stdout and "Thumbnail" not in report.stdout, report.stdout


def test_a_large_thumbnail_that_cannot_fit_is_made_smaller():
    raw = Image.Exif().tobytes()
    noise = np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    out = with_thumbnail(raw, noise, 640)  # 640x480 noise: far over 64 KB at any quality
    exif = Image.Exif()
    exif.load(out)
    assert len(out) <= 65533 and _thumbnail_of(exif, out).size == (160, 120)
