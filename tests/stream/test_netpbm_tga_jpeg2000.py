"""Netpbm (.ppm, .pgm, .pnm), Targa (.tga) and JPEG 2000 (.jp2, .j2k) photos. They were refused: 'input photo.ppm is
a picture in a format not read here (.ppm); convert it into one of .jpg, ... first', and a folder's were counted as
other files. Now they are enhanced as photos and written when the output is named so: a 16-bit PPM or PGM at 16
bits (Pillow read a PPM's at 8), a grey PGM as a grey PGM, a Targa with its alpha and run-length coding, a JPEG 2000
lossless or lossy as its source was, with its ICC profile; a 1-bit bitmap is refused in one line. The files are
made here by Pillow, numpy and FFmpeg (a 16-bit colour JPEG 2000, which Pillow does not write)."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.photo_reader import eight_bits, read_photo
from tests.icc import rgb_profile
from tests.media import make_clip


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def _ramp(height: int = 24, width: int = 32, top: int = 65535 // 8) -> np.ndarray:
    """(height, width, 3) uint16: a dark, smooth colour ramp (up to an eighth of white), finer than 8 bits."""
    ramp = np.linspace(200, top, width)[None, :] + np.linspace(0, 300, height)[:, None]
    return np.stack([ramp, ramp * 0.8, ramp * 0.6], axis=-1).round().astype(np.uint16)


def _netpbm(path: Path, values: np.ndarray, maxval: int) -> Path:
    """A binary Netpbm file of (H, W, 3) (P6) or (H, W) (P5) ``values`` up to ``maxval``, with a comment, as a
    scanner's software writes it."""
    kind = b"P6" if values.ndim == 3 else b"P5"
    dtype = ">u2" if maxval > 255 else "u1"
    height, width = values.shape[:2]
    path.write_bytes(kind + b"\n# scanned\n%d %d\n%d\n" % (width, height, maxval) + values.astype(dtype).tobytes())
    return path


def _header(path: Path) -> list[bytes]:
    return path.read_bytes().split(maxsplit=4)[:4]  # magic, width, height, maxval


def _stored16(path: Path) -> np.ndarray:
    """A 16-bit Netpbm file's samples as stored: (H, W, C) uint16."""
    kind, width, height, maxval = _header(path)
    assert maxval == b"65535"
    data = path.read_bytes()
    pixels = np.frombuffer(data[len(data) - int(width) * int(height) * (2 if kind == b"P5" else 6):], ">u2")
    return pixels.reshape(int(height), int(width), -1)


def test_a_16_bit_ppm_is_read_at_16_bits_and_written_back_at_16(tmp_path, plan):
    """Pillow reads a PPM of maxval 65535 at 8 bits; FFmpeg's decoder reads it at 16, and a .ppm, .pgm or .png output
    holds 16; a .jpg gets the note that the photo's 16 bits were written at 8."""
    values = _ramp()
    source = _netpbm(tmp_path / "scan.ppm", values, 65535)
    photo = read_photo(source)
    assert (photo.format, photo.bits) == ("PPM", 16) and np.array_equal(photo.rgb16, values)
    assert np.array_equal(photo.rgb, eight_bits(values))
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.ppm", plan=plan))
    assert stats.bits == 16 and stats.notes() == (), stats.summary()
    result = _stored16(tmp_path / "day.ppm")
    assert _header(tmp_path / "day.ppm")[0] == b"P6" and result.shape == (24, 32, 3)
    assert result.mean() > values.mean() + 5 * 257 and len(np.unique(result[..., 0])) > 256
    assert np.array_equal(read_photo(tmp_path / "day.ppm").rgb16, result)
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan))
    assert stats.notes() == ("the photo's 16 bits per channel written at 8: a .jpg file holds 8; .png and .tif hold "
                             "16, .heic 10",)


def test_a_10_bit_grey_pgm_stays_a_grey_pgm_at_16_bits(tmp_path, plan):
    """A maxval of 1023: 1023 is white (65535), the file's 10 bits named; grey in, one channel out."""
    grey = (_ramp()[..., 0] // 64).astype(np.uint16)  # 10-bit levels
    source = _netpbm(tmp_path / "ir.pgm", grey, 1023)
    photo = read_photo(source)
    assert photo.grey and photo.bits == 10
    assert np.array_equal(photo.rgb16[..., 0], (grey.astype(np.uint32) * 65535 + 511) // 1023)
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.pgm", plan=plan))
    assert (stats.bits, stats.colour) == (16, "grey") and stats.notes() == (), stats.summary()
    assert _header(tmp_path / "day.pgm")[0] == b"P5" and _stored16(tmp_path / "day.pgm").shape == (24, 32, 1)


def test_an_8_bit_grey_pgm_is_written_grey_and_a_colour_one_into_a_pgm_as_its_luma(tmp_path, plan):
    """A .pgm holds one channel and a .ppm three (Pillow writes a grey picture into a .ppm as P5, a colour one into a
    .pgm as P6: the names would lie); a .pnm takes either."""
    grey = eight_bits(_ramp())[..., 0]
    source = tmp_path / "scan.pgm"
    Image.fromarray(grey).save(source)
    for suffix, kind, mode in ((".pgm", b"P5", "L"), (".pnm", b"P5", "L"), (".ppm", b"P6", "RGB")):
        stats = enhance_photo(PhotoConfig(source, tmp_path / f"day{suffix}", plan=plan))
        assert stats.notes() == () and stats.colour == "grey", stats.summary()
        with Image.open(tmp_path / f"day{suffix}") as image:
            assert _header(tmp_path / f"day{suffix}")[0] == kind and image.mode == mode
            assert np.asarray(image).mean() > grey.mean() + 5
    colour = tmp_path / "colour.png"
    Image.fromarray(eight_bits(_ramp())).save(colour)
    stats = enhance_photo(PhotoConfig(colour, tmp_path / "grey.pgm", plan=plan))
    assert stats.notes() == ("not kept, a .pgm file has no place for them: the colour (written as grey, its luma; a "
                             ".ppm keeps it)",), stats.notes()
    assert _header(tmp_path / "grey.pgm")[0] == b"P5"


def test_a_targa_keeps_its_alpha_and_its_run_length_coding(tmp_path, plan):
    """And a 32-bit Targa whose header gives the fourth byte no alpha bits (a writer's padding, often 0) is opaque:
    Pillow read it as alpha, a transparent picture."""
    rgba = np.dstack([eight_bits(_ramp()), np.linspace(0, 255, 32).round().astype(np.uint8)[None].repeat(24, 0)])
    source = tmp_path / "sprite.tga"
    Image.fromarray(rgba).save(source, compression="tga_rle")
    for suffix in (".tga", ".png"):
        stats = enhance_photo(PhotoConfig(source, tmp_path / f"day{suffix}", plan=plan))
        assert stats.notes() == (), stats.summary()
        with Image.open(tmp_path / f"day{suffix}") as image:
            assert image.mode == "RGBA" and np.array_equal(np.asarray(image)[..., 3], rgba[..., 3])
            assert np.asarray(image)[..., :3].mean() > rgba[..., :3].mean() + 5
    with Image.open(tmp_path / "day.tga") as image:
        assert image.info.get("compression") == "tga_rle"
    padded = tmp_path / "padded.tga"
    rgba[..., 3] = 0
    Image.fromarray(rgba).save(padded)
    data = bytearray(padded.read_bytes())
    data[17] &= 0xF0  # no attribute (alpha) bits
    padded.write_bytes(bytes(data))
    assert read_photo(padded).alpha is None
    enhance_photo(PhotoConfig(padded, tmp_path / "padded.png", plan=plan))
    with Image.open(tmp_path / "padded.png") as image:
        assert image.mode == "RGB"


def test_a_jpeg_2000_is_written_lossless_or_lossy_as_its_source_was(tmp_path, plan):
    """A reversible (5-3 wavelet) source is written reversible, an irreversible (9-7) one irreversible at
    --photo-quality, another photo at --photo-quality (100: lossless); a .j2k is a bare codestream."""
    from enlight.stream.io.jpeg2000 import reversible

    dark = eight_bits(_ramp())
    for irreversible in (False, True):
        source = tmp_path / f"scan_{irreversible}.jp2"
        Image.fromarray(dark).save(source, irreversible=irreversible)
        assert reversible(source) is not irreversible and read_photo(source).format == "JPEG2000"
        for suffix in (".jp2", ".j2k", ".J2K"):  # (Pillow writes a JP2 file for any name but a lower-case .j2k)
            out = tmp_path / f"day_{irreversible}{suffix}"
            stats = enhance_photo(PhotoConfig(source, out, plan=plan))
            assert stats.notes() == () and reversible(out) is not irreversible, stats.summary()
            with Image.open(out) as image:
                assert image.format == "JPEG2000" and np.asarray(image).mean() > dark.mean() + 5
            assert out.read_bytes()[:4] == (b"\xff\x4f\xff\x51" if suffix != ".jp2" else b"\0\0\0\x0c")
    png = tmp_path / "dusk.png"
    Image.fromarray(dark).save(png)
    for quality, lossless in ((95, False), (100, True)):
        enhance_photo(PhotoConfig(png, tmp_path / f"q{quality}.jp2", plan=plan, quality=quality))
        assert reversible(tmp_path / f"q{quality}.jp2") is lossless


def _with_profile(path: Path, icc: bytes) -> None:
    """A JP2 file of Pillow's with its colour box (method 1: sRGB) made a method 2 one holding ``icc``, as an
    editor writes a photo in its own profile."""
    data = path.read_bytes()
    at = data.index(b"jp2h") - 4
    size = struct.unpack(">I", data[at:at + 4])[0]
    header = data[at + 8:at + size]
    colr = header.index(b"colr") - 4
    colr_size = struct.unpack(">I", header[colr:colr + 4])[0]
    box = struct.pack(">I", 11 + len(icc)) + b"colr\x02\x00\x00" + icc
    header = header[:colr] + box + header[colr + colr_size:]
    path.write_bytes(data[:at] + struct.pack(">I", 8 + len(header)) + b"jp2h" + header + data[at + size:])


def test_a_jp2s_icc_profile_is_read_and_a_jp2_output_is_written_in_srgb(tmp_path, plan):
    """Pillow reads no ICC profile from a JP2 (its colour box): the pixels were taken as sRGB. Into a .png the
    profile stays with its pixels; into a .jp2 (Pillow writes none) the colours are converted to sRGB, with a
    note."""
    from enlight.stream.io.jpeg2000 import jp2_icc

    icc = rgb_profile()
    source = tmp_path / "wide.jp2"
    Image.fromarray(eight_bits(_ramp())).save(source)
    _with_profile(source, icc)
    assert jp2_icc(source) == icc and read_photo(source).icc == icc
    enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    with Image.open(tmp_path / "day.png") as image:
        assert image.info.get("icc_profile") == icc
        kept = np.asarray(image).astype(int)
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jp2", plan=plan, quality=100))
    assert len(stats.notes()) == 1 and "a .jp2 file is written here as sRGB, so its colours were converted" in \
        stats.notes()[0], stats.notes()
    with Image.open(tmp_path / "day.jp2") as image:
        converted = np.asarray(image).astype(int)
    assert np.abs(converted - kept).max() > 5  # (the same picture, its colours in sRGB)


def test_a_16_bit_colour_jpeg_2000_is_read_at_16_bits(tmp_path, plan):
    """Pillow reads a colour JPEG 2000 of more than 8 bits at 8; FFmpeg's decoder at its depth, into a 16-bit .png;
    a .jp2 output holds 16 (FFmpeg's encoder: tests/stream/test_jpeg2000_depth_comments_pam.py), a .jpg 8, and the
    note says so."""
    values = _ramp(16, 16)
    source = tmp_path / "deep.jp2"
    with av.open(str(source), "w", format="image2") as container:
        stream = container.add_stream("jpeg2000", options={"pred": "dwt53"})  # lossless
        stream.width, stream.height, stream.pix_fmt = 16, 16, "rgb48le"
        container.mux(stream.encode(av.VideoFrame.from_ndarray(values, format="rgb48le")))
        container.mux(stream.encode(None))
    photo = read_photo(source)
    assert photo.bits == 16 and np.array_equal(photo.rgb16, values)
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    assert stats.bits == 16 and stats.notes() == (), stats.summary()
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jp2", plan=plan))
    assert stats.bits == 16 and stats.notes() == (), stats.summary()
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan))
    assert stats.notes() == ("the photo's 16 bits per channel written at 8: a .jpg file holds 8; .png and .tif hold "
                             "16, .heic 10",)


def test_the_command_line_enhances_them_alone_and_in_a_folder(tmp_path, cli, weights):
    folder = tmp_path / "photos"
    folder.mkdir()
    dark = eight_bits(_ramp())
    _netpbm(folder / "scan.ppm", _ramp(), 65535)
    Image.fromarray(dark[..., 0]).save(folder / "ir.pgm")
    Image.fromarray(dark).save(folder / "sprite.tga")
    Image.fromarray(dark).save(folder / "archive.jp2")
    Image.fromarray(dark).save(folder / "frame.j2k")
    Image.fromarray(dark).save(folder / "dusk.jpg")
    result = cli(folder, "-o", tmp_path / "out", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "6 done" in result.stderr and "0 other files" in result.stderr, result.stderr
    names = ("scan.ppm", "ir.pgm", "sprite.tga", "archive.jp2", "frame.j2k", "dusk.jpg")
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == sorted(names)
    assert _header(tmp_path / "out" / "scan.ppm")[3] == b"65535"
    result = cli(folder / "scan.ppm", "-o", tmp_path / "day.ppm", "--weights", weights)
    assert result.returncode == 0 and "16-bit photo" in result.stderr, result.stderr
    assert _header(tmp_path / "day.ppm")[:2] == [b"P6", b"32"]


def test_a_1_bit_bitmap_is_refused_in_one_line(tmp_path, cli, weights):
    """By its name (.pbm), or by its content (a P4 named .pnm); in a folder it is named for what it is."""
    bitmap = tmp_path / "fax.pbm"
    Image.fromarray(np.eye(8, dtype=bool)).save(bitmap)
    inside = tmp_path / "fax.pnm"
    inside.write_bytes(bitmap.read_bytes())
    for source in (bitmap, inside):
        result = cli(source, "-o", tmp_path / "day.png", "--weights", weights)
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert "fax" in result.stderr and "is a 1-bit picture (black and white only" in result.stderr, result.stderr
        assert not (tmp_path / "day.png").exists()
    from enlight.stream.apps.batch import collect

    folder = tmp_path / "in"
    folder.mkdir()
    bitmap.rename(folder / "fax.pbm")
    _, ignored = collect(folder, tmp_path / "out")
    assert ignored.other_text() == "1 other file: a 1-bit bitmap (.pbm), with no shades to enhance"


def test_without_openjpeg_a_jp2_in_or_out_is_one_line_naming_it(tmp_path, weights, cli):
    """Run as with a Pillow built without OpenJPEG (its feature check says no, first on the path): one line that
    names what is missing, exit 2, nothing written; before any work for an output, numbered .jp2 pictures too."""
    import os

    from tests.conftest import REPO

    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "sitecustomize.py").write_text(
        "from PIL import features\n"
        "_check = features.check\n"
        "features.check = lambda name: False if name == 'jpg_2000' else _check(name)\n")
    env = {"PYTHONPATH": os.pathsep.join([str(blocked), str(REPO)])}
    source, photo = tmp_path / "archive.jp2", tmp_path / "dusk.png"
    Image.fromarray(eight_bits(_ramp())).save(source)
    Image.fromarray(eight_bits(_ramp())).save(photo)
    clip = make_clip(tmp_path / "night.mp4", frames=3, audio=False)
    for args, named in (((source, "-o", tmp_path / "day.png"), "archive.jp2"),
                        ((photo, "-o", tmp_path / "day.jp2"), "day.jp2"),
                        ((clip, "-o", tmp_path / "f_%04d.jp2"), "f_%04d.jp2")):  # (numbered pictures)
        result = cli(*args, "--weights", weights, env=env)
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert f"{named}: this Pillow was built without OpenJPEG and cannot read or write JPEG 2000" in \
            result.stderr, result.stderr
        assert not args[2].exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(("f_", ".enlight"))]
