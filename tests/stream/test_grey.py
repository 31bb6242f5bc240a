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
