"""A video's alpha channel (transparency) is kept where the output can hold it, copied and not enhanced, and the
summary says when it was not; an RGB source written as YUV is tagged with the matrix it was converted with."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.pipeline import PipelineConfig, run
from enlight.stream.core.plan import make_plan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.stream.io.alpha import alpha_candidates, alpha_encoders, has_alpha
from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.frames import MATRIX_RGB, RANGE_LIMITED, ColorInfo, frame_to_rgb
from enlight.stream.io.source import VideoSource
from enlight.stream.io.source_items import DecodedFrame
from tests.media import dark_frames

W, H, N = 64, 48, 6


def alphas() -> list[np.ndarray]:
    """(H, W) uint8 per frame: a ramp from transparent to opaque that moves, a hole in the middle."""
    out = []
    for i in range(N):
        a = np.tile(np.linspace(0, 255, W), (H, 1))
        a = np.roll(a, 3 * i, axis=1).astype(np.uint8)
        a[16:32, 24:40] = 0
        out.append(a)
    return out


def rgba_clip(path: Path, codec: str = "png", pix_fmt: str = "rgba", alpha: bool = True) -> Path:
    """N dark frames (an overlay's colours) with ``alphas()``, at 24 fps, in ``codec`` / ``pix_fmt``; an RGB
    ``pix_fmt`` is tagged as RGB (matrix 0, full range), as FFmpeg tags what it writes from RGB."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=24)
        stream.width, stream.height, stream.pix_fmt = W, H, pix_fmt
        if not pix_fmt.startswith("yuv"):
            stream.codec_context.colorspace, stream.codec_context.color_range = MATRIX_RGB, 2
        for i, (rgb, a) in enumerate(zip(dark_frames(N, W, H), alphas(), strict=True)):
            pixels = np.dstack([rgb, a]) if alpha else rgb
            frame = av.VideoFrame.from_ndarray(pixels, format="rgba" if alpha else "rgb24").reformat(format=pix_fmt)
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def frames_of(path: Path) -> tuple[VideoSource, list[DecodedFrame]]:
    with VideoSource(path) as source:
        return source, [item for item in source if isinstance(item, DecodedFrame)]


def plain_rgb(path: Path) -> np.ndarray:
    """(N, H, W, 3) RGB as the file's tags say (without the source's chroma floor, which a YUV file gets)."""
    with av.open(str(path)) as c:
        return np.stack([frame_to_rgb(f, ColorInfo.from_frame(f)) for f in c.decode(video=0)]).astype(float)


def enhance(src: Path, out: Path, weights: Path, encoder: EncoderConfig = EncoderConfig()):
    plan = make_plan(weights=weights, smoothing=SmoothingConfig(strength=0), denoise="off")
    return run(PipelineConfig(input=src, output=out, plan=plan, progress=False, encoder=encoder))


def test_alpha_formats_and_choices():
    assert has_alpha("rgba") and has_alpha("yuva444p10le") and has_alpha("ya8")
    assert not has_alpha("yuv420p") and not has_alpha("pal8") and not has_alpha("bgr0") and not has_alpha("nonsense")
    assert alpha_candidates("rgba")[:3] == ["rgba", "bgra", "argb"]  # an RGB source: RGB formats first
    assert alpha_candidates("yuva444p10le")[:2] == ["yuva444p10le", "yuva420p"]
    assert alpha_encoders("qtrle", "mov") == ["qtrle", "prores_ks"]  # the source's own, then ProRes 4444
    assert alpha_encoders("png", "webm")[:2] == ["png", "libvpx-vp9"]  # (the sink skips what WebM does not take)
    assert alpha_encoders("vp9", "mov") == ["prores_ks"]  # VP9's alpha needs Matroska's BlockAdditional
    assert alpha_encoders("png", "mp4") == []  # an .mp4 stays H.264


def test_a_png_overlay_keeps_its_alpha_exactly_and_its_colour_is_enhanced(tmp_path, weights):
    src = rgba_clip(tmp_path / "overlay.mov")
    stats = enhance(src, tmp_path / "out.mov", weights)
    source, frames = frames_of(tmp_path / "out.mov")
    assert source.info.alpha and len(frames) == N
    _, before = frames_of(src)
    for a, b, expected in zip(before, frames, alphas(), strict=True):
        assert np.array_equal(b.alpha, expected)  # PNG is lossless: copied exactly
        assert np.abs(b.rgb.astype(int) - a.rgb).mean() > 2  # the colour went through the network
    assert any("alpha channel (transparency) is kept" in note and "png rgba" in note for note in stats.notes)


def test_vp9_alpha_in_webm_is_read_and_written(tmp_path, weights):
    """VP9 keeps alpha as a side bitstream that only libvpx's decoder reads: the source opens it for a track
    tagged alpha_mode 1, and the output (WebM, from a PNG overlay) carries one again."""
    stats = enhance(rgba_clip(tmp_path / "overlay.mov"), tmp_path / "out.webm", weights)
    assert any("libvpx-vp9 yuva420p" in note for note in stats.notes)
    with av.open(str(tmp_path / "out.webm")) as c:
        assert c.streams.video[0].metadata.get("alpha_mode") == "1"
    source, frames = frames_of(tmp_path / "out.webm")
    assert source.info.alpha and len(frames) == N
    for frame, expected in zip(frames, alphas(), strict=True):
        assert np.abs(frame.alpha.astype(int) - expected).mean() < 3  # VP9 is lossy, the alpha too
    # and a WebM with alpha as the input: its alpha reaches the output (here ProRes 4444 in .mov)
    again = enhance(tmp_path / "out.webm", tmp_path / "again.mov", weights)
    assert any("prores_ks yuva444p10le" in note for note in again.notes)
    _, kept = frames_of(tmp_path / "again.mov")
    assert all(np.abs(k.alpha.astype(int) - f.alpha).max() <= 2 for k, f in zip(kept, frames, strict=True))


def test_vp8_keeps_the_alpha_too(tmp_path, weights):
    """--codec libvpx (VP8) into WebM with an alpha source: the encoder refused to open ('Invalid argument')
    until its alt-ref frames are off; the alpha is read back through libvpx's VP8 decoder."""
    stats = enhance(rgba_clip(tmp_path / "overlay.mov"), tmp_path / "out.webm", weights, EncoderConfig(codec="libvpx"))
    assert any("libvpx yuva420p" in note for note in stats.notes)
    source, frames = frames_of(tmp_path / "out.webm")
    assert source.info.alpha and len(frames) == N
    assert all(np.abs(f.alpha.astype(int) - a).mean() < 3 for f, a in zip(frames, alphas(), strict=True))


@pytest.mark.parametrize(("name", "encoder", "why"), [
    ("out.mp4", EncoderConfig(), "libx264 in a .mp4 file cannot hold it"),
    ("out.mov", EncoderConfig(pix_fmt="yuv420p", codec="libx264"), "libx264 in a .mov file cannot hold it"),
])
def test_where_the_alpha_cannot_be_kept_the_summary_says_so(tmp_path, weights, name, encoder, why):
    stats = enhance(rgba_clip(tmp_path / "overlay.mov"), tmp_path / name, weights, encoder)
    source, frames = frames_of(tmp_path / name)
    assert not source.info.alpha and len(frames) == N
    assert any("was not kept" in note and why in note for note in stats.notes)


def test_an_alpha_capable_codec_asked_for_a_format_without_alpha_says_so(tmp_path, weights):
    stats = enhance(rgba_clip(tmp_path / "overlay.mov"), tmp_path / "out.mkv", weights,
                    EncoderConfig(codec="ffv1", pix_fmt="yuv444p"))
    assert any("--pix-fmt yuv444p has none" in note for note in stats.notes)


@pytest.mark.parametrize("name", ["out.webm", "out.mp4"])
def test_an_rgb_source_written_as_yuv_is_tagged_with_its_yuv_matrix(tmp_path, weights, name):
    """An RGB source (FFV1 RGB, as from a screen recorder or an editor) written as 4:2:0: VP9 refused frames
    tagged with the RGB matrix (an internal error), and an H.264 file was tagged 'gbr' over YUV planes, which a
    player that believes the tag shows in the wrong colours. Its colours match a lossless RGB output's."""
    src = rgba_clip(tmp_path / "rgb.mkv", codec="ffv1", pix_fmt="bgr0", alpha=False)
    enhance(src, tmp_path / name, weights)
    enhance(src, tmp_path / "ref.mkv", weights, EncoderConfig(codec="ffv1", pix_fmt="bgr0"))
    with av.open(str(tmp_path / name)) as c:
        ctx = c.streams.video[0].codec_context
        assert ctx.format.name.startswith("yuv") and int(ctx.colorspace) not in (MATRIX_RGB, 2)
        assert int(ctx.color_range) == RANGE_LIMITED
    out, ref = plain_rgb(tmp_path / name), plain_rgb(tmp_path / "ref.mkv")
    assert len(out) == N
    means = [frames.mean(axis=(1, 2)) for frames in (out, ref)]  # (N, 3) per frame
    assert np.abs(means[0] - means[1]).max() < 2  # no cast, no shift (the planes read as another matrix: 10s)


def ffmpeg_gif(path: Path) -> Path:
    """N dark frames as FFmpeg's GIF encoder writes them (fully opaque: each frame after the first draws what
    changed and marks the rest transparent, to be drawn over the frame before)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("gif", rate=10)
        stream.width, stream.height, stream.pix_fmt = W, H, "rgb8"
        for i, rgb in enumerate(dark_frames(N, W, H)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="rgb8")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def pillow_gif(path: Path, count: int, *, hole_at: int | None = None, **options) -> Path:
    """``count`` frames of dark palette colours (palette entry 0, black, used nowhere), saved by Pillow with
    ``options`` (transparency=0: entry 0 is the transparent one); frame ``hole_at`` has its left third at entry 0."""
    rng = np.random.default_rng(1)
    palette = [0, 0, 0, *(int(v) for v in rng.integers(0, 80, 255 * 3))]
    pictures = []
    for i in range(count):
        index = rng.integers(1, 256, (H, W)).astype(np.uint8)
        if i == hole_at:
            index[:, :W // 3] = 0
        picture = Image.fromarray(index, "P")
        picture.putpalette(palette)
        pictures.append(picture)
    pictures[0].save(path, save_all=True, append_images=pictures[1:], optimize=False, **options)
    return path


GIFS = {  # name: (what makes it, whether any of its pixels is transparent)
    "ffmpeg": (lambda path: ffmpeg_gif(path), False),
    "still": (lambda path: pillow_gif(path, 1), False),
    # frames disposed to the background, each covering the whole picture again: opaque throughout
    "disposed": (lambda path: pillow_gif(path, 3, transparency=0, disposal=2, duration=100), False),
    "clear first": (lambda path: pillow_gif(path, 1, hole_at=0, transparency=0), True),
    # opaque until the third frame, whose left third shows through to the cleared background
    "clear later": (lambda path: pillow_gif(path, 3, hole_at=2, transparency=0, disposal=2, duration=100), True),
}


@pytest.mark.parametrize("kind", GIFS)
def test_a_gif_has_an_alpha_channel_only_where_its_pixels_are_transparent(tmp_path, weights, kind):
    """FFmpeg's GIF decoder gives bgra for every GIF: an opaque one was written as ProRes 4444 with alpha into
    .mov (1.1 MB for a 48 KB GIF) with a note that the alpha was kept. Its alpha is what decides, also where it
    becomes transparent only on a later frame."""
    make, transparent = GIFS[kind]
    src = make(tmp_path / "in.gif")
    source, frames = frames_of(src)
    assert source.info.alpha is transparent and all((f.alpha is not None) is transparent for f in frames)
    assert has_alpha(source.info.pix_fmt) is transparent
    if transparent:
        hole = 0 if kind == "clear first" else 2
        assert not frames[hole].alpha[:, :W // 3].any() and (frames[0].alpha[:, W // 3:] == 255).all()
    stats = enhance(src, tmp_path / "out.mov", weights)
    with av.open(str(tmp_path / "out.mov")) as c:
        assert c.streams.video[0].codec_context.name == ("prores" if transparent else "h264")
    assert any("alpha" in note for note in stats.notes) is transparent


@pytest.mark.parametrize(("name", "codec"), [("out.mkv", "h264"), ("out.mp4", "h264"), ("out.gif", "gif")])
def test_an_opaque_gif_gets_no_alpha_notes_nor_an_alpha_codec(tmp_path, weights, name, codec):
    """An opaque GIF into .mkv was VP9 with alpha; into .mp4 it said the alpha was not kept, into .gif that it
    was kept as GIF transparency."""
    stats = enhance(ffmpeg_gif(tmp_path / "in.gif"), tmp_path / name, weights)
    with av.open(str(tmp_path / name)) as c:
        assert c.streams.video[0].codec_context.name == codec
    assert not any("alpha" in note for note in stats.notes)
