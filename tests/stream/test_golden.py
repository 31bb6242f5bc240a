"""Refactors change nothing: every preset and model gives the recorded output (tests/stream/golden.py)."""

import numpy as np
import pytest

from tests.stream.golden import CASES, GOLDEN, make_input, run_case


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_input(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_is_the_recorded_one_within_one_level(name, source, tmp_path):
    recorded = np.load(GOLDEN)[name]
    got = run_case(CASES[name], source, tmp_path)
    assert got.shape == recorded.shape
    diff = np.abs(got.astype(int) - recorded)
    assert diff.max() <= 1, f"{name}: max difference {diff.max()}, mean {diff.mean():.3f}"
