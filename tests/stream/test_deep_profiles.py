"""ICC profiles of 16-bit photos (PNG, TIFF) and deep HEIC: a grey or CMYK profile is applied at 16 bits, as an
8-bit copy's is at 8, and the output is tagged sRGB; an RGB one (a wide gamut's) stays with its pixels; what cannot
be converted honestly is said in a note (``enlight.stream.io.photo_colour``, ``enlight.stream.io.lcms16``).

Before, the 16-bit pixels were kept as stored while the output was tagged sRGB: a linear grey profile's picture was
written 16.5 CIELAB units darker on average than an 8-bit copy of it, a 16-bit CMYK TIFF's inks were taken as RGB
and its black ink as the alpha (71.6 units off through a CMYK profile, 76.5 without one)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageCms, TiffImagePlugin

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.photo_formats import require_format_support
from enlight.stream.io.photo_reader import read_photo
from tests.icc import cmyk_profile, grey_profile, rgb_profile

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # (its header dates it: ``_srgb``)
HEIGHT, WIDTH = 24, 64
LEVEL = 257  # one 8-bit level in 16 bits


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def _srgb(icc: bytes | None) -> bool:
    """Whether ``icc`` is LittleCMS's sRGB profile, as Pillow's ImageCms makes it (bytes 24-36 are its date)."""
    return icc is not None and icc[:24] + icc[36:] == SRGB[:24] + SRGB[36:]


def _ramp() -> np.ndarray:
    """(HEIGHT, WIDTH) float 0-1, every pixel a step brighter than the last: 1536 levels, more than 8 bits hold."""
    return np.linspace(0.0, 1.0, HEIGHT * WIDTH).reshape(HEIGHT, WIDTH)


def _srgb16(linear: np.ndarray) -> np.ndarray:
    """Linear light 0-1 -> sRGB, 0-65535 (float): what a linear grey profile's pixels are in sRGB."""
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 65535


def _inks() -> np.ndarray:
    """(HEIGHT, WIDTH, 4) float 0-1 inks of a smooth picture: C, M, Y and black ramps across and down."""
    ramp = _ramp()
    return np.stack([0.6 * ramp, 0.5 * ramp[::-1], 0.3 + 0.2 * ramp, 0.4 * ramp[:, ::-1]], axis=-1)


def _tiff16(path: Path, samples: np.ndarray, photometric: int, icc: bytes | None = None, *,
            big_endian: bool = False) -> Path:
    """An uncompressed TIFF of (H, W, S) uint16 ``samples`` (photometric 2: RGB, 5: CMYK) with an ICC profile, as
    Photoshop writes one (Pillow writes no 16-bit RGB or CMYK)."""
    height, width, channels = samples.shape
    order, head = (">u2", b"MM\0*\0\0\0\x08") if big_endian else ("<u2", b"II*\0\x08\0\0\0")
    ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=head)
    ifd[256], ifd[257], ifd[258], ifd[259] = width, height, (16,) * channels, 1
    ifd[262], ifd[277], ifd[278], ifd[284] = photometric, channels, height, 1
    ifd[273], ifd[279] = 0, samples.size * 2
    if icc:
        ifd[34675], ifd.tagtype[34675] = icc, 7
    with open(path, "wb") as out:
        out.write(head + ifd.tobytes(8))
        out.write(np.ascontiguousarray(samples).astype(order).tobytes())
    return path


def _cmyk_pair(tmp_path: Path, icc: bytes | None, *, big_endian: bool = False) -> tuple[Path, Path]:
    """A 16-bit CMYK TIFF of ``_inks`` and an 8-bit copy of it (its inks' high bytes, as Pillow reads the 16)."""
    inks16 = np.round(_inks() * 65535).astype(np.uint16)
    deep = _tiff16(tmp_path / "print16.tif", inks16, 5, icc, big_endian=big_endian)
    eight = tmp_path / "print8.tif"
    Image.frombytes("CMYK", (WIDTH, HEIGHT), (inks16 >> 8).astype(np.uint8).tobytes()).save(eight, icc_profile=icc)
    return deep, eight


def _sixteen_bit_pixels(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    assert frame.format.name.startswith("rgb48"), frame.format.name  # three channels: no alpha
    return frame.to_ndarray(format="rgb48le")


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_16_bit_grey_photo_is_converted_through_its_grey_profile_at_16_bits(suffix, tmp_path):
    """The linear grey profile's mid-grey (level 65 of 255) stayed 65 and was tagged sRGB; an 8-bit copy's became 138
    (sRGB's 0.5 of linear light)."""
    icc = grey_profile(1.0)
    Image.fromarray(np.round(_ramp() * 65535).astype(np.uint16)).save(tmp_path / f"scan16{suffix}", icc_profile=icc)
    Image.fromarray(np.round(_ramp() * 255).astype(np.uint8)).save(tmp_path / f"scan8{suffix}", icc_profile=icc)
    deep, eight = read_photo(tmp_path / f"scan16{suffix}"), read_photo(tmp_path / f"scan8{suffix}")  # (8: as before)
    assert np.abs(deep.rgb16[..., 1] - _srgb16(_ramp())).max() < LEVEL
    assert len(np.unique(deep.rgb16[..., 0])) > 1000  # (of the 1536 levels: 16 bits kept)
    assert _srgb(deep.icc) and _srgb(eight.icc) and deep.bits == 16 and not deep.colour_note


def test_a_16_bit_grey_png_and_an_8_bit_copy_are_enhanced_to_the_same_colours(tmp_path, plan):
    """Through the model and out: the 16-bit output (tagged sRGB) was 55 levels of 255 darker on average than the
    8-bit one."""
    icc = grey_profile(1.0)
    Image.fromarray(np.round(_ramp() * 0.3 * 65535).astype(np.uint16)).save(tmp_path / "night16.png",
                                                                              icc_profile=icc)
    Image.fromarray(np.round(_ramp() * 0.3 * 255).astype(np.uint8)).save(tmp_path / "night8.png", icc_profile=icc)
    for name in ("night16", "night8"):
        enhance_photo(PhotoConfig(tmp_path / f"{name}.png", tmp_path / f"{name}_day.png", plan=plan))
    with Image.open(tmp_path / "night8_day.png") as image:
        eight = np.asarray(image.convert("RGB")).astype(float)
        assert _srgb(image.info.get("icc_profile"))
    with Image.open(tmp_path / "night16_day.png") as image:
        assert _srgb(image.info.get("icc_profile"))
    deep = _sixteen_bit_pixels(tmp_path / "night16_day.png") / 257
    assert np.abs(deep - eight).mean() < 1.5, np.abs(deep - eight).mean()


def test_a_16_bit_cmyk_tiff_is_converted_through_its_profile_at_16_bits(tmp_path):
    """Its inks were read as RGB and its black ink as the alpha, and the picture tagged sRGB."""
    deep_path, eight_path = _cmyk_pair(tmp_path, cmyk_profile())
    deep, eight = read_photo(deep_path), read_photo(eight_path)
    off = np.abs(deep.rgb.astype(int) - eight.rgb)  # (LittleCMS's 8-bit transform is resampled on a grid)
    assert off.mean() < 0.5 and off.max() <= 2, (off.mean(), off.max())
    assert len(np.unique(deep.rgb16[..., 1])) > 256
    assert deep.alpha is None and deep.alpha16 is None
    assert _srgb(deep.icc) and _srgb(eight.icc) and deep.bits == 16 and not deep.colour_note


def test_a_16_bit_cmyk_tiff_without_a_profile_is_written_as_rgb_with_a_note(tmp_path, plan):
    """Without a profile its inks went out as RGB and its black ink as transparency; now the plain formula of an
    8-bit one, at 16 bits, untagged, and the summary says it was a guess."""
    deep_path, _ = _cmyk_pair(tmp_path, None)
    photo = read_photo(deep_path)
    inks = np.round(_inks() * 65535)
    plain = (65535 - inks[..., :3]) * (65535 - inks[..., 3:]) / 65535
    assert photo.icc is None and photo.alpha16 is None and np.abs(photo.rgb16 - plain).max() <= 1
    stats = enhance_photo(PhotoConfig(deep_path, tmp_path / "day.tif", plan=plan))
    assert "a CMYK photo without a CMYK ICC profile" in stats.summary()
    assert _sixteen_bit_pixels(tmp_path / "day.tif").shape == (HEIGHT, WIDTH, 3)


def test_a_big_endian_16_bit_cmyk_tiff_is_converted_at_8_bits_and_says_so(tmp_path):
    """FFmpeg converts such a file's inks to RGB itself, without its profile: its colours were those, tagged sRGB."""
    deep_path, eight_path = _cmyk_pair(tmp_path, cmyk_profile(), big_endian=True)
    deep, eight = read_photo(deep_path), read_photo(eight_path)
    assert np.array_equal(deep.rgb, eight.rgb)
    assert deep.rgb16 is None and deep.bits == 8 and _srgb(deep.icc)
    assert "its 16-bit CMYK pixels were converted to RGB at 8 bits" in deep.colour_note


@pytest.mark.parametrize("sixteen", [False, True])
def test_a_grey_profile_that_cannot_be_applied_is_said(sixteen, tmp_path, plan):
    """A profile whose header says grey but that holds no grey tone curve: the picture was written untagged
    without a word."""
    icc = SRGB[:16] + b"GRAY" + SRGB[20:]
    source = tmp_path / "scan.png"
    Image.fromarray(np.round(_ramp() * (65535 if sixteen else 255)).astype(np.uint16 if sixteen else np.uint8)).save(
        source, icc_profile=icc)
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    assert "its grey ICC profile could not be applied" in stats.summary()
    with Image.open(tmp_path / "day.png") as image:
        assert image.info.get("icc_profile") is None


def test_without_littlecms_a_16_bit_grey_photo_is_converted_at_8_bits_and_says_so(tmp_path, monkeypatch):
    """Where no LittleCMS library can be loaded (a Windows wheel links it into Pillow), Pillow's 8-bit conversion
    stands, and the note says so, not a silent colour shift."""
    from enlight.stream.io import lcms16

    monkeypatch.setattr(lcms16, "_library", lambda: None)
    icc, levels = grey_profile(1.0), np.round(_ramp() * 255).astype(np.uint8)
    Image.fromarray(levels.astype(np.uint16) * 257).save(tmp_path / "scan16.tif", icc_profile=icc)  # (8-bit levels)
    Image.fromarray(levels).save(tmp_path / "scan8.tif", icc_profile=icc)
    deep = read_photo(tmp_path / "scan16.tif")
    assert deep.rgb16 is None and deep.bits == 8 and _srgb(deep.icc)
    assert np.array_equal(deep.rgb, read_photo(tmp_path / "scan8.tif").rgb)
    assert "converted to RGB at 8 bits: no LittleCMS library was found" in deep.colour_note


def test_a_10_bit_grey_heic_with_a_grey_profile_is_converted_as_an_8_bit_copy(tmp_path):
    """A deep HEIF's pixels, read at their own depth, were kept as stored and tagged sRGB too."""
    import pillow_heif

    require_format_support(tmp_path / "x.heic")
    icc, ramp = grey_profile(1.0), _ramp()
    pillow_heif.from_bytes(mode="I;16", size=(WIDTH, HEIGHT), data=(np.round(ramp * 1023).astype(np.uint16) << 6)
                           .tobytes()).save(tmp_path / "scan10.heic", quality=-1, icc_profile=icc)
    pillow_heif.from_bytes(mode="L", size=(WIDTH, HEIGHT), data=np.round(ramp * 255).astype(np.uint8)
                           .tobytes()).save(tmp_path / "scan8.heic", quality=-1, icc_profile=icc)
    deep, eight = read_photo(tmp_path / "scan10.heic"), read_photo(tmp_path / "scan8.heic")
    assert deep.bits == 10 and _srgb(deep.icc) and _srgb(eight.icc)
    assert np.abs(deep.rgb16[..., 1] - _srgb16(np.round(ramp * 1023) / 1023)).max() < LEVEL


def test_a_16_bit_photo_in_a_wide_gamut_profile_keeps_its_pixels_and_profile(tmp_path, plan):
    """An RGB profile tags RGB pixels as they are, at 16 bits as at 8: nothing converted, the profile written back
    (the output's pixels are in it too)."""
    icc = rgb_profile()
    pixels = np.round(np.stack([_ramp(), 0.5 * _ramp(), 0.2 + 0.1 * _ramp()], axis=-1) * 65535).astype(np.uint16)
    photo = read_photo(_tiff16(tmp_path / "wide.tif", pixels, 2, icc))
    assert photo.icc == icc and np.array_equal(photo.rgb16, pixels) and not getattr(photo, "colour_note", "")
    for out in ("day.png", "day.tif"):
        enhance_photo(PhotoConfig(tmp_path / "wide.tif", tmp_path / out, plan=plan))
        with Image.open(tmp_path / out) as image:
            assert image.info.get("icc_profile") == icc, out


def test_a_grey_and_alpha_photo_goes_through_its_grey_profile_as_a_grey_one(tmp_path):
    """ImageCms reads Pillow's grey-and-alpha pixels (four bytes each) as two-byte ones: a grey PNG with an alpha
    channel in a linear grey profile came out darker than the same photo without it (level 39 as 77, where it is
    109), and wrong from pixel to pixel."""
    grey = Image.fromarray(np.round(_ramp() * 255).astype(np.uint8))
    grey.save(tmp_path / "grey.png", icc_profile=grey_profile(1.0))
    alpha = Image.fromarray(np.full((HEIGHT, WIDTH), 200, np.uint8))
    Image.merge("LA", [grey, alpha]).save(tmp_path / "grey_alpha.png", icc_profile=grey_profile(1.0))
    plain, with_alpha = read_photo(tmp_path / "grey.png"), read_photo(tmp_path / "grey_alpha.png")
    assert np.array_equal(with_alpha.rgb, plain.rgb)
    assert _srgb(with_alpha.icc) and (with_alpha.alpha == 200).all()
