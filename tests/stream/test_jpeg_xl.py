"""JPEG XL photos (.jxl): read and written through pyjpegxl (``enlight.stream.io.jpeg_xl``). They were refused as 'a
picture in a format not read here (.jxl)', an output .jxl as 'not written here (no encoder for them)', and a folder's
.jxl files were counted as other files. Now 8- and 16-bit ones, with alpha, their ICC profile, EXIF and XMP, are
enhanced into any photo output, a .jxl made from a JPEG is read as that JPEG, and .jxl outputs are written at
--photo-quality. The files are made here by pyjpegxl, and by cjxl (libjxl-tools) where it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.photo_reader import eight_bits, read_photo

REPO = Path(__file__).resolve().parents[2]
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"/></rdf:RDF></x:xmpmeta>')
ADOBE_RGB = Path("/usr/share/color/icc/compatibleWithAdobeRGB1998.icc")  # Debian's icc-profiles-free
CJXL = shutil.which("cjxl")  # Debian's libjxl-tools


@pytest.fixture(scope="module")
def codec():
    return pytest.importorskip("pyjpegxl")


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def _exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = orientation, "enlight test camera"
    return exif.tobytes()


def _ramp(height: int = 32, width: int = 48, top: int = 65535 // 8) -> np.ndarray:
    """(height, width, 3) uint16: a dark, smooth colour ramp (up to an eighth of white)."""
    ramp = np.linspace(200, top, width)[None, :] + np.linspace(0, 400, height)[:, None]
    return np.stack([ramp, ramp * 0.8, ramp * 0.6], axis=-1).round().astype(np.uint16)


def _jxl(path: Path, pixels: np.ndarray, codec, *, exif: bytes | None = None, xmp: bytes | None = None,
         lossless: bool = True) -> Path:
    """A .jxl as a camera or an editor writes it: its Exif box with the 4-byte offset the format asks for."""
    tiff = exif[6:] if exif else None
    path.write_bytes(codec.encode_from_numpy(np.ascontiguousarray(pixels), lossless=lossless, xmp=xmp,
                                             exif=b"\0\0\0\0" + tiff if tiff else None))
    return path


def _stored(path: Path, codec) -> tuple:
    """What a .jxl holds: its metadata (pyjpegxl's) and its pixels as stored."""
    return codec.decode_to_numpy(path.read_bytes())


def _assert_metadata(path: Path) -> None:
    """The camera make and the XMP rating kept, the orientation 1 (the pixels are upright)."""
    from enlight.stream.io import jpeg_xl

    jpeg_xl.register(path)
    with Image.open(path) as image:
        exif = image.getexif()
        assert exif.get(0x010F) == "enlight test camera" and exif.get(0x0112, 1) == 1
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
        assert xmp is not None and b'xmp:Rating="4"' in (xmp.encode() if isinstance(xmp, str) else xmp)


def test_an_8_bit_jxl_is_enhanced_into_jpg_png_and_jxl_with_its_exif_and_xmp(tmp_path, codec, plan):
    """Upright as stored: a .jxl keeps its orientation in its codestream, which libjxl applies, and an EXIF
    orientation beside it is not applied again (the picture was turned twice). The .jxl written has a well-formed
    Exif box (its 4-byte offset, then the TIFF header) and the XMP."""
    dark = eight_bits(_ramp())
    source = _jxl(tmp_path / "dusk.jxl", dark, codec, exif=_exif(orientation=6), xmp=XMP)
    photo = read_photo(source)
    assert photo.format == "JXL" and photo.bits == 8 and np.array_equal(photo.rgb, dark)
    for suffix in (".jpg", ".png", ".jxl"):
        out = tmp_path / f"day{suffix}"
        stats = enhance_photo(PhotoConfig(source, out, plan=plan))
        assert (stats.width, stats.height, stats.bits) == (48, 32, 8) and stats.notes() == (), stats.summary()
        _assert_metadata(out)
        with Image.open(out) as image:
            assert image.size == (48, 32) and np.asarray(image.convert("RGB")).mean() > dark.mean() + 5
    found, pixels = _stored(tmp_path / "day.jxl", codec)
    assert found.exif[:4] == b"\0\0\0\0" and found.exif[4:8] in (b"MM\0*", b"II*\0") and b'Rating="4"' in found.xmp
    misnamed = tmp_path / "named.jpg"  # a .jxl named .jpg is read by its first bytes
    misnamed.write_bytes(source.read_bytes())
    assert np.array_equal(read_photo(misnamed).rgb, dark)


def _sixteen_bit_pixels(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    assert frame.format.name.startswith("rgb48"), frame.format.name
    return frame.to_ndarray(format="rgb48le")


def test_a_16_bit_jxl_goes_through_the_16_bit_path_into_png_and_jxl(tmp_path, codec, plan):
    """Read at 16 bits (as a 16-bit PNG is: its 8-bit picture is their rounding), written into a 16-bit PNG and a
    16-bit .jxl with its gradations finer than 8 bits; into a .jpg with the note a 16-bit PNG gets."""
    values = _ramp()
    source = _jxl(tmp_path / "deep.jxl", values, codec, exif=_exif(), xmp=XMP)
    photo = read_photo(source)
    assert photo.bits == 16 and np.array_equal(photo.rgb16, values) and np.array_equal(photo.rgb, eight_bits(values))
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    assert stats.bits == 16 and "48x32 16-bit photo" in stats.summary()
    result = _sixteen_bit_pixels(tmp_path / "day.png")
    assert result.mean() > values.mean() + 5 * 257 and len(np.unique(result[..., 0])) > 256
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jxl", plan=plan, quality=100))
    assert stats.bits == 16 and stats.notes() == ()
    found, stored = _stored(tmp_path / "day.jxl", codec)
    assert found.bits_per_sample == 16 and stored.dtype == np.uint16 and np.array_equal(stored, result)
    _assert_metadata(tmp_path / "day.jxl")
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan))
    assert stats.notes() == ("the photo's 16 bits per channel written at 8: a .jpg file holds 8; .png and .tif hold "
                             "16, .heic 10",)


def test_a_jxl_keeps_its_alpha_8_and_16_bits(tmp_path, codec, plan):
    dark = eight_bits(_ramp())
    alpha = np.linspace(0, 255, 48).round().astype(np.uint8)[None, :].repeat(32, axis=0)
    source = _jxl(tmp_path / "clear.jxl", np.dstack([dark, alpha]), codec)
    enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    with Image.open(tmp_path / "day.png") as image:
        assert image.mode == "RGBA" and np.array_equal(np.asarray(image)[..., 3], alpha)
    enhance_photo(PhotoConfig(source, tmp_path / "day.jxl", plan=plan))
    found, stored = _stored(tmp_path / "day.jxl", codec)
    assert found.has_alpha and np.abs(stored[..., 3].astype(int) - alpha).max() <= 1
    alpha16 = (alpha.astype(np.uint16) * 257)[..., None]
    deep = _jxl(tmp_path / "deep_clear.jxl", np.dstack([_ramp(), alpha16]), codec)
    assert np.array_equal(read_photo(deep).alpha16, alpha16[..., 0])
    enhance_photo(PhotoConfig(deep, tmp_path / "deep_day.jxl", plan=plan, quality=100))
    found, stored = _stored(tmp_path / "deep_day.jxl", codec)
    assert stored.dtype == np.uint16 and np.array_equal(stored[..., 3], alpha16[..., 0])


def test_a_grey_jxl_stays_grey_and_an_srgb_one_gets_no_made_up_profile(tmp_path, codec, plan):
    """libjxl gives a profile for every .jxl, one it makes up from the colours the file names (sRGB, or grey on
    sRGB's curve): taken as the photo's, a grey .jxl's was applied and the photo written as RGB tagged sRGB, and every
    sRGB .jxl's outputs carried a 504-byte sRGB profile. Neither says more than an untagged picture."""
    grey = eight_bits(_ramp())[..., 0]
    source = _jxl(tmp_path / "scan.jxl", grey, codec)
    photo = read_photo(source)
    assert photo.grey and photo.icc is None and np.array_equal(photo.rgb[..., 1], grey)
    enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    with Image.open(tmp_path / "day.png") as image:
        assert image.mode == "L" and "icc_profile" not in image.info
    enhance_photo(PhotoConfig(source, tmp_path / "day.jxl", plan=plan))
    found, stored = _stored(tmp_path / "day.jxl", codec)
    assert found.num_color_channels == 1 and stored.shape[2] == 1
    assert read_photo(_jxl(tmp_path / "colour.jxl", eight_bits(_ramp()), codec)).icc is None


def test_quality_maps_to_libjxl_distance_and_100_is_lossless(tmp_path, codec):
    """As cjxl's -q: 90 is distance 1.0, 95 0.55, 50 4.6; below 30 a parabola, held at the 15 pyjpegxl takes (it
    reads a quality of 15 or less as a distance: --photo-quality 1 was written as distance 1, near its 90)."""
    from enlight.stream.io import jpeg_xl

    assert [jpeg_xl.distance(q) for q in (95, 90, 50, 30, 20, 1)] == [0.55, 1.0, 4.6, 6.4, 9.067, 15.0]
    rgb = eight_bits(_ramp()) + np.random.default_rng(0).integers(0, 20, (32, 48, 3), dtype=np.uint8)
    sizes = {}
    for quality in (100, 95, 50, 1):
        path = tmp_path / f"q{quality}.jxl"
        jpeg_xl.write_jxl(path, rgb, exif=None, xmp=None, quality=quality)
        sizes[quality] = path.stat().st_size
        if quality == 100:
            assert np.array_equal(_stored(path, codec)[1], rgb)
    assert sizes[100] > sizes[95] > sizes[50] > sizes[1]


@pytest.mark.skipif(CJXL is None or not ADOBE_RGB.is_file(), reason="needs cjxl (libjxl-tools), icc-profiles-free")
def test_a_lossless_jxl_is_written_lossless_and_a_lossy_one_at_the_quality(tmp_path, codec, plan):
    """A lossless .jxl (``cjxl -d 0``, an editor's lossless export) was written at --photo-quality 95 (libjxl's
    distance 0.55: lossy). Its header says it (coded in its own colours, not XYB: ``jxl_header``): it is written
    lossless now, its pixels those of a .png of the same result; a lossy one still at the quality."""
    dark = eight_bits(_ramp())
    for lossless in (True, False):
        source = _jxl(tmp_path / f"dusk_{lossless}.jxl", dark, codec, lossless=lossless)
        enhance_photo(PhotoConfig(source, tmp_path / f"day_{lossless}.jxl", plan=plan))
        enhance_photo(PhotoConfig(source, tmp_path / f"day_{lossless}.png", plan=plan))
        _, stored = _stored(tmp_path / f"day_{lossless}.jxl", codec)
        with Image.open(tmp_path / f"day_{lossless}.png") as image:
            assert np.array_equal(stored, np.asarray(image)) is lossless


def test_the_header_tells_a_lossless_jxl_from_a_lossy_one(tmp_path, codec):
    """``xyb_encoded`` reads the header past what comes before the flag: a container (an XMP box beside the
    codestream), an alpha channel, 16 bits, grey, an animation (cjxl's, where it is installed)."""
    from enlight.stream.io.jxl_header import xyb_encoded

    rng = np.random.default_rng(0)
    kinds = (rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), rng.integers(0, 256, (24, 32, 4), dtype=np.uint8),
             rng.integers(0, 65536, (24, 32), dtype=np.uint16), rng.integers(0, 65536, (24, 32, 2), dtype=np.uint16))
    for pixels in kinds:
        for lossless in (True, False):
            for xmp in (None, XMP):
                options = {"lossless": True} if lossless else {"quality": 1.0}
                data = codec.encode_from_numpy(pixels, xmp=xmp, **options)
                assert xyb_encoded(data) is (not lossless), (pixels.shape, pixels.dtype, lossless, xmp)
    assert xyb_encoded(b"\xff\xd8\xff\xe0") is None and xyb_encoded(b"\xff\x0a") is None
    if CJXL is None:
        return
    frames = [Image.fromarray(frame) for frame in (kinds[0], kinds[0][::-1])]
    frames[0].save(tmp_path / "moving.gif", save_all=True, append_images=frames[1:], duration=100)
    for distance, lossy in (("0", False), ("1", True)):
        subprocess.run([CJXL, tmp_path / "moving.gif", tmp_path / "moving.jxl", "-d", distance], check=True,
                       capture_output=True)
        assert xyb_encoded((tmp_path / "moving.jxl").read_bytes()) is lossy


def test_a_jxl_in_adobe_rgb_keeps_its_profile_and_a_jxl_output_says_it_is_srgb(tmp_path, codec, plan):
    """cjxl stores the profile in the codestream: read with the pixels, kept in a .png; a .jxl written here is sRGB
    (pyjpegxl tags every codestream so), so the colours are converted to it and the summary says so."""
    from enlight.stream.io.rgb_profile import srgb_transform

    icc = ADOBE_RGB.read_bytes()
    png = tmp_path / "adobe.png"
    Image.fromarray(eight_bits(_ramp())).save(png, icc_profile=icc)
    source = tmp_path / "adobe.jxl"
    subprocess.run([CJXL, str(png), str(source), "-d", "0", "--quiet"], check=True, capture_output=True)
    photo = read_photo(source)
    assert photo.icc == icc and np.array_equal(photo.rgb, eight_bits(_ramp()))
    enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    with Image.open(tmp_path / "day.png") as image:
        assert image.info.get("icc_profile") == icc
        in_profile = np.asarray(image.convert("RGB"))
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jxl", plan=plan, quality=100))
    assert stats.notes() == ("its ICC profile (Compatible with Adobe RGB (1998)) is not kept: a .jxl file is written "
                             "here as sRGB, so its colours were converted (any outside sRGB clipped); .png and .tif "
                             "keep the profile",)
    stored = _stored(tmp_path / "day.jxl", codec)[1]
    assert np.abs(stored.astype(int) - srgb_transform(icc).apply(in_profile)).max() <= 1


@pytest.mark.skipif(CJXL is None, reason="needs cjxl (libjxl-tools)")
def test_a_jxl_recompressed_from_a_jpeg_is_read_as_that_jpeg(tmp_path, codec, plan):
    """`cjxl photo.jpg` keeps the JPEG's bitstream: its pixels are the JPEG's, turned by its EXIF orientation, with
    its quantisation (the chroma cleanup's step) and its comment, and a .jpg written from it keeps them."""
    from enlight.stream.io import jpeg_xl

    jpg = tmp_path / "shot.jpg"
    Image.fromarray(eight_bits(_ramp())).save(jpg, quality=70, exif=_exif(orientation=6), comment=b"night shot")
    source = tmp_path / "shot.jxl"
    subprocess.run([CJXL, str(jpg), str(source), "--lossless_jpeg=1", "--quiet"], check=True, capture_output=True)
    assert jpeg_xl.held_jpeg(source) == jpg.read_bytes()
    photo, original = read_photo(source), read_photo(jpg)
    assert photo.format == "JXL" and photo.rgb.shape == (48, 32, 3) and np.array_equal(photo.rgb, original.rgb)
    assert photo.chroma_step == original.chroma_step and photo.annotations.comments == (b"night shot",)
    enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan))
    with Image.open(tmp_path / "day.jpg") as image:
        assert image.size == (32, 48) and image.info.get("comment") == b"night shot"
        assert image.getexif().get(0x010F) == "enlight test camera" and image.getexif().get(0x0112) == 1


def _run(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "enlight.cli.video", *map(str, args)], capture_output=True,
                          text=True, cwd=REPO, timeout=300, env={**os.environ, **(env or {})})


def test_a_folder_picks_up_jxl_photos_and_a_jxl_is_enhanced_from_the_command_line(tmp_path, codec, weights):
    """A folder's .jxl files were '1 other file: a picture in a format not read here (.jxl)'."""
    folder = tmp_path / "photos"
    folder.mkdir()
    _jxl(folder / "dusk.jxl", eight_bits(_ramp()), codec, exif=_exif())
    Image.fromarray(eight_bits(_ramp())).save(folder / "dawn.jpg")
    result = _run(folder, "-o", tmp_path / "out", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "2 done" in result.stderr and "0 other files" in result.stderr, result.stderr
    assert (tmp_path / "out" / "dusk.jxl").is_file() and (tmp_path / "out" / "dawn.jpg").is_file()
    result = _run(folder / "dusk.jxl", "-o", tmp_path / "day.jpg", "--weights", weights)
    assert result.returncode == 0 and (tmp_path / "day.jpg").is_file(), result.stderr


def test_without_pyjpegxl_a_jxl_in_or_out_is_one_line_naming_the_package(tmp_path, weights):
    """Run where pyjpegxl cannot be imported (a module of its name that fails, first on the path): one line that
    names the package to install, exit 2, nothing written; before any work for an output."""
    blocked = tmp_path / "blocked"
    (blocked / "pyjpegxl").mkdir(parents=True)
    (blocked / "pyjpegxl" / "__init__.py").write_text("raise ImportError('No module named pyjpegxl')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(blocked), str(REPO)])}
    source = tmp_path / "dusk.jxl"
    source.write_bytes(bytes.fromhex("ff0a41404071210802010058004b188b154231515f2002805114010000000000000000"))
    photo = tmp_path / "dusk.png"
    Image.fromarray(eight_bits(_ramp())).save(photo)
    for args, named in (((source, "-o", tmp_path / "day.png"), "dusk.jxl"),
                        ((photo, "-o", tmp_path / "day.jxl"), "day.jxl")):
        result = _run(*args, "--weights", weights, env=env)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert f"{named}: JPEG XL photos need pyjpegxl (pip install 'enlight-video[jxl]'" in result.stderr
        assert not args[2].exists()


def test_a_damaged_jxl_is_one_line(tmp_path, codec):
    source = _jxl(tmp_path / "cut.jxl", eight_bits(_ramp()), codec)
    source.write_bytes(source.read_bytes()[:40])
    with pytest.raises(Exception) as caught:
        read_photo(source)
    assert type(caught.value).__name__ == "EnlightError" and "truncated/corrupt" in str(caught.value)
