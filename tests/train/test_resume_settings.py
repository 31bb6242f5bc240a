"""--resume continues with the settings it is given, or says in one line why it cannot: a --lr given with --resume was
ignored without a word (the optimiser and scheduler kept the run's first one) while config.json recorded the new one;
a run already at its last step said 'step N done' and rewrote config.json; a checkpoint of another recipe (the paper's
and --recipe zerodce are both EnlightenGAN runs) was an internal error, a KeyError or a ValueError."""

import json

import pytest
import torch

from enlight.cli.train import main
from enlight.errors import EnlightError
from enlight.models.vgg import Vgg16Relu51
from enlight.train.loop import newest_checkpoint
from enlight.train.trainer import TrainConfig, Trainer


def zerodce(low, out, *extra):
    return ["--recipe", "zerodce", "--low", str(low), "--out", str(out), "--base-channels", "8", "--decay-steps", "0",
            "--validation", "0", "--w-vgg", "0", "--crop", "32", "--batch-size", "2", "--workers", "0", "--device",
            "cpu", "--quiet", *extra]


@pytest.fixture
def run(low_folder, tmp_path):
    """A zerodce run of 2 steps at lr 1e-4."""
    out = tmp_path / "run"
    assert main(zerodce(low_folder, out, "--steps", "2")) == 0
    return out


def test_a_learning_rate_given_with_resume_is_the_one_trained_with(low_folder, run, capsys):
    capsys.readouterr()
    assert main(zerodce(low_folder, run, "--steps", "4", "--lr", "1e-3", "--resume")) == 0
    err = capsys.readouterr().err
    assert "settings changed since it was saved, which apply from step 3 on: steps 2 -> 4, lr 0.0001 -> 0.001" in err
    state = newest_checkpoint(run)
    assert state["step"] == 4
    assert state["opt_g"]["param_groups"][0]["lr"] == pytest.approx(1e-3)  # was 1e-4
    assert state["schedulers"][0]["base_lrs"] == [pytest.approx(1e-3)]
    assert json.loads((run / "config.json").read_text())["lr"] == pytest.approx(1e-3)


def test_a_run_at_its_last_step_says_there_is_nothing_to_train(low_folder, run, capsys):
    config = (run / "config.json").read_text()
    capsys.readouterr()
    assert main(zerodce(low_folder, run, "--steps", "2", "--lr", "1e-3", "--resume")) == 0
    err = capsys.readouterr().err
    assert "nothing to train: " in err and "is at step 2 and these settings end at step 2" in err, err
    assert "done" not in err and "changed" not in err
    assert (run / "config.json").read_text() == config  # was rewritten with lr 0.001, which nothing trained with
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["step_0000002.pt"]


def test_a_checkpoint_of_another_recipe_is_one_line(low_folder, run, tmp_path, capsys):
    capsys.readouterr()
    paper = TrainConfig(low=low_folder, normal=low_folder, out=run, epochs=2, decay_epochs=0, crop=32, batch_size=2,
                        base_channels=8, d_channels=8, device="cpu", workers=0)
    with pytest.raises(EnlightError, match="was written by another kind of run .* resume it with the command that "
                       "started it"):
        Trainer(paper, vgg=Vgg16Relu51()).fit(resume=True, progress=False)  # was KeyError: 'd_global'
    other = tmp_path / "paper"
    Trainer(TrainConfig(**{**vars(paper), "out": other, "max_steps": 1}), vgg=Vgg16Relu51()).fit(progress=False)
    assert main(zerodce(low_folder, other, "--steps", "4", "--resume")) == 2  # was an internal error, exit 1
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "error: --resume: " in err and "written by another kind of run" in err, err


def test_a_different_width_is_still_refused(run, low_folder, capsys):
    capsys.readouterr()
    argv = zerodce(low_folder, run, "--steps", "4", "--resume")
    argv[argv.index("--base-channels") + 1] = "16"
    assert main(argv) == 2
    assert "has other sizes than these settings make" in capsys.readouterr().err
    assert torch.load(run / "checkpoints" / "step_0000002.pt", weights_only=True)["step"] == 2
