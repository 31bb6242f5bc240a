"""HDR still photos (a 10-bit HEIC or AVIF tagged PQ or HLG, BT.2020, as Android phones, Chrome's HDR screenshots and
cameras' HLG HEIF modes write them): converted to SDR for the model by the video path's conversion, written as SDR
with its tags and a note (``--hdr sdr``, the default), or kept HDR into a .heic (``--hdr keep``). They were read as if
they were SDR: their PQ or HLG code values enhanced as sRGB's and written tagged sRGB, washed out, without a word
(``enlight.stream.io.hdr_photo``, ``enlight.stream.apps.photo_hdr``)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.photo_formats import require_format_support
from tests.stream.hdr_signals import hdr_signal, srgb

TRANSFER = {"PQ": 16, "HLG": 18}
LIGHT_LEVELS = {"content_light_level": {"max_content_light_level": 1000, "max_pic_average_light_level": 180}}
MAKE = "enlight hdr camera"


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu", denoise="off")


def _light(height: int = 48, width: int = 64) -> np.ndarray:
    """(height, width, 3) linear BT.709 light (1.0 = SDR white): a dark room, a colour ramp from black, and an orange
    lamp at half of white, all under the shoulder."""
    yy, xx = np.mgrid[0:height, 0:width]
    light = np.stack([xx / width * 0.08, 0.005 + yy / height * 0.04, np.full(xx.shape, 0.01)], axis=-1)
    light[16:32, 24:40] = [0.5, 0.2, 0.02]
    return light


def _heic(path: Path, light: np.ndarray, transfer: str) -> Path:
    """A 10-bit HEIC of ``light`` coded ``transfer`` in BT.2020 with its nclx box, light levels and a camera's EXIF,
    stored as nearly without loss as pillow-heif writes (4:4:4)."""
    import pillow_heif

    require_format_support(path)
    values = np.round(hdr_signal(light, transfer) * 1023).astype(np.uint16) << 6
    exif = Image.Exif()
    exif[0x010F] = MAKE
    height, width = light.shape[:2]
    pillow_heif.from_bytes(mode="RGB;16", size=(width, height), data=np.ascontiguousarray(values).tobytes()).save(
        path, quality=-1, chroma=444, color_primaries=9, transfer_characteristics=TRANSFER[transfer],
        matrix_coefficients=9, full_range_flag=1, exif=exif.tobytes(), **LIGHT_LEVELS)
    return path


def _avif(path: Path, light: np.ndarray, transfer: str) -> Path:
    """A 10-bit 4:2:0 AVIF of ``light`` coded ``transfer`` in BT.2020, as Chrome writes an HDR screenshot (FFmpeg's
    avif muxer, SVT-AV1 near lossless)."""
    from av.video.reformatter import ColorRange, Colorspace

    if "libsvtav1" not in av.codecs_available:
        pytest.skip("this FFmpeg has no SVT-AV1 encoder")
    rgb48 = np.round(hdr_signal(light, transfer) * 65535).astype(np.uint16)
    with av.open(str(path), "w", format="avif") as container:
        stream = container.add_stream("libsvtav1", rate=1)
        stream.height, stream.width = light.shape[:2]
        stream.pix_fmt = "yuv420p10le"
        ctx = stream.codec_context
        ctx.colorspace, ctx.color_range, ctx.color_primaries, ctx.color_trc = 9, 2, 9, TRANSFER[transfer]
        ctx.options = {"crf": "4", "svtav1-params": "log-level=0"}
        frame = av.VideoFrame.from_ndarray(rgb48, format="rgb48le").reformat(
            format="yuv420p10le", src_colorspace=Colorspace.BT2020, dst_colorspace=Colorspace.BT2020,
            src_color_range=ColorRange.JPEG, dst_color_range=ColorRange.JPEG)
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _sdr_png(path: Path, light: np.ndarray) -> Path:
    """The same picture as an SDR photo holds it: a 16-bit sRGB PNG."""
    from enlight.stream.io.photo_reader import Photo
    from enlight.stream.io.photo_writer import write_photo

    rgb16 = np.round(srgb(np.clip(light, 0, 1)) * 65535).astype(np.uint16)
    rgb8 = ((rgb16.astype(np.uint32) + 128) // 257).astype(np.uint8)
    return write_photo(path, rgb8, Photo(rgb=rgb8, rgb16=rgb16, alpha=None, grey=False, icc=None, exif=None,
                                         format="PNG"), rgb16=rgb16)


def _pixels16(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb48le")


def _nclx(path: Path) -> tuple[tuple[int, int], dict]:
    """A HEIC's (primaries, transfer) and its pillow-heif info."""
    import pillow_heif

    heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=False)
    nclx = heif.info["nclx_profile"]
    return (nclx["color_primaries"], nclx["transfer_characteristics"]), heif.info


@pytest.mark.parametrize("transfer", ["PQ", "HLG"])
def test_the_sdr_picture_follows_the_float_formula_in_srgb(transfer):
    """``sdr16`` is the video path's light (SDR white at 203 nits, BT.2020 to BT.709) in sRGB's curve at 16 bits."""
    from enlight.stream.io.hdr_photo import sdr16

    light = _light()
    signal = np.round(hdr_signal(light, transfer) * 65535).astype(np.uint16)
    expected = srgb(np.clip(light, 0, 1)) * 65535
    assert np.abs(sdr16(signal, transfer) - expected).max() < 0.002 * 65535
    grey = np.round(hdr_signal(np.full((1, 1, 3), 0.18), transfer) * 65535).astype(np.uint16)
    assert sdr16(grey, transfer)[0, 0, 0] == pytest.approx(0.4614 * 65535, abs=40)  # 18% grey: sRGB 118 of 255


@pytest.mark.parametrize("transfer", ["PQ", "HLG"])
def test_an_hdr_heic_is_enhanced_as_its_sdr_picture_and_written_as_sdr(tmp_path, plan, transfer):
    """The model sees the SDR picture: the result is the SDR photo's own result, to a level; the HEIC written is
    tagged sRGB, at 10 bits, without the HDR light levels, with the camera's EXIF, and a note says what was done."""
    light = _light()
    source = _heic(tmp_path / f"{transfer}.heic", light, transfer)
    reference = enhance_photo(PhotoConfig(_sdr_png(tmp_path / "sdr.png", light), tmp_path / "sdr_day.png", plan=plan))
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    diff = np.abs(_pixels16(stats.output).astype(int) - _pixels16(reference.output).astype(int)) / 257
    assert diff.mean() < 0.6 and np.percentile(diff, 99) < 2, (diff.mean(), np.percentile(diff, 99))
    assert stats.notes()[0].startswith(f"the photo is HDR ({transfer}, BT.2020); it was converted to SDR (sRGB)")
    heic = enhance_photo(PhotoConfig(source, tmp_path / "day.heic", plan=plan))
    tag, info = _nclx(heic.output)
    assert tag == (1, 13) and info["bit_depth"] == 10 and "content_light_level" not in info
    with Image.open(heic.output) as image:
        assert image.getexif().get(0x010F) == MAKE


def test_an_hlg_avif_is_converted_too(tmp_path, plan):
    """Chrome's HDR screenshot (FFmpeg reads its tags; Pillow's AVIF reader says nothing of them)."""
    light = _light(64, 64)
    source = _avif(tmp_path / "hlg.avif", light, "HLG")
    reference = enhance_photo(PhotoConfig(_sdr_png(tmp_path / "sdr.png", light), tmp_path / "sdr_day.png", plan=plan))
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    diff = np.abs(_pixels16(stats.output).astype(int) - _pixels16(reference.output).astype(int)) / 257
    # 4:2:0 blurs the lamp's colour at its edges; everywhere else within a level or two
    assert diff.mean() < 1.5 and np.median(diff) < 1, (diff.mean(), np.median(diff))
    assert "the photo is HDR (HLG, BT.2020); it was converted to SDR" in stats.summary()


def test_hdr_keep_writes_a_heic_with_its_tag_and_light_levels(tmp_path, plan):
    """--hdr keep: its PQ values enhanced as they are, into a 10-bit HEIC tagged PQ / BT.2020 with its light levels
    (pillow-heif wrote it tagged sRGB)."""
    source = _heic(tmp_path / "pq.heic", _light(), "PQ")
    stats = enhance_photo(PhotoConfig(source, tmp_path / "kept.heic", plan=plan, hdr="keep"))
    tag, info = _nclx(stats.output)
    assert tag == (9, 16) and info["bit_depth"] == 10
    assert info["content_light_level"] == LIGHT_LEVELS["content_light_level"]
    assert "with --hdr keep it was enhanced in its coded values" in stats.notes()[0]


def test_the_command_says_what_it_did_and_refuses_hdr_kept_in_a_jpeg(tmp_path, weights, cli):
    """One note line for the conversion; --hdr keep into a .jpg (8 bits, no PQ tag) refused in one line, before
    anything is written; --hdr on an SDR photo does nothing, and says so."""
    source = _heic(tmp_path / "hlg.heic", _light(), "HLG")
    result = cli(source, "-o", tmp_path / "day.jpg", "--weights", weights, "--denoise", "off")
    assert result.returncode == 0, result.stderr
    assert "the photo is HDR (HLG, BT.2020); it was converted to SDR (sRGB) for the model" in result.stderr
    kept = cli(source, "-o", tmp_path / "kept.jpg", "--weights", weights, "--hdr", "keep")
    assert kept.returncode == 2 and len(kept.stderr_lines) == 1, kept.stderr
    assert kept.stderr_lines[0].startswith("enlight-video: error: --hdr keep writes an HDR photo (HLG, BT.2020) only "
                                           "as a .heic")
    assert not (tmp_path / "kept.jpg").exists()
    sdr = cli(tmp_path / "day.jpg", "-o", tmp_path / "again.jpg", "--weights", weights, "--hdr", "keep")
    assert sdr.returncode == 0 and "enlight-video: note: --hdr does nothing here: this run reads a still photo, not " \
        "a video, and it is not HDR (PQ or HLG)" in sdr.stderr_lines, sdr.stderr


def test_a_folder_keeps_its_hdr_photos_hdr_with_hdr_keep(tmp_path, weights, cli):
    """A folder's photos are enhanced as one photo is, --hdr included (it was said to do nothing there)."""
    folder = tmp_path / "phone"
    folder.mkdir()
    _heic(folder / "hlg.heic", _light(), "HLG")
    result = cli(folder, "-o", tmp_path / "out", "--weights", weights, "--denoise", "off", "--hdr", "keep")
    assert result.returncode == 0 and "does nothing here" not in result.stderr, result.stderr
    assert _nclx(tmp_path / "out" / "hlg.heic")[0] == (9, 18)


_AFTER_IHDR = 8 + 8 + 13 + 4  # a PNG's signature, then its IHDR chunk


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with_cicp(path: Path, light: np.ndarray, transfer: str, *, icc: bytes | None = None) -> Path:
    """A 16-bit PNG of ``light`` coded ``transfer`` in BT.2020 with its cICP chunk (9, 16 or 18, 0, full range), as
    an HDR editor or screenshot writes one; ``icc``: an ICC profile beside it (an iCCP chunk), for readers that know
    no cICP."""
    import cv2

    signal = np.round(hdr_signal(light, transfer) * 65535).astype(np.uint16)
    cv2.imwrite(str(path), signal[..., ::-1])
    data = path.read_bytes()
    extra = _chunk(b"cICP", bytes([9, TRANSFER[transfer], 0, 1]))
    if icc is not None:
        extra = _chunk(b"iCCP", b"display\0\0" + zlib.compress(icc)) + extra
    path.write_bytes(data[:_AFTER_IHDR] + extra + data[_AFTER_IHDR:])
    return path


def _png_chunks(path: Path) -> list[bytes]:
    data, at, kinds = path.read_bytes(), 8, []
    while at < len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kinds.append(data[at + 4:at + 8])
        at += 12 + length
    return kinds


@pytest.mark.parametrize("transfer", ["PQ", "HLG"])
def test_an_hdr_png_tagged_by_its_cicp_chunk_is_converted_as_a_heic_is(tmp_path, plan, transfer):
    """A 16-bit PNG whose cICP chunk says PQ or HLG, BT.2020 (PNG's third edition; FFmpeg writes and reads it, Pillow
    reads none of it) was enhanced as sRGB: its coded values taken for sRGB's, written back washed out, without a
    word. It is now converted to SDR first, as a HEIC or AVIF is, with the note, and written as SDR (no cICP); an ICC
    profile beside the chunk (for readers that know no cICP) is not applied over it."""
    from PIL import ImageCms

    light = _light()
    reference = enhance_photo(PhotoConfig(_sdr_png(tmp_path / "sdr.png", light), tmp_path / "sdr_day.png", plan=plan))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for name, icc in (("bare", None), ("with_icc", profile)):
        source = _png_with_cicp(tmp_path / f"{name}.png", light, transfer, icc=icc)
        stats = enhance_photo(PhotoConfig(source, tmp_path / f"{name}_day.png", plan=plan))
        diff = np.abs(_pixels16(stats.output).astype(int) - _pixels16(reference.output).astype(int)) / 257
        assert diff.mean() < 0.6 and np.percentile(diff, 99) < 2, (name, diff.mean(), np.percentile(diff, 99))
        assert stats.notes()[0].startswith(f"the photo is HDR ({transfer}, BT.2020); it was converted to SDR (sRGB)")
        assert b"cICP" not in _png_chunks(stats.output), _png_chunks(stats.output)


def test_a_png_whose_cicp_is_sdr_is_read_as_it_was(tmp_path, plan):
    """A cICP chunk that names an SDR transfer (sRGB's, 13) changes nothing: no note, the same result."""
    from enlight.stream.io.hdr_photo import png_cicp

    source = _sdr_png(tmp_path / "sdr.png", _light())
    data = source.read_bytes()
    tagged = tmp_path / "tagged.png"
    tagged.write_bytes(data[:_AFTER_IHDR] + _chunk(b"cICP", bytes([1, 13, 0, 1])) + data[_AFTER_IHDR:])
    assert png_cicp(tagged).transfer == 13 and png_cicp(source) is None
    plain = enhance_photo(PhotoConfig(source, tmp_path / "plain.png", plan=plan))
    stats = enhance_photo(PhotoConfig(tagged, tmp_path / "day.png", plan=plan))
    assert not any("HDR" in note for note in stats.notes())
    assert np.array_equal(_pixels16(stats.output), _pixels16(plain.output))
