"""Stopping a training run: Ctrl-C (a real SIGINT) landing in the middle of a step finishes the step and saves it,
and --resume then reproduces the run that was never stopped; SIGTERM sent to the whole process group (DataLoader
workers included) stops it the same way. Real steps of the zerodce recipe on tiny images."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from enlight.cli.train import main
from tests.conftest import REPO


def args(low: Path, out: Path, *more: str) -> list[str]:
    return ["--recipe", "zerodce", "--low", str(low), "--out", str(out), "--steps", "5", "--decay-steps", "2",
            "--crop", "32", "--batch-size", "2", "--base-channels", "8", "--w-vgg", "0", "--validation", "0",
            "--workers", "0", "--device", "cpu", "--quiet", "--threads", "1", "--checkpoint-every", "2",
            "--sample-every", "100", *more]


def stop_in_step_three(out: Path, signals: int):
    """A torch forward hook (every module) that sends this process ``signals`` SIGINTs as the generator's last
    BatchNorm of step 3 (the first step after checkpoint 2 is written) has run: as a Ctrl-C lands, in the middle of
    the step's work, the statistics of every BatchNorm moved and the update not yet made."""
    from enlight.models.generator import build_generator

    last = sum(isinstance(m, torch.nn.BatchNorm2d) for m in build_generator(base_channels=8).modules())
    seen = []

    def hook(module, inputs, output):
        if isinstance(module, torch.nn.BatchNorm2d) and (out / "checkpoints" / "step_0000002.pt").exists():
            seen.append(module)
            if len(seen) == last:
                for _ in range(signals):
                    os.kill(os.getpid(), signal.SIGINT)

    return torch.nn.modules.module.register_module_forward_hook(hook)


def stopped_main(low: Path, run: Path, signals: int) -> int:
    """``main`` of a run into ``run`` that gets ``signals`` SIGINTs in step 3 (``stop_in_step_three``): its exit
    code."""
    handle = stop_in_step_three(run, signals)
    try:
        return main(args(low, run))
    finally:
        handle.remove()


def generator(run: Path, step: int) -> dict:
    return torch.load(run / "checkpoints" / f"step_{step:07d}.pt", weights_only=True)["generator"]


@pytest.mark.skipif(signal.getsignal(signal.SIGINT) is not signal.default_int_handler,
                    reason="SIGINT does not raise KeyboardInterrupt here")
def test_ctrl_c_mid_step_saves_the_whole_step_and_resume_matches(low_folder, tmp_path, capsys):
    whole = tmp_path / "whole"
    assert main(args(low_folder, whole, "--checkpoint-every", "1", "--keep-checkpoints", "9")) == 0
    run = tmp_path / "run"
    assert stopped_main(low_folder, run, signals=1) == 130
    assert f"interrupted at step 3; saved {run / 'checkpoints' / 'step_0000003.pt'}" in capsys.readouterr().err
    torch.testing.assert_close(generator(run, 3), generator(whole, 3), atol=1e-6, rtol=0)
    assert main(args(low_folder, run, "--resume")) == 0
    torch.testing.assert_close(generator(run, 5), generator(whole, 5), atol=1e-5, rtol=1e-4)


@pytest.mark.skipif(signal.getsignal(signal.SIGINT) is not signal.default_int_handler,
                    reason="SIGINT does not raise KeyboardInterrupt here")
def test_a_second_ctrl_c_stops_at_once_without_saving_the_half_step(low_folder, tmp_path, capsys):
    run = tmp_path / "run"
    assert stopped_main(low_folder, run, signals=2) == 130
    err = capsys.readouterr().err
    assert "stopped in the middle of step 3, which is not saved; the newest checkpoint is" in err, err
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step_0000002.pt"]


@pytest.mark.parametrize("stop, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stop_sent_to_the_process_group_with_workers_saves_a_checkpoint(low_folder, tmp_path, stop, code):
    """systemd's stop and a closed terminal signal every process of the group: the DataLoader workers died of it,
    and the run ended on 'internal error: RuntimeError: DataLoader worker (pid N) is killed by signal', exit 1,
    with no checkpoint saved."""
    run = tmp_path / "run"
    argv = args(low_folder, run, "--workers", "1", "--steps", "2000", "--decay-steps", "0")
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.train", *argv], cwd=REPO, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (run / "checkpoints" / "step_0000002.pt").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, stop)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "interrupted at step" in lines[1] and "(continue with --resume)" in lines[1], err
    saved = Path(lines[1].split("; saved ")[1].split(" (continue")[0])
    assert saved.is_file() and saved.name != "step_0000002.pt" and not list(run.rglob("*.tmp"))
