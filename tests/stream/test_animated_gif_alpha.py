"""An animated GIF with transparent pixels goes through the video path, where FFmpeg's GIF decoder gives each of them
as white (255, 255, 255, 0); the model saw that white as picture and lifted the dark picture around it less: opaque
mean 22.4 -> 72.7 against 94.0 for the same frames as PNGs through the photo path. They take the colour of the opaque
picture near them before the model (``enlight.stream.io.transparent_fill``), and stay transparent."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageSequence

from tests.stream.test_still_gif import _night

FRAMES = 3


def _animated_sticker(folder):
    """A dark 96x64 GIF of 3 frames (one palette: 63 colours and the transparent entry 63, as dark as the rest) whose
    top-left 16x16 pixels are transparent in each, and each frame as an RGBA PNG (Pillow's reading of it)."""
    nights = [np.roll(_night(), 4 * i, axis=1) for i in range(FRAMES)]
    palette = Image.fromarray(np.concatenate(nights)).quantize(63).getpalette()[:189] + [6, 4, 5]
    ref = Image.new("P", (1, 1))
    ref.putpalette(palette[:189] + [0, 0, 0] * 193)
    frames = []
    for night in nights:
        indices = np.asarray(Image.fromarray(night).quantize(palette=ref, dither=Image.Dither.NONE)).copy()
        indices[:16, :16] = 63
        frame = Image.fromarray(indices, "P")
        frame.putpalette(palette)
        frames.append(frame)
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0,
                   transparency=63, disposal=2, optimize=False)
    with Image.open(folder / "anim.gif") as image:
        for i, frame in enumerate(ImageSequence.Iterator(image)):
            frame.convert("RGBA").save(folder / f"frame{i}.png")
    return folder / "anim.gif"


def _frames(path) -> list[np.ndarray]:
    """Each frame of a picture file as (H, W, 4) uint8 RGBA (Pillow's reading)."""
    with Image.open(path) as image:
        return [np.asarray(frame.convert("RGBA")) for frame in ImageSequence.Iterator(image)]


def test_an_animated_transparent_gif_is_as_bright_as_its_frames_as_pngs(tmp_path, cli):
    """With the shipped model (random weights do not show it): the video path's opaque means were 72.7 against
    94.4, 94.0, 93.6 for the frames as PNGs through the photo path."""
    source = _animated_sticker(tmp_path)
    for i in range(FRAMES):
        result = cli(tmp_path / f"frame{i}.png", "-o", tmp_path / f"day{i}.png", "--quality", "best")
        assert result.returncode == 0, result.stderr
    result = cli(source, "-o", tmp_path / "day.gif", "--quality", "best")
    assert result.returncode == 0, result.stderr
    written = _frames(tmp_path / "day.gif")
    assert len(written) == FRAMES
    for i, frame in enumerate(written):
        seen = frame[..., 3] > 0
        assert not seen[:16, :16].any() and seen[16:].all()  # its transparency kept
        png_mean = _frames(tmp_path / f"day{i}.png")[0][..., :3][seen].mean()
        assert abs(frame[..., :3][seen].mean() - png_mean) < 2.5, (i, frame[..., :3][seen].mean(), png_mean)


def test_transparent_pixels_take_the_colour_of_the_opaque_picture_near_them():
    from enlight.stream.io.transparent_fill import fill_transparent

    rgb = np.full((64, 96, 3), 255, np.uint8)
    rgb[16:, :48], rgb[16:, 48:] = (20, 30, 40), (60, 50, 10)
    alpha = np.full((64, 96), 255, np.uint8)
    alpha[:16] = 0
    filled = fill_transparent(rgb, alpha)
    assert np.array_equal(filled[16:], rgb[16:])  # the picture as it was
    assert np.abs(filled[:16, :8].astype(int) - (20, 30, 40)).max() <= 2  # near each side: its colour
    assert np.abs(filled[:16, -8:].astype(int) - (60, 50, 10)).max() <= 2
    assert filled[:16].max() <= 60  # no white left
    lone = np.zeros((5, 7), np.uint8)
    lone[4, 6] = 255
    assert (fill_transparent(np.full((5, 7, 3), 9, np.uint8) * lone[..., None].astype(bool), lone)[..., 0] == 9).all()
    assert fill_transparent(rgb, np.zeros((64, 96), np.uint8)) is rgb  # nothing opaque: left as it is
