"""Animated WebP and PNG keep their transparency and every frame: a sticker's alpha came back fully opaque, and
frames that differed only in alpha (a fading sticker) collapsed into one once it was dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

from enlight.stream.apps.photo import PhotoConfig, PhotoStats, enhance_photo
from enlight.stream.core.plan import make_plan
from enlight.stream.io.animation import Animation, read_animation, write_animation
from tests.media import dark_frames

DURATIONS = [50, 60, 70, 80]
WIDTH, HEIGHT = 40, 32


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu", quality="fast")


def _sticker(path: Path, rgb: list[np.ndarray], alpha: list[np.ndarray] | None) -> Path:
    """Save (H, W, 3) ``rgb`` frames (with (H, W) ``alpha`` where given) as an animation with DURATIONS."""
    modes = [np.dstack([c, a]) for c, a in zip(rgb, alpha, strict=True)] if alpha is not None else rgb
    pictures = [Image.fromarray(frame) for frame in modes]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=DURATIONS, loop=0)
    return path


def _alphas(moving: bool) -> list[np.ndarray]:
    """4 alpha planes: a clear band and a half-clear band, moving down frame by frame (``moving``) or growing."""
    planes = []
    for k in range(4):
        a = np.full((HEIGHT, WIDTH), 255, np.uint8)
        if moving:
            a[4 * k:4 * k + 6] = 0
            a[4 * k + 6:4 * k + 12] = 100
        else:
            a[:6 * (k + 1)] = 0
        planes.append(a)
    return planes


def _frames(path: Path) -> tuple[list[np.ndarray], list[int]]:
    """The (H, W, 4) RGBA frames of an animated file and their durations, as Pillow composites them."""
    frames, durations = [], []
    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            frames.append(np.asarray(frame.convert("RGBA")).copy())
            durations.append(int(frame.info.get("duration", 0)))
    return frames, durations


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_an_animation_keeps_each_frames_alpha(suffix, tmp_path, plan):
    """Alpha that moves from frame to frame comes back as it was (copied, not enhanced), with 4 frames and
    their durations; the RGB is enhanced."""
    rgb, alpha = dark_frames(4, WIDTH, HEIGHT), _alphas(moving=True)
    source = _sticker(tmp_path / f"sticker{suffix}", rgb, alpha)
    stats = enhance_photo(PhotoConfig(source, tmp_path / f"day{suffix}", plan=plan))
    frames, durations = _frames(tmp_path / f"day{suffix}")
    assert len(frames) == 4 and durations == DURATIONS and "animation of 4 frames" in stats.summary()
    for frame, a, c in zip(frames, alpha, rgb, strict=True):
        assert np.array_equal(frame[..., 3], a)  # WebP too: alpha_quality 100 keeps the alpha plane lossless
        assert frame[a > 0, :3].astype(float).mean() > c[a > 0].mean() + 5


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_frames_that_differ_only_in_alpha_stay_frames(suffix, tmp_path, plan):
    """A fading sticker: the same RGB in every frame, a growing clear region; it came out as one opaque frame."""
    rgb, alpha = [dark_frames(1, WIDTH, HEIGHT)[0]] * 4, _alphas(moving=False)
    source = _sticker(tmp_path / f"fade{suffix}", rgb, alpha)
    enhance_photo(PhotoConfig(source, tmp_path / f"day{suffix}", plan=plan))
    frames, durations = _frames(tmp_path / f"day{suffix}")
    assert len(frames) == 4 and durations == DURATIONS
    assert all(np.array_equal(frame[..., 3], a) for frame, a in zip(frames, alpha, strict=True))


def test_an_opaque_animation_stays_opaque_rgb(tmp_path):
    """No frame with transparency: read without alpha and written as RGB."""
    source = _sticker(tmp_path / "clip.png", dark_frames(4, WIDTH, HEIGHT), None)
    animation = read_animation(source)
    assert animation.alpha is None and animation.frames.shape == (4, HEIGHT, WIDTH, 3)
    write_animation(tmp_path / "out.png", animation.frames, animation)
    with Image.open(tmp_path / "out.png") as image:
        assert image.mode == "RGB" and image.n_frames == 4


@pytest.mark.parametrize("alpha", [False, True])
def test_an_apng_keeps_identical_frames(alpha, tmp_path):
    """Pillow merges a frame identical to the one before into it (their durations added) when it writes an
    APNG; every frame given is kept, so the count and each duration stay the input's."""
    still = dark_frames(1, WIDTH, HEIGHT)[0]
    other = 255 - still
    rgb = [still, still, other, other]
    planes = [np.full((HEIGHT, WIDTH), 120, np.uint8)] * 4 if alpha else None
    frames = np.stack(rgb)
    animation = Animation(frames, tuple(DURATIONS), 0, alpha=None if planes is None else np.stack(planes))
    write_animation(tmp_path / "out.png", frames, animation)
    written, durations = _frames(tmp_path / "out.png")
    assert len(written) == 4 and durations == DURATIONS
    assert all(np.array_equal(w[..., :3], c) for w, c in zip(written, rgb, strict=True))
    opaque = [np.full((HEIGHT, WIDTH), 255, np.uint8)] * 4
    assert all(np.array_equal(w[..., 3], a) for w, a in zip(written, planes or opaque, strict=True))


def test_the_summary_says_when_the_webp_encoder_merged_frames():
    """libwebp merges a frame identical to the one before (their durations added) and Pillow cannot stop it: the
    summary says how many frames the file holds rather than claim the input's."""
    stats = PhotoStats(width=40, height=32, bits=8, wall_s=1.0, output=Path("day.webp"), backend="torch",
                       colour="colour", count=4, merged=2)
    assert "animation of 4 frames, written as 2 (identical frames merged, their durations added)" in stats.summary()
    still = PhotoStats(width=40, height=32, bits=8, wall_s=1.0, output=Path("day.webp"), backend="torch",
                       colour="colour", count=4, merged=3)
    assert "animation of 4 frames, written as 1 (identical frames merged)" in still.summary()


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_identical_frames_are_kept_or_counted_as_written(suffix, tmp_path, plan):
    """An APNG of 4 identical frames (which Pillow alone would write as one): a PNG out keeps the 4 with their
    durations; a WebP out may hold fewer (libwebp merges them) and the summary says how many it holds."""
    still = dark_frames(1, WIDTH, HEIGHT)[0]
    frames = np.stack([still] * 4)
    write_animation(tmp_path / "same.png", frames, Animation(frames, tuple(DURATIONS), 0))
    assert len(_frames(tmp_path / "same.png")[0]) == 4
    stats = enhance_photo(PhotoConfig(tmp_path / "same.png", tmp_path / f"day{suffix}", plan=plan))
    written, durations = _frames(tmp_path / f"day{suffix}")
    if suffix == ".png":
        assert len(written) == 4 and durations == DURATIONS and "written as" not in stats.summary()
    else:
        assert stats.count - stats.merged == len(written)
        assert ("written as" in stats.summary()) == (len(written) < 4)


def test_cli_sticker_keeps_its_alpha(tmp_path, cli, weights):
    """``enlight-video in.png -o out.png --quality fast`` on a transparent APNG: RGBA frames out."""
    source = _sticker(tmp_path / "in.png", dark_frames(4, WIDTH, HEIGHT), _alphas(moving=True))
    result = cli(source, "-o", tmp_path / "out.png", "--weights", weights, "--device", "cpu", "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "animation of 4 frames" in result.stderr
    frames, _ = _frames(tmp_path / "out.png")
    assert [np.array_equal(f[..., 3], a) for f, a in zip(frames, _alphas(moving=True), strict=True)] == [True] * 4


def test_an_apngs_text_chunks_are_kept_and_a_webp_names_them(tmp_path, plan):
    """An animated PNG's text (a title, an iTXt in another language) went nowhere: it is written into an APNG
    output, and an animated WebP's summary names it as not kept."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Title", "dusk loop")
    info.add_itxt("Description", "Abenddämmerung", lang="de", tkey="Beschreibung")
    pictures = [Image.fromarray(frame) for frame in dark_frames(4, WIDTH, HEIGHT)]
    source = tmp_path / "loop.png"
    pictures[0].save(source, save_all=True, append_images=pictures[1:], duration=DURATIONS, loop=0, pnginfo=info)
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan))
    with Image.open(tmp_path / "day.png") as out:
        assert out.n_frames == 4 and out.text == {"Title": "dusk loop", "Description": "Abenddämmerung"}
        assert out.text["Description"].lang == "de"
    assert "not kept" not in stats.summary()
    webp = enhance_photo(PhotoConfig(source, tmp_path / "day.webp", plan=plan))
    assert "not kept" in webp.summary() and "PNG text (Title, Description)" in webp.summary()


@pytest.mark.parametrize("suffix", [".webp", ".png"])
def test_an_animation_into_a_still_is_refused_before_any_estimate(suffix, tmp_path, cli):
    """``enlight-video anim.webp -o z.jpg`` printed 'quality auto -> best: about 2 s for 3 frames ...' before its
    refusal; the refusal is now the only line."""
    source = _sticker(tmp_path / f"anim{suffix}", list(dark_frames(3, WIDTH, HEIGHT)), None)
    result = cli(source, "-o", tmp_path / "z.jpg")
    assert result.returncode == 2
    assert result.stderr_lines == [f"enlight-video: error: anim{suffix} is animated (3 frames); write it as .webp or "
                                   ".png to keep every frame, not .jpg"], result.stderr
    assert not (tmp_path / "z.jpg").exists()
