"""Photos through the same model path: six formats (HEIC and AVIF, as phones write them too), EXIF
orientation applied (and reset to 1), ICC, EXIF and XMP carried over, 16-bit PNG/TIFF kept 16-bit, grey decided
from the photo's own chroma."""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageOps, ImageSequence
from PIL.TiffImagePlugin import IFDRational

from enlight.stream.apps.photo import PhotoConfig, apply_to_16bit, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.photo_formats import require_format_support
from enlight.stream.io.photo_reader import orient, read_photo
from tests.media import dark_frames

ICC = b"not-a-real-icc-profile" * 4
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
       b'xmp:Rating="4" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')  # a rating, and the same turn as the EXIF's
ROTATE_90_CW = 6  # EXIF orientation: the stored picture must be turned 90 degrees clockwise


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def _save(path: Path, pixels: np.ndarray, *, orientation: int = ROTATE_90_CW) -> Path:
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = orientation
    exif[0x010F] = "enlight test camera"  # Make: an ordinary tag that must survive
    require_format_support(path)
    options = {"quality": 95} if path.suffix != ".png" else {}
    if path.suffix == ".png":
        from PIL.PngImagePlugin import PngInfo

        options["pnginfo"] = PngInfo()
        options["pnginfo"].add_itxt("XML:com.adobe.xmp", XMP.decode())
    elif path.suffix == ".tif":
        exif[700] = XMP  # in the TIFF's own IFD (beside a ``tiffinfo``, Pillow would write no EXIF)
    else:
        options["xmp"] = XMP
    image.save(path, exif=exif.tobytes(), icc_profile=ICC, **options)
    return path


def _xmp_of(image: Image.Image) -> bytes | None:
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    return xmp.encode() if isinstance(xmp, str) else xmp


def _write_16bit(path: Path, pixels: np.ndarray) -> Path:
    codec, pix_fmt = ("png", "rgb48be") if path.suffix == ".png" else ("tiff", "rgb48le")
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream(codec)
        stream.height, stream.width = pixels.shape[:2]
        stream.pix_fmt = pix_fmt
        container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb48le").reformat(format=pix_fmt)))
        container.mux(stream.encode(None))
    return path


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif", ".webp", ".avif", ".heic"])
def test_a_photo_is_enhanced_upright_with_its_icc_and_exif(suffix, tmp_path, plan):
    stored = dark_frames(1, 40, 24)[0]  # 40 wide, 24 high as stored; upright it is 24 wide, 40 high
    source = _save(tmp_path / f"dusk{suffix}", stored)
    out = tmp_path / f"day{suffix}"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert (stats.width, stats.height, stats.bits) == (24, 40, 8)
    with Image.open(out) as result:
        assert result.size == (24, 40)
        assert result.info.get("icc_profile") == ICC
        exif = result.getexif()
        assert exif.get(0x0112, 1) == 1  # applied, so reset: no viewer turns it again
        assert exif.get(0x010F) == "enlight test camera"  # (a TIFF's EXIF tags are in its own IFD: kept too)
        xmp = _xmp_of(result)  # ratings, keywords, copyright: kept, its orientation reset too (or gone)
        assert xmp is not None and b'xmp:Rating="4"' in xmp and b'Orientation="6"' not in xmp
        enhanced = np.asarray(result.convert("RGB")).astype(float)
    upright = np.rot90(stored, -1).astype(float)
    assert enhanced.mean() > upright.mean() + 5  # brighter, and the bright square is where it should be
    corr = np.corrcoef(enhanced.mean(axis=2).ravel(), upright.mean(axis=2).ravel())[0, 1]
    assert corr > 0.5, corr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([source.name, out.name])  # no temporaries


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillow(orientation):
    pixels = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(image))
    assert np.array_equal(orient(pixels, orientation), expected)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_photos_stay_16_bit(suffix, tmp_path, plan):
    rng = np.random.default_rng(0)
    pixels = (rng.random((24, 32, 3)) * 9000 + 500).astype(np.uint16)  # dark, with detail below 8 bits
    source = _write_16bit(tmp_path / f"raw{suffix}", pixels)
    photo = read_photo(source)
    assert photo.rgb16 is not None and np.array_equal(photo.rgb16, pixels)
    out = tmp_path / f"day{suffix}"
    assert enhance_photo(PhotoConfig(source, out, plan=plan)).bits == 16
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert frame.format.name.startswith("rgb48")
        result = frame.to_ndarray(format="rgb48le")
    eight = read_photo(source).rgb
    assert result.mean() > pixels.mean() + 5 * 257
    # the gradations below 8 bits are kept (through the model: enlight.stream.apps.photo_deep, which
    # tests/stream/test_photo_deep.py measures): not the 8-bit result's 257-level grid
    clipped = (result == 0) | (result == 65535)
    assert np.mean(result[~clipped] % 257 != 0) > 0.5
    assert len(np.unique(result)) > 4 * len(np.unique(eight))


def _png_chunks(path: Path) -> list[bytes]:
    data, at, kinds = path.read_bytes(), 8, []
    while at + 12 <= len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kinds.append(data[at + 4:at + 8])
        at += 12 + length
    return kinds


@pytest.mark.parametrize("source_suffix, dpi", [(".jpg", (300, 150)), (".png", (300, 150)), (".tif", (240, 240))])
def test_the_print_resolution_is_kept_for_the_upright_picture(source_suffix, dpi, tmp_path, plan):
    """A JPEG's JFIF density, a PNG's pHYs and a TIFF's resolution tags: kept in every output that states one (it
    was dropped, or written 1:1 without a unit), swapped where the EXIF orientation turns the picture a quarter."""
    image = Image.fromarray(dark_frames(1, 40, 24)[0])
    exif = image.getexif()
    exif[0x0112] = ROTATE_90_CW
    source = tmp_path / f"print{source_suffix}"
    image.save(source, dpi=dpi, exif=exif.tobytes())
    upright = (dpi[1], dpi[0])  # (a TIFF's is square here: Pillow turns its pixels itself)
    for suffix in (".jpg", ".png", ".tif", ".bmp"):
        out = tmp_path / f"day{suffix}"
        enhance_photo(PhotoConfig(source, out, plan=plan, overwrite=True))
        assert Image.open(out).info["dpi"] == pytest.approx(upright, abs=0.02), suffix
    deep = _write_16bit(tmp_path / "deep.png", (np.random.default_rng(0).random((24, 32, 3)) * 9000).astype(np.uint16))
    data = deep.read_bytes()
    phys = b"pHYs" + (11811).to_bytes(4, "big") * 2 + b"\x01"  # 300 dpi
    deep.write_bytes(data[:33] + len(phys[4:]).to_bytes(4, "big") + phys + zlib.crc32(phys).to_bytes(4, "big")
                     + data[33:])
    for suffix in (".png", ".tif"):
        out = tmp_path / f"deep_day{suffix}"
        assert enhance_photo(PhotoConfig(deep, out, plan=plan)).bits == 16
        assert Image.open(out).info["dpi"] == pytest.approx((300, 300), abs=0.02)
    assert _png_chunks(tmp_path / "deep_day.png").count(b"pHYs") == 1  # in place of the encoder's own


def test_a_16_bit_png_without_a_print_resolution_gets_no_made_up_one(tmp_path, plan):
    """FFmpeg's PNG encoder writes a pHYs chunk from the frame's pixel aspect ratio, which is unset: 0:1, unit
    unknown. A 16-bit PNG that had no pHYs came out with that one (Pillow read it as aspect (0, 1)), a pixel aspect
    ratio of zero; an 8-bit one (Pillow's encoder) got none."""
    from enlight.stream.io.photo_writer import png_chunks

    deep = _write_16bit(tmp_path / "deep.png", (np.random.default_rng(0).random((24, 32, 3)) * 9000).astype(np.uint16))
    data = deep.read_bytes()  # (FFmpeg wrote its pHYs here too: left out, as a raw converter's 16-bit PNG has none)
    deep.write_bytes(data[:8] + b"".join(data[at:at + 12 + size] for at, kind, size in png_chunks(data)
                                         if kind != b"pHYs"))
    assert b"pHYs" not in _png_chunks(deep)
    out = tmp_path / "deep_day.png"
    assert enhance_photo(PhotoConfig(deep, out, plan=plan)).bits == 16
    assert b"pHYs" not in _png_chunks(out)
    assert "aspect" not in Image.open(out).info and "dpi" not in Image.open(out).info


def _camera_exif(orientation: int = 1) -> bytes:
    """EXIF as a raw converter writes it: camera, orientation, an Exif sub-IFD and a GPS sub-IFD."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "enlight test camera", "model 16", orientation
    exif.get_ifd(0x8769)[0x829A] = IFDRational(1, 50)  # ExposureTime, a RATIONAL as cameras write it
    exif.get_ifd(0x8825)[1], exif.get_ifd(0x8825)[2] = "N", (52.0, 31.0, 12.5)  # GPS latitude
    return exif.tobytes()  # with its "Exif\0\0" header, as Pillow reads it from a JPEG


def _assert_camera_metadata(result: Image.Image) -> None:
    assert result.info.get("icc_profile") == ICC
    exif = result.getexif()
    assert (exif.get(0x010F), exif.get(0x0110), exif.get(0x0112, 1)) == ("enlight test camera", "model 16", 1)
    assert float(exif.get_ifd(0x8769)[0x829A]) == pytest.approx(1 / 50)
    assert exif.get_ifd(0x8825)[1] == "N" and tuple(map(float, exif.get_ifd(0x8825)[2])) == (52.0, 31.0, 12.5)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_photo_keeps_its_icc_exif_and_xmp(suffix, tmp_path):
    pixels = (np.random.default_rng(1).random((16, 20, 3)) * 5000).astype(np.uint16)
    source = _write_16bit(tmp_path / f"raw{suffix}", pixels)
    photo = read_photo(source)
    photo.icc, photo.exif, photo.xmp = ICC, _camera_exif(), XMP
    from enlight.stream.io.photo_writer import write_photo

    out = write_photo(tmp_path / f"copy{suffix}", photo.rgb, photo, rgb16=photo.rgb16)
    with Image.open(out) as result:  # Pillow reads the metadata, FFmpeg the pixels: two readers
        _assert_camera_metadata(result)
        assert _xmp_of(result) == XMP or result.getexif().get(700) == XMP
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert frame.format.name.startswith("rgb48")
        assert np.array_equal(frame.to_ndarray(format="rgb48le"), pixels)


def test_16_bit_tiff_enhanced_upright_with_its_metadata(tmp_path, plan):
    """A 16-bit TIFF from a raw converter (turned, ICC, EXIF with sub-IFDs, XMP) through the whole photo path."""
    from enlight.stream.io.photo_writer import write_photo

    stored = (np.random.default_rng(2).random((20, 32, 3)) * 6000 + 300).astype(np.uint16)  # 32 wide as stored
    photo = read_photo(_write_16bit(tmp_path / "plain.tif", stored))
    photo.icc, photo.exif, photo.xmp = ICC, _camera_exif(ROTATE_90_CW), XMP
    source = write_photo(tmp_path / "raw.tif", photo.rgb, photo, rgb16=photo.rgb16)
    out = tmp_path / "day.tif"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert (stats.width, stats.height, stats.bits) == (20, 32, 16)  # upright: 20 wide
    with Image.open(out) as result:
        _assert_camera_metadata(result)
        xmp = result.getexif().get(700) or _xmp_of(result)
        assert b'xmp:Rating="4"' in xmp and b'Orientation="6"' not in xmp
    with av.open(str(out)) as container:
        enhanced = next(container.decode(video=0)).to_ndarray(format="rgb48le")
    assert enhanced.shape == (32, 20, 3) and enhanced.mean() > stored.mean() + 5 * 257


def _save_rgba16(path: Path, pixels: np.ndarray) -> Path:
    """A 16-bit RGBA PNG or TIFF (by the suffix) of ``pixels`` (H, W, 4) uint16, written by FFmpeg."""
    codec, pix_fmt = ("png", "rgba64be") if path.suffix == ".png" else ("tiff", "rgba64le")
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream(codec)
        stream.height, stream.width, stream.pix_fmt = pixels.shape[0], pixels.shape[1], pix_fmt
        container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgba64le").reformat(format=pix_fmt)))
        container.mux(stream.encode(None))
    return path


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_photo_keeps_its_alpha(suffix, tmp_path, plan):
    pixels = (np.random.default_rng(3).random((12, 16, 4)) * 9000).astype(np.uint16)
    pixels[..., 3] = np.linspace(0, 65535, 16).astype(np.uint16)  # transparent to opaque, left to right
    source = _save_rgba16(tmp_path / f"cutout{suffix}", pixels)
    out = tmp_path / f"day{suffix}"
    assert enhance_photo(PhotoConfig(source, out, plan=plan)).bits == 16
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert frame.format.name.startswith("rgba64")
        alpha = frame.to_ndarray(format="rgba64le")[..., 3].astype(int)
    assert np.abs(alpha - pixels[..., 3]).max() <= 128  # the alpha as read (8 bits) times 257


def test_grey_photo_stays_grey_and_colour_photo_keeps_colour(tmp_path, plan):
    grey = np.repeat(dark_frames(1, 32, 24)[0].mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    Image.fromarray(grey[..., 0], "L").save(tmp_path / "ir.png")
    Image.fromarray(grey).save(tmp_path / "ir_rgb.png")
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(tmp_path / "colour.png")
    for name, expect_grey in (("ir.png", True), ("ir_rgb.png", True), ("colour.png", False)):
        stats = enhance_photo(PhotoConfig(tmp_path / name, tmp_path / f"out_{name}", plan=plan))
        result = np.asarray(Image.open(tmp_path / f"out_{name}").convert("RGB")).astype(int)
        spread = np.abs(result - result.mean(axis=2, keepdims=True)).max()
        assert (stats.colour == "grey") == expect_grey and (spread <= 1) == expect_grey, (name, spread)


def test_a_one_channel_photo_is_written_with_one_channel(tmp_path, plan):
    """A grey (L or LA) file came out as RGB: three times the bytes, and a JPEG with two chroma planes, for the same
    picture. It keeps one channel (and its alpha) where the format holds it; an RGB file whose colours are grey, a
    grey source written as WebP, and a grey source made colourful by --grey off stay RGB."""
    grey = dark_frames(1, 32, 24)[0].mean(axis=2).astype(np.uint8)
    Image.fromarray(grey, "L").save(tmp_path / "ir.png")
    Image.fromarray(np.stack([grey, np.full_like(grey, 200)], -1), "LA").save(tmp_path / "ir_alpha.png")
    Image.fromarray(np.repeat(grey[..., None], 3, axis=2)).save(tmp_path / "ir_rgb.png")
    for source, output, mode in (("ir.png", "a.png", "L"), ("ir.png", "b.jpg", "L"), ("ir.png", "c.tif", "L"),
                                 ("ir_alpha.png", "d.png", "LA"), ("ir_rgb.png", "e.png", "RGB"),
                                 ("ir.png", "f.webp", "RGB")):
        enhance_photo(PhotoConfig(tmp_path / source, tmp_path / output, plan=plan))
        assert Image.open(tmp_path / output).mode == mode, (source, output)
    one = np.asarray(Image.open(tmp_path / "a.png")).astype(int)
    three = np.asarray(Image.open(tmp_path / "e.png")).astype(int)
    assert np.array_equal(one, three[..., 0])  # the same picture
    enhance_photo(PhotoConfig(tmp_path / "ir.png", tmp_path / "g.png", plan=plan, grey="off"))
    coloured = np.asarray(Image.open(tmp_path / "g.png").convert("RGB")).astype(int)
    assert Image.open(tmp_path / "g.png").mode == ("L" if np.ptp(coloured, axis=2).max() == 0 else "RGB")


@pytest.mark.parametrize("white", [1.0, 255.0, 65535.0])
def test_a_floating_point_grey_tiff_is_read_at_its_own_white(white, tmp_path):
    """A 32-bit float TIFF of values 0-1 (as scientific cameras and image libraries write them) was read as levels:
    its content rounded to 0 and 1, a flat grey out, exit 0. Read at the white its largest value says."""
    grey = dark_frames(1, 32, 24)[0].mean(axis=2)  # 0-255 levels
    Image.fromarray((grey / 255 * white).astype(np.float32), "F").save(tmp_path / "f.tif")
    photo = read_photo(tmp_path / "f.tif")
    assert photo.grey and np.abs(photo.rgb[..., 0].astype(float) - grey).max() <= 1


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_16_bit_grey_photo_is_written_16_bit_grey(suffix, tmp_path, plan):
    """A 16-bit grey PNG or TIFF (a scan, a thermal or infrared still) came out as 16-bit RGB."""
    grey = (np.random.default_rng(4).random((12, 16)) * 9000 + 500).astype(np.uint16)
    source = tmp_path / f"ir{suffix}"
    codec, pix_fmt = ("png", "gray16be") if suffix == ".png" else ("tiff", "gray16le")
    with av.open(str(source), "w", format="image2") as container:
        stream = container.add_stream(codec)
        stream.height, stream.width, stream.pix_fmt = 12, 16, pix_fmt
        container.mux(stream.encode(av.VideoFrame.from_ndarray(grey, format="gray16le").reformat(format=pix_fmt)))
        container.mux(stream.encode(None))
    out = tmp_path / f"day{suffix}"
    assert enhance_photo(PhotoConfig(source, out, plan=plan)).bits == 16
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert frame.format.name.startswith("gray16"), frame.format.name
        enhanced = frame.to_ndarray(format="gray16le")
    assert enhanced.shape == (12, 16) and enhanced.mean() > grey.mean() + 5 * 257
    with Image.open(out) as result:  # a plain reader sees one 16-bit channel too
        assert result.mode.startswith("I"), result.mode


def test_apply_to_16bit_is_the_8_bit_correction():
    rgb16 = np.array([[[1000, 30000, 65000]]], np.uint16)
    rgb8 = ((rgb16.astype(np.uint32) + 128) // 257).astype(np.uint8)
    enhanced = np.clip(rgb8.astype(int) + 10, 0, 255).astype(np.uint8)
    out = apply_to_16bit(rgb16, rgb8, enhanced)
    assert out.tolist() == [[[1000 + 2570, 30000 + 2570, 65535]]]


def test_cli_photo(tmp_path, cli, weights):
    source = _save(tmp_path / "dusk.jpg", dark_frames(1, 40, 24)[0])
    out = tmp_path / "dusk_day.jpg"
    result = cli(source, "-o", out, "--weights", weights, "--device", "cpu", "--photo-quality", "80")
    assert result.returncode == 0, result.stderr
    assert "24x40 8-bit photo" in result.stderr and Image.open(out).size == (24, 40)
    again = cli(source, "-o", out, "--weights", weights)
    assert again.returncode == 2 and "output exists" in again.stderr


def test_jpeg_files_named_as_browsers_name_them_are_photos(tmp_path, cli, weights):
    """Chrome and Edge save JPEG downloads as .jfif; older tools wrote .jpe: read and written as JPEG photos,
    alone and in a folder (where they were counted as other files)."""
    source = _save(tmp_path / "dusk.jpg", dark_frames(1, 40, 24)[0])
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.jfif", "b.JPE"):
        (folder / name).write_bytes(source.read_bytes())
    out = tmp_path / "day.jfif"
    result = cli(folder / "a.jfif", "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert Image.open(out).format == "JPEG" and Image.open(out).size == (24, 40)
    result = cli(folder, "-o", tmp_path / "out", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["a.jfif", "b.JPE"]
    assert Image.open(tmp_path / "out" / "b.JPE").format == "JPEG"


def test_heic_without_pillow_heif_is_a_one_line_error(tmp_path, monkeypatch):
    from enlight.errors import EnlightError

    source = _save(tmp_path / "dusk.heic", dark_frames(1, 40, 24)[0])
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # as if it were not installed: its import fails
    with pytest.raises(EnlightError, match="need pillow-heif"):
        read_photo(source)


@pytest.mark.parametrize("suffix", [".webp", ".png"])
def test_an_animated_picture_keeps_every_frame_its_timing_and_loop(suffix, tmp_path, cli, weights):
    """An animated WebP or PNG passed for a photo and came out as its first frame alone."""
    frames = dark_frames(3, 40, 24)
    source = tmp_path / f"sticker{suffix}"
    pictures = [Image.fromarray(frame) for frame in frames]
    pictures[0].save(source, save_all=True, append_images=pictures[1:], duration=[80, 120, 200], loop=2)
    out = tmp_path / f"day{suffix}"
    result = cli(source, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "animation of 3 frames" in result.stderr
    with Image.open(out) as image:
        assert image.n_frames == 3 and image.info.get("loop") == 2
        durations, means = [], []
        for frame in ImageSequence.Iterator(image):
            means.append(np.asarray(frame.convert("RGB")).astype(float).mean())
            durations.append(int(frame.info["duration"]))
    assert durations == [80, 120, 200]
    assert all(m > f.mean() + 5 for m, f in zip(means, frames, strict=True))  # every frame enhanced
    refused = cli(source, "-o", tmp_path / "day.jpg", "--weights", weights)  # a format without frames
    assert refused.returncode == 2 and len(refused.stderr_lines) == 1 and "animated (3 frames)" in refused.stderr
    assert not (tmp_path / "day.jpg").exists()


def test_a_jpeg_with_a_second_picture_is_still_a_photo(tmp_path, cli, weights):
    """A phone's Ultra HDR JPEG or a camera's JPEG with a preview is an MPO to Pillow (2 pictures): one photo,
    not an animation to refuse."""
    stored = dark_frames(1, 40, 24)[0]
    source = tmp_path / "pixel.jpg"
    Image.fromarray(stored).save(source, format="MPO", save_all=True,
                                 append_images=[Image.fromarray(stored[::2, ::2])])
    with Image.open(source) as image:
        assert image.format == "MPO" and image.n_frames == 2
    out = tmp_path / "day.jpg"
    result = cli(source, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "photo in" in result.stderr
    with Image.open(out) as image:
        assert image.size == (40, 24) and np.asarray(image).mean() > stored.mean() + 5


@pytest.mark.parametrize("kind", ["palette", "colour key"])
def test_palette_and_colour_key_transparency_are_kept(kind, tmp_path, plan):
    """A PNG whose transparency is a palette entry (tRNS) or one colour: the output has that alpha."""
    pixels = dark_frames(1, 32, 24)[0]
    pixels[:8] = 0  # the top rows: the transparent colour
    source = tmp_path / "sticker.png"
    if kind == "palette":
        image = Image.fromarray(pixels).quantize(16)
        image.save(source, transparency=image.getpixel((0, 0)))
    else:
        Image.fromarray(pixels).save(source, transparency=(0, 0, 0))
    expected = np.asarray(Image.open(source).convert("RGBA").getchannel("A"))
    assert (expected[:8] == 0).all() and expected[8:].mean() > 200
    out = tmp_path / "day.png"
    enhance_photo(PhotoConfig(source, out, plan=plan))
    with Image.open(out) as result:
        assert result.mode == "RGBA"
        assert np.array_equal(np.asarray(result.getchannel("A")), expected)


def test_a_transparent_photo_into_a_jpeg_says_its_alpha_is_not_kept(tmp_path, plan):
    """JPEG and BMP have no alpha: the summary names it as not kept where the photo uses its transparency, and
    says nothing for an alpha that is opaque everywhere (as screenshots often carry)."""
    pixels = dark_frames(1, 32, 24)[0]
    alpha = np.full((24, 32), 255, np.uint8)
    Image.fromarray(np.dstack([pixels, alpha])).save(tmp_path / "opaque.png")
    alpha[:8] = 0
    Image.fromarray(np.dstack([pixels, alpha])).save(tmp_path / "sticker.png")
    lost = enhance_photo(PhotoConfig(tmp_path / "sticker.png", tmp_path / "sticker.jpg", plan=plan)).summary()
    assert "not kept" in lost and "the alpha channel (transparency)" in lost
    for source, out in (("sticker.png", "kept.webp"), ("opaque.png", "opaque.jpg")):
        assert "not kept" not in enhance_photo(PhotoConfig(tmp_path / source, tmp_path / out, plan=plan)).summary()


def _profile_for(colour_space: bytes) -> bytes:
    """Pillow's sRGB profile with its header's colour space (bytes 16-20) changed: one no CMS can apply."""
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return srgb[:16] + colour_space + srgb[20:]


@pytest.mark.parametrize("mode, colour_space", [("CMYK", b"CMYK"), ("L", b"GRAY")])
def test_a_profile_for_another_colour_space_does_not_tag_the_rgb_output(mode, colour_space, tmp_path, plan):
    """A CMYK or grey profile was copied onto the RGB output: colour-managed programs misread or refuse it."""
    source = tmp_path / "print.jpg"
    Image.new(mode, (32, 24), (10, 20, 30, 200) if mode == "CMYK" else 30).save(source,
                                                                                icc_profile=_profile_for(colour_space))
    out = tmp_path / "day.jpg"
    enhance_photo(PhotoConfig(source, out, plan=plan))
    with Image.open(out) as result:
        icc = result.info.get("icc_profile")
        assert icc is None or icc[16:20] == b"RGB ", icc[16:20]


GREY_PROFILE = Path("/usr/share/color/icc/Gray.icc")  # Debian's icc-profiles-free


@pytest.mark.skipif(not GREY_PROFILE.exists(), reason="needs a real grey ICC profile (icc-profiles-free)")
def test_a_grey_profile_is_applied_and_the_output_is_srgb(tmp_path):
    from PIL import ImageCms

    source = tmp_path / "scan.jpg"
    image = Image.new("L", (8, 6), 60)
    image.save(source, icc_profile=GREY_PROFILE.read_bytes())
    photo = read_photo(source)
    expected = ImageCms.profileToProfile(Image.open(source), str(GREY_PROFILE), ImageCms.createProfile("sRGB"),
                                         outputMode="RGB")
    assert np.array_equal(photo.rgb, np.asarray(expected)) and photo.icc[16:20] == b"RGB "


def test_a_multi_page_tiff_says_its_other_pages_are_not_written(tmp_path, plan):
    """Pages 2 and on of a multi-page TIFF (a scan, a fax) were dropped without a word."""
    frames = dark_frames(3, 32, 24)
    pages = [Image.fromarray(frame) for frame in frames]
    source = tmp_path / "scan.tif"
    pages[0].save(source, save_all=True, append_images=pages[1:])
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.tif", plan=plan))
    assert "page 1 of 3: the other pages are not written" in stats.summary()
    single = enhance_photo(PhotoConfig(_save(tmp_path / "one.tif", frames[0]), tmp_path / "o.tif", plan=plan))
    assert "page 1 of" not in single.summary()


def test_dry_run_of_a_photo_shows_the_plan_it_runs(tmp_path, cli):
    """--dry-run printed the video plan (temporal smoothing at 0.8) for a photo, which runs without it."""
    source = _save(tmp_path / "dusk.jpg", dark_frames(1, 32, 24)[0])
    result = cli(source, "-o", tmp_path / "day.jpg", "--dry-run")
    assert result.returncode == 0 and "temporal smoothing: off" in result.stdout, result.stdout
    assert "deband: on" in result.stdout
    assert not (tmp_path / "day.jpg").exists()
    pixels = (np.random.default_rng(0).random((24, 32, 3)) * 9000).astype(np.uint16)
    deep = _write_16bit(tmp_path / "dusk16.png", pixels)
    result = cli(deep, "-o", tmp_path / "day16.png", "--dry-run")  # (said 'deband: on'; the run never debands it)
    assert result.returncode == 0 and "deband: off" in result.stdout, result.stdout
    (tmp_path / "empty.jpg").write_bytes(b"")  # a dry run printed a plan, exit 0, for what the run refuses
    result = cli(tmp_path / "empty.jpg", "-o", tmp_path / "day.jpg", "--dry-run")
    assert result.returncode == 2 and len(result.stderr_lines) == 1 and "cannot read" in result.stderr
    import zipfile

    with zipfile.ZipFile(tmp_path / "notes.zip", "w") as archive:
        archive.writestr("a.txt", "no pictures here")
    result = cli(tmp_path / "notes.zip", "-o", tmp_path / "out", "--dry-run")
    assert result.returncode == 2 and result.stderr_lines == ["enlight-video: error: no videos or photos in "
                                                              f"{tmp_path / 'notes.zip'}"]


# IPTC-IIM: the record version and a caption (2:120), as a Photoshop resource 0x0404 in a JPEG's APP13
IPTC = b"\x1c\x02\x00\x00\x02\x00\x04" + b"\x1c\x02\x78\x00\x0ba dark lane"


def _photoshop_resources(iptc: bytes) -> bytes:
    """Photoshop resources ('8BIM', id, empty padded name, size, data padded to even) holding ``iptc``."""
    import struct

    return b"8BIM" + struct.pack(">HHI", 0x0404, 0, len(iptc)) + iptc + b"\0" * (len(iptc) & 1)


def _save_annotated(path: Path) -> Path:
    """A photo with IPTC and a comment (JPEG), IPTC (TIFF tag 33723) or text chunks (PNG)."""
    import struct

    from PIL.PngImagePlugin import PngInfo

    image = Image.fromarray(dark_frames(1, 24, 16)[0])
    if path.suffix == ".png":
        info = PngInfo()
        info.add_text("Description", "a dark lane")
        info.add_itxt("Author", "Zoë", lang="fr", tkey="Auteur")
        info.add_text("Comment", "long " * 400, zip=True)  # a zTXt chunk
        image.save(path, pnginfo=info)
    elif path.suffix == ".tif":
        image.save(path, tiffinfo={33723: IPTC})
    else:
        image.save(path, quality=95, comment=b"shot at dusk")
        app13 = b"Photoshop 3.0\0" + _photoshop_resources(IPTC)
        data = path.read_bytes()
        path.write_bytes(data[:2] + b"\xff\xed" + struct.pack(">H", len(app13) + 2) + app13 + data[2:])
    return path


def _annotations_of(path: Path) -> dict:
    """IPTC (Pillow's reader), JPEG comments and PNG text (with the iTXt's language) as a reader finds them."""
    from PIL import IptcImagePlugin

    with Image.open(path) as image:
        image.load()
        text = {key: (str(value), getattr(value, "lang", None)) for key, value in getattr(image, "text", {}).items()}
        comments = [data for marker, data in getattr(image, "applist", []) if marker == "COM"]
        return {"iptc": IptcImagePlugin.getiptcinfo(image), "comments": comments, "text": text}


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_iptc_comments_and_png_text_are_kept(suffix, tmp_path, plan):
    source = _save_annotated(tmp_path / f"dusk{suffix}")
    out = tmp_path / f"day{suffix}"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    kept = _annotations_of(out)
    assert kept == _annotations_of(source) and "not kept" not in stats.summary()
    if suffix != ".png":
        assert kept["iptc"][(2, 120)] == b"a dark lane"
    if suffix == ".jpg":
        assert kept["comments"] == [b"shot at dusk"]
    if suffix == ".png":
        assert kept["text"]["Author"] == ("Zoë", "fr") and kept["text"]["Description"] == ("a dark lane", None)


def test_iptc_and_comments_across_formats_or_a_note(tmp_path, plan):
    """JPEG -> TIFF keeps the IPTC, JPEG -> PNG the comment (as 'Comment' text); what a format cannot hold is
    named in the summary."""
    jpeg = _save_annotated(tmp_path / "dusk.jpg")
    enhance_photo(PhotoConfig(jpeg, tmp_path / "day.tif", plan=plan))
    assert _annotations_of(tmp_path / "day.tif")["iptc"][(2, 120)] == b"a dark lane"
    to_png = enhance_photo(PhotoConfig(jpeg, tmp_path / "day.png", plan=plan))
    assert _annotations_of(tmp_path / "day.png")["text"] == {"Comment": ("shot at dusk", None)}
    assert "not kept" in to_png.summary() and "IPTC" in to_png.summary()
    tiff = enhance_photo(PhotoConfig(_save_annotated(tmp_path / "dusk.tif"), tmp_path / "tiff.jpg", plan=plan))
    assert _annotations_of(tmp_path / "tiff.jpg")["iptc"][(2, 120)] == b"a dark lane"
    assert "not kept" not in tiff.summary()
    webp = enhance_photo(PhotoConfig(_save_annotated(tmp_path / "text.png"), tmp_path / "day.webp", plan=plan))
    assert "not kept" in webp.summary() and "PNG text (Description, Author, Comment)" in webp.summary()
    bmp = enhance_photo(PhotoConfig(_save(tmp_path / "camera.jpg", dark_frames(1, 32, 24)[0]), tmp_path / "day.bmp",
                                    plan=plan))  # (a BMP holds none of it: it was lost without a word)
    assert bmp.summary().endswith("no place for them: EXIF (camera, date, GPS), XMP)")
    assert "its ICC profile could not be applied" in bmp.summary()  # (written in sRGB: this one is not a profile)


def _png_text_chunks(path: Path) -> list[tuple[bytes, bytes]]:
    """(type, data) of every tEXt, zTXt and iTXt chunk of a PNG file, in order."""
    import struct

    data, chunks, at = path.read_bytes(), [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            chunks.append((kind, data[at + 8:at + 8 + length]))
        at += 12 + length
    return chunks


def test_every_png_text_chunk_is_kept_when_keywords_repeat(tmp_path, plan):
    """Several chunks with one keyword (two 'Comment's, an iTXt 'Title' in two languages) were read through
    Pillow's dict, which kept the last of each; all are written back, in order."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "first")
    info.add_text("Comment", "second, compressed " * 80, zip=True)
    info.add_itxt("Title", "Abend", lang="de", tkey="Titel")
    info.add_itxt("Title", "Soir", lang="fr", tkey="Titre")
    source = tmp_path / "dusk.png"
    Image.fromarray(dark_frames(1, 24, 16)[0]).save(source, pnginfo=info)
    out = tmp_path / "day.png"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert len(_png_text_chunks(source)) == 4 and _png_text_chunks(out) == _png_text_chunks(source)
    assert "not kept" not in stats.summary()


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_alpha_is_kept_at_16_bits(suffix, tmp_path, plan):
    """A 16-bit alpha was read at 8 bits: 256 levels, written back times 257."""
    rng = np.random.default_rng(4)
    pixels = (rng.random((12, 16, 4)) * 9000).astype(np.uint16)
    pixels[..., 3] = rng.integers(0, 65536, (12, 16), dtype=np.uint16)  # fine steps no 8-bit alpha has
    source = _save_rgba16(tmp_path / f"cutout{suffix}", pixels)
    out = tmp_path / f"day{suffix}"
    assert enhance_photo(PhotoConfig(source, out, plan=plan)).bits == 16
    with av.open(str(out)) as container:
        alpha = next(container.decode(video=0)).to_ndarray(format="rgba64le")[..., 3]
    assert np.array_equal(alpha, pixels[..., 3])


def test_a_photo_enhanced_whole_gets_a_bar_over_the_clock(tmp_path, monkeypatch, capsys):
    """A photo enhanced in one piece showed nothing while its model ran (a 4 MP photo with `best`: 15 s); tiles had
    their bar. It now gets one over the cost table's estimate, from TIMED_BAR_S (0 here, for a small photo)."""
    from enlight.stream.apps import photo as photo_module
    from enlight.stream.core.plan import photo_estimate

    source = _save(tmp_path / "dusk.png", dark_frames(1, 64, 48)[0])
    best = make_plan(quality="best", device="cpu")
    assert photo_estimate(best, 12.0) > 30 and photo_estimate(replace_device(best), 12.0) is None
    monkeypatch.setattr(photo_module, "TIMED_BAR_S", 0.0)
    enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=best, progress=True))
    assert "photo: 100%" in capsys.readouterr().err
    enhance_photo(PhotoConfig(source, tmp_path / "quiet.png", plan=best, progress=False))
    assert "photo:" not in capsys.readouterr().err


def replace_device(plan):
    """The plan as it would be on a CUDA device (its options' device), for the estimate alone."""
    from dataclasses import replace

    from enlight.ops.device import Device

    return replace(plan, options=replace(plan.options, device=Device("cuda", 0)))


def test_a_lossless_webp_and_a_compressed_tiff_are_written_so_again(tmp_path, plan):
    """A lossless WebP came out lossy (VP8 at --photo-quality), and an LZW or deflate TIFF uncompressed (twice the
    size). Each is written as it was stored; a lossy WebP stays lossy, and another output format is its own."""
    picture = dark_frames(1, 32, 24)[0]
    Image.fromarray(picture).save(tmp_path / "ll.webp", lossless=True)
    Image.fromarray(picture).save(tmp_path / "ly.webp", quality=80)
    for compression in ("tiff_lzw", "tiff_adobe_deflate"):
        Image.fromarray(picture).save(tmp_path / f"{compression}.tif", compression=compression)

    def written(source: str, output: str) -> Path:
        enhance_photo(PhotoConfig(tmp_path / source, tmp_path / output, plan=plan))
        return tmp_path / output

    assert written("ll.webp", "a.webp").read_bytes()[12:16] == b"VP8L"
    assert written("ly.webp", "b.webp").read_bytes()[12:16] == b"VP8 "
    for compression in ("tiff_lzw", "tiff_adobe_deflate"):
        with Image.open(written(f"{compression}.tif", f"c_{compression}.tif")) as out:
            assert out.info["compression"] == compression
    with Image.open(written("tiff_lzw.tif", "d.png")) as out:
        assert out.format == "PNG"
    assert read_photo(tmp_path / "ly.webp").lossless is None and read_photo(tmp_path / "a.webp").lossless == "webp"
