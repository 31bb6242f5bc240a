"""The zerodce recipe's pair term: partners from `enlight-train pairs`, aligned crops, the loss, real steps."""

import csv

import numpy as np
import pytest
import torch
from PIL import Image

from enlight.errors import EnlightError
from enlight.models.generator import build_generator
from enlight.models.weights import save_weights
from enlight.train.data import list_images, validation_split
from enlight.train.nonref import LossWeights, NonRefConfig, NonRefTrainer
from enlight.train.partners import PartneredCrops, pair_loss, partner_paths
from tests.train.test_nonref import steps_on_one_batch


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """8 dark shots in 4 sequences of 2; the pairs folder gives shots 0-5 a partner (4x as bright), 6-7 none."""
    root = tmp_path_factory.mktemp("shots")
    low, pairs = root / "low", root / "pairs"
    for folder in (low, pairs / "high"):
        folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    rows = []
    for i in range(8):
        dark = (rng.random((40, 44, 3)) * 40).astype(np.uint8)
        Image.fromarray(dark).save(low / f"s_{i}.png")
        if i < 6:
            Image.fromarray((dark * 4).astype(np.uint8)).save(pairs / "high" / f"s_{i}.png")
            rows.append([f"s_{i}", f"s_{i}.png", f"b_{i // 2}.png", "0.1", "0.45", "0.9", i // 2])
    with open(pairs / "pairs.csv", "w", newline="") as handle:
        table = csv.writer(handle)
        table.writerow(["name", "low", "high", "low_luma", "high_luma", "similarity", "sequence"])
        table.writerows(rows)
    return low, pairs


def test_partners_leave_out_the_sequences_of_held_out_shots(shots):
    low, pairs = shots
    train, held = validation_split(list_images(low), 2)  # holds out s_0 and s_7
    partners = partner_paths(train, held, pairs)
    assert sorted(partners) == ["s_2.png", "s_3.png", "s_4.png", "s_5.png"]  # s_1 shares s_0's sequence
    assert partners["s_3.png"] == pairs / "high" / "s_3.png"
    with pytest.raises(EnlightError, match="enlight-train pairs"):
        partner_paths(train, held, low)
    with pytest.raises(EnlightError, match="no training shot"):
        partner_paths(train[-1:], held, pairs)


def test_crops_take_the_same_window_and_flips_of_shot_and_partner(shots):
    low, pairs = shots
    images = list_images(low)
    data = PartneredCrops(images, partner_paths(images, [], pairs), crop=32, seed=3)
    for code in range(16):  # two epochs: different windows and flips
        item = data[code]
        dark = (item["low"] + 1) * 127.5
        bright = (item["target"] + 1) * 127.5
        if code % 8 < 6:
            assert item["has_target"] == 1
            torch.testing.assert_close(bright, (dark * 4).clamp(max=255), atol=1e-3, rtol=0)
        else:
            assert item["has_target"] == 0 and bright.abs().max() < 1e-4


def test_pair_loss_hand_computed_over_the_items_with_a_partner():
    out = torch.full((2, 3, 4, 4), 0.5)
    target = torch.zeros(2, 3, 4, 4)
    target[0, :, ::2, ::2] = target[0, :, 1::2, 1::2] = 1.0  # a checkerboard: 0.5 on average in every 2x2 cell
    target[0, :, :2, :2] += 0.4  # one cell of four brighter by 0.4
    target[1] = 1.0  # no partner: ignored
    has = torch.tensor([1.0, 0.0])
    assert pair_loss(out, target, has, pool=2).item() == pytest.approx(0.1)  # the pixel detail averages out
    assert pair_loss(out, target, has, pool=1).item() == pytest.approx(0.5)  # |0.5 - 0 or 1|, the cell's 0.9 / 0.1 too
    assert pair_loss(out, target, torch.tensor([0.0, 0.0]), pool=2).item() == 0


def test_the_pair_term_pulls_the_output_towards_the_partners(shots, tmp_path):
    low, pairs = shots
    torch.manual_seed(5)
    init = save_weights(tmp_path / "init.safetensors", build_generator(base_channels=8).eval(), provenance="test")
    cfg = NonRefConfig(low=low, out=tmp_path / "run", init=init, steps=20, decay_steps=0, batch_size=4, crop=32,
                       base_channels=8, device="cpu", workers=0, validation=2, lr=3e-3, freeze_bn=True,
                       pairs=pairs, pair_pool=4, weights=LossWeights(vgg=0, spatial=0, exposure=0, smooth=0, pair=1))
    trainer = NonRefTrainer(cfg)
    batch = next(iter(torch.utils.data.DataLoader(trainer.dataset, batch_size=4, sampler=range(4))))
    assert batch["has_target"].tolist() == [0.0, 1.0, 1.0, 1.0]  # s_1's sequence is held out with s_0
    before, seen, after = steps_on_one_batch(trainer, batch, "pair", 10)
    assert seen[0] > 0.05 and seen[-1] < seen[0] * 0.8
    assert after > before  # the partners are 4x as bright
    with pytest.raises(EnlightError, match="--w-pair needs --pairs"):
        NonRefConfig(low=low, out=tmp_path, weights=LossWeights(pair=1))
    with pytest.raises(EnlightError, match="--pair-pool"):
        NonRefConfig(low=low, out=tmp_path, pairs=pairs, pair_pool=5, crop=32)


def test_cli_takes_the_pair_term(shots, tmp_path):
    from enlight.cli.train import main

    low, pairs = shots
    args = ["--recipe", "zerodce", "--low", str(low), "--out", str(tmp_path / "run"), "--steps", "2",
            "--decay-steps", "0", "--crop", "32", "--batch-size", "2", "--base-channels", "8", "--w-vgg", "0",
            "--pairs", str(pairs), "--w-pair", "2", "--pair-pool", "8", "--validation", "2", "--workers", "0",
            "--device", "cpu", "--quiet", "--threads", "1"]
    assert main(args) == 0
    assert (tmp_path / "run" / "checkpoints" / "step_0000002.pt").is_file()
