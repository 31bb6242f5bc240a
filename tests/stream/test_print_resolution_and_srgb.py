"""What a photo output keeps of the print resolution (dpi) its source stated, and a BMP output's colours.

A PNG's 300x150 dpi was lost without a word in a .webp, .avif, .heic, .jxl, .jp2, .tga, .ppm or .j2k output (only
.jpg, .png, .tif and .bmp state one outside EXIF). Now a WebP, AVIF, HEIF or JPEG XL states it in the EXIF written
into it (XResolution, YResolution, ResolutionUnit: the source's EXIF as it is where it states its own), a .jp2 in
its header's resolution box (which Pillow reads back as the dpi), and a Netpbm file, a Targa or a bare .j2k
codestream, which have no place for it, get the note that names what an output leaves out. A BMP output of a photo
in another ICC profile kept its pixels and dropped the profile (its colours shown wrong, with a note); it is
converted to sRGB now, as a Netpbm, Targa, JPEG 2000 or JPEG XL output is, with their note. The files are made here
by Pillow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.photo_reader import read_photo
from tests.icc import rgb_profile
from tests.media import dark_frames

DPI = (300, 150)


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def _exif_resolution(path: Path) -> tuple:
    """(XResolution, YResolution, ResolutionUnit) of the EXIF of the photo at ``path`` as read (None where absent)."""
    exif = Image.Exif()
    exif.load(read_photo(path).exif or b"")
    return tuple(exif.get(tag) for tag in (282, 283, 296))


@pytest.mark.parametrize("suffix", [".webp", ".avif", ".heic", ".jxl"])
def test_a_format_that_states_it_in_exif_gets_it_there(suffix, tmp_path, plan):
    if suffix == ".jxl":
        pytest.importorskip("pyjpegxl")
    source = tmp_path / "scan.png"
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(source, dpi=DPI)  # (a pHYs chunk, no EXIF)
    out = tmp_path / f"day{suffix}"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert stats.notes() == (), stats.notes()
    assert _exif_resolution(out) == (pytest.approx(DPI[0], abs=0.02), pytest.approx(DPI[1], abs=0.02), 2)


def test_a_cameras_exif_keeps_its_own_and_one_without_gets_the_jfif_density(tmp_path, plan):
    """A camera's EXIF states a resolution (72 dpi): copied as it is. A JPEG whose EXIF states none (its JFIF header
    does: 300 dpi) gets that one added, the rest of its EXIF kept."""
    for name, own in (("camera.jpg", True), ("edited.jpg", False)):
        image = Image.fromarray(dark_frames(1, 32, 24)[0])
        exif = image.getexif()
        exif[0x010F] = "enlight test camera"
        exif.get_ifd(0x8769)[0x9003] = "2026:03:01 23:59:01"
        if own:
            exif[282], exif[283], exif[296] = 72.0, 72.0, 2
        image.save(tmp_path / name, exif=exif.tobytes(), dpi=(72, 72) if own else (300, 300), quality=95)
        out = tmp_path / f"{name}.webp"
        assert enhance_photo(PhotoConfig(tmp_path / name, out, plan=plan)).notes() == ()
        written = Image.Exif()
        written.load(read_photo(out).exif)
        assert written[0x010F] == "enlight test camera" and written.get_ifd(0x8769)[0x9003] == "2026:03:01 23:59:01"
        assert (written[282], written[283], written[296]) == ((72.0, 72.0, 2) if own else (300.0, 300.0, 2)), name


def test_a_jp2_states_it_in_its_resolution_box(tmp_path, plan):
    """Read back by Pillow (and so by the next run, into a .jp2 again) as the same dpi, within 0.001% (the PNG's
    own, in whole pixels a metre: 150 dpi is 150.0124)."""
    source = tmp_path / "scan.png"
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(source, dpi=DPI)
    out = tmp_path / "day.jp2"
    assert enhance_photo(PhotoConfig(source, out, plan=plan)).notes() == ()
    data = out.read_bytes()
    assert data.index(b"res ") < data.index(b"jp2c") and b"resc" in data and b"resd" in data
    stated = read_photo(source).dpi
    assert stated == pytest.approx(DPI, abs=0.02) and read_photo(out).dpi == pytest.approx(stated, rel=1e-5)
    again = tmp_path / "again.jp2"
    assert enhance_photo(PhotoConfig(out, again, plan=plan)).notes() == ()
    assert read_photo(again).dpi == pytest.approx(stated, rel=1e-5)
    with Image.open(again) as image:  # (still a JP2 OpenJPEG decodes)
        assert image.format == "JPEG2000" and np.asarray(image).shape == (24, 32, 3)


def test_a_format_with_no_place_for_it_names_it_in_the_note(tmp_path, plan):
    source = tmp_path / "scan.png"
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(source, dpi=DPI)
    for suffix in (".tga", ".ppm", ".pgm", ".j2k"):
        stats = enhance_photo(PhotoConfig(source, tmp_path / f"day{suffix}", plan=plan))
        assert stats.notes()[0].startswith(f"not kept, a {suffix} file has no place for them: the print resolution "
                                           "(300x150 dpi)"), stats.notes()  # (a .pgm's: its colour too)
        assert "print resolution (300x150 dpi)" in stats.summary()
    square = tmp_path / "square.png"
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(square, dpi=(300, 300))
    assert enhance_photo(PhotoConfig(square, tmp_path / "square.tga", plan=plan)).notes() == (
        "not kept, a .tga file has no place for them: the print resolution (300 dpi)",)
    plain = tmp_path / "plain.png"
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(plain)  # (none stated: nothing lost)
    assert enhance_photo(PhotoConfig(plain, tmp_path / "plain.tga", plan=plan)).notes() == ()


def test_a_bmp_of_a_photo_in_another_profile_is_converted_to_srgb(tmp_path, plan):
    """Its pixels were written as they were in the profile (shown too dark or too light without it) and the note
    said 'ICC profile' not kept; now they are the sRGB pixels a .tga gets, with the same note."""
    source = tmp_path / "wide.png"
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(source, icc_profile=rgb_profile(1.0))
    pixels, notes = {}, {}
    for suffix in (".bmp", ".tga", ".png"):
        stats = enhance_photo(PhotoConfig(source, tmp_path / f"day{suffix}", plan=plan))
        notes[suffix] = stats.notes()
        with Image.open(tmp_path / f"day{suffix}") as image:
            pixels[suffix] = np.asarray(image.convert("RGB")).astype(int)
    assert np.array_equal(pixels[".bmp"], pixels[".tga"])
    assert np.abs(pixels[".bmp"] - pixels[".png"]).max() > 20  # (the .png keeps the profile and its pixels)
    assert notes[".bmp"] == tuple(note.replace(".tga", ".bmp") for note in notes[".tga"])
    assert len(notes[".bmp"]) == 1 and "a .bmp file is written here as sRGB, so its colours were converted" in \
        notes[".bmp"][0], notes[".bmp"]
