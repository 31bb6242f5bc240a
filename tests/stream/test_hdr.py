"""HDR (PQ, HLG) to SDR BT.709: known points of the standards, the float formula, hue and black kept."""

import numpy as np
import pytest

from enlight.stream.io.hdr import (
    BT2020_TO_BT709,
    KNEE,
    REFERENCE_WHITE_NITS,
    pq_to_nits,
    sdr_light_to_codes,
    to_sdr_light,
)


def codes16(value: float, shape=(1, 1)) -> np.ndarray:
    return np.full((*shape, 3), round(value * 65535), dtype=np.uint16)


def test_pq_known_points():
    assert pq_to_nits(np.array([0.0]))[0] == 0
    assert pq_to_nits(np.array([1.0]))[0] == pytest.approx(10000, rel=1e-6)
    assert pq_to_nits(np.array([0.5081]))[0] == pytest.approx(100, rel=0.01)  # ST 2084: 100 nits at 0.508


def test_reference_white_and_black():
    # HLG's 75% signal is BT.2408's reference white (203 nits on a 1000-nit display): 1.0 before the shoulder
    assert to_sdr_light(codes16(0.75), "HLG")[0, 0] == pytest.approx([1.0, 1.0, 1.0], rel=0.01)
    assert to_sdr_light(codes16(0.5081), "PQ")[0, 0] == pytest.approx([100 / REFERENCE_WHITE_NITS] * 3, rel=0.01)
    assert sdr_light_to_codes(to_sdr_light(codes16(0.0), "PQ")).max() == 0
    assert sdr_light_to_codes(to_sdr_light(codes16(0.5081), "PQ"))[0, 0, 0] == round(255 * (100 / 203) ** (1 / 2.4))


@pytest.mark.parametrize("transfer", ["PQ", "HLG"])
def test_codes_follow_the_float_formula_and_rise_with_the_signal(transfer):
    rng = np.random.default_rng(0)
    signal = (rng.random((40, 50, 3)) * 65535).astype(np.uint16)
    light = to_sdr_light(signal, transfer)
    linear = np.maximum(light.astype(np.float64) @ BT2020_TO_BT709.T.astype(np.float64), 0)
    peak = linear.max(-1, keepdims=True)
    rolled = KNEE + (1 - KNEE) * (1 - np.exp(-(peak - KNEE) / (1 - KNEE)))
    expected = np.round(255 * np.clip(linear * np.where(peak > KNEE, rolled / peak, 1), 0, 1) ** (1 / 2.4))
    assert np.abs(sdr_light_to_codes(light).astype(int) - expected).max() <= 1
    grey = np.linspace(0, 1, 200)[:, None, None] * np.ones((1, 1, 3))
    out = sdr_light_to_codes(to_sdr_light((grey * 65535).astype(np.uint16), transfer))[:, 0, 0].astype(int)
    assert np.all(np.diff(out) >= 0) and out[0] == 0 and out[-1] >= 250


def test_highlights_roll_off_with_their_hue():
    light = np.array([[[0.75, 0.4, 0.2]]], dtype=np.float32)  # orange at SDR white, in the shoulder
    linear = np.maximum(light[0, 0].astype(np.float64) @ BT2020_TO_BT709.T.astype(np.float64), 0)
    out = sdr_light_to_codes(light)[0, 0].astype(float)
    assert 240 < out.max() < 255  # rolled off under white, not clipped
    decoded = (out / 255) ** 2.4
    assert decoded / decoded.max() == pytest.approx(linear / linear.max(), abs=0.02)  # channel ratios kept
