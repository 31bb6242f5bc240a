"""The denoising stage (enlight.stream.core.denoise): behaviour, not timing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from enlight.stream.apps.pipeline import PipelineConfig, run
from enlight.stream.core.denoise import Denoiser
from enlight.stream.core.denoise_config import DenoiseConfig
from enlight.stream.core.denoise_noise import NoiseEstimator
from enlight.stream.core.denoise_ops import half, half_of_squares, move
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import build_backend, make_plan
from enlight.stream.core.stages import Denoise
from enlight.stream.core.work import Work
from tests.media import make_clip, read_video

H, W = 48, 64


def scene(seed: int = 0) -> np.ndarray:
    """(H, W, 3) float64 dark scene, 0..255: gradients, a few edges, some texture."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    base = 12 + 10 * np.sin(xx / 6.0 + seed) + 6 * (yy > H // 2) + rng.random((H, W)) * 4
    return np.stack([base, base * 0.8 + 3, base * 0.6 + 5], -1)


def noisy(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Signal-dependent noise (variance 0.6 * value + 1, a Poisson-like law in 0..255 units), as uint8."""
    sigma = np.sqrt(0.6 * clean + 1)
    return np.clip(np.round(clean + rng.normal(0, 1, clean.shape) * sigma), 0, 255).astype(np.uint8)


def denoise(frames: list[np.ndarray], level: str = "light", batch: int = 4) -> tuple[np.ndarray, Denoiser]:
    denoiser = Denoiser(DenoiseConfig(level))
    out = []
    for start in range(0, len(frames), batch):
        chunk = torch.from_numpy(np.stack(frames[start:start + batch])).permute(0, 3, 1, 2)
        out.append(denoiser(chunk).permute(0, 2, 3, 1).numpy())
    return np.concatenate(out), denoiser


def test_noise_estimate_follows_the_signal_dependent_level():
    rng = np.random.default_rng(1)
    clean = np.repeat(np.linspace(4, 120, W)[None, :, None], H * 4, 0).repeat(3, -1)  # a smooth ramp
    image = clean + rng.normal(0, 1, clean.shape) * np.sqrt(0.6 * clean + 1)
    estimator = NoiseEstimator()
    estimator.update(torch.from_numpy(image).permute(2, 0, 1).float())
    for value in (10.0, 40.0, 100.0):
        estimated = float(estimator.variance(torch.tensor([value])).sqrt())
        assert estimated == pytest.approx(np.sqrt(0.6 * value + 1), rel=0.2), value


def test_a_static_noisy_clip_loses_most_of_its_noise():
    rng = np.random.default_rng(0)
    clean = scene()
    frames = [noisy(clean, rng) for _ in range(12)]
    for level in ("light", "strong"):
        out, _ = denoise(frames, level)
        before = np.diff(np.stack(frames).astype(float), axis=0)[6:].std()
        after = np.diff(out, axis=0)[6:].std()
        assert after < 0.35 * before, (level, before, after)
        assert np.abs(out[-1] - clean).mean() < 0.5 * np.abs(frames[-1] - clean).mean()


def test_a_moving_object_is_not_smeared_or_ghosted():
    rng = np.random.default_rng(2)
    clean, frames, truths = scene(), [], []
    for t in range(10):
        truth = clean.copy()
        truth[10:26, 4 + 4 * t:20 + 4 * t] = [150, 120, 90]  # a lit 16x16 object, 4 px per frame
        truths.append(truth)
        frames.append(noisy(truth, rng))
    out, _ = denoise(frames, "strong")
    last, truth = out[-1], truths[-1]
    assert np.abs(last[10:26, 40:56] - truth[10:26, 40:56]).mean() < 6  # the object keeps its values
    trail = np.abs(last[10:26, 24:40] - truth[10:26, 24:40]).mean()  # where it was 1-4 frames ago: no ghost
    assert trail < 6, trail


def sliding(background: np.ndarray, thing: np.ndarray, top: int, left: int, step: int, count: int,
            rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``count`` noisy frames and their truths: ``thing`` (h, w, 3) over ``background`` (H, W, 3), its top-left
    corner at (top, left + step * t) in frame t."""
    frames, truths = [], []
    height, width = thing.shape[:2]
    for t in range(count):
        truth = background.copy()
        truth[top:top + height, left + step * t:left + step * t + width] = thing
        truths.append(truth)
        frames.append(noisy(truth, rng))
    return frames, truths


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU"))])
def test_an_object_of_another_colour_but_the_same_brightness_leaves_no_tinted_trail(device):
    # a red-brown square over a grey wall of the same channel mean: the mean of the difference is 0, only its
    # colour tells the motion (without the colour term, as the CPU form of fast over 0.15 MP still runs: the
    # square came out 48/35/36, its trail 49/35/36)
    colour = np.array([62.0, 28.0, 30.0])
    frames, _ = sliding(np.full((H, W, 3), 40.0), np.broadcast_to(colour, (24, 16, 3)), 12, 2, 4, 12,
                        np.random.default_rng(3))
    denoiser = Denoiser(DenoiseConfig("light"))
    batch = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).to(device)
    out = denoiser(batch).permute(0, 2, 3, 1).cpu().numpy()
    square = out[-1][14:34, 48:62].reshape(-1, 3).mean(0)  # the square now (it spans columns 46-61)
    trail = out[-1][14:34, 26:42].reshape(-1, 3).mean(0)  # where it was 1-5 frames ago
    assert np.abs(square - colour).max() < 3, square
    assert np.abs(trail - 40).max() < 2, trail


def texture(height: int, width: int, seed: int) -> np.ndarray:
    """(height, width, 3) float64 dark texture, 0..255: a ripple (period about 19 pixels) and some grain."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = 30 + 12 * np.sin(xx / 3.0 + seed) * np.cos(yy / 4.0) + rng.random((height, width)) * 10
    return np.stack([base, base * 0.8 + 3, base * 0.6 + 5], -1)


def test_what_moves_on_its_own_does_not_stop_the_averaging_of_the_rest():
    # a textured patch slides 3 px per frame over a textured still background; the global shift follows the
    # patch after a few frames, and the local flow keeps the background aligned (whole-pixel global shifts
    # alone left the last frame's error at 95% of the input's)
    frames, truths = sliding(texture(96, 128, 0), texture(32, 32, 5) + 20, 30, 20, 3, 10, np.random.default_rng(7))
    out, _ = denoise(frames, "light")
    inner = (slice(4, -4), slice(4, -4))
    error = np.abs(out[-1][inner] - truths[-1][inner]).mean()
    assert error < 0.6 * np.abs(frames[-1][inner] - truths[-1][inner]).mean()


def block_means(image: np.ndarray, side: int = 4) -> np.ndarray:
    """(H, W, C) -> (H // side, W // side, C) means of side x side blocks (the picture without its noise)."""
    h, w = image.shape[0] // side * side, image.shape[1] // side * side
    return image[:h, :w].reshape(h // side, side, w // side, side, -1).mean((1, 3))


def test_a_dim_thing_moving_over_a_background_of_its_brightness_does_not_turn_translucent():
    # a 32x32 body with half the ripple of the textured background behind it, 3 px per frame: only its outline
    # and a few places differ from the background by more than the noise, so the rest of it was averaged with
    # what it covered and the background showed through. Measured on 4x4 block means inside the body at the
    # last frame, over three noise draws: without the region term 0.96 against the noisy input's 0.86 (worse
    # than no denoising at all), with it 0.85
    ours, given = [], []
    for seed in range(3):
        body = 30 + (texture(32, 32, 5) - 30) * 0.5
        frames, truths = sliding(texture(96, 128, 0), body, 40, 10, 3, 16, np.random.default_rng(seed))
        out, _ = denoise(frames, "light")
        inside = (slice(40, 72), slice(55, 87))  # the body at the last frame
        truth = block_means(truths[-1][inside])
        ours.append(np.abs(block_means(out[-1][inside]) - truth).mean())
        given.append(np.abs(block_means(frames[-1][inside].astype(np.float64)) - truth).mean())
    assert np.mean(ours) <= 1.03 * np.mean(given), (ours, given)


def test_the_first_frame_is_denoised_spatially_and_keeps_its_edges():
    rng = np.random.default_rng(8)
    clean = scene()
    clean[:, W // 2:] += 40  # a strong vertical edge
    frames = [noisy(clean, rng) for _ in range(2)]
    out, _ = denoise(frames[:1], "light")  # nothing to average yet: the spatial part alone (the guided
    assert np.abs(out[0] - clean).mean() < 0.4 * np.abs(frames[0] - clean).mean()  # filter alone: 0.49)
    step = out[0][:, W // 2 + 1:W // 2 + 4].mean() - out[0][:, W // 2 - 4:W // 2 - 1].mean()
    assert step == pytest.approx(40, abs=4)  # the edge is not smeared


def test_small_and_odd_sized_frames_are_denoised():
    for height, width in ((9, 13), (33, 17), (31, 64), (35, 41)):  # the flow needs 32 pixels a side
        frames = [noisy(scene()[:height, :width], np.random.default_rng(t)) for t in range(4)]
        out, _ = denoise(frames, batch=2)
        assert out.shape == (4, height, width, 3) and np.isfinite(out).all()


def test_a_scene_cut_resets_the_average():
    rng = np.random.default_rng(3)
    first, second = scene(0), scene(5)[::-1] * 1.5
    frames = [noisy(first, rng) for _ in range(6)] + [noisy(second, rng) for _ in range(3)]
    out, denoiser = denoise(frames, "strong", batch=3)
    assert denoiser.scene_cuts == 1
    assert np.abs(out[6] - second).mean() < np.abs(out[6] - first).mean() / 4  # nothing of the old scene
    _, before = denoise(frames[:6], "strong", batch=3)
    assert denoiser._local._gain < before._local._gain / 1.3  # the flow's stretch measured on the new scene


def test_batching_changes_nothing_and_the_filter_is_causal():
    rng = np.random.default_rng(4)
    frames = [noisy(scene(), rng) for _ in range(8)]
    by_four, _ = denoise(frames, batch=4)
    one_by_one, _ = denoise(frames, batch=1)  # live mode: one frame at a time, nothing from the future
    np.testing.assert_allclose(by_four, one_by_one, atol=1e-3)
    first_five, _ = denoise(frames[:5], batch=1)
    np.testing.assert_allclose(first_five, by_four[:5], atol=1e-3)


def test_move_fills_what_enters_and_half_of_squares_is_half_of_the_square():
    image, border = torch.rand(3, 10, 12), torch.rand(3, 10, 12)
    for dx, dy in ((0, 1), (2, 0), (-3, 2), (1, -4), (-2, -2), (20, 3), (0, -20)):
        expected = border.clone()
        for y in range(10):
            for x in range(12):
                if 0 <= y - dy < 10 and 0 <= x - dx < 12:
                    expected[:, y, x] = image[:, y - dy, x - dx]
        assert torch.equal(move(image, dx, dy, border=border), expected), (dx, dy)
    assert torch.equal(move(image, 0, 0, border=border), image)
    torch.testing.assert_close(half_of_squares(image), half(image * image))


def test_the_stage_hands_contiguous_uint8_frames_on_on_a_cpu():
    rng = np.random.default_rng(6)
    pixels = torch.from_numpy(np.stack([noisy(scene(), rng) for _ in range(3)]))
    out = Denoise(Denoiser(DenoiseConfig("light")))(Work(pixels=pixels)).pixels
    assert out.dtype == torch.uint8 and out.is_contiguous() and out.shape == pixels.shape
    floats, _ = denoise(list(pixels.numpy()), batch=3)
    assert np.abs(out.numpy().astype(float) - floats).max() <= 0.5 + 1e-3  # rounded, nothing else


def test_off_is_no_stage_and_the_same_output(weights):
    plan = make_plan(weights=weights, device="cpu", backend="torch")
    backend = build_backend(plan)
    frames = np.stack([noisy(scene(), np.random.default_rng(i)) for i in range(3)])
    without = Enhancer(backend, detail=plan.detail)
    off = Enhancer.from_plan(plan, backend)
    assert type(off.stages[0]).__name__ == "ModelInput" and off.denoiser is None
    np.testing.assert_array_equal(without(frames), off(frames))
    on = Enhancer(backend, denoise=DenoiseConfig("light"), detail=plan.detail)
    assert on.denoiser is not None and not np.array_equal(on(frames), without(frames))


def test_cli_denoise_off_is_the_pipeline_without_denoising(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "in.mp4", width=W, height=H, frames=6, audio=False)
    result = cli(clip, "-o", tmp_path / "off.mkv", "--weights", weights, "--denoise", "off", "--codec", "ffv1",
                 "--pix-fmt", "bgr0", "--device", "cpu", "--backend", "torch")
    assert result.returncode == 0, result.stderr
    assert "denoise off, " in result.stderr_lines[-1]
    run(PipelineConfig(input=clip, output=tmp_path / "plain.mkv", progress=False,
                       plan=make_plan(weights=weights, device="cpu", backend="torch"),
                       encoder=_lossless()))
    np.testing.assert_array_equal(np.stack(read_video(tmp_path / "off.mkv")["images"]),
                                  np.stack(read_video(tmp_path / "plain.mkv")["images"]))


def _lossless():
    from enlight.stream.io.encoder_settings import EncoderConfig

    return EncoderConfig(codec="ffv1", pix_fmt="bgr0")


def test_cli_default_level_summary_and_dry_run(tmp_path, weights, cli):
    from enlight.stream.core.choices import DENOISE_LEVEL

    assert DENOISE_LEVEL == "auto"
    clip = make_clip(tmp_path / "in.mp4", width=W, height=H, frames=4, audio=False)
    result = cli(clip, "-o", tmp_path / "out.mp4", "--weights", weights, "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert "denoise light" in result.stderr_lines[-1]  # auto at full size: light
    wide = make_clip(tmp_path / "wide.mp4", width=640, height=480, frames=2, audio=False)  # over 0.25 MP
    fast = cli(wide, "-o", tmp_path / "fast.mp4", "--quality", "fast", "--device", "cpu", "--dry-run")
    # auto for the fast preset on a CPU: light without the optical flow and the bilateral (their cost)
    assert "denoising: light (temporal, up to 8 frames along the camera's motion, motion-gated;" in fast.stdout
    mid = make_clip(tmp_path / "mid.mp4", width=640, height=360, frames=2, audio=False)  # 0.15 to 0.25 MP
    flow = cli(mid, "-o", tmp_path / "fast.mp4", "--quality", "fast", "--device", "cpu", "--dry-run").stdout
    assert "the optical flow" in flow and "bilateral" not in flow  # the flow alone
    small = cli(clip, "-o", tmp_path / "fast.mp4", "--quality", "fast", "--device", "cpu", "--dry-run")
    assert "the optical flow" in small.stdout  # small frames: fast keeps the refinements
    explicit = cli(wide, "-o", tmp_path / "fast.mp4", "--quality", "fast", "--device", "cpu", "--denoise", "strong",
                   "--dry-run")
    assert "denoising: strong (temporal, up to 16 frames along the camera's motion, motion-gated;" in explicit.stdout
    assert "denoising: light (temporal, up to 8 frames along the camera's motion and, on a CPU, the optical flow" \
        in result.stderr + cli(clip, "-o", tmp_path / "d.mp4", "--device", "cpu", "--dry-run").stdout
    dry = cli(clip, "-o", tmp_path / "dry.mp4", "--denoise", "strong", "--dry-run", "--device", "cpu")
    assert dry.returncode == 0 and "denoising: strong" in dry.stdout
    bad = cli(clip, "-o", tmp_path / "bad.mp4", "--denoise", "max")
    assert bad.returncode == 2 and "--denoise" in bad.stderr


@pytest.mark.parametrize("level", ["light", "off"])
def test_the_prepare_thread_gives_the_same_output_as_the_main_thread(tmp_path, weights, monkeypatch, level):
    """On a CPU the pipeline runs the stages before the model (the denoiser, the model's input) a batch ahead
    on their own thread (``Enhancer.begin``): the frames must be those of the same stages run in line."""
    import contextlib

    from enlight.stream.apps import pipeline

    clip = make_clip(tmp_path / "in.mp4", width=W, height=H, frames=11, audio=False)
    plan = make_plan(weights=weights, device="cpu", backend="torch", denoise=level)
    config = dict(input=clip, progress=False, plan=plan, encoder=_lossless(), batch_size=2)
    threads: list[str] = []
    helper = pipeline._helper_thread

    @contextlib.contextmanager
    def recorded(name, wanted):
        with helper(name, wanted) as pool:
            threads.append(f"{name}={pool is not None}")
            yield pool

    monkeypatch.setattr(pipeline, "_helper_thread", recorded)
    run(PipelineConfig(output=tmp_path / "threaded.mkv", **config))
    assert threads == ["enlight-combine=True", "enlight-prepare=True"]

    @contextlib.contextmanager
    def inline(name, wanted):
        with helper(name, wanted and name != "enlight-prepare") as pool:
            yield pool

    monkeypatch.setattr(pipeline, "_helper_thread", inline)
    run(PipelineConfig(output=tmp_path / "inline.mkv", **config))
    threaded = np.stack(read_video(tmp_path / "threaded.mkv")["images"])
    assert len(threaded) == 11
    np.testing.assert_array_equal(threaded, np.stack(read_video(tmp_path / "inline.mkv")["images"]))


def test_without_refinements_no_flow_and_no_bilateral_run():
    rng = np.random.default_rng(3)
    frames = [noisy(np.roll(scene(), 2 * t, axis=1), rng) for t in range(8)]  # a pan: the flow would act
    plain = Denoiser(DenoiseConfig("light", refine=False))

    def refused(*args, **kwargs):
        raise AssertionError("a refinement ran")

    plain._local = plain._bilateral = refused
    out = []
    for start in range(0, 8, 4):
        out.append(plain(torch.from_numpy(np.stack(frames[start:start + 4])).permute(0, 3, 1, 2)))
    refined, _ = denoise(frames)
    assert not np.array_equal(torch.cat(out).permute(0, 2, 3, 1).numpy(), refined)
    assert DenoiseConfig("light", refine=False).describe() != DenoiseConfig("light").describe()
    assert DenoiseConfig("light", refine=False) == DenoiseConfig("light", refine=False, bilateral=False)


def test_the_flow_without_the_bilateral():
    """fast on a CPU between 0.15 and 0.25 MP: the optical flow moves the mean along a pan, the bilateral never runs."""
    rng = np.random.default_rng(3)
    frames = [noisy(np.roll(scene(), 2 * t, axis=1), rng) for t in range(8)]

    def refused(*args, **kwargs):
        raise AssertionError("the bilateral ran")

    outputs = {}
    for name, config in {"flow": DenoiseConfig("light", bilateral=False),
                         "plain": DenoiseConfig("light", refine=False)}.items():
        denoiser = Denoiser(config)
        denoiser._bilateral = refused
        out = [denoiser(torch.from_numpy(np.stack(frames[start:start + 4])).permute(0, 3, 1, 2))
               for start in range(0, 8, 4)]
        outputs[name] = torch.cat(out).numpy()
    assert not np.array_equal(outputs["flow"], outputs["plain"])
    assert "bilateral" not in DenoiseConfig("light", bilateral=False).describe()
    assert "optical flow" in DenoiseConfig("light", bilateral=False).describe()


def test_auto_follows_the_preset_the_device_and_the_frame_size():
    from enlight.stream.core.auto_quality import Workload
    from enlight.stream.core.plan import FAST_DENOISE_MEGAPIXELS, FAST_FLOW_MEGAPIXELS, FAST_REFINE_MEGAPIXELS

    def planned(quality, workload):
        return make_plan(quality=quality, device="cpu", denoise="auto", workload=workload).denoise

    assert FAST_DENOISE_MEGAPIXELS == 0.5
    assert planned("fast", Workload("video", 854, 480)) == DenoiseConfig("light", refine=False)
    big = planned("fast", Workload("video", 1920, 1080))
    assert (big.level, big.refine) == ("off", False)
    assert big.label == "off (auto: fast on a CPU, frames over 0.5 megapixels; --denoise light turns it on)"
    assert planned("fast", None) == DenoiseConfig("light", refine=False)  # a stream or a camera: size unknown
    assert FAST_REFINE_MEGAPIXELS == 0.15  # small frames: fast keeps the refinements (flow, bilateral)
    assert planned("fast", Workload("video", 352, 288)) == DenoiseConfig("light")
    assert FAST_FLOW_MEGAPIXELS == 0.25  # up to 640x360: the flow without the bilateral
    assert planned("fast", Workload("video", 640, 360)) == DenoiseConfig("light", bilateral=False)
    assert planned("fast", Workload("video", 640, 480)) == DenoiseConfig("light", refine=False)
    assert planned("best", Workload("video", 1920, 1080)) == DenoiseConfig("light")
    assert make_plan(quality="fast", device="cpu", denoise="strong",
                     workload=Workload("video", 1920, 1080)).denoise == DenoiseConfig("strong", refine=False)


def test_the_summary_says_why_auto_left_the_denoiser_off(tmp_path, cli):
    """--quality fast on a 720p clip said 'denoise off' in the summary and --dry-run, as --denoise off does: the
    user had not turned it off, and nothing said that auto had, or how to have it."""
    from tests.media import make_clip

    clip = make_clip(tmp_path / "wide.mp4", width=1024, height=512, frames=2, audio=False)  # 0.52 megapixels
    auto = cli(clip, "-o", tmp_path / "auto.mp4", "--quality", "fast", "--device", "cpu")
    assert auto.returncode == 0, auto.stderr
    assert "denoise off (auto: fast on a CPU, frames over 0.5 megapixels; --denoise light turns it on)" in auto.stderr
    asked = cli(clip, "-o", tmp_path / "off.mp4", "--quality", "fast", "--device", "cpu", "--denoise", "off")
    assert asked.returncode == 0 and "denoise off, " in asked.stderr, asked.stderr
    dry = cli(clip, "-o", tmp_path / "dry.mp4", "--quality", "fast", "--device", "cpu", "--dry-run")
    assert "denoising: off (auto: fast on a CPU" in dry.stdout, dry.stdout


def test_a_clip_without_visible_noise_passes_unchanged():
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0:H, 0:W]
    smooth = 20 + 10 * np.sin(xx / 9.0) + 0.2 * yy  # no texture: scene()'s would count as noise
    clean = np.stack([smooth, smooth * 0.8 + 3, smooth * 0.6 + 5], -1)
    quiet = [np.clip(np.round(clean + rng.normal(0, 0.3, clean.shape)), 0, 255).astype(np.uint8) for _ in range(8)]
    out, denoiser = denoise(quiet)
    np.testing.assert_array_equal(out, np.stack(quiet).astype(np.float32))
    assert denoiser._noise_rms(torch.from_numpy(quiet[-1]).permute(2, 0, 1).float()) < 1.0
    report = denoiser.report()  # what the run's summary line says after the level
    assert report.startswith("0 of 8 frames: noise 0.") and report.endswith(" under the floor 1"), report
    loud = [noisy(clean, rng) for _ in range(8)]  # sd 2.7-4.3
    out, denoiser = denoise(loud)
    assert not np.array_equal(out, np.stack(loud).astype(np.float32))
    assert denoiser.report() == ""  # every frame denoised: the summary says the level alone
    out, denoiser = denoise(quiet + loud)
    assert denoiser.report() == "8 of 16 frames"


def test_the_noise_floor_has_hysteresis():
    denoiser = Denoiser(DenoiseConfig("light"))
    measured = iter([0.9, 1.1, 0.9, 0.7, 0.9])  # rms at frames 0-4, each of which is measured
    denoiser._noise_rms = lambda frame: next(measured)
    frames = torch.from_numpy(np.stack([noisy(scene(), np.random.default_rng(i)) for i in range(5)]))
    flags = denoiser._measure(frames.permute(0, 3, 1, 2))
    assert [visible for _, visible, _, _ in flags] == [False, True, True, False, False]
