"""A still photo's noise (``enlight.stream.apps.photo_prepare.denoise_photo``, ``--denoise``): the video denoiser on
one frame, run once on the whole picture before it is enhanced, a share of the input kept; clean photos left as
they are; the summary line and --dry-run say what was done."""

import sys

import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps import photo_prepare
from enlight.stream.apps.photo import still_plan
from enlight.stream.apps.photo_prepare import PhotoNoise, denoise_photo
from enlight.stream.core.cpu.denoise import Denoiser
from enlight.stream.core.denoise_config import STILL_KEEP, DenoiseConfig
from enlight.stream.core.memory import Budget
from enlight.stream.core.plan import make_plan


def scene(height: int = 96, width: int = 128) -> np.ndarray:
    """A dim, clean (H, W, 3) float picture: smooth shading, a bright bar and a few hard edges."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    grey = 20 + 25 * (x / width) + 10 * (y / height)
    grey[30:50, 20:100] += 40
    grey[:, 64:] += 8 * ((y[:, 64:] // 8) % 2)
    return np.stack([grey, grey * 0.8, grey * 0.6], -1)


def noisy(sigma: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    clean = scene()
    rng = np.random.default_rng(seed)
    return clean, np.clip(np.rint(clean + rng.normal(0, sigma, clean.shape)), 0, 255).astype(np.uint8)


def rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a.astype(np.float64) - b) ** 2)))


def plan(level: str) -> DenoiseConfig:
    """The denoiser of a photo's plan at ``level``, as the command makes it."""
    return still_plan(make_plan(device="cpu", denoise=DenoiseConfig(level))).denoise


def test_a_noisy_photo_is_denoised_with_a_quarter_of_it_kept():
    clean, photo = noisy(3.0)
    light, done = denoise_photo(photo, plan("light"))
    strong, done_strong = denoise_photo(photo, plan("strong"))
    assert done.denoised and done.level == "light" and 2.0 < done.noise < 4.0, done
    assert done_strong.denoised and done_strong.noise == done.noise
    assert light.dtype == np.uint8 and light.shape == photo.shape
    assert rms(strong, clean) < rms(light, clean) < 0.7 * rms(photo, clean)
    frames = photo.transpose(2, 0, 1)[None].astype(np.float32)
    whole = Denoiser(DenoiseConfig("strong", still=True))(frames)[0].transpose(1, 2, 0)
    assert np.abs(strong.astype(float) - whole).max() <= 0.5 + 1e-4  # strong: the one-frame denoise, rounded
    expected = whole + STILL_KEEP["light"] * (photo - whole)
    assert STILL_KEEP["light"] == 0.25 and np.abs(light - expected).max() <= 0.5 + 1e-4


def test_a_clean_photo_and_denoise_off_leave_the_picture_as_it_is():
    _, photo = noisy(0.3)
    same, done = denoise_photo(photo, plan("light"))
    assert same is photo and not done.denoised and done.noise < 1.0
    assert done.summary().startswith(f"noise {done.noise:.2f} under the floor 1: not denoised")
    off, nothing = denoise_photo(noisy(3.0)[1], plan("off"))
    assert nothing == PhotoNoise() and nothing.summary() == ""


def test_a_photo_too_big_for_the_memory_left_is_not_denoised_and_says_why():
    _, photo = noisy(3.0)
    same, done = denoise_photo(photo, plan("light"), Budget(left=1000))
    assert same is photo and not done.denoised
    assert done.summary().startswith("not denoised: it needs ") and "of working memory" in done.summary()


def test_a_photo_too_small_to_measure_says_so():
    """A 7x5 photo read 'noise 0.00 under the floor 1': the denoiser passes frames under 8 pixels unmeasured."""
    photo = noisy(3.0)[1][:5, :7]
    same, done = denoise_photo(photo, plan("light"))
    assert same is photo and done.summary() == "not denoised: under 8 pixels on a side, too small to measure its noise"


def test_the_torch_form_runs_where_opencv_cannot_load(monkeypatch):
    clean, photo = noisy(3.0)
    monkeypatch.setattr(photo_prepare.simd, "available", lambda: False)
    monkeypatch.setitem(sys.modules, "cv2", None)  # ``import cv2`` raises ImportError, as without libGL
    out, done = denoise_photo(photo, plan("light"))
    assert done.denoised and out.dtype == np.uint8 and rms(out, clean) < 0.8 * rms(photo, clean)


@pytest.mark.parametrize("level", ["auto", "off"])
def test_the_command_denoises_a_noisy_photo_and_says_so(tmp_path, cli, level):
    """The summary said nothing of the denoiser, which ran per piece inside the enhancer (per tile in tiles)."""
    source = tmp_path / "dusk.png"
    Image.fromarray(noisy(3.0)[1]).save(source)
    result = cli(source, "-o", tmp_path / "day.png", "--device", "cpu", "--denoise", level)
    assert result.returncode == 0, result.stderr
    assert ("denoise light (noise " in result.stderr) == (level == "auto"), result.stderr
    dry = cli(source, "-o", tmp_path / "day.png", "--device", "cpu", "--denoise", level, "--dry-run")
    assert ("denoising: light (one frame:" in dry.stdout) == (level == "auto"), dry.stdout


def test_a_photo_whose_denoise_auto_turned_off_says_so(tmp_path, cli):
    """`--quality fast` on a CPU turns `--denoise auto` off over 0.5 megapixels; a video's summary says 'denoise off
    (auto: ...)', a photo's said nothing of the denoiser (a noisy 1024x600 photo came out undenoised without a
    word). `--denoise off`, asked, stays unsaid."""
    source = tmp_path / "dusk.png"
    Image.fromarray(np.tile(noisy(3.0)[1], (7, 8, 1))[:600, :1024]).save(source)
    result = cli(source, "-o", tmp_path / "day.png", "--device", "cpu", "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "(onnxruntime (fast: 1/4 size), denoise off (auto: fast on a CPU, frames over 0.5 megapixels; --denoise " \
           "light turns it on), " in result.stderr, result.stderr
    asked = cli(source, "-o", tmp_path / "off.png", "--device", "cpu", "--quality", "fast", "--denoise", "off")
    assert asked.returncode == 0 and "(onnxruntime (fast: 1/4 size), colour) -> " in asked.stderr, asked.stderr


def test_the_summary_names_the_steps_before_the_colour():
    """The colour stays last in the parentheses, as in a video's summary (the denoise piece had been put after it)."""
    from pathlib import Path

    from enlight.stream.apps.photo import PhotoStats

    stats = PhotoStats(width=8, height=8, bits=8, wall_s=1.0, output=Path("o.jpg"), backend="b", colour="colour",
                       debanded=0.0638, noise=PhotoNoise("light", 1.4213, True))
    assert "(b, denoise light (noise 1.42), deband 6.4% of the pixels, colour) -> o.jpg" in stats.summary()
    clean = PhotoStats(width=8, height=8, bits=8, wall_s=1.0, output=Path("o.jpg"), backend="b", colour="grey",
                       noise=PhotoNoise("light", 0.61, False))
    assert "(b, noise 0.61 under the floor 1: not denoised, grey) -> o.jpg" in clean.summary()


def _noise_sd(estimator, x: np.ndarray) -> float:
    """The rms noise standard deviation an estimator finds in x (C, H, W) float32, over its pixels' intensities."""
    estimator.update(x)
    return float(np.sqrt(estimator.variance(x).mean()))


def test_the_still_estimate_is_calibrated_on_white_noise():
    from enlight.stream.core.cpu.still_noise import CALIBRATION, PERCENTILE, StillNoiseEstimator, block_variances

    rng = np.random.default_rng(5)
    noise = (128 + rng.normal(0, 4, (3, 512, 512))).astype(np.float32)
    variances, _ = block_variances(noise)
    assert abs(np.percentile(variances, PERCENTILE) / 16 - CALIBRATION) < 0.03
    flat = (60 + rng.normal(0, 2.5, (3, 240, 320))).astype(np.float32)
    assert abs(_noise_sd(StillNoiseEstimator(), flat) - 2.5) < 0.2


def test_the_still_estimate_does_not_take_texture_for_noise():
    """Immerkaer's trimmed estimate, learned over a video's frames, read a photo's fine texture as noise (a textured
    Kodak scene: 1.70 levels for 0.97 added), and the filter took the texture with it."""
    from enlight.stream.core.cpu.denoise_noise import NoiseEstimator
    from enlight.stream.core.cpu.still_noise import StillNoiseEstimator

    rng = np.random.default_rng(6)
    y, x = np.mgrid[0:240, 0:320].astype(np.float32)
    picture = 48 + 2 * (x / 320)  # one intensity bin
    picture[:, 120:] += 6 * rng.standard_normal((240, 200)).astype(np.float32)  # fine texture over most of it
    noisy = np.repeat(picture[None], 3, 0) + rng.normal(0, 1.2, (3, 240, 320)).astype(np.float32)
    level = np.full(1, 48, np.float32)  # the estimates at the flat part's level
    video, still = NoiseEstimator(), StillNoiseEstimator()
    video.update(noisy)
    still.update(noisy)
    video, still = float(np.sqrt(video.variance(level)[0])), float(np.sqrt(still.variance(level)[0]))
    assert abs(still - 1.2) < 0.1 and video > 1.5, (still, video)
    assert Denoiser(DenoiseConfig("light", still=True)).estimator.__class__ is StillNoiseEstimator
    assert Denoiser(DenoiseConfig("light")).estimator.__class__ is NoiseEstimator


def test_a_photo_with_a_reduced_size_preset_gets_the_bilateral_too():
    """`fast` on a CPU leaves the bilateral out of video for its cost per frame; a photo has one frame, and its
    one-frame share (STILL_KEEP) was chosen with the bilateral."""
    lean = make_plan(quality="fast", device="cpu", denoise=DenoiseConfig("light", refine=False))
    assert not lean.denoise.bilateral
    assert still_plan(lean).denoise == DenoiseConfig("light", refine=True, bilateral=True, still=True)
    off = make_plan(quality="fast", device="cpu", denoise=DenoiseConfig("off"))
    assert not still_plan(off).denoise.enabled
