"""Shared fixtures: the ../shared folder (skipped when absent), tiny weights, tiny clips, the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from tests.media import tiny_weights

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ENLIGHT_SHARED", REPO.parent / "shared"))


def pytest_collection_modifyitems(config, items):
    gpu = torch.cuda.is_available()
    try:
        import tensorrt  # noqa: F401

        has_trt = True
    except ImportError:
        has_trt = False
    slow = os.environ.get("ENLIGHT_SLOW") == "1"
    for item in items:
        if "gpu" in item.keywords and not gpu:
            item.add_marker(pytest.mark.skip(reason="no CUDA GPU visible"))
        if "tensorrt" in item.keywords and not has_trt:
            item.add_marker(pytest.mark.skip(reason="TensorRT is not installed"))
        if "slow" in item.keywords and not slow:
            item.add_marker(pytest.mark.skip(reason="slow test (set ENLIGHT_SLOW=1)"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared (or $ENLIGHT_SHARED); tests that need it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def weights(tmp_path_factory) -> Path:
    """Random base_channels=8 generator weights in our safetensors format."""
    return tiny_weights(tmp_path_factory.mktemp("weights") / "tiny.safetensors")


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.replace("\r", "\n").splitlines() if line.strip()]


@pytest.fixture
def cli():
    """Run ``enlight-video`` in a subprocess (real exit codes and stderr)."""

    def run(*args, timeout: float = 300, env: dict | None = None) -> CliResult:
        proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", *map(str, args)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=REPO,
                                env={**os.environ, "PYTHONFAULTHANDLER": "1", **(env or {})})
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"enlight-video {' '.join(map(str, args))} ran past {timeout} s; where each of its "
                                 f"threads was:\n{_threads_of(proc)}") from None
        return CliResult(proc.returncode, stdout, stderr)

    return run


def _threads_of(proc: subprocess.Popen) -> str:
    """The end of the stderr of a run that hangs, stopped with SIGABRT: PYTHONFAULTHANDLER prints every thread's
    stack there (a hang seen once in CI, under load, and never again, left nothing to go on)."""
    proc.send_signal(signal.SIGABRT)
    try:
        stderr = proc.communicate(timeout=20)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        stderr = proc.communicate()[1]
    return stderr[-20000:]


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 100 kB filesystem (a tmpfs mounted at tmp_path/small, unmounted afterwards), to run out of space on;
    skipped where it cannot be mounted (not root)."""
    small = tmp_path / "small"
    small.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=100k", "tmpfs", str(small)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs to mount a small tmpfs (root)")
    yield small
    subprocess.run(["umount", str(small)], capture_output=True)
