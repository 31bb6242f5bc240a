"""A GIF of one picture written as a .gif is a still photo (``enlight.stream.io.gif_still``): it went through the
video path, with its time estimate and frame bar, a loop tag and a 100 ms frame time, and with FFmpeg's decoding,
which gives a transparent pixel as white: the model saw white where the picture was transparent, and lifted the rest
less (a dark sticker, opaque mean 23.7, came out at 74.5, against 96.3 for the same picture as a PNG through the
photo path)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tests.media import dark_frames


def _night(width: int = 96, height: int = 64) -> np.ndarray:
    """(H, W, 3) uint8: a dark, smooth night picture (mean about 20 levels) with a little texture."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = np.stack([x / width * 46, y / height * 37, (x + y) / (width + height) * 31], axis=-1) + 3
    return np.clip(ramp + dark_frames(1, width, height)[0] / 16, 0, 255).astype(np.uint8)


def _sticker(path, *, transparent: bool = True):
    """A dark 96x64 one-frame GIF of 64 colours whose top-left 16x16 pixels are its transparent entry (63)."""
    image = Image.fromarray(_night()).quantize(63)
    indices = np.asarray(image).copy()
    indices[:16, :16] = 63
    still = Image.fromarray(indices, "P")
    still.putpalette(image.getpalette()[:189] + [6, 4, 5])  # (the transparent entry's colour: as dark as the rest)
    still.save(path, **({"transparency": 63} if transparent else {}))
    return path


def _opaque_mean(path) -> tuple[float, np.ndarray]:
    with Image.open(path) as image:
        rgba = np.asarray(image.convert("RGBA")).astype(float)
    seen = rgba[..., 3] > 0
    return float(rgba[..., :3][seen].mean()), seen


def test_a_gif_of_one_picture_into_a_gif_is_enhanced_as_the_photo_it_is(tmp_path, cli, weights):
    source = _sticker(tmp_path / "sticker.gif")
    with Image.open(source) as image:
        image.convert("RGBA").save(tmp_path / "sticker.png")
    as_png = cli(tmp_path / "sticker.png", "-o", tmp_path / "day.png", "--weights", weights)
    as_gif = cli(source, "-o", tmp_path / "day.gif", "--weights", weights)
    assert as_png.returncode == 0 and as_gif.returncode == 0, as_gif.stderr
    assert "96x64 8-bit photo in" in as_gif.stderr and "frame" not in as_gif.stderr, as_gif.stderr
    with Image.open(tmp_path / "day.gif") as written:
        assert written.format == "GIF" and getattr(written, "n_frames", 1) == 1
        assert "loop" not in written.info and not written.info.get("duration")  # a still, as it came
    png_mean, png_seen = _opaque_mean(tmp_path / "day.png")
    gif_mean, gif_seen = _opaque_mean(tmp_path / "day.gif")
    assert np.array_equal(gif_seen, png_seen) and not gif_seen[:16, :16].any()  # its transparency kept
    assert abs(gif_mean - png_mean) < 1.5, (gif_mean, png_mean)  # the same picture, in 256 colours


def test_a_transparent_gif_of_one_picture_is_as_bright_as_the_same_png(tmp_path, cli):
    """With the shipped model (whose output depends on the whole picture: random weights do not show it), the
    transparent pixels FFmpeg gave as white dimmed the rest: opaque mean 74.5 against 96.3 for the PNG."""
    source = _sticker(tmp_path / "sticker.gif")
    with Image.open(source) as image:
        image.convert("RGBA").save(tmp_path / "sticker.png")
    for name, out in (("sticker.png", "day.png"), ("sticker.gif", "day.gif")):
        result = cli(tmp_path / name, "-o", tmp_path / out, "--quality", "best")
        assert result.returncode == 0, result.stderr
    png_mean, gif_mean = _opaque_mean(tmp_path / "day.png")[0], _opaque_mean(tmp_path / "day.gif")[0]
    assert abs(gif_mean - png_mean) < 1.5, (gif_mean, png_mean)


def test_an_opaque_gif_of_one_picture_into_a_gif_has_no_transparent_entry(tmp_path, cli, weights):
    source = _sticker(tmp_path / "opaque.gif", transparent=False)
    result = cli(source, "-o", tmp_path / "day.gif", "--weights", weights)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "day.gif") as written:
        assert "transparency" not in written.info and "loop" not in written.info
        assert np.asarray(written.convert("RGB")).mean() > np.asarray(Image.open(source).convert("RGB")).mean()
