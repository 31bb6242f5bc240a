"""Settings with which a run trained nothing, or not what it said, are one line and exit 2 before any work: a run of
0 steps said 'step 0 done' and left an untrained checkpoint, a NaN loss weight trained NaN weights to the end, a width
of 0 was an internal error (leaving config.json and tb/ behind), a clip step of 0 a ZeroDivisionError, and a negative
or impossible value (warm-up steps, structure weight, exposure level, a decay longer than the run) did something other
than asked without a word."""

import numpy as np
import pytest
from PIL import Image

from enlight.cli.train import main
from tests.media import make_clip

COMMON = ["--crop", "32", "--batch-size", "2", "--workers", "0", "--device", "cpu", "--quiet"]
PAPER = ["--low", "{data}/low", "--normal", "{data}/normal", "--base-channels", "8", "--d-channels", "8", "--epochs",
         "1", "--decay-epochs", "0"]
ZERODCE = ["--recipe", "zerodce", "--low", "{data}/low", "--base-channels", "8", "--steps", "2", "--decay-steps", "0",
           "--validation", "0", "--w-vgg", "0"]
RETINEX = ["--model", "retinexnet", "--pairs-low", "{data}/low", "--pairs-high", "{data}/high"]
DISTILL = ["distill", "--images", "{data}/low", "--base-channels", "8", "--steps", "2", "--decay-steps", "0"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """low/, high/ (the same names) and normal/: three 40x48 noise PNGs each; clip.mp4, 4 frames."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(1)
    for kind, level in (("low", 40), ("high", 200), ("normal", 200)):
        (root / kind).mkdir()
        for i in range(3):
            Image.fromarray((rng.random((40, 48, 3)) * level).astype(np.uint8)).save(root / kind / f"{i}.png")
    make_clip(root / "clip.mp4", width=48, height=32, frames=4)
    return root


@pytest.mark.parametrize("recipe, extra, message", [
    (PAPER, ["--epochs", "0"], "these settings train 0 steps"),  # was 'step 0 done', rc 0
    (PAPER, ["--max-steps", "0"], "argument --max-steps: must be at least 1"),  # the same
    (PAPER, ["--max-steps", "-3"], "argument --max-steps: must be at least 1"),  # the same ('-3 steps')
    (PAPER, ["--warmup-steps", "-2"], "argument --warmup-steps: must be 0 or more"),  # one step fewer, silently
    (PAPER, ["--base-channels", "0"], "argument --base-channels: must be at least 1"),  # internal error
    (PAPER, ["--d-channels", "0"], "argument --d-channels: must be at least 1"),  # internal error at step 1
    (PAPER, ["--adversarial", "nan"], "argument --adversarial: takes a number, not 'nan'"),  # NaN weights, rc 0
    (PAPER, ["--w-structure", "inf"], "argument --w-structure: takes a number, not 'inf'"),  # the same
    (RETINEX, ["--decom-steps", "0", "--enhance-steps", "0", "--joint-steps", "0"], "train 0 steps"),  # 'step 0 done'
    (ZERODCE, ["--w-spatial", "nan"], "argument --w-spatial: takes a number, not 'nan'"),  # NaN weights, rc 0
    (ZERODCE, ["--w-vgg", "nan"], "argument --w-vgg: takes a number, not 'nan'"),  # the VGG term off, silently
    (ZERODCE, ["--max-gain", "-1"], "argument --max-gain: must be 0 or more"),
    (ZERODCE, ["--exposure-level", "5"], "--exposure-level must be in (0, 1)"),  # a level no picture reaches
    (DISTILL, ["--clips", "{data}/clip.mp4", "--clip-every", "0"], "argument --clip-every: must be at least 1"),
    (DISTILL, ["--structure-weight", "-1"], "argument --structure-weight: must be 0 or more"),
    (DISTILL, ["--decay-steps", "5"], "--decay-steps 5 is not 0 to --steps 2"),  # ended at 0.6 of the rate, not 0
])
def test_is_one_line_before_any_work(recipe, extra, message, data, tmp_path, capsys):
    out = tmp_path / "run"
    argv = [a.format(data=data) for a in [*recipe, *extra]] + ["--out", str(out), *COMMON]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not out.exists()


def test_a_warm_up_alone_is_a_run(data, tmp_path, capsys):
    """--epochs 0 --decay-epochs 0 with warm-up steps is the documented warm-up run, and still trains."""
    from enlight.models.vgg import Vgg16Relu51
    from enlight.train.trainer import TrainConfig, Trainer

    config = TrainConfig(low=data / "low", normal=data / "normal", out=tmp_path / "run", epochs=0, decay_epochs=0,
                         warmup_steps=2, crop=32, batch_size=2, base_channels=8, d_channels=8, device="cpu",
                         workers=0)
    trainer = Trainer(config, vgg=Vgg16Relu51())
    assert trainer.fit(progress=False).name == "step_0000002.pt"
