"""enlight.quality.structure against hand-made cases and the project's reference implementation."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from enlight.quality.structure import border_excess, gamma_match, hue_change, structure_kept

SHARED = Path(__file__).resolve().parents[3] / "shared"
REFERENCE = SHARED / "tools" / "structure.py"


def _smooth_image(seed=0, size=(64, 80)):
    rng = np.random.default_rng(seed)
    base = rng.uniform(10, 80, (size[0] // 8, size[1] // 8, 3))
    return np.kron(base, np.ones((8, 8, 1))).round().astype(np.uint8)


def test_global_power_curve_keeps_structure():
    rgb = _smooth_image()
    brightened = np.round(255 * (rgb / 255.0) ** 0.5).astype(np.uint8)
    assert structure_kept(rgb, brightened) > 0.97
    assert abs(border_excess(rgb, brightened)) < 1.0


def test_flattened_output_loses_structure():
    rgb = np.random.default_rng(1).integers(10, 80, (64, 64, 3)).astype(np.uint8)  # texture everywhere
    flat = np.full_like(rgb, 128)
    assert structure_kept(rgb, flat) < 0.3  # only the constants c1, c2 keep it above 0


def test_bright_frame_is_counted_in_levels():
    rgb = np.full((64, 64, 3), 100, np.uint8)
    out = rgb.copy()
    out[:4] += 10  # top 4 rows 10 levels brighter
    assert border_excess(rgb, out) == pytest.approx(10.0)  # a flat input's bands do not differ


def test_gamma_match_hits_the_mean():
    y = np.linspace(0.01, 0.5, 1000)
    assert gamma_match(y, 0.6).mean() == pytest.approx(0.6, abs=1e-6)


def test_hue_change():
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 200
    assert hue_change(red, red) == pytest.approx(0.0)
    brighter = red.copy()
    brighter[..., 0] = 250  # same hue family, more light: small change
    assert hue_change(red, brighter) < 3
    green = np.zeros_like(red)
    green[..., 1] = 200
    assert 90 < hue_change(red, green) <= 180  # red ~40 deg, green ~136 deg in CIELAB
    grey = np.full_like(red, 128)
    assert np.isnan(hue_change(grey, red))  # no chroma in the input: undefined


def test_lab_matches_known_value():
    from enlight.quality.structure import _srgb_to_lab

    lab = _srgb_to_lab(np.array([[[255, 0, 0]]], np.uint8))[0, 0]
    np.testing.assert_allclose(lab, [53.24, 80.09, 67.20], atol=0.02)  # sRGB red, D65


@pytest.mark.skipif(not REFERENCE.is_file(), reason="../shared/tools/structure.py not present")
def test_agrees_with_reference_on_real_images():
    spec = importlib.util.spec_from_file_location("reference_structure", REFERENCE)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    from enlight.train.data import load_rgb

    folder = SHARED / "data" / "eval" / "LIME"
    paths = sorted(folder.iterdir())[:3] if folder.is_dir() else []
    if not paths:
        pytest.skip("no LIME images")
    for path in paths:
        rgb = load_rgb(path)[:200, :240]
        for out in (np.round(255 * (rgb / 255.0) ** 0.45).astype(np.uint8),
                    np.clip(rgb.astype(int) * 3 + 20, 0, 255).astype(np.uint8)):
            assert structure_kept(rgb, out) == pytest.approx(reference.ssim_structure(rgb, out), abs=1e-6)
            assert border_excess(rgb, out) == pytest.approx(reference.border_excess(rgb, out), abs=1e-6)
