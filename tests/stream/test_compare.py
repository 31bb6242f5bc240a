"""``--compare split|side``: the original written with the enhanced video, to judge it on one's own footage."""

from __future__ import annotations

import numpy as np
import pytest

from enlight.stream.apps.compare import LINE_LEVEL, Compare
from tests.media import make_clip, read_video

LOSSLESS = ("--crf", "0", "--pix-fmt", "yuv444p", "--smoothing", "0", "--denoise", "off")


def test_split_and_side_hold_the_original_and_the_enhanced_frames(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "night.mp4", width=96, height=64, frames=6, audio=True)
    plain, split, side = tmp_path / "plain.mkv", tmp_path / "split.mkv", tmp_path / "side.mkv"
    assert cli(clip, "-o", plain, "--weights", weights, *LOSSLESS).returncode == 0
    for out, mode in ((split, "split"), (side, "side")):
        result = cli(clip, "-o", out, "--weights", weights, "--compare", mode, *LOSSLESS)
        assert result.returncode == 0, result.stderr
    source, after = read_video(clip)["images"], read_video(plain)["images"]
    halves, pairs = read_video(split), read_video(side)
    assert (halves["width"], pairs["width"], pairs["height"]) == (96, 192, 64)
    assert len(halves["audio_packets"]) == len(read_video(clip)["audio_packets"])
    for i in (0, 5):
        assert np.abs(halves["images"][i][:, 50:].astype(int) - after[i][:, 50:]).mean() < 1.0
        assert np.abs(halves["images"][i][:, :46].astype(int) - source[i][:, :46]).mean() < 3.0
        assert np.abs(halves["images"][i][:, 47:49].astype(int) - LINE_LEVEL).mean() < 3.0
        assert np.abs(pairs["images"][i][:, :96].astype(int) - source[i]).mean() < 3.0
        assert np.abs(pairs["images"][i][:, 96:].astype(int) - after[i]).mean() < 1.0
    assert np.mean(after[0]) > np.mean(source[0]) + 10  # the two halves differ


def test_a_portrait_clip_stands_side_by_side_as_it_plays(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "phone.mp4", width=96, height=64, frames=3, rotation=-90, audio=False)
    out = tmp_path / "side.mp4"
    assert cli(clip, "-o", out, "--weights", weights, "--compare", "side").returncode == 0
    info = read_video(out)
    assert (info["width"], info["height"]) == (96, 128) and info["rotation"] == read_video(clip)["rotation"]
    matrix = (0, 65536, 0, -65536, 0, 0, 0, 0, 1073741824)  # a quarter turn
    compose = Compare("side", matrix)
    before, after = np.zeros((64, 96, 3), np.uint8), np.full((64, 96, 3), 200, np.uint8)
    shown = compose.turn(compose(before, after))
    assert shown.shape == (96, 128, 3) and shown[:, :64].max() == 0 and shown[:, 64:].min() == 200


def test_compare_is_refused_where_it_cannot_apply(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "night.mp4", frames=4, audio=False)
    for args, message in ((("--camera", clip, "--no-window"), "--compare is for what a live run writes"),):
        result = cli(*args, "--compare", "split", "--weights", weights)
        assert result.returncode == 2 and message in result.stderr and len(result.stderr_lines) == 1, result.stderr


@pytest.mark.parametrize("mode, width", [("side", 128), ("split", 64)])
def test_a_live_recording_and_stream_out_have_the_original_beside_the_enhanced_picture(tmp_path, weights, cli,
                                                                                      mode, width):
    """A webcam user judging the enhancement live could not record it beside the original (--compare was refused
    with --camera): -o and --record now get what the mode writes for a file."""
    clip = make_clip(tmp_path / "cam.mp4", frames=30, audio=False)
    record, out = tmp_path / "r.mp4", tmp_path / "o.mkv"
    result = cli("--camera", clip, "--no-window", "--max-frames", "6", "--record", record, "-o", out,
                 "--compare", mode, "--weights", weights, timeout=120)
    assert result.returncode == 0, result.stderr
    source = read_video(clip)["images"][0].astype(int)
    for path in (record, out):
        info = read_video(path)
        assert (info["width"], info["height"]) == (width, 48) and len(info["times"]) == 6
        first = info["images"][0].astype(int)
        before = first[:, :24]  # the left quarter: the original's in both modes, within the codec's error
        assert abs(before.mean() - source[:, :24].mean()) < 3, (before.mean(), source[:, :24].mean())
        assert first[:, -24:].mean() > source[:, -24:].mean() + 10  # the right quarter enhanced


def test_a_photo_with_its_original(tmp_path, weights, cli):
    from PIL import Image

    from tests.media import dark_frames

    rgb = dark_frames(1, 64, 48)[0]
    image = Image.fromarray(rgb)
    exif = image.getexif()
    exif.get_ifd(0x8769)[0xA002], exif.get_ifd(0x8769)[0xA003] = 64, 48  # PixelXDimension, PixelYDimension
    image.save(tmp_path / "dusk.jpg", exif=exif.tobytes(), quality=98)
    result = cli(tmp_path / "dusk.jpg", "-o", tmp_path / "side.jpg", "--compare", "side", "--weights", weights)
    assert result.returncode == 0, result.stderr
    side = Image.open(tmp_path / "side.jpg")
    assert side.size == (128, 48) and side.getexif().get_ifd(0x8769)[0xA002] == 128
    pixels, original = np.asarray(side).astype(int), np.asarray(Image.open(tmp_path / "dusk.jpg")).astype(int)
    assert np.abs(pixels[:, :64] - original).mean() < 3 and pixels[:, 64:].mean() > original.mean() + 10
    deep = (np.linspace(2000, 9000, 64 * 48 * 3).reshape(48, 64, 3)).astype(np.uint16)
    import av

    frame = av.VideoFrame.from_ndarray(deep, format="rgb48le")
    with av.open(str(tmp_path / "ramp.png"), "w") as out:
        stream = out.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "rgb48be"
        out.mux(stream.encode(frame.reformat(format="rgb48be")))
        out.mux(stream.encode())
    result = cli(tmp_path / "ramp.png", "-o", tmp_path / "split.png", "--compare", "split", "--weights", weights)
    assert result.returncode == 0, result.stderr
    with av.open(str(tmp_path / "split.png")) as back:
        split = next(back.decode(video=0)).to_ndarray(format="rgb48le").astype(int)
    assert split.shape == (48, 64, 3)
    assert np.abs(split[:, :31] - deep[:, :31]).max() <= 1  # the original, at 16 bits
    assert np.abs(split[:, 31:33] - LINE_LEVEL * 257).max() == 0


def test_an_animated_picture_refuses_compare(tmp_path, weights, cli):
    from PIL import Image

    from tests.media import dark_frames

    frames = [Image.fromarray(f) for f in dark_frames(3, 32, 24)]
    frames[0].save(tmp_path / "loop.webp", save_all=True, append_images=frames[1:], duration=100)
    result = cli(tmp_path / "loop.webp", "-o", tmp_path / "o.webp", "--compare", "side", "--weights", weights)
    assert result.returncode == 2 and "animated picture" in result.stderr and len(result.stderr_lines) == 1


def test_a_transparent_overlay_keeps_its_alpha_beside_itself(tmp_path, weights, cli):
    """--compare side of a video with an alpha channel failed: the alpha stayed one picture wide."""
    import av

    from tests.stream.test_alpha import alphas, rgba_clip

    clip = rgba_clip(tmp_path / "overlay.mov")
    out = tmp_path / "side.mov"
    result = cli(clip, "-o", out, "--compare", "side", "--weights", weights)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgba")
    width = alphas()[0].shape[1]
    assert first.shape[1] == 2 * width
    assert np.array_equal(first[..., 3], np.concatenate([alphas()[0], alphas()[0]], axis=1))
