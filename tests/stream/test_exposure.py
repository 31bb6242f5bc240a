"""``--exposure``: the power curve that lifts a frame's mean luma to a floor (``enlight.ops.exposure``), its
OpenCV and torch forms, its smoothing over time (``ExposureFloor``), and the plan, the Enhancer and the command line
that carry it."""

import math

import numpy as np
import pytest
import torch

from enlight.ops import exposure_frames, simd
from enlight.ops.exposure import MIN_POWER, luma_histogram, power_for_mean
from enlight.stream.core.exposure import KEEP, ExposureFloor


def _dark(seed: int, shape=(2, 40, 56, 3), low=5, high=70) -> np.ndarray:
    """Dark colour frames: a ramp of luma from ``low`` to ``high`` across the picture, tinted, with noise."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(low, high, shape[2])[None, None, :, None] * np.array([1.1, 1.0, 0.8])
    return np.clip(ramp + rng.normal(0, 2, shape), 0, 255).round().astype(np.uint8)


def _mean_luma(frames: np.ndarray) -> float:
    return float((frames.astype(np.float64) * [0.299, 0.587, 0.114]).sum(-1).mean())


def test_the_power_takes_the_mean_to_the_level():
    histogram = luma_histogram(np.full((10, 10), 40, np.uint8))
    power = power_for_mean(histogram, 100)
    assert 255 * (40 / 255) ** power == pytest.approx(100, abs=0.3)
    assert power_for_mean(histogram, 30) == 1.0  # already brighter: left alone
    assert power_for_mean(luma_histogram(np.zeros((4, 4), np.uint8)), 100) == MIN_POWER  # black: the strongest lift
    assert power_for_mean(np.zeros(256), 100) == 1.0 and power_for_mean(histogram, 0) == 1.0


def test_the_opencv_and_torch_forms_agree_and_reach_the_level():
    frames = _dark(0)
    cpu_hist = simd.luma_histograms(frames)
    torch_hist = exposure_frames.luma_histograms(torch.from_numpy(frames))
    assert cpu_hist.shape == (2, 256) and cpu_hist[0].sum() == 10 * 14
    assert np.abs(cpu_hist - torch_hist).sum() <= 0.05 * cpu_hist.sum()  # rounding of a few lumas
    powers = [power_for_mean(h, 100) for h in cpu_hist]
    cpu = simd.lift_exposure(frames, powers)
    on_torch = exposure_frames.lift_exposure(torch.from_numpy(frames), powers).numpy()
    assert np.abs(cpu.astype(int) - on_torch).max() <= 1
    assert _mean_luma(frames) < 45 and _mean_luma(cpu) == pytest.approx(100, abs=3)
    # one gain on all three channels: the channels' ratios (the hue) stay where nothing saturates
    red_over_blue = [f[..., 0].astype(float).sum() / f[..., 2].astype(float).sum() for f in (frames, cpu)]
    assert red_over_blue[1] == pytest.approx(red_over_blue[0], rel=0.03)
    # darker pixels are lifted more than brighter ones (a power curve, not a gain)
    gain = cpu.astype(float).mean((0, 1, 3)) / np.maximum(frames.astype(float).mean((0, 1, 3)), 1)
    assert gain[5] > gain[-5] > 1


def test_the_opencv_form_in_strips_is_the_curve_on_every_pixel():
    frames = _dark(4, shape=(1, 300, 40, 3))  # over two strips of 128 rows
    power = 0.55
    x = frames.astype(np.float64)
    luma = np.maximum((x * [0.299, 0.587, 0.114]).sum(-1, keepdims=True), 0.5) / 255
    expected = np.clip(np.rint(x * luma ** (power - 1)), 0, 255)
    assert np.abs(simd.lift_exposure(frames, [power]).astype(int) - expected).max() <= 1


def test_frames_at_the_level_pass_unchanged():
    frames = _dark(1, low=120, high=200)
    assert np.array_equal(simd.lift_exposure(frames, [1.0, 1.0]), frames)
    assert exposure_frames.lift_exposure(torch.from_numpy(frames), [1.0, 1.0]).numpy() is not None
    floor = ExposureFloor(100)
    assert floor.powers(simd.luma_histograms(frames)) == [1.0, 1.0]


def test_the_power_is_smoothed_over_time_like_an_auto_exposure():
    dark, bright = (luma_histogram(np.full((8, 8), v, np.uint8)) for v in (30, 150))
    own = power_for_mean(dark, 100)
    floor = ExposureFloor(100)
    first, second = floor.powers(np.stack([dark, dark]))
    assert first == pytest.approx(own) and second == pytest.approx(own)  # the first frame takes its own
    (after_cut,) = floor.powers(bright[None])  # a bright frame: the lift fades out, not at once
    assert after_cut == pytest.approx(math.exp(KEEP * math.log(own)), rel=1e-6)
    for _ in range(40):
        (last,) = floor.powers(bright[None])
    assert last == 1.0
    assert floor.seen == 43 and 3 <= floor.lifted < 43  # the run's summary says how many frames were lifted
    assert floor.describe() == f"to 100: {floor.lifted} of 43 frames lifted"


def test_the_summary_says_how_far_frames_the_strongest_lift_could_not_reach_the_level_got():
    """--exposure 200 on a real night dashcam clip came out at mean luma 125 while the summary said 'exposure to
    200: 60 of 60 frames lifted', as if they had reached it: the curve stops at MIN_POWER."""
    dark = luma_histogram(np.full((8, 8), 30, np.uint8))
    reached = 255 * (30 / 255) ** MIN_POWER  # 108: the most the curve gives
    floor = ExposureFloor(200)
    floor.powers(np.stack([dark, dark, dark]))
    assert floor.describe() == f"to 200: 3 of 3 frames lifted, 3 of them only to about mean luma {round(reached)} " \
                               "(the strongest lift)"
    reachable = ExposureFloor(100)
    reachable.powers(np.stack([dark, dark]))
    assert reachable.describe() == "to 100: 2 of 2 frames lifted"  # the level reached: nothing more said
    lifted = simd.lift_exposure(np.full((1, 8, 8, 3), 30, np.uint8), [MIN_POWER])
    assert _mean_luma(lifted) == pytest.approx(reached, abs=1)  # what the summary says is what the frame gets


def test_the_plan_the_enhancer_and_the_command_line_carry_it(tmp_path, cli):
    from enlight.errors import EnlightError
    from enlight.models import build_generator
    from enlight.stream.core.enhancer import Enhancer
    from enlight.stream.core.plan import build_backend, make_plan
    from tests.media import make_clip

    assert make_plan(device="cpu").exposure == 0 and "exposure: off" in make_plan(device="cpu").describe()
    plan = make_plan(device="cpu", exposure=100)
    assert "exposure: frames darker than mean luma 100 lifted to it" in plan.describe()
    with pytest.raises(EnlightError, match="within 0..200"):
        make_plan(device="cpu", exposure=250)
    backend = build_backend(make_plan(backend="torch", device="cpu"), network=build_generator(base_channels=8))
    kinds = [type(stage).__name__ for stage in Enhancer.from_plan(plan, backend).stages]
    assert kinds.index("Combine") < kinds.index("Exposure") < kinds.index("Detail")
    assert "Exposure" not in {type(s).__name__ for s in Enhancer.from_plan(make_plan(device="cpu"), backend).stages}
    frames = _dark(2, shape=(1, 48, 64, 3), low=2, high=20)
    plain = Enhancer(backend)(frames)
    lifted = Enhancer(backend, exposure=150)(frames)
    power = power_for_mean(simd.luma_histograms(plain)[0], 150)
    assert power < 1 and np.array_equal(lifted, simd.lift_exposure(plain, [power]))

    clip = make_clip(tmp_path / "clip.mp4", frames=3)
    result = cli(clip, "-o", tmp_path / "out.mp4", "--exposure", "90", "--device", "cpu", "--dry-run")
    assert result.returncode == 0 and "exposure: frames darker than mean luma 90" in result.stdout, result.stderr
    run = cli(clip, "-o", tmp_path / "lifted.mp4", "--exposure", "200", "--device", "cpu", "--quality", "fast")
    assert run.returncode == 0 and "exposure to 200: 3 of 3 frames lifted" in run.stderr, run.stderr
    assert "3 of them only to about mean luma" in run.stderr  # a test clip's dark frames cannot be taken to 200
    bad = cli(clip, "-o", tmp_path / "out.mp4", "--exposure", "300")
    assert bad.returncode == 2 and "within 0..200" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "out.mp4").exists()


def test_a_photo_s_summary_says_what_the_floor_did(tmp_path, cli):
    """A photo's summary said nothing of --exposure: not whether the photo was lifted, nor that a high level was out
    of the curve's reach (--exposure 200 on LIME's 1.bmp came out at mean luma 154)."""
    from PIL import Image

    photo = tmp_path / "dusk.png"
    Image.fromarray(_dark(5, shape=(1, 96, 128, 3), low=2, high=30)[0]).save(photo)
    said = {}
    for level in ("1", "100", "200"):
        run = cli(photo, "-o", tmp_path / f"out_{level}.png", "--quality", "fast", "--device", "cpu",
                  "--exposure", level)
        assert run.returncode == 0, run.stderr
        said[level] = run.stderr
    assert "exposure to 1: already brighter" in said["1"]
    assert "exposure to 100: lifted," in said["100"]
    assert "exposure to 200: lifted only to about mean luma" in said["200"]
    reached = int(said["200"].split("about mean luma ")[1].split()[0])
    out = np.asarray(Image.open(tmp_path / "out_200.png"))
    assert _mean_luma(out) == pytest.approx(reached, abs=8) and reached < 190


def test_a_photo_in_tiles_reports_the_floor_it_ran_on_the_whole(weights):
    from enlight.stream.apps.photo import enhance_picture, still_plan
    from enlight.stream.core.plan import build_backend, make_plan
    from enlight.stream.core.tiles import ALIGN

    plan = still_plan(make_plan(weights=weights, backend="torch", device="cpu", exposure=200))
    rgb = np.ascontiguousarray(_dark(6, shape=(1, 300, 400, 3), low=2, high=30)[0])
    floor = ExposureFloor(200)
    tiled = enhance_picture(rgb, plan, build_backend(plan), grey=False, layout=(4 * ALIGN, 128), floor=floor)
    assert floor.seen == 1 and floor.describe_still().startswith("to 200: lifted only to about mean luma")
    assert _mean_luma(tiled) == pytest.approx(floor.reached[0], abs=8)


def test_the_live_key_turns_the_floor_on_and_off_in_a_running_enhancer():
    from types import SimpleNamespace

    from enlight.models import build_generator
    from enlight.stream.apps.live_mode import _handle_key
    from enlight.stream.core.choices import LIVE_EXPOSURE
    from enlight.stream.core.enhancer import Enhancer
    from enlight.stream.core.plan import build_backend, make_plan

    torch.manual_seed(0)  # some random networks come out nearly black, beyond the floor's least power
    backend = build_backend(make_plan(backend="torch", device="cpu"), network=build_generator(base_channels=8))
    enhancer = Enhancer(backend, detail=0.35)
    frames = _dark(3, shape=(1, 48, 64, 3), low=2, high=20)
    plain = enhancer(frames)
    hud = SimpleNamespace(exposure=0.0)  # the window's state that the key reads: no --exposure given
    assert _handle_key("e", hud, enhancer, outputs=None)
    kinds = [type(stage).__name__ for stage in enhancer.stages]
    assert enhancer.exposure_floor.level == LIVE_EXPOSURE and kinds.count("Exposure") == 1
    assert kinds.index("Combine") < kinds.index("Exposure") < kinds.index("Detail")
    assert _mean_luma(enhancer(frames)) > _mean_luma(plain) + 10
    assert _handle_key("e", hud, enhancer, outputs=None)
    assert enhancer.exposure_floor is None and "Exposure" not in {type(s).__name__ for s in enhancer.stages}
