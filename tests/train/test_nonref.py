"""The zerodce recipe: real steps on tiny images, resume, export, the validation split, the CLI."""

from pathlib import Path

import numpy as np
import pytest
import torch

from enlight.errors import EnlightError
from enlight.models.vgg import Vgg16Relu51
from enlight.models.weights import load_generator, save_weights
from enlight.train.nonref import LossWeights, NonRefConfig, NonRefTrainer, validation_split
from enlight.train.trainer import export_generator
from tests.train.conftest import dark_pngs


@pytest.fixture(scope="module")
def low_folder(tmp_path_factory):
    return dark_pngs(tmp_path_factory.mktemp("low"), 8)


def config(low, out, **changes):
    base = dict(low=low, out=out, steps=4, decay_steps=2, batch_size=2, crop=32, base_channels=8, device="cpu",
                workers=0, checkpoint_every=2, sample_every=2, log_every=1, validation=2,
                weights=LossWeights(angle=1.0, color=1.0, chroma=1.0), max_gain=10.0)
    base.update(changes)
    return NonRefConfig(**base)


def steps_on_one_batch(trainer, batch, term: str, steps: int) -> tuple[float, list[float], float]:
    """(the generator's mean output before, the ``term`` at each of ``steps`` train steps, its mean after)."""
    with torch.no_grad():
        before = trainer.generator(batch["low"], batch["attention"]).mean().item()
    seen = []
    for _ in range(steps):
        trainer.set_train()
        seen.append(trainer.train_step(batch)[term])
    trainer.generator.eval()
    with torch.no_grad():
        after = trainer.generator(batch["low"], batch["attention"]).mean().item()
    return before, seen, after


def test_validation_split_is_deterministic_and_disjoint():
    paths = [Path(f"{i:03d}.jpg") for i in range(534)]
    train, val = validation_split(list(reversed(paths)), 40)
    assert len(val) == 40 and len(train) == 494 and not set(train) & set(val)
    assert validation_split(paths, 40) == (train, val)
    assert val[0] == paths[0] and val[-1] == paths[-1]  # spread over the whole list
    assert validation_split(paths, 0) == (paths, [])
    with pytest.raises(EnlightError):
        validation_split(paths[:3], 3)


def test_steps_train_the_generator_with_finite_losses(low_folder, tmp_path):
    trainer = NonRefTrainer(config(low_folder, tmp_path / "run"), vgg=Vgg16Relu51())
    assert len(trainer.dataset) == 6 and len(trainer.validation) == 2
    before = trainer.generator.conv1_1.weight.clone()
    loader = torch.utils.data.DataLoader(trainer.dataset, batch_size=2, sampler=range(4))
    for batch in loader:
        losses = trainer.train_step(batch)
        assert set(losses) == {"spatial", "exposure", "color", "smooth", "angle", "chroma", "vgg", "total"}
        assert all(np.isfinite(v) for v in losses.values()), losses
    assert not torch.equal(before, trainer.generator.conv1_1.weight)


def test_fit_resume_and_export(low_folder, tmp_path):
    out = tmp_path / "run"
    cfg = config(low_folder, out, weights=LossWeights(vgg=0.0))  # no VGG needed
    first = NonRefTrainer(cfg)
    first.fit(progress=False)
    assert first.step == 4 and (out / "losses.jsonl").is_file() and any((out / "samples").iterdir())
    assert first.lr == 0.0  # decayed to 0 at the end
    longer = NonRefTrainer(config(low_folder, out, weights=LossWeights(vgg=0.0), steps=6, decay_steps=2))
    longer.fit(resume=True, progress=False)
    assert longer.step == 6
    weights = export_generator(out, tmp_path / "g.safetensors")
    exported = load_generator(weights)
    assert exported.base_channels == 8 and exported.keep_hue  # the recipe's default: the input's colours kept
    free = NonRefTrainer(config(low_folder, tmp_path / "free", weights=LossWeights(vgg=0.0), keep_hue=False))
    free.fit(progress=False)
    assert not load_generator(export_generator(tmp_path / "free", tmp_path / "f.safetensors")).keep_hue


def test_init_from_weights(low_folder, tmp_path):
    from enlight.models.generator import build_generator

    source = build_generator(base_channels=8)
    path = save_weights(tmp_path / "init.safetensors", source.eval(), provenance="test")
    trainer = NonRefTrainer(config(low_folder, tmp_path / "run", init=path, weights=LossWeights(vgg=0.0)))
    assert torch.equal(trainer.generator.conv10.weight, source.conv10.weight)
    with pytest.raises(EnlightError, match="base channels"):
        NonRefTrainer(config(low_folder, tmp_path / "run2", init=path, base_channels=16, weights=LossWeights(vgg=0.0)))


def test_structure_and_anchor_terms_fine_tune_from_the_init(low_folder, tmp_path):
    """The anchor is the frozen --init generator: 0 before the first step (BatchNorm frozen, so the
    trained network runs as it ships), above 0 once the structure term has moved the weights."""
    from enlight.models.generator import build_generator

    torch.manual_seed(4)
    path = save_weights(tmp_path / "init.safetensors", build_generator(base_channels=8).eval(), provenance="test")
    weights = LossWeights(vgg=0.0, spatial=0.0, exposure=0.0, smooth=0.0, structure=1.0, anchor=1.0, border=1.0)
    trainer = NonRefTrainer(config(low_folder, tmp_path / "run", init=path, weights=weights, freeze_bn=True,
                                   lr=1e-2, crop=48, margin=8))
    loader = torch.utils.data.DataLoader(trainer.dataset, batch_size=2, sampler=range(4))
    seen = []
    for batch in loader:
        trainer.set_train()
        losses = trainer.train_step(batch)
        assert set(losses) == {"spatial", "exposure", "smooth", "border", "structure", "anchor", "total"}
        seen.append(losses)
    assert seen[0]["anchor"] < 1e-6 < seen[-1]["anchor"]
    assert seen[-1]["structure"] < seen[0]["structure"]
    with pytest.raises(EnlightError, match="--init"):
        config(low_folder, tmp_path, weights=LossWeights(anchor=1.0))


def test_a_brighter_anchor_pulls_the_output_up(low_folder, tmp_path):
    """--anchor-gamma below 1: the anchor's target is the frozen generator's output raised to it, so the
    term starts above 0 and its steps brighten the picture."""
    from enlight.models.generator import build_generator

    torch.manual_seed(5)
    path = save_weights(tmp_path / "init.safetensors", build_generator(base_channels=8).eval(), provenance="test")
    weights = LossWeights(vgg=0.0, spatial=0.0, exposure=0.0, smooth=0.0, anchor=1.0)
    trainer = NonRefTrainer(config(low_folder, tmp_path / "run", init=path, weights=weights, freeze_bn=True,
                                   lr=1e-3, crop=48, anchor_gamma=0.5, steps=20, decay_steps=0))
    batch = next(iter(torch.utils.data.DataLoader(trainer.dataset, batch_size=2, sampler=range(2))))
    before, seen, after = steps_on_one_batch(trainer, batch, "anchor", 6)
    assert seen[0] > 1e-3 and all(b < a for a, b in zip(seen, seen[1:], strict=False))
    assert after > before
    with pytest.raises(EnlightError, match="--anchor-gamma"):
        config(low_folder, tmp_path, anchor_gamma=0.0)


def test_config_checks(low_folder, tmp_path):
    with pytest.raises(EnlightError):
        config(low_folder, tmp_path, spatial_reference="other")
    with pytest.raises(EnlightError):
        config(low_folder, tmp_path, crop=40)
    with pytest.raises(EnlightError):
        LossWeights(vgg=-1)


def test_cli_runs_the_recipe(low_folder, tmp_path):
    from enlight.cli.train import main

    args = ["--recipe", "zerodce", "--low", str(low_folder), "--out", str(tmp_path / "run"), "--steps", "2",
            "--decay-steps", "1", "--crop", "32", "--batch-size", "2", "--base-channels", "8", "--w-vgg", "0",
            "--w-angle", "1", "--max-gain", "8", "--validation", "2", "--workers", "0", "--device", "cpu",
            "--quiet", "--threads", "1"]
    assert main(args) == 0
    assert (tmp_path / "run" / "checkpoints" / "step_0000002.pt").is_file()
    assert main(args) == 2  # the run folder has checkpoints: needs --resume


def test_an_anchor_with_a_toe_darkens_the_shadows(low_folder, tmp_path):
    """--anchor-curve toe:P:KNEE: the anchor's target is the frozen generator's output with a lower black point,
    so the term starts above 0 and its steps darken the picture; a bad curve is refused."""
    from enlight.cli.train import nonref_parser
    from enlight.models.generator import build_generator

    torch.manual_seed(5)
    path = save_weights(tmp_path / "init.safetensors", build_generator(base_channels=8).eval(), provenance="test")
    weights = LossWeights(vgg=0.0, spatial=0.0, exposure=0.0, smooth=0.0, anchor=1.0)
    trainer = NonRefTrainer(config(low_folder, tmp_path / "run", init=path, weights=weights, freeze_bn=True,
                                   lr=1e-3, crop=48, anchor_curve="toe:20:255", steps=20, decay_steps=0))
    batch = next(iter(torch.utils.data.DataLoader(trainer.dataset, batch_size=2, sampler=range(2))))
    before, seen, after = steps_on_one_batch(trainer, batch, "anchor", 6)
    assert seen[0] > 1e-3 and seen[-1] < seen[0]
    assert after < before
    with pytest.raises(EnlightError, match="--anchor-curve: expected toe:P:KNEE"):
        config(low_folder, tmp_path, anchor_curve="toe:60:128")
    args = nonref_parser().parse_args(["--recipe", "zerodce", "--low", "x", "--out", "y", "--anchor-curve", "sm:0.2"])
    assert args.anchor_curve == "sm:0.2"


def test_a_short_run_without_decay_steps_is_told_which_to_give(low_folder, tmp_path):
    """'--steps 5' alone (--decay-steps keeps its 1000) said '--steps must be >= 1 and --decay-steps within
    [0, steps]': neither the value at fault nor what to pass."""
    with pytest.raises(EnlightError) as error:
        config(low_folder, tmp_path, steps=5, decay_steps=1000)
    assert str(error.value) == ("--decay-steps 1000 is more than --steps 5 (the decay is the last of the steps): "
                                "give --decay-steps 0 to 5 with --steps 5")
    with pytest.raises(EnlightError, match="^--steps must be 1 or more, got 0$"):
        config(low_folder, tmp_path, steps=0, decay_steps=0)
    with pytest.raises(EnlightError, match="^--decay-steps must be 0 or more, got -1$"):
        config(low_folder, tmp_path, steps=5, decay_steps=-1)
