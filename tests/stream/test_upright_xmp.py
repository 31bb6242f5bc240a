"""A photo turned upright by a quarter (EXIF orientation 5-8) had its EXIF X and Y resolution swapped, but its XMP
packet still said tiff:XResolution 300 / tiff:YResolution 150 and the size as stored (tiff:ImageWidth 32,
tiff:ImageLength 24, exif:PixelXDimension 32, exif:PixelYDimension 24) of the 24x32 picture written, in every output
that keeps XMP (.jpg, .png, .tif, .webp, .avif, .heic, .jxl; a 16-bit .png and .tif), in a numbered picture made
from such a picture, and (its size) in a --compare side output. The files are made here by Pillow and read back by
Pillow (and our JPEG XL plugin)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.photo_formats import open_image, require_format_support
from enlight.stream.io.photo_metadata import xmp_packet
from tests.media import dark_frames

_TIFF, _EXIF = "http://ns.adobe.com/tiff/1.0/", "http://ns.adobe.com/exif/1.0/"
# the fields as the stored (landscape) picture has them: the resolution as attributes, the size in both forms
_XMP = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:tiff="{_TIFF}" xmlns:exif="{_EXIF}" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 tiff:Orientation="{{turn}}" tiff:XResolution="300/1" tiff:YResolution="150/1" tiff:ImageWidth="32"
 tiff:ImageLength="24" xmp:Rating="4">
<exif:PixelXDimension>32</exif:PixelXDimension><exif:PixelYDimension>24</exif:PixelYDimension>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""
# what the upright (24x32) picture's XMP says
_UPRIGHT = {"Orientation": "1", "XResolution": "150/1", "YResolution": "300/1", "ImageWidth": "24",
            "ImageLength": "32", "PixelXDimension": "24", "PixelYDimension": "32", "Rating": "4"}


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def _xmp_fields(path: Path) -> dict[str, str]:
    """The tiff:, exif: and xmp: fields of the XMP packet of the picture at ``path`` (attributes and elements alike),
    by their local names, as Pillow reads the packet."""
    require_format_support(path)
    with open_image(path) as image:
        packet = xmp_packet(image)
    assert packet is not None, path.name
    body = packet.decode("utf-8")
    root = ET.fromstring(body[body.index("<x:xmpmeta"):body.index("</x:xmpmeta>") + len("</x:xmpmeta>")])
    fields = {}
    for description in root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        fields |= {name.split("}")[1]: value for name, value in description.attrib.items() if "}" in name}
        fields |= {child.tag.split("}")[1]: (child.text or "").strip() for child in description}
    return {name: value for name, value in fields.items() if name != "about"}


def _exif(turn: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112], exif[282], exif[283], exif[296] = turn, 300.0, 150.0, 2
    return exif.tobytes()


def _turned_jpeg(path: Path, turn: int = 6) -> Path:
    """A 32x24 JPEG stored on its side (EXIF and XMP orientation ``turn``) at 300 dpi across and 150 down, in its
    EXIF and XMP (not its JFIF header, whose densities FFmpeg reads as a pixel aspect ratio)."""
    rgb = dark_frames(1, 32, 24)[0]
    Image.fromarray(rgb).save(path, exif=_exif(turn), xmp=_XMP.format(turn=turn).encode())
    return path


def _outputs() -> list[str]:
    from PIL import features

    found = ["day.jpg", "day.png", "day.tif", "day.webp", *(["day.avif"] if features.check("avif") else [])]
    try:
        import pillow_heif  # noqa: F401

        found.append("day.heic")
    except ImportError:
        pass
    try:
        import pyjpegxl  # noqa: F401

        found.append("day.jxl")
    except ImportError:
        pass
    return found


def test_a_quarter_turned_photos_xmp_says_the_upright_resolution_and_size(tmp_path, plan):
    source = _turned_jpeg(tmp_path / "side.jpg")
    for out in _outputs():
        enhance_photo(PhotoConfig(source, tmp_path / out, plan=plan))
        with Image.open(tmp_path / out) as image:
            assert image.size == (24, 32), out
        assert _xmp_fields(tmp_path / out) == _UPRIGHT, out


def test_a_16_bit_photos_xmp_is_turned_in_a_16_bit_png_and_tiff(tmp_path, plan):
    """A 16-bit PNG (EXIF orientation 8 in its eXIf chunk, the XMP in its iTXt) is written by FFmpeg's PNG encoder
    or our own TIFF writer, with the XMP added by our code."""
    from PIL import PngImagePlugin

    from tests.stream.test_jpeg2000_depth_comments_pam import _with_exif_chunk
    from tests.stream.test_netpbm_tga_jpeg2000 import _ramp

    source = tmp_path / "side16.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", _XMP.format(turn=8))
    Image.fromarray(_ramp()[..., 0]).save(source, pnginfo=info)  # (32x24, 16-bit grey)
    source.write_bytes(_with_exif_chunk(source.read_bytes(), _exif(8)))
    for out in ("day16.png", "day16.tif"):
        stats = enhance_photo(PhotoConfig(source, tmp_path / out, plan=plan))
        assert stats.bits == 16, out
        assert _xmp_fields(tmp_path / out) == _UPRIGHT, out


def test_a_mirrored_or_half_turned_photos_xmp_keeps_its_resolution(tmp_path, plan):
    """Orientation 3 (half a turn) and 2 (a mirror) keep the axes: the resolution stays, the size is as stored."""
    for turn in (2, 3):
        source = _turned_jpeg(tmp_path / f"turn{turn}.jpg", turn)
        enhance_photo(PhotoConfig(source, tmp_path / f"day{turn}.png", plan=plan))
        assert _xmp_fields(tmp_path / f"day{turn}.png") == {**_UPRIGHT, "XResolution": "300/1", "YResolution":
                                                             "150/1", "ImageWidth": "32", "ImageLength": "24",
                                                             "PixelXDimension": "32", "PixelYDimension": "24"}


def test_a_side_by_side_comparisons_xmp_says_its_size(tmp_path, plan):
    source = _turned_jpeg(tmp_path / "side.jpg")
    enhance_photo(PhotoConfig(source, tmp_path / "both.png", plan=plan, compare="side"))
    with Image.open(tmp_path / "both.png") as image:
        width, height = image.size
    assert (width, height) == (48, 32)
    assert _xmp_fields(tmp_path / "both.png") == {**_UPRIGHT, "ImageWidth": "48", "PixelXDimension": "48"}


def test_each_numbered_pictures_xmp_says_its_upright_resolution_and_size(tmp_path, weights, cli):
    for number in (1, 2):
        _turned_jpeg(tmp_path / f"cam_{number:04d}.jpg")
    for suffix in (".jpg", ".png", ".tif", ".webp"):
        result = cli(tmp_path / "cam_%04d.jpg", "-o", tmp_path / f"day_%04d{suffix}", "--weights", weights)
        assert result.returncode == 0, result.stderr
        for number in (1, 2):
            with Image.open(tmp_path / f"day_{number:04d}{suffix}") as image:
                assert image.size == (24, 32), suffix
            assert _xmp_fields(tmp_path / f"day_{number:04d}{suffix}") == _UPRIGHT, suffix
