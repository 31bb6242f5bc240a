"""An image sequence whose pictures carry a grey or CMYK ICC profile (a scanner's greyscale JPEGs in a linear or
dot-gain grey, a print workflow's CMYK JPEGs): its frames are converted through it as a photo's are, and its
numbered pictures are tagged sRGB, not with the grey or CMYK profile that no viewer can apply to RGB pixels.
Real files written in tmp_path, the profiles byte by byte (``tests/icc.py``)."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image, ImageCms

from enlight.stream.io.locations import input_location
from enlight.stream.io.photo_reader import read_photo
from enlight.stream.io.source import VideoSource
from tests.icc import cmyk_profile, grey_profile, rgb_profile

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
HEIGHT, WIDTH = 24, 32


def _srgb(icc: bytes | None) -> bool:
    """Whether ``icc`` is LittleCMS's sRGB profile (bytes 24-36 are its date)."""
    return icc is not None and icc[:24] + icc[36:] == SRGB[:24] + SRGB[36:]


def _grey() -> np.ndarray:
    """(HEIGHT, WIDTH) float 0-1: dark, a ramp across."""
    return np.tile(np.linspace(0.02, 0.4, WIDTH), (HEIGHT, 1))


def _inks() -> np.ndarray:
    """(HEIGHT, WIDTH, 4) uint8 inks: C, M, Y and black ramps across and down."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH] / np.array([HEIGHT - 1, WIDTH - 1])[:, None, None]
    return np.round(np.stack([0.6 * x, 0.5 * y, 0.3 + 0.2 * x, 0.3 + 0.4 * y], -1) * 255).astype(np.uint8)


def _write(kind: str, path) -> None:
    """One picture of ``kind`` at ``path`` (its suffix says the format)."""
    grey8 = np.round(_grey() * 255).astype(np.uint8)
    if kind == "grey":
        Image.fromarray(grey8).save(path, icc_profile=grey_profile(1.0), quality=95)
    elif kind == "grey16":
        Image.fromarray(np.round(_grey() * 65535).astype(np.uint16)).save(path, icc_profile=grey_profile(1.0))
    elif kind == "grey+alpha":
        alpha = Image.fromarray(np.full((HEIGHT, WIDTH), 200, np.uint8))
        Image.merge("LA", [Image.fromarray(grey8), alpha]).save(path, icc_profile=grey_profile(1.0))
    else:
        icc = cmyk_profile() if kind == "cmyk" else None
        Image.fromarray(_inks(), "CMYK").save(path, icc_profile=icc, quality=95)


def _sequence(tmp_path, kind: str, suffix: str, frames: int = 3) -> str:
    for number in range(1, frames + 1):
        _write(kind, tmp_path / f"in_{number:04d}{suffix}")
    return str(tmp_path / f"in_%04d{suffix}")


@pytest.mark.parametrize(("kind", "suffix"), [("grey", ".jpg"), ("grey16", ".png"), ("grey+alpha", ".png"),
                                              ("cmyk", ".jpg"), ("cmyk-plain", ".jpg")])
def test_a_sequences_frames_are_read_through_their_profile_as_a_photo_is(kind, suffix, tmp_path):
    """FFmpeg decodes a picture's stored levels and ignores its profile: a linear grey frame came out as its
    stored levels (sRGB 0.40 as 0.40, where it is 0.66), a CMYK JPEG's by FFmpeg's plain formula, whatever its
    profile. Each frame now has the photo's colours (``read_photo``: through the profile, at 16 bits for 16-bit
    grey, its alpha as it was)."""
    pattern = _sequence(tmp_path, kind, suffix)
    photo = read_photo(tmp_path / f"in_0001{suffix}")
    with VideoSource(input_location(pattern)) as source:
        frames = [item for item in source if not isinstance(item, av.Packet)]
    assert len(frames) == 3
    for frame in frames:
        assert np.abs(frame.rgb.astype(int) - photo.rgb).max() <= 1, kind
    assert source.info.alpha == (kind == "grey+alpha")  # (a CMYK JPEG's decoded alpha is no transparency)
    if kind == "grey+alpha":
        assert (frames[0].alpha == 200).all()
    plain = [note for note in source.notes if "plain formula" in note]
    assert plain == (["input picture in_0001.jpg (and any like it): a CMYK picture without a CMYK ICC profile: its "
                      "inks converted to RGB by the plain formula, untagged"] if kind == "cmyk-plain" else [])


@pytest.mark.parametrize("kind", ["grey", "cmyk"])
def test_numbered_pictures_of_a_grey_or_cmyk_sequence_are_tagged_srgb_as_the_photo(kind, tmp_path, weights, cli):
    """Each numbered picture was tagged with its input's grey or CMYK profile over RGB pixels (viewers refuse it or
    read RGB through it), and its colours were the stored levels': 16.5 CIELAB units off the same picture enhanced
    as a photo for a linear grey JPEG, 15.6 for the CMYK one (benchmarks/sequence_profiles.py). Now they are the
    photo's, tagged sRGB, and a CMYK JPEG's pictures have no alpha channel (they were RGBA)."""
    pattern = _sequence(tmp_path, kind, ".jpg")
    result = cli(tmp_path / "in_0001.jpg", "-o", tmp_path / "one.png", "--weights", weights)
    assert result.returncode == 0, result.stderr
    result = cli(pattern, "-o", tmp_path / "day_%04d.png", "--weights", weights)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "one.png") as photo, Image.open(tmp_path / "day_0002.png") as picture:
        assert _srgb(picture.info.get("icc_profile")) and _srgb(photo.info.get("icc_profile"))
        assert picture.mode == "RGB"
        difference = np.abs(np.asarray(picture, np.int16) - np.asarray(photo.convert("RGB"), np.int16))
    assert difference.mean() < 1.5, difference.mean()
    assert "alpha" not in result.stderr and "profile" not in result.stderr, result.stderr


def test_a_grey_profile_that_cannot_be_applied_is_left_off_the_pictures_with_one_note(tmp_path, weights, cli):
    """A profile whose header says grey but that LittleCMS cannot apply (no grey tone curve): the RGB pictures were
    tagged with it. They are untagged now, and one note (not one a frame) says so."""
    broken = SRGB[:16] + b"GRAY" + SRGB[20:]
    for number in range(1, 4):
        Image.fromarray(np.round(_grey() * 255).astype(np.uint8)).save(tmp_path / f"in_{number:04d}.png",
                                                                       icc_profile=broken)
    result = cli(tmp_path / "in_%04d.png", "-o", tmp_path / "day_%04d.png", "--weights", weights)
    assert result.returncode == 0, result.stderr
    for number in range(1, 4):
        with Image.open(tmp_path / f"day_{number:04d}.png") as picture:
            assert picture.info.get("icc_profile") is None
    assert result.stderr.count("its grey ICC profile could not be applied") == 1, result.stderr
    assert "input picture in_0001.png (and any like it)" in result.stderr
    assert "too long" not in result.stderr  # (the EXIF note once said of a picture left untagged)


def _wide_gamut_sequence(tmp_path, icc: bytes, exif: bool = False) -> tuple[str, np.ndarray]:
    """Three PNG pictures of one dark, coloured picture in the RGB profile ``icc`` (with a camera's time in their
    EXIF where ``exif``); the pattern and (HEIGHT, WIDTH, 3) uint8 pixels as stored."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH] / np.array([HEIGHT - 1, WIDTH - 1])[:, None, None]
    stored = np.round(np.stack([0.1 + 0.5 * x, 0.05 + 0.3 * y, 0.4 - 0.3 * x], -1) * 255).astype(np.uint8)
    for number in range(1, 4):
        image = Image.fromarray(stored)
        tags = image.getexif()
        if exif:
            tags.get_ifd(0x8769)[0x9003] = f"2026:03:01 23:59:0{number}"
        image.save(tmp_path / f"in_{number:04d}.png", icc_profile=icc, exif=tags.tobytes())
    return str(tmp_path / "in_%04d.png"), stored


@pytest.mark.parametrize("to_srgb", [True, False])
def test_a_wide_gamut_sequence_is_read_as_srgb_for_a_video_and_as_stored_for_pictures(to_srgb, tmp_path):
    """A phone's or camera's timelapse in Display P3 (Adobe RGB, ProPhoto) made into a video lost its profile (a
    video is tagged BT.709/sRGB) and its pixels were shown as sRGB's: a dark Adobe RGB picture 9.74 CIELAB units off
    the same picture enhanced as a photo (benchmarks/sequence_profiles.py). For a video (``srgb_pictures``) each
    frame is now converted through the profile to sRGB as it is read (Pillow's ImageCms, the transform built once
    for the profile), said once; numbered pictures keep the profile, so their pixels stay as stored."""
    from enlight.stream.io.rgb_profile import srgb_transform

    pattern, stored = _wide_gamut_sequence(tmp_path, rgb_profile())
    converted = np.asarray(ImageCms.profileToProfile(Image.fromarray(stored), ImageCms.ImageCmsProfile(
        io.BytesIO(rgb_profile())), ImageCms.createProfile("sRGB"), outputMode="RGB"))
    assert np.abs(converted.astype(int) - stored).max() >= 10  # (Display P3's pixels are not sRGB's)
    expected = converted if to_srgb else stored
    srgb_transform.cache_clear()
    with VideoSource(input_location(pattern), srgb_pictures=to_srgb) as source:
        frames = [item for item in source if not isinstance(item, av.Packet)]
    assert len(frames) == 3
    for frame in frames:
        assert np.abs(frame.rgb.astype(int) - expected).max() <= 1, to_srgb
    said = [note for note in source.notes if "ICC profile" in note]
    assert said == (["input picture in_0001.png (and any like it): its RGB ICC profile ('wide gamut') was applied: "
                     "colours converted to sRGB, as a video holds no ICC profile"] if to_srgb else [])
    assert srgb_transform.cache_info().misses == (1 if to_srgb else 0)  # (one transform for the three pictures)


def test_a_sequence_in_an_srgb_profile_is_read_as_it_is(tmp_path):
    """An sRGB profile (a phone's usual one) needs no conversion for a video: known from a few test colours once for
    the profile, its frames are the stored pixels, and nothing is said."""
    from enlight.stream.io.rgb_profile import srgb_transform

    pattern, stored = _wide_gamut_sequence(tmp_path, SRGB)
    assert srgb_transform(SRGB).srgb and not srgb_transform(rgb_profile()).srgb
    with VideoSource(input_location(pattern), srgb_pictures=True) as source:
        frames = [item for item in source if not isinstance(item, av.Packet)]
    assert len(frames) == 3 and all((frame.rgb == stored).all() for frame in frames)
    assert not [note for note in source.notes if "ICC profile" in note]


def _first_frame(path) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a video's first frame, as FFmpeg gives it."""
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def test_a_wide_gamut_sequence_makes_an_srgb_video_and_pictures_that_keep_its_profile(tmp_path, weights, cli):
    """End to end, the originals a --compare run shows beside the enhanced frames: a video's were the Display P3
    pixels as stored, shown as sRGB (up to 39 levels off the picture's colours here), and it said the pictures' ICC
    profile was not kept; they are now the picture's colours in sRGB, and one note says the profile was applied.
    Numbered pictures keep the profile and the stored pixels, as before."""
    pattern, stored = _wide_gamut_sequence(tmp_path, rgb_profile())
    converted = np.asarray(ImageCms.profileToProfile(Image.fromarray(stored), ImageCms.ImageCmsProfile(
        io.BytesIO(rgb_profile())), ImageCms.createProfile("sRGB"), outputMode="RGB")).astype(int)
    result = cli(pattern, "-o", tmp_path / "day.mkv", "--compare", "side", "--crf", "0", "--pix-fmt", "yuv444p",
                 "--weights", weights)
    assert result.returncode == 0, result.stderr
    original = _first_frame(tmp_path / "day.mkv")[:, :WIDTH].astype(int)
    assert np.abs(original - converted).max() <= 2, np.abs(original - converted).max()
    assert result.stderr.count("note: input picture in_0001.png (and any like it): its RGB ICC profile ('wide "
                               "gamut') was applied: colours converted to sRGB") == 1, result.stderr
    assert "not kept" not in result.stderr, result.stderr  # (its only tag, the profile, is in the pixels)
    result = cli(pattern, "-o", tmp_path / "day_%04d.png", "--compare", "side", "--weights", weights)
    assert result.returncode == 0 and "ICC profile" not in result.stderr, result.stderr
    with Image.open(tmp_path / "day_0002.png") as picture:
        assert picture.info.get("icc_profile") == rgb_profile()
        assert (np.asarray(picture)[:, :WIDTH] == stored).all()


def test_a_video_says_only_which_of_the_pictures_tags_it_lost(tmp_path, weights, cli):
    """'the input pictures' EXIF, ICC profile and XMP ... are not kept in a video' was said of every sequence with
    any of them: of pictures whose only tag was a grey profile, applied to the pixels as they were read, and of a
    camera's pictures with EXIF and a wide-gamut profile (applied now too) but no XMP. It names only what the video
    lost now, and nothing where it lost nothing."""
    pattern, _ = _wide_gamut_sequence(tmp_path, rgb_profile(), exif=True)
    result = cli(pattern, "-o", tmp_path / "day.mkv", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "note: the input pictures' EXIF (the time each was taken, the camera) is not kept in a video: numbered " \
           "pictures keep it (-o day_%04d.jpg)" in result.stderr, result.stderr
    assert "XMP" not in result.stderr, result.stderr
    grey = _sequence(tmp_path, "grey", ".png")
    result = cli(grey, "-o", tmp_path / "grey.mkv", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "not kept" not in result.stderr and "ICC profile" not in result.stderr, result.stderr
