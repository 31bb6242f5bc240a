"""enlight-train reads --model and --recipe in either form before choosing its parser (issue 13: the
'--model=retinexnet' form ended in an IndexError traceback)."""

import subprocess
import sys

import pytest

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
