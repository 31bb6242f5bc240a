"""SICE sequence pairing, synthetic darkening, the paired dataset and real RetinexNet training steps."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from enlight.cli.train import main as train_main
from enlight.errors import EnlightError
from enlight.models.zoo import load_model, load_retinexnet
from enlight.train.paired_data import PairedDataset, match_by_name
from enlight.train.pairs import darken, signature, write_pairs
from enlight.train.retinex_trainer import RetinexConfig, RetinexTrainer, export_retinexnet, stage_at


def scene(seed: int, size: int = 64) -> np.ndarray:
    """A random smooth scene with edges, linear values in [0, 1] (H, W, 3)."""
    rng = np.random.default_rng(seed)
    small = rng.random((8, 8, 3))
    return np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((size, size), Image.NEAREST)) / 255.0


def exposed(linear: np.ndarray, gain: float) -> np.ndarray:
    return (np.clip(linear * gain, 0, 1) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def sice(tmp_path_factory):
    """Three scenes shot as sequences 10-13, 20-22, 30-31 (rising exposure) split into dark/bright folders."""
    root = tmp_path_factory.mktemp("sice")
    (root / "low").mkdir()
    (root / "normal").mkdir()
    (root / "normal" / "bsds_99.jpg").write_bytes(b"")  # another set in the folder: ignored
    Image.fromarray(exposed(scene(9), 1.0)).save(root / "normal" / "bsds_99.jpg")
    gains = [0.01, 0.02, 0.5, 1.0]
    for base, count, seed in ((10, 4, 1), (20, 3, 2), (30, 2, 3)):
        for k in range(count):
            image = exposed(scene(seed), gains[k] if count > 2 else (0.03, 0.05)[k])
            folder = "low" if image.mean() / 255 < 0.2 else "normal"
            Image.fromarray(image).save(root / folder / f"sice_{base + k}.png")
    return root


def test_signature_ignores_exposure_but_not_content():
    a, _ = signature(exposed(scene(1), 0.05))
    b, _ = signature(exposed(scene(1), 1.0))
    c, _ = signature(exposed(scene(2), 1.0))
    assert float(a @ b) > 0.9
    assert abs(float(a @ c)) < 0.5


def test_pairs_follow_the_sequences(sice, tmp_path):
    counts = write_pairs(sice / "low", sice / "normal", tmp_path)
    rows = (tmp_path / "pairs.csv").read_text().splitlines()[1:]
    pairs = {r.split(",")[1]: r.split(",")[2] for r in rows}
    # scene 1: dark 10, 11 -> the shot nearest luma 0.45; scene 2: dark 20, 21 -> 22;
    # scene 3 has no well-exposed shot, so its dark shots stay unpaired
    assert set(pairs) == {"sice_10.png", "sice_11.png", "sice_20.png", "sice_21.png"}
    assert pairs["sice_20.png"] == pairs["sice_21.png"] == "sice_22.png"
    assert pairs["sice_10.png"] == pairs["sice_11.png"] == "sice_12.png"  # luma 0.5 beats 0.69
    assert counts["pairs"] == 4 and counts["unpaired_dark"] == 2
    assert sorted(p.name for p in (tmp_path / "high").iterdir()) == sorted(pairs)  # same names both sides


def test_pairs_to_an_out_that_is_a_file_is_one_line(sice, tmp_path, capsys):
    """It was an internal error (FileExistsError) once the pairs had been found."""
    (tmp_path / "pairs").write_text("mine")
    argv = ["pairs", "--low", str(sice / "low"), "--normal", str(sice / "normal"), "--out", str(tmp_path / "pairs")]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out " in err and "is a file; it must be a folder" in err, err
    assert (tmp_path / "pairs").read_text() == "mine"


def test_darken_is_dark_noisy_and_deterministic():
    image = exposed(scene(4, 96), 1.0)
    a = darken(image, np.random.default_rng(1))
    assert a.shape == image.shape and a.dtype == np.uint8
    assert a.mean() < 0.6 * image.mean()
    assert np.array_equal(a, darken(image, np.random.default_rng(1)))
    flat = darken(np.full((64, 64, 3), 128, np.uint8), np.random.default_rng(2))
    assert flat.std() > 0  # sensor noise on a flat patch


@pytest.fixture(scope="module")
def pair_folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    for sub in ("low", "high", "normal"):
        (root / sub).mkdir()
    for i in range(4):
        linear = scene(10 + i, 48)
        Image.fromarray(exposed(linear, 0.05)).save(root / "low" / f"p{i}.png")
        Image.fromarray(exposed(linear, 1.0)).save(root / "high" / f"p{i}.jpg")  # extension may differ
        Image.fromarray(exposed(scene(20 + i, 40), 1.0)).save(root / "normal" / f"n{i}.png")
    Image.fromarray(exposed(scene(30, 48), 0.05)).save(root / "low" / "orphan.png")
    return root


def test_paired_dataset_crops_both_alike(pair_folders):
    pairs = match_by_name(pair_folders / "low", pair_folders / "high")
    assert len(pairs) == 4  # the orphan has no namesake
    data = PairedDataset(pairs, sorted((pair_folders / "normal").iterdir()), crop=32, seed=0)
    assert len(data) == 8
    for code, agree in ((1, 0.9), (6, 0.5)):  # a real pair; a synthetic one (noisy: photon counts of a few)
        item = data[code]
        assert item["low"].shape == item["high"].shape == (3, 32, 32)
        assert 0 <= item["low"].min() and item["high"].max() <= 1
        assert item["low"].mean() < item["high"].mean()
        # aligned: the same window of one scene, so the pixel values go together
        lo, hi = item["low"].mean(0).flatten(), item["high"].mean(0).flatten()
        assert np.corrcoef(lo, hi)[0, 1] > agree
        assert np.corrcoef(lo, hi.roll(7))[0, 1] < agree  # another window would not
    with pytest.raises(EnlightError, match="namesake"):
        match_by_name(pair_folders / "low", pair_folders / "normal")


def retinex_config(folders: Path, out: Path, **changes) -> RetinexConfig:
    base = dict(pairs_low=folders / "low", pairs_high=folders / "high", synthetic=folders / "normal", out=out,
                decom_steps=3, enhance_steps=3, joint_steps=2, batch_size=4, crop=32, channels=8, device="cpu",
                workers=0, checkpoint_every=4, sample_every=4, log_every=1)
    base.update(changes)
    return RetinexConfig(**base)


def test_stages_and_their_order():
    config = retinex_config(Path(), Path(), decom_steps=2, enhance_steps=3, joint_steps=1)
    assert [stage_at(config, s) for s in range(6)] == ["decom"] * 2 + ["enhance"] * 3 + ["joint"]


def test_retinex_training_learns_and_freezes_what_each_stage_freezes(pair_folders, tmp_path):
    trainer = RetinexTrainer(retinex_config(pair_folders, tmp_path / "run", decom_steps=12, enhance_steps=12,
                                            joint_steps=2))
    loader = torch.utils.data.DataLoader(trainer.dataset, batch_size=4, sampler=[0, 1, 2, 3])
    batch = next(iter(loader))
    decom_before = trainer.model.decom.shallow.weight.clone()
    enhance_before = trainer.model.enhance.conv0.weight.clone()
    first = trainer.train_step(batch)["loss"]
    for _ in range(11):
        last = trainer.train_step(batch)["loss"]
    assert last < first  # the decomposition loss falls on a fixed batch
    assert torch.equal(trainer.model.enhance.conv0.weight, enhance_before)  # untouched in stage 1
    decom_after = trainer.model.decom.shallow.weight.clone()
    assert not torch.equal(decom_after, decom_before)
    first = trainer.train_step(batch)["loss"]
    for _ in range(11):
        last = trainer.train_step(batch)["loss"]
    assert last < first  # the relighting loss falls
    assert torch.equal(trainer.model.decom.shallow.weight, decom_after)  # frozen in stage 2
    assert trainer.stage == "joint"


def test_retinex_run_resumes_and_exports(pair_folders, tmp_path):
    out = tmp_path / "run"
    whole = RetinexTrainer(retinex_config(pair_folders, tmp_path / "whole"))
    whole.fit(progress=False)
    first = RetinexTrainer(retinex_config(pair_folders, out))
    first.total_steps = 4  # stopped early, as Ctrl-C does (a checkpoint at the step reached)
    first.fit(progress=False)
    resumed = RetinexTrainer(retinex_config(pair_folders, out))
    resumed.fit(resume=True, progress=False)
    assert resumed.step == whole.step == 8
    for a, b in zip(resumed.model.parameters(), whole.model.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-5)  # resuming reproduces the uninterrupted run
    assert (out / "samples").is_dir() and (out / "losses.jsonl").is_file()
    path = export_retinexnet(out, tmp_path / "r.safetensors")
    net = load_retinexnet(path)
    x = torch.rand(1, 3, 40, 56)
    with torch.no_grad():
        assert torch.allclose(net(x), resumed.model.eval().cpu()(x), atol=2e-2)  # fp16 storage
    video_model = load_model("retinexnet", path)
    assert video_model(x * 2 - 1, torch.zeros(1, 1, 40, 56)).shape == (1, 3, 40, 56)
    assert train_main(["export", str(out), "-o", str(tmp_path / "cli.safetensors")]) == 0


def test_weights_given_to_the_other_model_say_which_runs_them(tmp_path):
    """Each said only 'holds X weights, not Y', with nothing on the --model option that runs them."""
    from enlight.models.generator import build_generator
    from enlight.models.retinexnet import build_retinexnet
    from enlight.models.weights import load_generator, save_weights
    from enlight.models.zoo import save_retinexnet

    retinex = save_retinexnet(tmp_path / "r.safetensors", build_retinexnet(channels=8), provenance={})
    generator = save_weights(tmp_path / "g.safetensors", build_generator(base_channels=8), provenance="test")
    with pytest.raises(EnlightError, match=r"holds retinexnet weights, not an enlightengan-generator \(--model "
                       r"retinexnet runs them\)"):
        load_generator(retinex)
    with pytest.raises(EnlightError, match=r"not retinexnet \(they run without --model retinexnet\)"):
        load_retinexnet(generator)
