"""--model retinexnet keeps the input's colours, as EnlightenGAN does: near-black neutral shadows stay grey (its own
colours lifted them olive-brown: the dark grey half of this scene came out 7.7 levels short of blue, its channels 8.3
levels apart on average) and dark colours keep their hue. The bundled weights record it (``keep_hue``), and so does
their export."""

from __future__ import annotations

import colorsys

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from enlight.models.weights import read_metadata
from enlight.models.zoo import DEFAULT_RETINEX_WEIGHTS, load_model

HEIGHT, HALF = 96, 96
PATCHES = ((40, 8, 8), (8, 40, 8), (8, 8, 40), (40, 30, 6), (30, 8, 40), (6, 30, 36))  # 2 rows of 3, right half


def dark_scene() -> np.ndarray:
    """(96, 192, 3) uint8: the left half neutral near-black (levels 2-30: a ramp and a checkerboard, with 1 level of
    noise on all three channels alike), the right half six dark saturated patches (the same noise)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:HEIGHT, : 2 * HALF]
    scene = np.repeat((2 + 22 * x / HALF + 6 * ((x // 16 + y // 16) % 2))[..., None], 3, axis=2)
    for index, colour in enumerate(PATCHES):
        row, column = divmod(index, 3)
        scene[row * HEIGHT // 2:(row + 1) * HEIGHT // 2, HALF + column * 32:HALF + (column + 1) * 32] = colour
    return np.clip(scene + rng.normal(0, 1.0, (HEIGHT, 2 * HALF, 1)), 0, 255).round().astype(np.uint8)


def patch_means(image: np.ndarray) -> list[np.ndarray]:
    """The mean RGB of each patch of ``dark_scene``, 6 pixels in from its edges."""
    means = []
    for index in range(len(PATCHES)):
        row, column = divmod(index, 3)
        top, left = row * HEIGHT // 2 + 6, HALF + column * 32 + 6
        means.append(image[top:top + HEIGHT // 2 - 12, left:left + 20].reshape(-1, 3).astype(float).mean(0))
    return means


def hue_degrees(rgb: np.ndarray) -> float:
    return 360 * colorsys.rgb_to_hsv(*(rgb / 255))[0]


@pytest.mark.parametrize("quality", ["best", "fast"])
def test_dark_neutral_stays_grey_and_dark_colours_keep_their_hue(tmp_path, cli, quality):
    source = dark_scene()
    Image.fromarray(source).save(tmp_path / "dark.png")
    result = cli(tmp_path / "dark.png", "-o", tmp_path / "out.png", "--model", "retinexnet", "--quality", quality)
    assert result.returncode == 0, result.stderr
    out = np.asarray(Image.open(tmp_path / "out.png").convert("RGB")).astype(int)
    neutral = out[:, 4:HALF - 16]  # fast's quarter-size correction carries the patches' colour ~12 px (as EnlightenGAN)
    assert neutral.mean() > source[:, :HALF].mean() + 60  # lifted
    spread = neutral.max(axis=2) - neutral.min(axis=2)  # was 8.3 levels on average (best), 5.3 (fast): olive-brown
    assert spread.mean() <= 1 and np.percentile(spread, 99) <= 3, (spread.mean(), neutral.reshape(-1, 3).mean(0))
    for before, after in zip(patch_means(source), patch_means(out), strict=True):
        assert after.max() > 2 * before.max()  # lifted
        turned = abs((hue_degrees(after) - hue_degrees(before) + 180) % 360 - 180)
        assert turned <= 3, (before.round(1), after.round(1), turned)


def test_bundled_weights_and_their_export_record_the_colour_kept(tmp_path, cli):
    assert read_metadata(DEFAULT_RETINEX_WEIGHTS)["keep_hue"] == "1"
    assert load_model("retinexnet").keep_hue
    path = tmp_path / "R.onnx"
    result = cli("export", "--model", "retinexnet", "-o", path)
    assert result.returncode == 0, result.stderr
    metadata = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).get_modelmeta()
    assert metadata.custom_metadata_map["enlight.keep_hue"] == "1"
