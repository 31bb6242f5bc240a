"""enlight-train reads --model and --recipe in either form before choosing its parser (issue 13: the
'--model=retinexnet' form ended in an IndexError traceback)."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from enlight.cli.common import take_option
from enlight.errors import EnlightError
from tests.conftest import REPO


def test_take_option_reads_both_forms_and_removes_them():
    assert take_option(["--low", "d", "--model=retinexnet"], "--model") == ("retinexnet", ["--low", "d"])
    assert take_option(["--model", "retinexnet", "--low", "d"], "--model") == ("retinexnet", ["--low", "d"])
    assert take_option(["--low", "d"], "--model") == (None, ["--low", "d"])
    with pytest.raises(EnlightError, match="expected one argument"):
        take_option(["--low", "d", "--model"], "--model")


@pytest.mark.parametrize("args, message", [
    (("--low", "{tmp}", "--model=retinexnet"), "required: --pairs-low"),
    (("--model=retinexnet", "--low", "{tmp}"), "required: --pairs-low"),
    (("--low", "{tmp}", "--model"), "--model: expected one argument"),
    (("--low", "{tmp}", "--model=unet"), "unknown --model 'unet'"),
])
def test_model_option_errors_are_one_line(args, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "enlight.cli.train", *(a.format(tmp=tmp_path) for a in args)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("option, value, message", [
    ("--lr", "-1", "argument --lr: must be above 0, got -1"),  # Adam's 'Invalid learning rate' as an internal error
    ("--lr", "nan", "argument --lr: takes a number, not 'nan'"),
    ("--checkpoint-every", "0", "argument --checkpoint-every: must be at least 1"),  # a ZeroDivisionError
    ("--workers", "-1", "argument --workers: must be 0 or more"),  # the DataLoader's ValueError
    ("--threads", "-3", "argument --threads: must be at least 1"),  # torch's set_num_threads RuntimeError
    ("--keep-checkpoints", "0", "argument --keep-checkpoints: must be at least 1"),  # 0 kept every checkpoint
    ("--validation", "40", "cannot hold out 40 of 2 images for validation: give more images or a smaller"),
])
def test_training_options_out_of_range_are_one_line_errors(option, value, message, tmp_path):
    """Each of these ended in an internal error once training had started (or did the opposite of what it said);
    they are refused before any work, and no run folder is made."""
    low = tmp_path / "low"
    low.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray((rng.random((48, 64, 3)) * 40).astype(np.uint8)).save(low / f"{i}.png")
    argv = ["--recipe", "zerodce", "--low", str(low), "--out", str(tmp_path / "run"), "--device", "cpu", "--steps",
            "2", "--decay-steps", "0", "--crop", "32", "--batch-size", "1", "--validation", "0", option, value]
    proc = subprocess.run([sys.executable, "-m", "enlight.cli.train", *argv], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and message in lines[0], proc.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()



def _pictures(folder, sizes):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, (width, height) in enumerate(sizes):
        picture = (rng.random((height, width, 3)) * 40).astype(np.uint8)
        Image.fromarray(picture).save(folder / f"{i}_{width}x{height}.png")
    return folder


def test_images_smaller_than_the_crop_get_a_note_and_pairs_are_refused_before_work(tmp_path, capsys):
    """They were scaled up without a word; a pair smaller than the crop failed at the step that drew it."""
    from enlight.cli.train import main as train_main

    low = _pictures(tmp_path / "low", [(64, 48), (30, 20), (40, 24), (48, 36), (32, 32)])
    argv = ["--recipe", "zerodce", "--low", str(low), "--out", str(tmp_path / "run"), "--device", "cpu", "--steps",
            "1", "--decay-steps", "0", "--crop", "32", "--batch-size", "1", "--validation", "0", "--quiet"]
    assert train_main(argv) == 0
    err = capsys.readouterr().err
    assert ("note: 2 training images are smaller than the crop of 32 px and scaled up to it (the smallest: "
            "1_30x20.png, 30x20); scaled-up pictures are soft, a smaller --crop takes them as they are") in err, err
    for name in ("1_30x20.png", "2_40x24.png"):
        (low / name).unlink()
    argv[argv.index("--out") + 1] = str(tmp_path / "run2")
    assert train_main(argv) == 0
    assert "smaller than the crop" not in capsys.readouterr().err

    high = _pictures(tmp_path / "high", [(64, 48), (30, 20), (40, 24), (48, 36), (32, 32)])
    out = tmp_path / "retinex"
    code = train_main(["--model", "retinexnet", "--pairs-low", str(low), "--pairs-high", str(high), "--out", str(out),
                       "--device", "cpu", "--crop", "48", "--quiet"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert "6 training images are smaller than --crop 48 (e.g. " in lines[0] and "give a smaller --crop" in lines[0]
    assert not (out / "checkpoints").exists()
