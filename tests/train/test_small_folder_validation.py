"""`enlight-train --recipe zerodce` on a small folder: without --validation it holds out a tenth of the photos
(at most 40, which it still holds out of the project's own folder, the same photos), says so, and trains.

Before, it held out 40 whatever the folder: 30 photos were refused ('error: cannot hold out 40 of 30 images for
validation: give more images or a smaller --validation (0 for none)'), and so was any folder of 40 or fewer."""

import json

import pytest

from enlight.cli.train import main
from enlight.train.data import list_images, validation_split
from enlight.train.nonref import LossWeights, NonRefConfig, NonRefTrainer
from enlight.train.quantize import QuantizeConfig, calibration_paths
from tests.train.conftest import dark_pngs

RECIPE = ["--recipe", "zerodce", "--base-channels", "8", "--steps", "1", "--decay-steps", "0", "--w-vgg", "0",
          "--crop", "32", "--batch-size", "2", "--workers", "0", "--device", "cpu", "--quiet"]


@pytest.fixture(scope="module")
def thirty(tmp_path_factory):
    return dark_pngs(tmp_path_factory.mktemp("thirty"), 30)


def test_a_folder_of_30_photos_trains_holding_out_3(thirty, tmp_path, capsys):
    assert main([*RECIPE, "--low", str(thirty), "--out", str(tmp_path / "run")]) == 0  # was 2
    err = capsys.readouterr().err
    assert "enlight-train: 27 low-light images (3 held out for validation: a tenth of a folder under 400 images, " \
           "rounded down, 40 of a larger one; --validation N chooses)" in err, err
    assert json.loads((tmp_path / "run" / "config.json").read_text())["validation"] == 3
    assert (tmp_path / "run" / "checkpoints" / "step_0000001.pt").is_file()


def test_the_int8_calibration_leaves_out_the_same_photos(thirty, tmp_path):
    calibrated, held = calibration_paths(QuantizeConfig(weights=tmp_path, images=(thirty,), out=tmp_path / "q.onnx"))
    assert held == "the 3 validation images held out"  # was 'none held out: --holdout 40 needs more than 40 ...'
    assert sorted(set(list_images(thirty)) - set(calibrated)) == validation_split(list_images(thirty), 3)[1]


def test_a_few_photos_train_with_none_held_out_and_too_many_asked_for_is_refused(tmp_path, capsys):
    few = dark_pngs(tmp_path, 5)
    assert main([*RECIPE, "--low", str(few), "--out", str(tmp_path / "run")]) == 0
    assert "5 low-light images (none held out for validation: a tenth" in capsys.readouterr().err
    assert main([*RECIPE, "--low", str(few), "--out", str(tmp_path / "run2"), "--validation", "5"]) == 2
    assert "error: cannot hold out 5 of 5 images for validation: give more images or a smaller --validation (0 for " \
           "none)" in capsys.readouterr().err


def test_the_rule_keeps_40_from_400_photos_on():
    from enlight.train.data import default_validation

    assert [default_validation(n) for n in (0, 9, 10, 30, 399, 400, 534, 5000)] == [0, 0, 1, 3, 39, 40, 40, 40]


def test_the_projects_own_folder_holds_out_the_same_40_photos(shared, tmp_path):
    """The shipped recipe (make train-*, no --validation) holds out what it held out before, photo for photo."""
    low = shared / "data" / "train" / "low"
    if not low.is_dir():
        pytest.skip(f"{low} not found")
    trainer = NonRefTrainer(NonRefConfig(low=low, out=tmp_path / "run", base_channels=8, device="cpu", workers=0,
                                         weights=LossWeights(vgg=0)))
    assert trainer.config.validation == 40
    assert trainer.validation == validation_split(list_images(low), 40)[1]
    assert len(trainer.validation) == 40 and len(trainer.dataset) == len(list_images(low)) - 40
