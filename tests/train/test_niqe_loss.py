"""The NIQE training term: the same values as enlight.quality.niqe, a gradient that lowers it, the detail step as
the product runs it, and real recipe steps with the term on."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter

from enlight.errors import EnlightError
from enlight.ops.detail_frames import detail_restored, restore_detail
from enlight.quality.niqe import aggd_parameters as reference_aggd
from enlight.quality.niqe import imresize_half, niqe
from enlight.train.niqe_loss import (
    _half_matrix,
    aggd_parameters,
    niqe_loss,
    niqe_scores,
)
from enlight.train.nonref import LossWeights, NonRefConfig, NonRefTrainer


def textured(height=200, width=296, seed=0) -> np.ndarray:
    """(H, W, 3) uint8: smooth shapes plus fine grain, something with both edges and texture."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray((rng.random((height // 8, width // 8, 3)) * 255).astype(np.uint8))
    base = np.asarray(coarse.resize((width, height), Image.BICUBIC), dtype=np.float64)
    return np.clip(base * 0.8 + rng.normal(0, 6, (height, width, 3)) + 20, 0, 255).astype(np.uint8)


def as_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].double() / 255


@pytest.mark.parametrize("sampler", ["normal", "laplace"])
def test_aggd_fit_agrees_with_the_reference(sampler):
    rng = np.random.default_rng(2)
    samples = getattr(rng, sampler)(0, 1, (3, 20_000)) * np.array([[1.0], [0.5], [3.0]])
    ours = [t.numpy() for t in aggd_parameters(torch.from_numpy(samples))]
    for row in range(3):
        alpha, left, right = reference_aggd(samples[row])
        assert ours[0][row] == pytest.approx(alpha, abs=1e-3)  # the table's step; ours interpolates
        assert ours[1][row] == pytest.approx(left, rel=1e-3)
        assert ours[2][row] == pytest.approx(right, rel=1e-3)


def test_half_resize_is_matlabs():
    image = np.random.default_rng(3).random((18, 26)) * 255
    ours = _half_matrix(18, torch.device("cpu")) @ torch.from_numpy(image) @ _half_matrix(26, torch.device("cpu")).T
    np.testing.assert_allclose(ours.numpy(), imresize_half(image), atol=1e-9)


@pytest.mark.parametrize("darken", [1.0, 0.15])
def test_scores_match_enlight_quality_niqe(darken):
    """Bright and near-black (where the rounding of the luma to whole levels matters most)."""
    rgb = (textured() * darken).astype(np.uint8)
    assert float(niqe_scores(as_tensor(rgb))[0]) == pytest.approx(niqe(rgb), abs=0.01)


def test_scores_match_on_a_real_photo(shared):
    rgb = np.asarray(Image.open(shared / "data" / "eval" / "LIME" / "1.bmp").convert("RGB"))
    assert float(niqe_scores(as_tensor(rgb))[0]) == pytest.approx(niqe(rgb), abs=0.01)


def test_its_gradient_lowers_niqe_of_a_blurred_picture():
    blurred = np.asarray(Image.fromarray(textured(seed=5)).filter(ImageFilter.GaussianBlur(2.5)))
    image = as_tensor(blurred).float().requires_grad_(True)
    seen = []
    optimizer = torch.optim.Adam([image], lr=2e-3)
    for _ in range(15):
        loss = niqe_loss(image)
        seen.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        assert torch.isfinite(image.grad).all()
        optimizer.step()
        with torch.no_grad():
            image.clamp_(0, 1)
    assert seen[-1] < seen[0] - 0.5, seen
    final = (image.detach()[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    assert niqe(final) < niqe(blurred) - 0.5  # the real measure agrees


def test_the_float_detail_step_is_the_products():
    rng = np.random.default_rng(6)
    source = (rng.random((2, 64, 80, 3)) * 40).astype(np.uint8)
    flat = np.stack([np.asarray(Image.fromarray(f).filter(ImageFilter.GaussianBlur(2))) for f in source])
    result = np.clip(flat.astype(np.float64) * 3 + 10, 0, 255).astype(np.uint8)  # lifted, its detail lost
    product = restore_detail(torch.from_numpy(result), torch.from_numpy(source), 0.35).numpy().astype(int)
    ours = detail_restored(*(torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255 for x in (result, source)), 0.35)
    ours = (ours.permute(0, 2, 3, 1).numpy() * 255).round().astype(int)
    assert np.abs(ours - product).max() <= 1
    assert np.abs(ours - result).max() > 5  # the step did something


@pytest.fixture(scope="module")
def larger_low(tmp_path_factory):
    root = tmp_path_factory.mktemp("low96")
    for i in range(5):
        Image.fromarray((textured(112, 120, seed=i) * 0.2).astype(np.uint8)).save(root / f"{i}.png")
    return root


def test_recipe_steps_with_the_niqe_term(larger_low, tmp_path):
    weights = LossWeights(vgg=0.0, spatial=0.0, exposure=0.0, smooth=0.0, niqe=1.0)
    config = NonRefConfig(low=larger_low, out=tmp_path / "run", steps=3, decay_steps=0, batch_size=2, crop=96,
                          base_channels=8, device="cpu", workers=0, validation=1, weights=weights, lr=1e-3)
    trainer = NonRefTrainer(config)
    before = trainer.generator.conv1_1.weight.clone()
    batch = next(iter(torch.utils.data.DataLoader(trainer.dataset, batch_size=2, sampler=range(2))))
    trainer.set_train()
    losses = trainer.train_step(batch)
    assert set(losses) == {"spatial", "exposure", "smooth", "niqe", "total"}
    assert np.isfinite(losses["niqe"]) and losses["niqe"] > 0
    assert not torch.equal(before, trainer.generator.conv1_1.weight)
    with pytest.raises(EnlightError, match="--w-niqe"):
        NonRefConfig(low=larger_low, out=tmp_path, crop=64, weights=weights)
    with pytest.raises(EnlightError, match="--w-niqe"):
        NonRefConfig(low=larger_low, out=tmp_path, crop=96, batch_size=1, weights=weights)
