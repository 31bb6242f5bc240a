"""Colour is never lost on dark colour footage; sources without chroma (infrared) stay grey; --grey."""


import av
import numpy as np
import pytest
import torch

from enlight.models import build_generator, save_weights
from enlight.stream.io.chroma import GreyDecision, carries_chroma

REAL_NIGHT = ("night_highway_dashcam_audio_360p.mp4", "dusk_bridge_aerial_drone_720p.mp4",
              "night_street_from_window_people_rickshaws_audio.mp4")


def very_dark_colour(count: int = 8, width: int = 96, height: int = 64) -> list[np.ndarray]:
    """Almost black frames (levels 0-6) with a small red tail light and a green sign: (H, W, 3) uint8.
    The old first-frame rule (mean channel spread <= 2) called these grey."""
    rng = np.random.default_rng(1)
    frames = []
    for i in range(count):
        img = rng.integers(0, 7, (height, width, 3)).astype(np.uint8)
        img[:] = img[..., :1]  # the dark background itself is neutral
        img[40:46, 20 + i : 28 + i] = (190, 20, 25)  # tail light
        img[10:16, 70:80] = (20, 120, 40)  # road sign
        frames.append(img)
    spread = np.abs(frames[0].astype(int)[..., 0] - frames[0][..., 2]).mean()
    assert spread <= 2.0  # what the old rule looked at
    return frames


def dim_lamp_lit(width: int = 128, height: int = 96) -> np.ndarray:
    """A room lit by one dim lamp (mean level about 10): a warm wall, a blue poster, a brown box and a green plant,
    each 32x32 with neutral noise, no chroma sample more than 6 levels from neutral: (H, W, 3) uint8.
    The strays rule alone called it grey (as it did 7 of the 534 low-light training shots)."""
    rng = np.random.default_rng(3)
    img = np.empty((height, width, 3), np.int32)
    img[:] = (12, 9, 6)  # wall
    img[16:48, 16:48] = (6, 8, 13)  # poster
    img[48:80, 48:80] = (14, 10, 5)  # box
    img[16:48, 80:112] = (7, 11, 6)  # plant
    img += rng.integers(-1, 2, (height, width, 1))
    return img.clip(0, 255).astype(np.uint8)


def grey_frames(count: int = 8, width: int = 96, height: int = 64) -> list[np.ndarray]:
    """Dim monochrome frames with texture, as an infrared camera records them."""
    rng = np.random.default_rng(2)
    base = rng.integers(5, 60, (height, width, 1)).astype(np.uint8)
    return [np.repeat(np.roll(base, i, axis=1), 3, axis=-1) for i in range(count)]


def write_clip(path, frames, *, fps: int = 24):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options={"crf": "12"})
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for img in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def decoded(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def is_grey_picture(frames) -> bool:
    return all(np.abs(f.astype(int) - f[..., :1]).max() <= 2 for f in frames)


@pytest.fixture(scope="module")
def tinting_weights(tmp_path_factory):
    """A tiny generator that brightens with a red-magenta tint, so grey output is a real decision."""
    torch.manual_seed(0)
    generator = build_generator(base_channels=8).eval()
    with torch.no_grad():
        generator.conv10.weight.mul_(0.1)
        generator.conv10.bias.copy_(torch.tensor([0.6, 0.2, 0.4]))
    return save_weights(tmp_path_factory.mktemp("w") / "tint.safetensors", generator, provenance="test")


def test_chroma_check_sees_a_tail_light_in_a_black_frame():
    dark = av.VideoFrame.from_ndarray(very_dark_colour(1)[0], format="rgb24")
    grey = av.VideoFrame.from_ndarray(grey_frames(1)[0], format="rgb24")
    for fmt in ("yuv420p", "yuvj420p", "yuv444p", "nv12", "yuv420p10le", "rgb24", "gbrp"):
        assert carries_chroma(dark.reformat(format=fmt)), fmt
        assert not carries_chroma(grey.reformat(format=fmt)), fmt
    assert not carries_chroma(dark.reformat(format="gray"))


@pytest.mark.parametrize("fmt", ["rgb24", "yuv420p", "yuvj420p", "yuv444p", "nv12", "yuv420p10le", "gbrp"])
def test_chroma_check_sees_a_dim_room_lit_by_a_lamp(fmt):
    frame = av.VideoFrame.from_ndarray(dim_lamp_lit(), format="rgb24").reformat(format=fmt)
    yuv = av.VideoFrame.from_ndarray(dim_lamp_lit(), format="rgb24").reformat(format="yuv444p").to_ndarray()
    assert np.abs(yuv[1:].astype(int) - 128).max() <= 6  # under the strays' threshold everywhere
    assert carries_chroma(frame)


def test_a_grey_source_one_level_off_neutral_stays_grey():
    """Codecs leave grey sources within one code value of neutral (the surveillance clip: whole blocks at 1)."""
    grey = av.VideoFrame.from_ndarray(grey_frames(1)[0], format="rgb24").reformat(format="yuv420p")
    planes = grey.to_ndarray()  # (H * 3/2, W): Y, then U and V
    planes[grey.height:] += 1
    assert not carries_chroma(av.VideoFrame.from_ndarray(planes, format="yuv420p"))
    planes[grey.height:] += 1  # two levels off everywhere: a faint tint, kept
    assert carries_chroma(av.VideoFrame.from_ndarray(planes, format="yuv420p"))


@pytest.mark.parametrize("fmt, neutral, scale", [("yuv444p", 128, 1), ("yuv444p10le", 512, 4)])
def test_strays_count_from_the_limit_either_side_of_neutral_on_the_coded_samples(fmt, neutral, scale):
    """The check compares the coded samples (uint8, uint16) with neutral +- 6 levels, without widening them: a
    sample 6 levels off is not a stray, one 7 levels off is, below neutral as above it (an unsigned wrap would
    count every sample below neutral, or none)."""
    dtype = np.uint16 if scale > 1 else np.uint8

    def frame(offset: int) -> av.VideoFrame:
        out = av.VideoFrame(64, 64, fmt)
        for index, plane in enumerate(out.planes):
            rows = np.full((64, plane.line_size // np.dtype(dtype).itemsize), neutral, dtype)
            if index == 1:
                rows[:2, :4] = neutral + offset * scale  # 8 of 8192 chroma samples: over the 1e-4 share, one block
            plane.update(rows.tobytes())
        return out

    assert not carries_chroma(frame(6)) and not carries_chroma(frame(-6))
    assert carries_chroma(frame(7)) and carries_chroma(frame(-7))


def test_grey_decision_latches_colour_and_says_what_it_decided():
    auto = GreyDecision("auto")
    assert auto.update([False, False]) is True
    assert auto.update([False, True]) is False
    assert auto.update([False]) is False  # colour, for good
    assert auto.describe() == "colour (grey for the first 2 frames, which carried no chroma)"
    ir = GreyDecision("auto")
    ir.update([False] * 4)
    assert ir.describe() == "grey: the source carries no chroma"
    assert GreyDecision("on").update([True]) is True
    assert GreyDecision("off").update([False]) is False
    with pytest.raises(ValueError):
        GreyDecision("maybe")


def test_very_dark_colour_clip_keeps_its_colour(tmp_path, tinting_weights, cli):
    src = write_clip(tmp_path / "dark.mp4", very_dark_colour())
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", tinting_weights, "--smoothing", "0")
    assert result.returncode == 0, result.stderr
    assert ", colour)" in result.stderr_lines[-1]
    frames = decoded(out)
    assert len(frames) == 8 and not is_grey_picture(frames)
    light = np.stack([f[40:46, 22:26].astype(int) for f in frames])
    assert (light[..., 0] - light[..., 2]).mean() > 60  # the tail light is still red


def test_dim_lamp_lit_photo_comes_out_in_colour(tmp_path, cli):
    """The bundled default on the dim room: colour, the box warmer than the poster as in the input."""
    src, out = tmp_path / "room.png", tmp_path / "out.png"
    av.VideoFrame.from_ndarray(dim_lamp_lit(), format="rgb24").to_image().save(src)
    result = cli(src, "-o", out)
    assert result.returncode == 0, result.stderr
    assert ", colour)" in result.stderr_lines[-1]
    img = np.asarray(av.open(str(out)).decode(video=0).__next__().to_ndarray(format="rgb24")).astype(int)
    assert not is_grey_picture([img])
    box, poster = img[56:72, 56:72].mean(axis=(0, 1)), img[24:40, 24:40].mean(axis=(0, 1))
    assert box[0] - box[2] > 8 and poster[2] - poster[0] > 8


def test_dim_lamp_lit_clip_comes_out_in_colour(tmp_path, cli):
    """The same room as a clip (libx264, 4:2:0): colour, and the box still warmer than the poster."""
    src = write_clip(tmp_path / "room.mp4", [dim_lamp_lit()] * 6)
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert ", colour)" in result.stderr_lines[-1]
    img = decoded(out)[-1].astype(int)
    assert not is_grey_picture([img])
    box, poster = img[56:72, 56:72].mean(axis=(0, 1)), img[24:40, 24:40].mean(axis=(0, 1))
    assert (box[0] - box[2]) - (poster[0] - poster[2]) > 15


def test_grey_source_stays_grey_and_grey_off_lets_the_tint_through(tmp_path, tinting_weights, cli):
    src = write_clip(tmp_path / "ir.mp4", grey_frames())
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", tinting_weights)
    assert result.returncode == 0, result.stderr
    assert "grey: the source carries no chroma" in result.stderr_lines[-1]
    frames = decoded(out)
    assert is_grey_picture(frames) and np.mean(frames) > np.mean(decoded(src))  # grey and enhanced
    off = tmp_path / "off.mp4"
    result = cli(src, "-o", off, "--weights", tinting_weights, "--grey", "off")
    assert result.returncode == 0, result.stderr
    assert "colour (--grey off)" in result.stderr_lines[-1]
    assert not is_grey_picture(decoded(off))


def test_grey_on_makes_a_colour_clip_grey(tmp_path, tinting_weights, cli):
    src = write_clip(tmp_path / "dark.mp4", very_dark_colour())
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", tinting_weights, "--grey", "on")
    assert result.returncode == 0, result.stderr
    assert "grey (--grey on)" in result.stderr_lines[-1]
    assert is_grey_picture(decoded(out))


def test_a_grey_pixel_format_is_said_as_grey(tmp_path, tinting_weights, cli):
    """--pix-fmt gray writes a grey video; the summary said 'colour'."""
    src = write_clip(tmp_path / "dark.mp4", very_dark_colour())
    out = tmp_path / "out.mkv"
    result = cli(src, "-o", out, "--weights", tinting_weights, "--codec", "ffv1", "--pix-fmt", "gray")
    assert result.returncode == 0, result.stderr
    assert "grey (--pix-fmt)" in result.stderr_lines[-1] and "colour" not in result.stderr_lines[-1]


def _first_frames(path, count: int) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return [f for _, f in zip(range(count), container.decode(video=0), strict=False)]


@pytest.mark.parametrize("name", REAL_NIGHT)
def test_real_night_colour_frames_carry_chroma(shared, name):
    path = shared / "data" / "video" / "real_night" / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    assert all(carries_chroma(f) for f in _first_frames(path, 8))


def test_infrared_surveillance_frames_carry_none(shared):
    path = shared / "data" / "video" / "surveillance_night.mp4"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    assert not any(carries_chroma(f) for f in _first_frames(path, 8))


@pytest.mark.parametrize("number", [1322, 1333, 1334, 1335, 1341, 1352, 1653])
def test_dim_colour_training_shots_carry_chroma(shared, number):
    """The low-light training shots (SICE) that the strays rule alone called grey."""
    path = shared / "data" / "train" / "low" / f"sice_{number}.jpg"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    assert carries_chroma(frame.reformat(format="rgb24"))


def test_real_dark_dashcam_clip_comes_out_in_colour(shared, tmp_path, cli):
    """The bundled fast preset on the first 10 frames of the real, very dark dashcam clip: red tail
    lights stay red (the reported bug wrote U = V = 128 in every frame)."""
    path = shared / "data" / "video" / "real_night" / REAL_NIGHT[0]
    if not path.is_file():
        pytest.skip(f"{path} not found")
    frames = [f.to_ndarray(format="rgb24") for f in _first_frames(path, 10)]
    src = write_clip(tmp_path / "dashcam10.mp4", frames, fps=30)
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert ", colour)" in result.stderr_lines[-1]
    before, after = np.stack(decoded(src)).astype(int), np.stack(decoded(out)).astype(int)
    red = (before[..., 0] - before[..., 2]) > 40  # tail lights and other red lamps
    assert red.sum() > 50
    assert (after[..., 0] - after[..., 2])[red].mean() > 30
    assert not is_grey_picture(list(after))


@pytest.mark.parametrize("size", [(1, 1), (2, 1), (1, 2)])
def test_a_photo_of_one_or_two_coloured_pixels_keeps_its_colour(size, tmp_path, cli):
    """A 1x1 red photo has two chroma samples, under the three strays colour needed: it came out grey."""
    width, height = size
    src, out = tmp_path / "red.png", tmp_path / "out.png"
    red = np.full((height, width, 3), (120, 20, 20), np.uint8)
    av.VideoFrame.from_ndarray(red, format="rgb24").to_image().save(src)
    result = cli(src, "-o", out, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert ", colour)" in result.stderr_lines[-1]
    red, green, blue = np.asarray(av.open(str(out)).decode(video=0).__next__().to_ndarray(format="rgb24"))[0, 0]
    assert int(red) - int(green) > 30 and int(red) - int(blue) > 30
