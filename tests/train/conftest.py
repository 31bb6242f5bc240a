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


@pytest.fixture(scope="module")
def low_folder(tmp_path_factory):
    """Four of ``dark_pngs``, for a module's runs."""
    return dark_pngs(tmp_path_factory.mktemp("low"), 4)
