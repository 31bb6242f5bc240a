"""Photos whose name says another format than the file is (renamed by hand, or named so by the app or tool that
copied them) are read as what they are."""

from __future__ import annotations

import av
import numpy as np
from PIL import Image

from tests.media import dark_frames


def test_a_jpeg_or_png_named_tif_is_read_as_what_it_is(tmp_path, weights, cli):
    """A JPEG or a 16-bit PNG named .tif (renamed by hand or by an app): 'internal error: AttributeError:
    'JpegImageFile' object has no attribute 'tag_v2'', from the check of its bits; now enhanced as the file is."""
    pixels = dark_frames(1, 32, 24)[0]
    Image.fromarray(pixels).save(tmp_path / "jpeg.tif", format="JPEG")
    with av.open(str(tmp_path / "png16.tif"), "w", format="image2") as container:
        stream = container.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 32, 24, "rgb48be"
        frame = av.VideoFrame.from_ndarray(pixels.astype(np.uint16) * 257, format="rgb48le")
        container.mux(stream.encode(frame.reformat(format="rgb48be")))
        container.mux(stream.encode(None))
    for name, bits in (("jpeg.tif", 8), ("png16.tif", 16)):
        result = cli(tmp_path / name, "-o", tmp_path / f"day_{name}", "--weights", weights, "--quality", "fast")
        assert result.returncode == 0, result.stderr
        assert f"32x24 {bits}-bit photo" in result.stderr


def test_an_iphones_heic_photo_named_jpg_is_read(tmp_path, weights, cli):
    """A HEIC photo named .jpg (as exports and copies of an iPhone's photos often are) was refused as 'not an
    image, or truncated/corrupt': pillow-heif's reader was registered for .heic and .heif names only."""
    from enlight.stream.io.photo_formats import require_format_support

    heic = tmp_path / "IMG_0001.heic"
    require_format_support(heic)
    exif = Image.Exif()
    exif[0x0112] = 6  # turned a quarter, as a phone held upright stores it
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(heic, exif=exif.tobytes())
    named_jpg = tmp_path / "IMG_0001.jpg"
    heic.rename(named_jpg)
    out = tmp_path / "day.jpg"
    result = cli(named_jpg, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "24x32 8-bit photo" in result.stderr
    with Image.open(out) as image:
        assert image.format == "JPEG" and image.size == (24, 32)
