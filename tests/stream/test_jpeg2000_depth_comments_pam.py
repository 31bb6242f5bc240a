"""Loose ends of the Netpbm / JPEG 2000 photos: a 16-bit JPEG 2000 was written into a .jp2 at 8 bits; a JPEG 2000's
comment was dropped from every output without a note; a photo turned a quarter by its EXIF orientation kept its
EXIF XResolution and YResolution unswapped (a TIFF output's own resolution too); .pam, .jpf and .jpx photos were not
read. The files are made here by Pillow, numpy and FFmpeg (PyAV): its JPEG 2000 encoder writes 16-bit colour, its
PAM encoder the PAM tuple types."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.photo_reader import eight_bits, read_photo
from tests.stream.test_netpbm_tga_jpeg2000 import _ramp  # (a dark, smooth 16-bit colour ramp)


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def _ffmpeg_picture(path: Path, values: np.ndarray, codec: str, pix_fmt: str, **options: str) -> Path:
    """One picture of ``values`` (as ``pix_fmt`` takes them) written by FFmpeg's ``codec`` encoder to ``path``."""
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream(codec, options=options)
        stream.width, stream.height, stream.pix_fmt = values.shape[1], values.shape[0], pix_fmt
        container.mux(stream.encode(av.VideoFrame.from_ndarray(values, format=pix_fmt)))
        container.mux(stream.encode(None))
    return path


def _decoded(path: Path) -> np.ndarray:
    """FFmpeg's first picture of ``path``, as stored: (H, W) or (H, W, C)."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    return frame.to_ndarray()


def test_a_16_bit_jpeg_2000_is_written_into_a_jp2_at_16_bits(tmp_path, plan):
    """Colour (FFmpeg's encoder) and grey (Pillow's I;16), lossless: written lossless at 16 bits, grey as grey, no
    note; a .j2k too (a bare codestream); a lossy 16-bit one lossy at 16. Pillow writes no deep colour: it was
    written at 8, with the note 'the photo's 16 bits per channel written at 8: a .jp2 file holds 8'."""
    from enlight.stream.io.jpeg2000 import jp2_bits, reversible

    colour = _ffmpeg_picture(tmp_path / "scan.jp2", _ramp(), "jpeg2000", "rgb48le", pred="dwt53")
    grey = tmp_path / "xray.jp2"
    Image.fromarray(_ramp()[..., 0]).save(grey)
    lossy = _ffmpeg_picture(tmp_path / "astro.jp2", _ramp(), "jpeg2000", "rgb48le")  # (the 9-7 wavelet)
    for source, out, lossless in ((colour, "day.jp2", True), (grey, "grey.jp2", True), (colour, "day.j2k", True),
                                  (lossy, "lossy.jp2", False)):
        assert read_photo(source).bits == 16
        stats = enhance_photo(PhotoConfig(source, tmp_path / out, plan=plan))
        assert stats.bits == 16 and stats.notes() == (), stats.summary()
        written = tmp_path / out
        assert jp2_bits(written) == 16 and reversible(written) is lossless
        assert (written.read_bytes()[:4] == b"\xff\x4f\xff\x51") is (out.endswith(".j2k"))
        stored = _decoded(written)
        assert stored.dtype == np.uint16 and stored.ndim == (2 if source == grey else 3)
        assert len(np.unique(stored)) > 256 and stored.mean() > _decoded(source).mean() + 5 * 257
        back = read_photo(written)
        assert back.bits == 16 and np.array_equal(back.rgb16[..., 0], stored if stored.ndim == 2 else stored[..., 0])
        with Image.open(written) as image:  # (OpenJPEG reads it too)
            image.load()
            assert image.size == (32, 24)


def test_a_lossy_16_bit_jpeg_2000_reaches_the_psnr_of_the_quality(tmp_path):
    """FFmpeg's encoder takes a compression ratio: the one written reaches --photo-quality's PSNR (95: 44 dB, 75:
    38 dB) on a detailed 16-bit picture (edges, waves, a little noise), in far fewer bytes than lossless."""
    from enlight.stream.io.jpeg2000 import psnr_for
    from enlight.stream.io.jpeg2000_deep import _encode, _psnr, lossy_ratio

    rng = np.random.default_rng(1)
    blocks = np.kron(rng.integers(0, 40000, (50, 50, 3)).astype(np.float64), np.ones((6, 8, 1)))
    y, x = np.mgrid[0:300, 0:400]
    waves = 8000 * (1 + np.sin(x / 7.0) * np.cos(y / 5.0))[..., None]
    picture = (blocks * 0.5 + waves + rng.normal(0, 30, blocks.shape)).clip(0, 65535).astype(np.uint16)
    whole = len(_encode(picture, ratio=None))
    for quality in (95, 75):
        ratio = lossy_ratio(picture, psnr_for(quality))
        assert ratio is not None
        data = _encode(picture, ratio=ratio)
        assert psnr_for(quality) <= _psnr(picture, data) <= psnr_for(quality) + 3 and len(data) < whole / 2


def _with_comment(path: Path, comment: bytes) -> Path:
    Image.fromarray(eight_bits(_ramp())).save(path, comment=comment)
    return path


def test_a_jpeg_2000_comment_is_kept_where_the_output_holds_one_and_named_where_not(tmp_path, plan):
    """Into a .jp2/.j2k (COM), a .jpg (COM) or a .png ('Comment' text); a .tif's note names it. OpenJPEG's own
    'Created by OpenJPEG version ...' comment, in every file Pillow writes, is no comment of the photo."""
    from enlight.stream.io.jpeg2000 import jp2_comments

    source = _with_comment(tmp_path / "scan.jp2", b"Scanned by Epson V850, 2400 dpi")
    assert jp2_comments(source) == (b"Scanned by Epson V850, 2400 dpi",)
    for out in ("day.jp2", "day.j2k"):
        stats = enhance_photo(PhotoConfig(source, tmp_path / out, plan=plan))
        assert stats.notes() == () and jp2_comments(tmp_path / out) == (b"Scanned by Epson V850, 2400 dpi",)
        with Image.open(tmp_path / out) as image:
            image.load()
    enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan))
    with Image.open(tmp_path / "day.jpg") as image:
        assert image.info.get("comment") == b"Scanned by Epson V850, 2400 dpi"
    enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    with Image.open(tmp_path / "day.png") as image:
        assert image.text.get("Comment") == "Scanned by Epson V850, 2400 dpi"
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.tif", plan=plan))
    assert stats.notes() == ("not kept, a .tif file has no place for them: JPEG 2000 comment",)
    plain = tmp_path / "plain.jp2"
    Image.fromarray(eight_bits(_ramp())).save(plain)
    with Image.open(plain) as image:
        assert image.info.get("comment", b"").startswith(b"Created by OpenJPEG") and not jp2_comments(plain)
    enhance_photo(PhotoConfig(plain, tmp_path / "plain.jpg", plan=plan))
    with Image.open(tmp_path / "plain.jpg") as image:
        assert "comment" not in image.info


def test_a_16_bit_jpeg_2000_keeps_its_comment_and_resolution(tmp_path, plan):
    """The 16-bit writer (FFmpeg's) gets the comment and the resolution box too; FFmpeg's own 'Lavc...' comment is
    no comment of the photo."""
    from enlight.stream.io.jpeg2000 import jp2_comments, with_comments, with_resolution

    source = _ffmpeg_picture(tmp_path / "scan.jp2", _ramp(), "jpeg2000", "rgb48le", pred="dwt53")
    assert jp2_comments(source) == ()
    source.write_bytes(with_resolution(with_comments(source.read_bytes(), (b"plate 7",)), (600.0, 600.0)))
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jp2", plan=plan))
    assert stats.bits == 16 and stats.notes() == ()
    assert jp2_comments(tmp_path / "day.jp2") == (b"plate 7",)
    with Image.open(tmp_path / "day.jp2") as image:
        assert image.info.get("dpi") == pytest.approx((600, 600), abs=0.01)


def _turned_jpeg(path: Path) -> Path:
    """A 32x24 JPEG stored on its side (EXIF Orientation 6: turn it a quarter clockwise) at 300 dpi across and 150
    down as stored, in its EXIF and its JFIF header."""
    exif = Image.Exif()
    exif[0x0112], exif[282], exif[283], exif[296] = 6, 300.0, 150.0, 2
    Image.fromarray(eight_bits(_ramp())).save(path, exif=exif.tobytes(), dpi=(300, 150))
    return path


def test_a_photo_turned_a_quarter_has_its_x_and_y_resolution_swapped(tmp_path, plan):
    """Upright it is 24 wide and 32 high: 150 dpi across, 300 down. The EXIF said 300 across in every output (and a
    TIFF's own tags, taken from it, too) while the pixels and the JFIF/pHYs/res-box dpi were turned."""
    source = _turned_jpeg(tmp_path / "side.jpg")
    for out in ("day.jpg", "day.png", "day.tif", "day.webp", "day.jp2"):
        enhance_photo(PhotoConfig(source, tmp_path / out, plan=plan))
        with Image.open(tmp_path / out) as image:
            assert image.size == (24, 32)
            if out != "day.webp":  # (a WebP states it in its EXIF alone)
                assert image.info["dpi"] == pytest.approx((150, 300), abs=0.02), out
            if out != "day.jp2":  # (a .jp2 holds no EXIF)
                exif = image.getexif()
                assert (exif.get(0x0112), float(exif[282]), float(exif[283])) == (1, 150.0, 300.0), out
    sixteen = tmp_path / "side16.png"  # a 16-bit TIFF output is written by our own IFD writer
    Image.fromarray(_ramp()[..., 0]).save(sixteen)
    exif = Image.Exif()
    exif[0x0112], exif[282], exif[283], exif[296] = 8, 72.0, 144.0, 2
    sixteen.write_bytes(_with_exif_chunk(sixteen.read_bytes(), exif.tobytes()))
    enhance_photo(PhotoConfig(sixteen, tmp_path / "day16.tif", plan=plan))
    with Image.open(tmp_path / "day16.tif") as image:
        assert image.size == (24, 32) and image.info["dpi"] == pytest.approx((144, 72))


def _with_exif_chunk(png: bytes, exif: bytes) -> bytes:
    """A PNG's bytes with an eXIf chunk after its IHDR."""
    import zlib

    data = exif[6:] if exif.startswith(b"Exif\0\0") else exif
    chunk = struct.pack(">I", len(data)) + b"eXIf" + data + struct.pack(">I", zlib.crc32(b"eXIf" + data))
    return png[:33] + chunk + png[33:]


def _pam(path: Path, values: np.ndarray, maxval: int, tupltype: str | None) -> Path:
    """A PAM file of (H, W, C) ``values`` up to ``maxval``, with a comment in its header, as netpbm writes one."""
    height, width, depth = values.shape
    head = f"P7\n# made by a test\nWIDTH {width}\nHEIGHT {height}\nDEPTH {depth}\nMAXVAL {maxval}\n"
    head += f"TUPLTYPE {tupltype}\n" if tupltype else ""
    path.write_bytes((head + "ENDHDR\n").encode() + values.astype(">u2" if maxval > 255 else "u1").tobytes())
    return path


def test_pam_photos_are_read_and_written_with_their_alpha_and_depth(tmp_path, plan):
    """8-bit RGB_ALPHA (FFmpeg's), 16-bit GRAYSCALE (FFmpeg's), 16-bit RGB_ALPHA, 12-bit RGB (maxval 4095) and one
    that names no tuple type: read as they hold (alpha, grey, depth), written into a .pam at 8 or 16 bits with their
    alpha and one channel where grey; a .png's into a .pam too."""
    from enlight.stream.io.pam import pam_header

    ramp = _ramp()
    alpha = np.linspace(30, 255, 32, dtype=np.uint8)[None, :].repeat(24, axis=0)
    rgba8 = np.dstack([eight_bits(ramp), alpha])
    cases = {
        "rgba.pam": (_ffmpeg_picture(tmp_path / "rgba.pam", rgba8, "pam", "rgba"), 8, (4, 255, "RGB_ALPHA")),
        "grey16.pam": (_ffmpeg_picture(tmp_path / "grey16.pam", ramp[..., 0], "pam", "gray16be"), 16,
                       (1, 65535, "GRAYSCALE")),
        "rgba16.pam": (_pam(tmp_path / "rgba16.pam", np.dstack([ramp, alpha.astype(np.uint16) * 257]), 65535,
                            "RGB_ALPHA"), 16, (4, 65535, "RGB_ALPHA")),
        "rgb12.pam": (_pam(tmp_path / "rgb12.pam", ramp // 16, 4095, "RGB"), 12, (3, 65535, "RGB")),
        "untyped.pam": (_pam(tmp_path / "untyped.pam", eight_bits(ramp), 255, None), 8, (3, 255, "RGB")),
    }
    for name, (source, bits, written) in cases.items():
        photo = read_photo(source)
        assert (photo.format, photo.bits, photo.grey) == ("PAM", bits, name.startswith("grey")), name
        assert (photo.alpha is not None) is ("rgba" in name) and photo.rgb.shape == (24, 32, 3)
        if "rgba" in name:
            assert np.array_equal(photo.alpha, alpha)
        if bits > 8:
            assert np.abs(photo.rgb16[..., 0].astype(int) - ramp[..., 0]).max() <= 16
        else:
            assert np.abs(photo.rgb.astype(int) - eight_bits(ramp)).max() == 0
        stats = enhance_photo(PhotoConfig(source, tmp_path / f"day_{name}", plan=plan))
        assert stats.notes() == () and stats.bits == (16 if bits > 8 else 8), stats.summary()
        header = pam_header((tmp_path / f"day_{name}").read_bytes()[:200])
        assert (header.depth, header.maxval, header.tupltype) == written, name
        back = read_photo(tmp_path / f"day_{name}")
        assert back.rgb.mean() > photo.rgb.mean() + 5
        if "rgba" in name:
            assert np.abs(back.alpha.astype(int) - alpha).max() <= 1
    png = tmp_path / "dusk.png"
    Image.fromarray(rgba8, "RGBA").save(png)
    enhance_photo(PhotoConfig(png, tmp_path / "dusk.pam", plan=plan))
    assert pam_header((tmp_path / "dusk.pam").read_bytes()[:200]).tupltype == "RGB_ALPHA"


def test_a_1_bit_or_cmyk_pam_is_refused_in_one_line(tmp_path, cli, weights):
    bitmap = _pam(tmp_path / "fax.pam", np.eye(8, dtype=np.uint8)[..., None], 1, "BLACKANDWHITE")
    cmyk = _pam(tmp_path / "print.pam", np.zeros((8, 8, 4), np.uint8), 255, "CMYK")
    for source, said in ((bitmap, "fax.pam is a 1-bit picture (black and white only"),
                         (cmyk, "a PAM of tuple type CMYK (4 samples a pixel) is not read here")):
        result = cli(source, "-o", tmp_path / "day.png", "--weights", weights)
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert said in result.stderr and not (tmp_path / "day.png").exists(), result.stderr


def _box(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", 8 + len(data)) + kind + data


def _jpx(path: Path, *, fragments: bool) -> Path:
    """A JPEG 2000 part 2 file of Pillow's JP2: branded 'jpx ' (compatible with 'jp2 ' and 'jpxb'), with a reader
    requirements box, its codestream in a 'jp2c' box as a JPX baseline writer leaves it, or (``fragments``) in a
    media data box that a fragment table points at, which OpenJPEG does not read."""
    plain = io.BytesIO()
    Image.fromarray(eight_bits(_ramp())).save(plain, format="JPEG2000")
    data, boxes, at = plain.getvalue(), {}, 0
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        boxes[kind], at = data[at + 8:at + size], at + size
    head = data[:12] + _box(b"ftyp", b"jpx \0\0\0\0jp2 jpx jpxb") + _box(b"rreq", bytes([1, 0x80, 0x40, 0, 1, 0, 5,
                                                                                          0x80, 0, 0]))
    head += _box(b"jp2h", boxes[b"jp2h"])
    if not fragments:
        path.write_bytes(head + _box(b"jp2c", boxes[b"jp2c"]))
        return path
    table = _box(b"ftbl", _box(b"flst", struct.pack(">HQIH", 1, len(head) + 32 + 8, len(boxes[b"jp2c"]), 0)))
    path.write_bytes(head + table + _box(b"mdat", boxes[b"jp2c"]))
    return path


def test_jpf_and_jpx_photos_are_read_and_one_in_fragments_is_refused(tmp_path, cli, weights):
    """A JP2 named .jpf and a JPX baseline file named .jpx are enhanced (alone and in a folder, written as JP2
    files by those names); a JPX whose codestream is in fragments is refused in one line that says why."""
    folder = tmp_path / "scans"
    folder.mkdir()
    Image.fromarray(eight_bits(_ramp())).save(folder / "page.jp2")
    (folder / "page.jp2").rename(folder / "page.jpf")
    _jpx(folder / "map.jpx", fragments=False)
    _pam(folder / "frame.pam", eight_bits(_ramp()), 255, "RGB")
    assert read_photo(folder / "map.jpx").format == "JPEG2000"
    result = cli(folder, "-o", tmp_path / "out", "--weights", weights)
    assert result.returncode == 0 and "3 done" in result.stderr and "0 other files" in result.stderr, result.stderr
    for name in ("page.jpf", "map.jpx"):
        with Image.open(tmp_path / "out" / name) as image:
            assert image.format == "JPEG2000" and np.asarray(image).mean() > eight_bits(_ramp()).mean() + 5
    broken = _jpx(tmp_path / "atlas.jpx", fragments=True)
    result = cli(broken, "-o", tmp_path / "atlas.png", "--weights", weights)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert "atlas.jpx is a JPEG 2000 part 2 (JPX) file whose picture is in no codestream box (ftbl): OpenJPEG" in \
        result.stderr and not (tmp_path / "atlas.png").exists(), result.stderr
