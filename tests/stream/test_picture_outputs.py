"""Animated-picture outputs from a video: a GIF gets a palette of its own per frame (not FFmpeg's fixed 3-3-2 bit
one), its transparency from an alpha channel, and the source's sound left out with a note (a GIF, an APNG or an
animated WebP holds the picture only: asking for one was an error whenever the video had audio); a .webp output
was refused as 'a still image'. WebP and APNG loop for ever, as GIF does."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.pipeline import PipelineConfig, run
from enlight.stream.core.plan import make_plan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.span import Span
from tests.media import dark_frames, make_clip
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


PAUSE_MS = [100, 100, 100, 100, 2000]  # a GIF that pauses 2 s on its last frame
STEPS_MS = [50, 100, 200, 400, 800]  # each frame twice as long as the one before


def pausing_gif(path, shown=PAUSE_MS):
    """5 dark frames of noise shown for ``shown`` milliseconds each, written by Pillow."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 60, (48, 64, 3)).astype(np.uint8)
    frames = [Image.fromarray(base + 8 * i) for i in range(len(shown))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=shown, loop=0)
    return path


def pausing_video(path, shown=PAUSE_MS):
    """The same timing in H.264 in Matroska: an ordinary video whose last frame lasts 2 s (its packet's duration)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.codec_context.flags |= av.codec.context.Flags.frame_duration
        start = 0
        for rgb, ms in zip(dark_frames(len(shown), 64, 48), shown, strict=True):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.duration, frame.time_base = start, ms, Fraction(1, 1000)
            start += ms
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def shown_for(path) -> list[int]:
    """Milliseconds each frame of an animated GIF, WebP or PNG is shown, as Pillow reads them."""
    with Image.open(path) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            im.load()
            durations.append(int(im.info["duration"]))
    return durations


@pytest.mark.parametrize("name", ["out.gif", "out.webp", "out.apng"])
def test_an_animation_keeps_its_last_frames_duration(tmp_path, weights, name):
    """The last frame was shown for one frame at the average rate (480 ms here, for 2 s), in every picture output."""
    enhance(pausing_gif(tmp_path / "pause.gif"), tmp_path / name, weights)
    assert shown_for(tmp_path / name) == PAUSE_MS


@pytest.mark.parametrize(("source", "shown"), [(pausing_gif, PAUSE_MS), (pausing_video, PAUSE_MS),
                                               (pausing_gif, STEPS_MS)])
@pytest.mark.parametrize("name", ["out.mp4", "out.mkv", "out.mov", "out.webm"])
def test_a_video_keeps_its_last_frames_duration(tmp_path, weights, source, shown, name):
    """Into a video the 2.4 s GIF came out 0.88 s long. An MP4 or MOV ends its samples with the last packet in
    decoding order, an earlier frame where the encoder reorders them: its samples' durations add up to the whole
    too (there the last frame shown lasts to the end of the track, not for its own sample's duration)."""
    src = source(tmp_path / ("in.gif" if source is pausing_gif else "in.mkv"), shown)
    enhance(src, tmp_path / name, weights)
    with av.open(str(tmp_path / name)) as c:
        stream = c.streams.video[0]
        samples = sum(p.duration for p in c.demux(stream) if p.size) * stream.time_base
    with av.open(str(tmp_path / name)) as c:
        frames = list(c.decode(video=0))
        assert c.duration == pytest.approx(1000 * sum(shown), abs=20_000)
    assert float(samples) == pytest.approx(sum(shown) / 1000, abs=0.02)
    starts = [float(f.time) - float(frames[0].time) for f in frames]
    assert starts == pytest.approx(np.cumsum([0, *shown[:-1]]) / 1000, abs=0.002)
    if name in ("out.mkv", "out.webm"):
        assert float(frames[-1].duration * frames[-1].time_base) == pytest.approx(shown[-1] / 1000, abs=0.02)


def test_a_pause_on_the_last_frame_of_a_part_ends_with_the_part(tmp_path, weights):
    """--end 1 s on the GIF: its last frame, at 0.4 s, is shown to the part's end, not for its 2 s."""
    plan = make_plan(weights=weights, smoothing=SmoothingConfig(strength=0), denoise="off")
    run(PipelineConfig(input=pausing_gif(tmp_path / "in.gif"), output=tmp_path / "out.mkv", plan=plan, progress=False,
                       span=Span(Fraction(0), Fraction(1))))
    with av.open(str(tmp_path / "out.mkv")) as c:
        assert len(list(c.decode(video=0))) == 5 and c.duration == pytest.approx(1_000_000, abs=20_000)
