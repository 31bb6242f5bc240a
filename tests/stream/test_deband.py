"""The deband step before the model (``enlight.ops.deband``, ``--deband``): a dark ramp kept by a codec as flat blocks
comes back as the ramp, texture, noise, edges and bright regions are left as they are, its torch and OpenCV forms
agree, the plan, the enhancer and the command line carry it, and a real low-bitrate clip and a real low-quality JPEG
lose their block grid (a 16-bit photo is left as it is)."""

import sys
from dataclasses import replace
from fractions import Fraction

import av
import cv2
import numpy as np
import torch
from PIL import Image

from enlight.ops import simd
from enlight.ops.deband import RADIUS, dither
from enlight.ops.deband_frames import deband as deband_torch
from enlight.quality.blocks import block_ratio
from enlight.stream.core.plan import make_plan
from tests.media import make_clip, read_video


def ramp(height: int, width: int) -> np.ndarray:
    """(H, W) float64: a dark smooth gradient, 12 to 18 levels."""
    y, x = np.mgrid[0:height, 0:width]
    return 12 + 4 * x / width + 2 * y / height


def blocky(levels: np.ndarray, block: int = 8) -> np.ndarray:
    """(H, W, 3) uint8 grey: ``levels`` as a low-bitrate codec keeps them, each block at its mean, rounded."""
    h, w = levels.shape
    means = levels.reshape(h // block, block, w // block, block).mean((1, 3))
    codes = np.rint(np.repeat(np.repeat(means, block, 0), block, 1))
    return np.repeat(codes[..., None], 3, -1).astype(np.uint8)


def local_mean(frame: np.ndarray) -> np.ndarray:
    return cv2.blur(frame[..., 0].astype(np.float32), (5, 5))


def test_blocks_in_the_dark_come_back_as_the_ramp():
    truth = ramp(64, 96)
    frame = blocky(truth)
    out, changed = simd.deband(frame[None])
    assert changed == 1 and out.dtype == np.uint8 and out.shape == (1, 64, 96, 3)
    out = out[0]
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()  # one offset: grey stays grey
    inner = (slice(8, -8), slice(8, -8))
    before = np.abs(local_mean(frame) - truth)[inner].mean()
    after = np.abs(local_mean(out) - truth)[inner].mean()
    assert after < 0.5 * before, (before, after)
    assert abs(float(out.mean()) - float(frame.mean())) < 0.1  # no brightness moved
    assert np.abs(out.astype(int) - frame).max() <= 2


def test_texture_noise_bright_regions_and_small_frames_are_left_bit_for_bit():
    rng = np.random.default_rng(1)
    texture = rng.integers(6, 20, (1, 64, 96, 3), dtype=np.uint8)
    bright = blocky(ramp(64, 96) + 100)[None]
    small = blocky(ramp(8, 8), block=4)[None]
    for batch in (texture, bright, small):
        out, changed = simd.deband(batch)
        assert out is batch and changed == 0
    mixed = np.concatenate([blocky(ramp(64, 64)), texture[0, :, :64]], 1)[None]
    out, changed = simd.deband(mixed)
    assert changed == 1 and not np.array_equal(out[0, :, :48], mixed[0, :, :48])
    far = 64 + 2 * RADIUS
    assert np.array_equal(out[0, :, far:], mixed[0, :, far:])  # the textured half, beyond the windows' reach


def test_edges_between_flat_regions_are_kept():
    frame = np.full((48, 64, 3), 10, np.uint8)
    frame[:, 32:] = 22
    out = simd.deband(frame[None])[0][0].astype(int)
    assert (out[:, 32] - out[:, 31]).mean() > 10  # the 12-level edge
    assert np.array_equal(out[:, :32 - 2 * RADIUS], frame[:, :32 - 2 * RADIUS])  # flat: nothing to smooth


def test_torch_and_opencv_forms_agree_and_strips_are_the_whole_frame():
    frames = np.stack([blocky(ramp(304, 96)), blocky(ramp(304, 96)[::-1].copy())])  # taller than CACHED_ROWS
    assert frames.shape[1] > simd.CACHED_ROWS
    cpu, changed = simd.deband(frames)
    uint8, changed_torch = deband_torch(torch.from_numpy(frames))
    assert changed == changed_torch == 2
    diff = np.abs(cpu.astype(int) - uint8.numpy())
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
    floats, _ = deband_torch(torch.from_numpy(frames).float())
    assert floats.dtype == torch.float32 and not torch.equal(floats, floats.round())  # float: not rounded
    assert (floats - torch.from_numpy(cpu).float()).abs().max() <= 1.0
    again, _ = simd.deband(frames[:1])
    assert np.array_equal(again[0], cpu[0])  # the dither is fixed: the same frame, the same output


def test_the_dither_is_a_fixed_zero_mean_pattern():
    pattern = dither(32, 48)
    assert pattern is dither(32, 48) and not pattern.flags.writeable
    assert pattern.shape == (32, 48) and pattern.min() >= -0.5 and pattern.max() < 0.5
    assert abs(float(pattern.mean())) < 0.05 and pattern.std() > 0.25


def test_the_plan_carries_it_and_the_command_line_asks_for_it(tmp_path, cli):
    assert make_plan().deband is False  # the API's default; the command line asks for it
    assert make_plan(deband=True).deband is True
    clip = make_clip(tmp_path / "clip.mp4", frames=2)
    for args, shown in (((), "deband: on"), (("--deband", "off"), "deband: off")):
        result = cli(clip, "-o", tmp_path / "x.mp4", "--quality", "fast", "--dry-run", *args)
        assert result.returncode == 0 and shown in result.stdout, result.stdout
    bad = cli(clip, "-o", tmp_path / "x.mp4", "--deband", "maybe")
    assert bad.returncode == 2 and "--deband" in bad.stderr and "Traceback" not in bad.stderr


def blocky_night_clip(path, frames: int = 6):
    """A real libx264 clip of a dark gradient with a moving lamp, at a CRF that leaves flat blocks."""
    height, width = 96, 128
    levels = ramp(height, width) * 1.2
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(12))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "40"}
        for i in range(frames):
            rgb = np.repeat(levels[..., None], 3, -1)
            rgb[40:52, 10 + 8 * i:22 + 8 * i] = (200, 160, 90)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.rint(rgb).astype(np.uint8), format="rgb24")))
        out.mux(stream.encode())
    return path


def test_the_command_line_smooths_a_blocky_clip_and_says_so(tmp_path, weights, cli):
    clip = blocky_night_clip(tmp_path / "night.mp4")
    ratios = {}
    for mode in ("on", "off"):
        out = tmp_path / f"{mode}.mp4"
        result = cli(clip, "-o", out, "--weights", weights, "--deband", mode, "--crf", "0")
        assert result.returncode == 0, result.stderr
        assert ("deband 6 of 6 frames" in result.stderr) == (mode == "on"), result.stderr
        src, dst = read_video(clip), read_video(out)
        assert len(dst["times"]) == 6 and dst["times"] == src["times"]
        with av.open(str(clip)) as a, av.open(str(out)) as b:
            pairs = zip(a.decode(video=0), b.decode(video=0), strict=True)
            ratios[mode] = np.mean([block_ratio(o.to_ndarray(format="rgb24"), s.to_ndarray(format="rgb24"))
                                    for s, o in pairs])
    assert ratios["on"] < ratios["off"] - 0.1, ratios


def blocky_dark_jpeg(path, quality: int = 50):
    """A real JPEG (Pillow, 4:2:0) of a dark gradient (8 to 40 levels, a little noise) with a lit window, at a
    quality that keeps its dark part as flat 8x8 blocks, as a phone's or the web's JPEG of a dusk shot does."""
    y, x = np.mgrid[0:96, 0:128]
    levels = 8 + 24 * x / 128 + 8 * y / 96 + np.random.default_rng(0).standard_normal((96, 128))
    rgb = np.repeat(levels[..., None], 3, -1)
    rgb[30:50, 70:100] = (210, 170, 100)
    Image.fromarray(np.rint(rgb).astype(np.uint8)).save(path, quality=quality)
    return path


def test_a_blocky_jpeg_is_debanded_by_the_command_line_and_says_so(tmp_path, weights, cli):
    source = blocky_dark_jpeg(tmp_path / "dusk.jpg")
    rgb = np.asarray(Image.open(source).convert("RGB"))
    ratios, lines = {}, {}
    for mode in ("on", "off"):
        out = tmp_path / f"{mode}.png"
        result = cli(source, "-o", out, "--weights", weights, "--deband", mode)
        assert result.returncode == 0, result.stderr
        lines[mode] = result.stderr
        ratios[mode] = block_ratio(np.asarray(Image.open(out).convert("RGB")), rgb)
    assert ", deband " in lines["on"] and "% of the pixels" in lines["on"] and ", deband" not in lines["off"], lines
    assert ratios["on"] < ratios["off"] - 0.1, ratios
    result = cli(source, "-o", tmp_path / "x.png", "--dry-run")
    assert result.returncode == 0 and "deband: on" in result.stdout, result.stdout


def test_a_photo_is_debanded_whole_and_a_16_bit_one_not_at_all():
    from enlight.stream.apps.photo_prepare import changed_share, deband_photo

    frame = blocky(ramp(64, 96))
    out, share = deband_photo(frame, make_plan(deband=True))
    assert np.array_equal(out, simd.deband(frame[None])[0][0]) and 0.1 < share <= 1.0
    assert share == float((out != frame).any(-1).mean())
    same, none = deband_photo(frame, make_plan(deband=False))
    assert same is frame and none == 0.0
    same, none = deband_photo(frame, make_plan(deband=True), deep=True)  # a 16-bit source
    assert same is frame and none == 0.0
    other = frame.copy()
    other[0, 0, 2] += 1  # one channel of one pixel
    other[5, 7] += 3
    assert changed_share(other, frame) == 2 / (64 * 96) and changed_share(frame, frame) == 0.0


def test_a_photo_is_debanded_by_the_torch_form_where_opencv_cannot_load(monkeypatch):
    from enlight.stream.apps import photo_prepare

    frame = blocky(ramp(64, 96))
    with_cv2, share = photo_prepare.deband_photo(frame, make_plan(deband=True))
    monkeypatch.setattr(photo_prepare.simd, "available", lambda: False)
    monkeypatch.setitem(sys.modules, "cv2", None)  # ``import cv2`` raises ImportError, as without libGL
    without, share_torch = photo_prepare.deband_photo(frame, make_plan(deband=True))
    assert isinstance(without, np.ndarray) and without.dtype == np.uint8 and without.shape == frame.shape
    assert np.abs(without.astype(int) - with_cv2).max() <= 1 and abs(share_torch - share) < 0.01
    assert photo_prepare.changed_share(without, frame) == share_torch


def test_the_photo_summary_says_how_much_was_debanded():
    from pathlib import Path

    from enlight.stream.apps.photo import PhotoStats

    stats = PhotoStats(width=8, height=8, bits=8, wall_s=1.0, output=Path("o.jpg"), backend="b", colour="colour")
    assert "deband" not in stats.summary()
    assert ", deband 6.4% of the pixels" in replace(stats, debanded=0.0638).summary()
    assert ", deband under 0.1% of the pixels" in replace(stats, debanded=0.0004).summary()  # not "0.0%"
