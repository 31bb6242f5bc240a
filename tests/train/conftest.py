"""Shared fixtures of the training tests."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def dark_pngs(root: Path, count: int) -> Path:
    """``count`` dim 44x40 RGB PNGs (noise of 0..40 levels, seeded: the same pictures each run) in ``root``, a tiny
    low-light training folder; returns ``root``."""
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray((rng.random((40, 44, 3)) * 40).astype(np.uint8)).save(root / f"{i}.png")
    return root


def scaled_student_run(root: Path, teacher: Path, *extra: str) -> Path:
    """A base-8 student of ``teacher`` distilled for 2 steps through the 1/4-size path (``--scale 4``) from four dim
    80x60 frames, with ``extra`` arguments: its run folder, ``root / "run"``."""
    from enlight.cli.train import main as train_main
    from tests.media import dark_frames

    (root / "images").mkdir()
    for i, frame in enumerate(dark_frames(4, 80, 60, seed=4)):
        Image.fromarray(frame).save(root / "images" / f"{i}.png")
    assert train_main(["distill", "--teacher", str(teacher), "--base-channels", "8", "--images", str(root / "images"),
                       "--out", str(root / "run"), "--steps", "2", "--decay-steps", "0", "--crop", "48",
                       "--batch-size", "2", "--scale", "4", "--workers", "0", "--device", "cpu", "--quiet",
                       *extra]) == 0
    return root / "run"


@pytest.fixture(scope="module")
def low_folder(tmp_path_factory):
    """Four of ``dark_pngs``, for a module's runs."""
    return dark_pngs(tmp_path_factory.mktemp("low"), 4)
