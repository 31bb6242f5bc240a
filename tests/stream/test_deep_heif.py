"""HEIF and AVIF photos of 10 or 12 bits a channel (a 10-bit HEIC from an Android or Sony camera): read at their
own depth as 16 bits, enhanced as a 16-bit PNG is, and written deep where the output holds it (16-bit PNG/TIFF,
10-bit HEIC), with a note where it does not. They were read at 8 bits and written at 8, whatever the output, and
the summary said '8-bit photo' (``enlight.stream.io.deep_photo``)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.photo_formats import require_format_support
from enlight.stream.io.photo_reader import eight_bits, read_photo

ICC = b"not-a-real-icc-profile" * 4
XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
       'xmp:Rating="4" tiff:Orientation="{}"/></rdf:RDF></x:xmpmeta>')  # a rating, and the EXIF's turn
LOSSLESS = {"quality": -1, "chroma": 444, "matrix_coefficients": 0}  # pillow-heif: RGB kept value for value


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def _ramp(bits: int = 10, height: int = 48, width: int = 80) -> np.ndarray:
    """(height, width, 3) uint16 ``bits``-bit values: a dark, smooth colour ramp (levels 16-430 of 1023 at 10
    bits: about 100 levels of 8 bits)."""
    scale = 1 << (bits - 10)
    ramp = np.linspace(16, 400, width)[None, :] + np.linspace(0, 30, height)[:, None]
    return (np.stack([ramp, ramp * 0.8, ramp * 0.6], axis=-1) * scale).round().astype(np.uint16)


def to_sixteen(values: np.ndarray, bits: int) -> np.ndarray:
    """``bits``-bit values as 16 bits, white at 65535 (what a 16-bit PNG of the same picture holds)."""
    return np.round(values.astype(np.float64) * 65535 / ((1 << bits) - 1)).astype(np.uint16)


def _heic(path: Path, values: np.ndarray, bits: int = 10, *, orientation: int = 1) -> Path:
    """A HEIC of ``bits``-bit ``values`` as a camera writes it, stored without loss, with an EXIF orientation (written
    as the file's irot), a camera make, an ICC profile and XMP."""
    import pillow_heif

    require_format_support(path)
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = orientation, "enlight test camera"
    height, width, channels = values.shape
    mode = ("RGBA" if channels == 4 else "RGB") + (";16" if bits > 8 else "")
    data = values.astype(np.uint8) if bits == 8 else values << (16 - bits)
    pillow_heif.options.SAVE_HDR_TO_12_BIT = bits == 12
    try:
        pillow_heif.from_bytes(mode=mode, size=(width, height), data=np.ascontiguousarray(data).tobytes()).save(
            path, exif=exif.tobytes(), xmp=XMP.format(orientation).encode(), icc_profile=ICC, **LOSSLESS)
    finally:
        pillow_heif.options.SAVE_HDR_TO_12_BIT = False
    return path


def _heif_bits(path: Path) -> tuple[int, np.ndarray]:
    """A HEIC's bits a channel and its values as stored (H, W, C) uint16."""
    import pillow_heif

    heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=False, hdr_to_16bit=False)
    return heif.info["bit_depth"], np.asarray(heif)


def _sixteen_bit_pixels(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    assert frame.format.name.startswith("rgb48"), frame.format.name
    return frame.to_ndarray(format="rgb48le")


def _assert_metadata(path: Path) -> None:
    with Image.open(path) as image:
        assert image.info.get("icc_profile") == ICC
        exif = image.getexif()
        assert exif.get(0x0112, 1) == 1 and exif.get(0x010F) == "enlight test camera"
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or (
            image.tag_v2.get(700) if image.format == "TIFF" else None)
        xmp = xmp.encode() if isinstance(xmp, str) else xmp
        assert xmp is not None and b'xmp:Rating="4"' in xmp and b'Orientation="6"' not in xmp


def test_a_10_bit_heic_is_read_at_10_bits_white_at_65535(tmp_path):
    """pillow-heif's 16-bit mode shifts 10-bit values left (1023 -> 65472); read_photo scales them so that white is
    65535, and its 8-bit picture is their rounding, as a 16-bit PNG's is."""
    values = _ramp()
    values[0, 0] = 1023  # white
    photo = read_photo(_heic(tmp_path / "ten.heic", values))
    assert photo.bits == 10 and photo.rgb16 is not None
    assert np.array_equal(photo.rgb16, to_sixteen(values, 10)) and photo.rgb16.max() == 65535
    assert np.array_equal(photo.rgb, eight_bits(photo.rgb16))
    assert len(np.unique(photo.rgb16[..., 0])) > 3 * len(np.unique(photo.rgb[..., 0]))
    eight = read_photo(_heic(tmp_path / "eight.heic", (values >> 2).astype(np.uint16), bits=8))
    assert eight.bits == 8 and eight.rgb16 is None


def test_a_10_bit_heic_turned_by_its_orientation_keeps_its_metadata_at_16_bits(tmp_path, plan):
    """Upright, and with its ICC profile, EXIF and XMP, as an 8-bit HEIC is written, into a 16-bit PNG and TIFF."""
    values = _ramp()
    source = _heic(tmp_path / "turned.heic", values, orientation=6)
    photo = read_photo(source)
    assert np.array_equal(photo.rgb16, np.rot90(to_sixteen(values, 10), -1))
    for suffix in (".png", ".tif"):
        out = tmp_path / f"day{suffix}"
        stats = enhance_photo(PhotoConfig(source, out, plan=plan))
        assert (stats.width, stats.height, stats.bits) == (48, 80, 16) and stats.notes() == ()
        assert "48x80 16-bit photo" in stats.summary()
        _assert_metadata(out)
        result = _sixteen_bit_pixels(out)
        assert result.shape == (80, 48, 3) and result.mean() > photo.rgb16.mean() + 5 * 257
        # the 10-bit gradations survive: many more levels than 8 bits have, and off the 8-bit grid
        assert len(np.unique(result[..., 0])) > 256, len(np.unique(result[..., 0]))
        assert np.mean(result % 257 != 0) > 0.5


def test_a_10_bit_heic_into_a_heic_is_written_at_10_bits(tmp_path, plan):
    """pillow-heif writes RGB;16 data at 10 bits; the values are rounded to 10 bits first (it drops the low 6)."""
    source = _heic(tmp_path / "ten.heic", _ramp(), orientation=6)
    out = tmp_path / "day.heic"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert stats.bits == 10 and stats.notes() == () and "48x80 10-bit photo" in stats.summary()
    bits, stored = _heif_bits(out)
    assert bits == 10 and stored.shape == (80, 48, 3)
    assert len(np.unique(stored[..., 0])) > 256 and stored.mean() > _ramp().mean() + 5 * 4
    require_format_support(out)
    _assert_metadata(out)


def test_a_deep_photo_into_an_8_bit_output_says_so(tmp_path, plan):
    """A JPEG (or WebP, BMP, AVIF) holds 8 bits: the summary and a folder's table say the 10 bits went to 8; a
    12-bit HEIC into a HEIC is written at 10, and says so; an 8-bit HEIC says nothing."""
    source = _heic(tmp_path / "ten.heic", _ramp())
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan))
    note = "the photo's 10 bits per channel written at 8: a .jpg file holds 8; .png and .tif hold 16, .heic 10"
    assert stats.bits == 8 and stats.notes() == (note,) and note in stats.summary()
    with Image.open(tmp_path / "day.jpg") as image:
        assert image.format == "JPEG" and image.size == (80, 48)
    twelve = _heic(tmp_path / "twelve.heic", _ramp(12), bits=12)
    assert read_photo(twelve).bits == 12
    stats = enhance_photo(PhotoConfig(twelve, tmp_path / "twelve_day.heic", plan=plan))
    assert stats.notes() == ("the photo's 12 bits per channel written at 10: a .heic file holds 10; .png and .tif "
                             "hold 16",)
    assert _heif_bits(tmp_path / "twelve_day.heic")[0] == 10
    eight = _heic(tmp_path / "eight.heic", (_ramp() >> 2).astype(np.uint16), bits=8)
    assert enhance_photo(PhotoConfig(eight, tmp_path / "eight.jpg", plan=plan)).notes() == ()


def test_a_10_bit_heic_keeps_its_alpha_at_16_bits(tmp_path, plan):
    values = np.concatenate([_ramp(), np.linspace(0, 1023, 80).round().astype(np.uint16)[None, :, None]
                             .repeat(48, axis=0)], axis=2)
    source = _heic(tmp_path / "clear.heic", values)
    out = tmp_path / "day.png"
    enhance_photo(PhotoConfig(source, out, plan=plan))
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
    assert frame.format.name.startswith("rgba64")
    assert np.array_equal(frame.to_ndarray(format="rgba64le")[..., 3], to_sixteen(values[..., 3], 10))
    enhance_photo(PhotoConfig(source, tmp_path / "day.heic", plan=plan))
    bits, stored = _heif_bits(tmp_path / "day.heic")
    assert bits == 10 and stored.shape[2] == 4 and np.abs(stored[..., 3].astype(int) - values[..., 3]).max() <= 1


def test_write_heif_deep_rounds_to_10_bits(tmp_path):
    """Each 16-bit value goes to its nearest 10-bit one (pillow-heif alone drops the low 6 bits: 127, 1.98 of 10
    bits, became 1), and the 10-bit values read as 16 bits (``to_sixteen``) come back as they were."""
    from enlight.stream.io.deep_photo import from_sixteen, to_sixteen, write_heif_deep

    values = np.linspace(0, 65535, 48 * 80 * 3).round().astype(np.uint16).reshape(48, 80, 3)
    require_format_support(tmp_path / "x.heic")
    write_heif_deep(tmp_path / "x.heic", values, LOSSLESS)
    bits, stored = _heif_bits(tmp_path / "x.heic")
    assert bits == 10 and np.array_equal(stored, np.round(values / 65535 * 1023).astype(np.uint16))
    assert np.array_equal(from_sixteen(to_sixteen(np.arange(1024), 10), 10), np.arange(1024))


def _avif10(path: Path, rgb16: np.ndarray) -> Path:
    """A 10-bit AVIF (4:2:0, BT.709, limited range) made by FFmpeg's libsvtav1: Pillow writes only 8-bit ones."""
    from av.video.reformatter import Colorspace

    with av.open(str(path), "w", format="avif") as container:
        stream = container.add_stream("libsvtav1", rate=1)
        stream.height, stream.width = rgb16.shape[:2]
        stream.pix_fmt, stream.options = "yuv420p10le", {"crf": "1"}
        stream.codec_context.colorspace = stream.codec_context.color_primaries = 1
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb16), format="rgb48le").reformat(
            format="yuv420p10le", dst_colorspace=Colorspace.ITU709)
        frame.colorspace = 1
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def test_a_10_bit_avif_is_read_at_10_bits_through_ffmpeg(tmp_path, plan):
    """Pillow's AVIF decoder gives 8 bits (about 100 levels of this ramp); FFmpeg's libdav1d gives the 10, in the
    file's own matrix and range, close to Pillow's colours."""
    pixels = to_sixteen(_ramp(), 10)
    source = _avif10(tmp_path / "ten.avif", pixels)
    photo = read_photo(source)
    assert photo.bits == 10 and photo.rgb16 is not None and photo.rgb16.shape == pixels.shape
    assert np.abs(photo.rgb16.astype(float) - pixels).mean() < 2 * 257  # (4:2:0 at crf 1)
    with Image.open(source) as image:
        pillow = np.asarray(image.convert("RGB")).astype(float)
    assert np.abs(photo.rgb.astype(float) - pillow).mean() < 1.5
    out = tmp_path / "day.png"
    assert enhance_photo(PhotoConfig(source, out, plan=plan)).bits == 16
    assert len(np.unique(_sixteen_bit_pixels(out)[..., 0])) > 256
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.avif", plan=plan))
    assert stats.bits == 8 and "the photo's 10 bits per channel written at 8: a .avif file" in stats.summary()


def test_a_10_bit_heic_on_the_command_line_a_dry_run_and_a_folder(tmp_path, weights, cli):
    """The summary says what was written; --dry-run writes nothing; a folder's 10-bit HEIC comes out a 10-bit HEIC,
    and --quality auto weighs its 16-bit pass where the output holds more than 8 bits."""
    from enlight.stream.apps.workload import probe_workload
    from enlight.stream.io.locations import input_location

    folder = tmp_path / "in"
    folder.mkdir()
    source = _heic(folder / "ten.heic", _ramp())
    result = cli(source, "-o", tmp_path / "day.jpg", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "80x48 8-bit photo" in result.stderr and "the photo's 10 bits per channel written at 8" in result.stderr
    result = cli(source, "-o", tmp_path / "dry.png", "--weights", weights, "--dry-run")
    assert result.returncode == 0 and not (tmp_path / "dry.png").exists(), result.stderr
    result = cli(folder, "-o", tmp_path / "out", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _heif_bits(tmp_path / "out" / "ten.heic")[0] == 10

    def sixteen(output):
        return probe_workload(input_location(str(source)), output=output).sixteen_bit

    assert sixteen(tmp_path / "a.png") and sixteen(tmp_path / "a.heic") and sixteen(None)
    assert not sixteen(tmp_path / "a.jpg")
