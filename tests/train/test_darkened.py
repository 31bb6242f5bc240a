"""The zerodce recipe's darkened photos (--synthetic): the mixed dataset, the darkening ranges, real steps, the CLI."""

import numpy as np
import pytest
import torch
from PIL import Image

from enlight.errors import EnlightError
from enlight.models.generator import build_generator
from enlight.models.weights import save_weights
from enlight.train.darkened import PHOTO_DARKENING, WithDarkened, photos_matching
from enlight.train.data import list_images
from enlight.train.distill import LowLightCrops
from enlight.train.nonref import LossWeights, NonRefConfig, NonRefTrainer
from enlight.train.pairs import Darkening, darken
from tests.train.test_nonref import steps_on_one_batch


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """low/: 4 dark shots; photos/: 3 bright textured photos named ph_*, and one named other.png."""
    root = tmp_path_factory.mktemp("darkened")
    (root / "low").mkdir()
    (root / "photos").mkdir()
    rng = np.random.default_rng(2)
    for i in range(4):
        Image.fromarray((rng.random((40, 44, 3)) * 40).astype(np.uint8)).save(root / "low" / f"{i}.png")
    for name in ("ph_0", "ph_1", "ph_2", "other"):
        photo = 90 + rng.random((48, 52, 3)) * 140
        Image.fromarray(photo.astype(np.uint8)).save(root / "photos" / f"{name}.png")
    return root


def test_darkened_items_carry_their_photo_and_real_ones_none(folders):
    photos = photos_matching(folders / "photos", "ph_*")
    assert [p.name for p in photos] == ["ph_0.png", "ph_1.png", "ph_2.png"]
    data = WithDarkened(LowLightCrops(list_images(folders / "low"), [], crop=32), photos, seed=1)
    assert len(data) == 7
    for code in range(14):  # two epochs
        item = data[code]
        assert item["low"].shape == item["target"].shape == (3, 32, 32)
        assert item["attention"].shape == (1, 32, 32)
        if code % 7 < 4:
            assert item["has_target"] == 0 and item["target"].abs().max() == 0
            continue
        assert item["has_target"] == 1
        dark, photo = (item["low"] + 1) / 2, (item["target"] + 1) / 2
        assert photo.mean() > 0.4 and dark.mean() < photo.mean() * 0.75  # gain <= 0.2 in linear light
        # the same window: the darkened crop follows the photo's texture
        assert np.corrcoef(dark.flatten().numpy(), photo.flatten().numpy())[0, 1] > 0.5
    assert not torch.equal(data[4]["low"], data[11]["low"])  # a fresh window and noise each epoch
    torch.testing.assert_close(data[4]["low"], data[4]["low"])  # and the same one for the same code
    with pytest.raises(EnlightError, match="matches"):
        photos_matching(folders / "photos", "bsds_*")


def test_darkening_ranges_set_the_exposure_and_the_noise():
    photo = np.full((64, 64, 3), 180, np.uint8)
    dim = Darkening(gain=(0.05, 0.05), peak=(1e6, 1e6), read=(0, 0), gamma=(2.2, 2.2))
    clean = darken(photo, np.random.default_rng(0), dim)
    expected = 255 * (180 / 255) * 0.05 ** (1 / 2.2)  # gain 0.05 in linear light, gamma 2.2 both ways
    assert abs(clean.mean() - expected) < 1 and clean.std() < 1
    noisy = darken(photo, np.random.default_rng(0), Darkening(gain=(0.05, 0.05), peak=(200, 200), read=(0, 0)))
    assert noisy.std() > 5 * max(clean.std(), 0.2)
    assert PHOTO_DARKENING.peak[0] > Darkening().peak[0]  # milder noise than RetinexNet's pairs


def test_darkened_photos_pull_a_dim_generator_towards_the_photos(folders, tmp_path):
    torch.manual_seed(5)
    init = save_weights(tmp_path / "init.safetensors", build_generator(base_channels=8).eval(), provenance="test")
    cfg = NonRefConfig(low=folders / "low", out=tmp_path / "run", init=init, steps=20, decay_steps=0, batch_size=4,
                       crop=32, base_channels=8, device="cpu", workers=0, validation=1, lr=1e-3, freeze_bn=True,
                       synthetic=folders / "photos", synthetic_match="ph_*", pair_pool=4,
                       weights=LossWeights(vgg=0, spatial=0, exposure=0, smooth=0, pair=1))
    trainer = NonRefTrainer(cfg)
    assert len(trainer.dataset) == 3 + 3  # one low shot held out
    batch = next(iter(torch.utils.data.DataLoader(trainer.dataset, batch_size=4, sampler=range(2, 6))))
    assert batch["has_target"].tolist() == [0.0, 1.0, 1.0, 1.0]
    before, seen, after = steps_on_one_batch(trainer, batch, "pair", 15)
    assert seen[0] > 0.05 and seen[-1] < seen[0] * 0.8
    assert after > before  # the photos are brighter than the generator's output of their darkened copies
    with pytest.raises(EnlightError, match="--w-pair needs --pairs"):
        NonRefConfig(low=folders / "low", out=tmp_path, weights=LossWeights(pair=1))
    with pytest.raises(EnlightError, match="--synthetic-gain"):
        NonRefConfig(low=folders / "low", out=tmp_path, synthetic=folders / "photos", synthetic_gain=(0.2, 0.1))


def test_the_gain_range_reaches_the_darkened_photos(folders, tmp_path):
    def mean_of_darkened(gain):
        cfg = NonRefConfig(low=folders / "low", out=tmp_path / str(gain), steps=1, decay_steps=0, crop=32,
                           base_channels=8, device="cpu", workers=0, validation=1, synthetic=folders / "photos",
                           synthetic_match="ph_*", synthetic_gain=gain, weights=LossWeights(vgg=0, pair=1))
        data = NonRefTrainer(cfg).dataset
        assert data.ranges.gain == gain and data.ranges.peak == PHOTO_DARKENING.peak
        return float(np.mean([(data[code]["low"] + 1).mean() / 2 for code in range(3, 6)]))

    dim, dimmer = mean_of_darkened((0.1, 0.1)), mean_of_darkened((0.005, 0.005))
    assert dimmer < dim * 0.5  # 20x less light: about 0.26x the level through gamma 2.0-2.6


def test_cli_takes_darkened_photos(folders, tmp_path, capsys):
    from enlight.cli.train import main

    def args(out, match):
        return ["--recipe", "zerodce", "--low", str(folders / "low"), "--out", str(out), "--steps", "2",
                "--decay-steps", "0", "--crop", "32", "--batch-size", "2", "--base-channels", "8", "--w-vgg", "0",
                "--synthetic", str(folders / "photos"), "--synthetic-match", match, "--w-pair", "2",
                "--validation", "1", "--workers", "0", "--device", "cpu", "--quiet", "--threads", "1"]

    assert main(args(tmp_path / "run", "ph_*")) == 0
    assert (tmp_path / "run" / "checkpoints" / "step_0000002.pt").is_file()
    assert main(args(tmp_path / "bad", "none_*")) == 2
    assert "matches 'none_*'" in capsys.readouterr().err
