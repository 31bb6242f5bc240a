"""Real training steps on tiny images (random VGG weights: the mechanics do not depend on them)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from enlight.errors import EnlightError
from enlight.models.vgg import Vgg16Relu51
from enlight.train.data import EpochSampler, UnpairedDataset
from enlight.train.trainer import TrainConfig, Trainer, export_generator


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    for kind, scale, count in (("low", 40, 6), ("normal", 200, 5)):
        (root / kind).mkdir()
        for i in range(count):
            size = (40 + 4 * i, 36) if i % 2 else (24, 20)  # some smaller than the crop
            img = (rng.random((size[1], size[0], 3)) * scale).astype(np.uint8)
            suffix = ".png" if i % 3 else ".jpg"
            Image.fromarray(img).save(root / kind / f"{i}{suffix}")
    return root


def config(folders, out, **changes):
    base = dict(low=folders / "low", normal=folders / "normal", out=out, epochs=1, decay_epochs=1, batch_size=2,
                crop=48, patch_size=32, extra_patches=2, base_channels=8, d_channels=8, device="cpu", workers=0,
                checkpoint_every=2, sample_every=2, log_every=1, pool_size=4)
    base.update(changes)
    return TrainConfig(**base)


def test_dataset_items(folders):
    data = UnpairedDataset(folders / "low", folders / "normal", crop=48, seed=1)
    item = data[3]
    assert item["low"].shape == item["normal"].shape == (3, 48, 48)
    assert item["attention"].shape == (1, 48, 48)
    assert item["low"].min() >= -1 and item["low"].max() <= 1
    assert torch.equal(data[3]["low"], item["low"])  # a pure function of (seed, epoch, index)
    assert not torch.equal(data[len(data) + 3]["low"], item["low"])  # next epoch, new crop


def test_sampler_resumes_mid_epoch():
    full = list(EpochSampler(10, batch_size=3, seed=0, epochs=2))
    assert len(full) == 2 * 3 * 3
    assert list(EpochSampler(10, batch_size=3, seed=0, start_step=4, epochs=2)) == full[4 * 3 :]


def test_a_folder_smaller_than_the_batch_fills_every_batch_with_fresh_draws():
    codes = list(EpochSampler(3, batch_size=8, seed=0, epochs=2))
    assert len(codes) == 2 * 8  # one full batch per step, not 3 items that drop_last throws away
    assert len(set(codes)) == len(codes)  # each repeat has its own code: its own crop and flip
    assert sorted(c % 3 for c in codes[:6]) == [0, 0, 1, 1, 2, 2]  # every image drawn equally often
    assert list(EpochSampler(3, batch_size=8, seed=0, start_step=1, epochs=2)) == codes[8:]


def test_fit_on_fewer_images_than_the_batch_runs_its_steps(folders, tmp_path):
    trainer = Trainer(config(folders, tmp_path / "run", batch_size=8, max_steps=2), vgg=Vgg16Relu51())
    last = trainer.fit(progress=False)
    assert trainer.step == 2 and last.name == "step_0000002.pt"  # was step 0: 6 images never made a batch of 8


def test_training_steps_change_weights_with_finite_losses(folders, tmp_path):
    trainer = Trainer(config(folders, tmp_path / "run"), vgg=Vgg16Relu51())
    before = {name: net.state_dict()["model.0.weight" if name != "g" else "conv1_1.weight"].clone()
              for name, net in (("g", trainer.generator), ("dg", trainer.d_global), ("dl", trainer.d_local))}
    loader = torch.utils.data.DataLoader(trainer.dataset, batch_size=2, sampler=range(6))
    for batch in list(loader)[:3]:
        losses = trainer.train_step(batch)
        assert all(np.isfinite(v) for v in losses.values()), losses
    assert set(losses) >= {"g_global", "g_local", "vgg", "vgg_patch", "d_global", "d_local"}
    after = {"g": trainer.generator.conv1_1.weight, "dg": trainer.d_global.model[0].weight,
             "dl": trainer.d_local.model[0].weight}
    for name, weight in after.items():
        assert not torch.equal(weight, before[name]), f"{name} did not change"
    assert all(not p.requires_grad for p in trainer.vgg.parameters())
    assert trainer.step == 3


def test_resume_restores_step_optimiser_and_learning_rate(folders, tmp_path):
    out = tmp_path / "run"
    steps_per_epoch = 3  # 6 low images, batch 2
    whole = Trainer(config(folders, tmp_path / "whole", max_steps=5), vgg=Vgg16Relu51())
    whole.fit(progress=False)
    expected_lr = whole.lr

    first = Trainer(config(folders, out, max_steps=4), vgg=Vgg16Relu51())
    checkpoint = first.fit(progress=False)
    assert checkpoint.name == "step_0000004.pt" and first.step == 4
    assert first.lr < 1e-4  # step 4 is in the decay epoch
    saved_opt = first.opt_g.state_dict()["state"]

    second = Trainer(config(folders, out, max_steps=5), vgg=Vgg16Relu51())
    second.load_checkpoint(second.latest_checkpoint())
    assert second.step == 4 and second.lr == pytest.approx(first.lr)
    for key, state in saved_opt.items():
        assert torch.equal(second.opt_g.state_dict()["state"][key]["exp_avg"], state["exp_avg"])
    torch.testing.assert_close(second.generator.state_dict(), first.generator.state_dict())

    third = Trainer(config(folders, out, max_steps=5), vgg=Vgg16Relu51())
    third.fit(resume=True, progress=False)
    assert third.step == 5 and third.lr == pytest.approx(expected_lr)
    assert steps_per_epoch == third.steps_per_epoch
    # the resumed run reproduces the uninterrupted one (same data, patches and RNG)
    torch.testing.assert_close(third.generator.state_dict(), whole.generator.state_dict(), atol=1e-5, rtol=1e-4)
    assert sorted(p.name for p in (out / "checkpoints").glob("*.pt"))[-1] == "step_0000005.pt"
    assert (out / "losses.jsonl").read_text().count("\n") >= 4
    assert list((out / "samples").glob("*.png"))
    assert list((out / "tb").glob("events.*"))
    wider = Trainer(config(folders, out, max_steps=6, d_channels=16), vgg=Vgg16Relu51())
    with pytest.raises(EnlightError, match="other sizes than these settings make"):
        wider.fit(resume=True, progress=False)  # one line, not load_state_dict's size listing


def test_export_writes_loadable_fp16_weights(folders, tmp_path):
    from enlight.models import load_generator
    from enlight.models.weights import read_metadata

    trainer = Trainer(config(folders, tmp_path / "run", max_steps=2), vgg=Vgg16Relu51())
    trainer.fit(progress=False)
    path = export_generator(tmp_path / "run", tmp_path / "g.safetensors")
    meta = read_metadata(path)
    assert meta["base_channels"] == "8" and '"step": 2' in meta["provenance"]
    generator = load_generator(path)
    x = torch.rand(1, 3, 20, 20) * 2 - 1
    trainer.generator.eval()
    with torch.no_grad():
        from enlight.models import attention_map

        a = attention_map(x)
        torch.testing.assert_close(generator(x, a), trainer.generator(x, a), atol=3e-2, rtol=0)


def test_cli_refuses_missing_folders_and_reused_runs(tmp_path, folders):
    from enlight.cli.train import main

    assert main(["--low", str(tmp_path / "nope"), "--normal", str(folders / "normal"), "--out",
                 str(tmp_path / "r")]) == 2
    run = tmp_path / "used"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "step_0000001.pt").write_bytes(b"x")
    assert main(["--low", str(folders / "low"), "--normal", str(folders / "normal"), "--out", str(run)]) == 2
    assert main(["export", str(tmp_path / "nothing"), "-o", str(tmp_path / "w.safetensors")]) == 2
    photo = tmp_path / "photo.jpg"  # --out naming a file was an internal error once training had started
    photo.write_bytes(b"a photo")
    assert main(["--low", str(folders / "low"), "--normal", str(folders / "normal"), "--out", str(photo)]) == 2
    assert photo.read_bytes() == b"a photo"
    import shutil

    low = Path(shutil.copytree(folders / "low", tmp_path / "low_bad"))  # one image that is not one stopped the run
    (low / "zz_bad.jpg").write_bytes(b"not a jpeg")  # at the step that drew it, with no checkpoint
    assert main(["--low", str(low), "--normal", str(folders / "normal"), "--out", str(tmp_path / "r2")]) == 2
    assert not (tmp_path / "r2").exists()


def test_config_rejects_tiny_crops(folders, tmp_path):
    from enlight.errors import EnlightError

    with pytest.raises(EnlightError):
        config(folders, Path(tmp_path), crop=16)


def test_exposure_warmup_brightens_without_touching_discriminators(folders, tmp_path):
    trainer = Trainer(config(folders, tmp_path / "run", warmup_steps=6, max_steps=6), vgg=Vgg16Relu51())
    d_before = trainer.d_global.model[0].weight.clone()
    loader = torch.utils.data.DataLoader(trainer.dataset, batch_size=2, sampler=range(6))
    batch = next(iter(loader))
    losses = [trainer.train_step(batch)["warmup_l1"] for _ in range(6)]
    assert losses[-1] < losses[0]
    assert torch.equal(trainer.d_global.model[0].weight, d_before)
    assert trainer.step == 6 and trainer.lr == pytest.approx(1e-4)  # the decay starts after the warm-up


def test_auto_exposure_target():
    from enlight.train.trainer import auto_exposure

    dark = torch.rand(2, 3, 16, 16) * 0.1
    exposed = auto_exposure(dark, 0.45)
    assert (exposed >= dark - 1e-6).all()  # it only brightens
    assert torch.equal(auto_exposure(torch.zeros(1, 3, 4, 4), 0.45), torch.zeros(1, 3, 4, 4))  # black stays black
    luma = (exposed ** 2.2 * torch.tensor([0.2126, 0.7152, 0.0722]).view(1, 3, 1, 1)).sum(1).mean(dim=(1, 2))
    assert luma.max() < 0.45 ** 2.2  # the soft shoulder keeps the mean at or under the target
    assert luma.min() > 0.5 * 0.45 ** 2.2


def test_a_warmup_only_run_trains_all_its_steps(folders, tmp_path):
    trainer = Trainer(config(folders, tmp_path / "run", epochs=0, decay_epochs=0, warmup_steps=4), vgg=Vgg16Relu51())
    assert trainer.total_steps == 4
    trainer.fit(progress=False)
    assert trainer.step == 4


def test_fine_tune_holds_out_validation_and_adds_stage_two_terms(folders, tmp_path):
    from enlight.models.generator import build_generator
    from enlight.models.weights import save_weights

    start = build_generator(base_channels=8)
    start.keep_hue, start.margin = True, 4
    init = save_weights(tmp_path / "init.safetensors", start, provenance="test")
    trainer = Trainer(config(folders, tmp_path / "run", init=init, validation=2, adversarial=0.5, w_structure=1.0,
                             w_border=1.0, w_anchor=1.0), vgg=Vgg16Relu51())
    assert torch.equal(trainer.generator.conv1_1.weight, start.conv1_1.weight)  # --init
    assert trainer.generator.keep_hue and trainer.generator.margin == 4  # the weights' settings come along
    assert len(trainer.dataset) == 4 and len(trainer.validation) == 2
    assert not set(trainer.validation) & set(trainer.dataset.low)  # held out: never a training crop
    loader = torch.utils.data.DataLoader(trainer.dataset, batch_size=2, sampler=range(4))
    losses = trainer.train_step(next(iter(loader)))
    assert {"structure", "border", "anchor"} <= set(losses) and all(np.isfinite(v) for v in losses.values())
    assert not torch.equal(trainer.generator.conv1_1.weight, start.conv1_1.weight)
    assert torch.equal(trainer.anchor.conv1_1.weight, start.conv1_1.weight)  # the anchor stays as it started
    paper = Trainer(config(folders, tmp_path / "paper"), vgg=Vgg16Relu51())  # the paper's recipe: none of it
    assert len(paper.dataset) == 6 and paper.anchor is None
    assert not {"structure", "border", "anchor"} & set(paper.train_step(next(iter(loader))))


def test_anchor_needs_init(folders, tmp_path):
    from enlight.errors import EnlightError

    with pytest.raises(EnlightError, match="--w-anchor needs --init"):
        config(folders, tmp_path / "run", w_anchor=1.0)


def test_amp_on_a_cpu_runs_the_networks_in_bf16_and_the_measures_in_float32(folders, tmp_path, monkeypatch):
    from enlight.models.generator import build_generator
    from enlight.models.weights import save_weights
    from enlight.train import trainer as trainer_module

    init = save_weights(tmp_path / "init.safetensors", build_generator(base_channels=8), provenance="test")
    trainer = Trainer(config(folders, tmp_path / "run", init=init, amp=True, w_structure=1.0, w_border=1.0,
                             w_anchor=1.0), vgg=Vgg16Relu51())
    assert trainer.amp and not trainer.scaler.is_enabled()  # bf16 needs no loss scaling
    seen = {}
    measure = trainer_module.structure_loss
    monkeypatch.setattr(trainer_module, "structure_loss", lambda a, b: seen.setdefault("in", (a.dtype, b.dtype))
                        and measure(a, b))
    trainer.generator.conv10.register_forward_hook(lambda module, args, out: seen.setdefault("out", out))
    loader = torch.utils.data.DataLoader(trainer.dataset, batch_size=2, sampler=range(4))
    before = trainer.generator.conv1_1.weight.clone()
    losses = trainer.train_step(next(iter(loader)))
    assert seen["out"].dtype == torch.bfloat16
    assert seen["in"] == (torch.float32, torch.float32)
    assert all(np.isfinite(v) for v in losses.values()) and {"structure", "border", "anchor"} <= set(losses)
    assert not torch.equal(trainer.generator.conv1_1.weight, before)
    assert trainer.generator.conv1_1.weight.dtype == torch.float32  # the weights stay float32
    plain = Trainer(config(folders, tmp_path / "plain"), vgg=Vgg16Relu51())
    assert not plain.amp


def test_a_picture_smaller_than_the_crop_is_cropped_from_a_writable_copy():
    """An 8x8 picture under a crop of 32 was resized into a read-only array (np.asarray of Pillow's image), and
    to_tensor's torch.from_numpy warned 'The given NumPy array is not writable' during training."""
    import warnings

    from enlight.train.data import random_crop, to_tensor

    small = np.full((8, 8, 3), 40, np.uint8)
    crop = random_crop(small, 32, np.random.default_rng(1))
    assert crop.shape == (32, 32, 3) and crop.flags.writeable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert to_tensor(crop).shape == (3, 32, 32)
