"""Camera RAW photos (enlight.stream.io.raw_photo): developed by LibRaw from a real DNG layout (tests/dng.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from enlight.stream.io.photo_formats import photo_size
from enlight.stream.io.photo_reader import read_photo
from tests.dng import write_dng

pytest.importorskip("rawpy")


def _scene(height: int = 96, width: int = 128) -> np.ndarray:
    """(H, W, 3) linear light in [0, 0.08]: a dim scene with colour patches and a ramp."""
    yy, xx = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    scene = np.stack([0.2 + 0.6 * xx, 0.3 + 0.5 * yy, 0.8 - 0.6 * xx], -1)
    scene[8:32, 8:40] = (0.9, 0.2, 0.1)  # a red sign
    return scene * 0.08


def _srgb(linear: np.ndarray) -> np.ndarray:
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def test_a_dng_is_developed_with_its_white_balance_in_srgb_without_brightening(tmp_path):
    """The developed picture is the scene as exposed, in sRGB: the camera's white balance undone (its channel gains
    were 1/2, 1 and 1/1.6), the colour matrix applied, the sRGB curve, nothing lifted or clipped."""
    scene = _scene()
    photo = read_photo(write_dng(tmp_path / "night.dng", scene))
    assert photo.rgb16 is not None and photo.rgb16.dtype == np.uint16 and photo.format == "RAW"
    developed = photo.rgb16.astype(np.float64) / 65535
    expected = _srgb(scene)
    inner = (slice(4, -4), slice(4, -4))  # (the demosaic's border)
    assert np.abs(developed[inner] - expected[inner]).mean() < 0.01
    assert np.abs(developed[12:28, 12:36].mean((0, 1)) - expected[12:28, 12:36].mean((0, 1))).max() < 0.02
    assert np.array_equal(photo.rgb, ((photo.rgb16.astype(np.uint32) + 128) // 257).astype(np.uint8))


def test_the_command_enhances_a_dng_into_a_16_bit_tiff_upright_with_the_cameras_exif(tmp_path, weights, cli):
    """An upright picture (the file said: turned a quarter), 16 bits kept, the shot's EXIF (camera, date, ISO,
    exposure) carried with orientation 1; the RAW's own layout tags and offsets are not."""
    source = write_dng(tmp_path / "night.dng", _scene(), orientation=6, noise=2.0)
    assert photo_size(source) == (96, 128)
    out = tmp_path / "day.tif"
    result = cli(source, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "96x128 16-bit photo" in result.stderr
    with Image.open(out) as image:
        assert image.size == (96, 128) and image.getexif().get(258) == (16, 16, 16)
        exif = image.getexif()
        assert (exif.get(271), exif.get(272), exif.get(274)) == ("TestCam", "Night 1", 1)
        shot = exif.get_ifd(0x8769)
        assert shot.get(34855) == 3200 and shot.get(36867) == "2026:12:06 21:30:00" and float(shot[33434]) == 0.25
        assert 33422 not in exif and 50721 not in exif  # (the colour filter and matrix stay in the RAW)
    jpeg = tmp_path / "day.jpg"
    assert cli(source, "-o", jpeg, "--weights", weights, "-q").returncode == 0
    with Image.open(jpeg) as image:
        assert image.size == (96, 128) and image.getexif().get(271) == "TestCam"
        assert np.asarray(image).mean() > np.asarray(read_photo(source).rgb).mean()  # lifted


def test_a_folder_keeps_a_raw_beside_the_cameras_jpeg_as_a_tiff(tmp_path, weights, cli):
    """RAW + JPEG pairs (IMG_0001.DNG and IMG_0001.JPG) give IMG_0001.JPG and IMG_0001.DNG.tif: neither overwrites
    the other."""
    folder = tmp_path / "card"
    folder.mkdir()
    write_dng(folder / "IMG_0001.DNG", _scene())
    Image.fromarray((_srgb(_scene()) * 255).astype(np.uint8)).save(folder / "IMG_0001.JPG")
    result = cli(folder, "-o", tmp_path / "out", "--weights", weights, "-q")
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert written == ["IMG_0001.DNG.tif", "IMG_0001.JPG"]


@pytest.mark.parametrize("content", [b"\0" * 64, b"II*\0" + b"\x08\0\0\0" + b"\0" * 40])
def test_a_damaged_raw_is_one_line_and_nothing_is_written(tmp_path, weights, cli, content):
    source = tmp_path / "night.dng"
    source.write_bytes(content)
    out = tmp_path / "day.tif"
    result = cli(source, "-o", out, "--weights", weights)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert "cannot read" in result.stderr and "night.dng" in result.stderr and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night.dng"]


def test_a_raw_output_or_a_video_output_of_a_raw_is_refused_in_one_line(tmp_path, weights, cli):
    source = write_dng(tmp_path / "night.dng", _scene())
    result = cli(source, "-o", tmp_path / "day.dng", "--weights", weights)
    assert result.returncode == 2 and "is read but not written: give a .tif or .png output" in result.stderr
    result = cli(source, "-o", tmp_path / "day.mp4", "--weights", weights)
    assert result.returncode == 2 and "is a still image; a photo" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night.dng"]


def test_the_camera_exif_of_a_raw_that_is_not_tiff_based_is_none(tmp_path):
    from enlight.stream.io.raw_photo import camera_exif

    path = Path(tmp_path / "x.cr3")
    path.write_bytes(b"\0\0\0\x18ftypcrx " + b"\0" * 32)
    assert camera_exif(path, 10, 10) is None


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
@pytest.mark.parametrize("suffix", [".jpg", ".tif"])
def test_the_exif_of_a_developed_raw_validates(tmp_path, weights, cli, suffix):
    """A RAW keeps its resolution and versions outside the EXIF fields a JPEG or TIFF requires: exiftool -validate
    gave 7 warnings for the JPEG (ExifVersion, ColorSpace, the picture size, ...). It now says sRGB and the
    developed size, and validates."""
    out = tmp_path / f"day{suffix}"
    assert cli(write_dng(tmp_path / "night.dng", _scene()), "-o", out, "--weights", weights, "-q").returncode == 0
    report = subprocess.run(["exiftool", "-validate", "-warning", "-a", str(out)], capture_output=True, text=True)
    assert "Validate                        : OK" in report.stdout, report.stdout
    with Image.open(out) as image:
        shot = image.getexif().get_ifd(0x8769)
        assert shot[0xA001] == 1
        assert suffix == ".tif" or (shot[0xA002], shot[0xA003]) == (128, 96)  # (a JPEG's field: not in a TIFF)
