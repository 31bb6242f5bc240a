"""Animated-picture outputs from a video: a GIF gets a palette of its own per frame (not FFmpeg's fixed 3-3-2 bit
one), its transparency from an alpha channel, and the source's sound left out with a note (a GIF, an APNG or an
animated WebP holds the picture only: asking for one was an error whenever the video had audio); a .webp output
was refused as 'a still image'. WebP and APNG loop for ever, as GIF does."""

from __future__ import annotations

import av
import numpy as np
from PIL import Image

from enlight.stream.apps.pipeline import PipelineConfig, run
from enlight.stream.core.plan import make_plan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.stream.io.sink import EncoderConfig
from tests.media import make_clip
from tests.stream.test_alpha import N, alphas, rgba_clip


def enhance(src, out, weights, encoder=EncoderConfig()):
    plan = make_plan(weights=weights, smoothing=SmoothingConfig(strength=0), denoise="off")
    return run(PipelineConfig(input=src, output=out, plan=plan, progress=False, encoder=encoder))


def pictures(path, mode="RGB") -> np.ndarray:
    """Every frame of an animated GIF or PNG, as Pillow composes it, (N, H, W, C) float."""
    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append(np.asarray(im.convert(mode), dtype=float))
    return np.stack(out)


def with_lossless_reference(tmp_path, weights, name):
    """An 8-frame 96x64 clip with sound enhanced into ``name`` and into a lossless RGB reference: (the run's stats,
    ``name``'s frames as Pillow composes them, the reference's frames), (N, H, W, 3) float."""
    clip = make_clip(tmp_path / "night.mp4", width=96, height=64, frames=8, audio=True)
    stats = enhance(clip, tmp_path / name, weights)
    enhance(clip, tmp_path / "ref.mkv", weights, EncoderConfig(codec="ffv1", pix_fmt="bgr0"))
    with av.open(str(tmp_path / "ref.mkv")) as c:
        ref = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(float)
    return stats, pictures(tmp_path / name), ref


def test_a_gif_keeps_the_frames_colours_and_leaves_the_sound_out(tmp_path, weights):
    stats, gif, ref = with_lossless_reference(tmp_path, weights, "day.gif")
    assert any("not copied: audio #1 (aac); a .gif file holds the picture only" in n for n in stats.notes)
    assert gif.shape == ref.shape == (8, 64, 96, 3)
    # FFmpeg's default for RGB into GIF, the fixed rgb8 palette, was 17 levels off on a night frame
    assert np.abs(gif - ref).mean() < 2.5 and np.abs(gif.mean(axis=(1, 2)) - ref.mean(axis=(1, 2))).max() < 1


def test_a_gif_from_a_source_with_alpha_is_transparent_where_it_was(tmp_path, weights):
    stats = enhance(rgba_clip(tmp_path / "overlay.mov"), tmp_path / "out.gif", weights)
    assert any("kept as GIF transparency" in n for n in stats.notes)
    alpha = pictures(tmp_path / "out.gif", "RGBA")[..., 3]
    expected = np.stack(alphas()) >= 128
    assert alpha.shape[0] == N and np.array_equal(alpha > 0, expected)


def test_an_apng_from_a_video(tmp_path, weights):
    stats = enhance(rgba_clip(tmp_path / "overlay.mov"), tmp_path / "out.apng", weights)
    assert any("apng rgba" in n for n in stats.notes)
    frames = pictures(tmp_path / "out.apng", "RGBA")
    assert frames.shape[0] == N and np.array_equal(frames[..., 3], np.stack(alphas()).astype(float))


def test_an_animated_webp_from_a_video_with_sound(tmp_path, weights):
    stats, webp, ref = with_lossless_reference(tmp_path, weights, "day.webp")
    assert any("not copied: audio #1 (aac); a .webp file holds the picture only" in n for n in stats.notes)
    assert webp.shape == ref.shape and np.abs(webp - ref).mean() < 3  # lossy, at quality 90
    with Image.open(tmp_path / "day.webp") as im:
        assert im.info.get("loop") == 0  # for ever, as a GIF


def test_an_animated_webp_keeps_the_alpha_and_an_apng_loops(tmp_path, weights):
    src = rgba_clip(tmp_path / "overlay.mov")
    stats = enhance(src, tmp_path / "out.webp", weights)
    assert any("libwebp_anim" in n and "kept as it was" in n for n in stats.notes)
    alpha = pictures(tmp_path / "out.webp", "RGBA")[..., 3]
    assert alpha.shape[0] == N and np.abs(alpha - np.stack(alphas())).max() <= 2
    enhance(src, tmp_path / "out.apng", weights)
    with Image.open(tmp_path / "out.apng") as im:
        assert im.info.get("loop") == 0
