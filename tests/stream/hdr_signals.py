"""HDR test pictures made from the standards: SDR light coded as PQ or HLG, the inverse of ``enlight.stream.io.hdr``."""

from __future__ import annotations

import numpy as np

from enlight.stream.io.hdr import (
    BT2020_LUMA,
    BT2020_TO_BT709,
    HLG_PEAK_NITS,
    HLG_SYSTEM_GAMMA,
    REFERENCE_WHITE_NITS,
)


def hdr_signal(light: np.ndarray, transfer: str) -> np.ndarray:
    """(H, W, 3) linear BT.709 light, 1.0 = SDR white (kept under the shoulder, at most 0.8) -> (H, W, 3) float64
    BT.2020 R'G'B' in [0, 1] coded with ``transfer`` ('PQ': SMPTE ST 2084's inverse EOTF; 'HLG': the inverse of
    BT.2100's OOTF on a 1000-nit display, then its OETF)."""
    nits = light @ np.linalg.inv(BT2020_TO_BT709.astype(np.float64)).T * REFERENCE_WHITE_NITS
    if transfer == "PQ":
        m1, m2 = 2610 / 16384, 2523 / 4096 * 128
        c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
        y = np.power(np.clip(nits / 10000, 0, 1), m1)
        return np.clip(np.power((c1 + c2 * y) / (1 + c3 * y), m2), 0, 1)
    scene_luma = (np.maximum(nits @ BT2020_LUMA.astype(np.float64), 1e-9) / HLG_PEAK_NITS) ** (1 / HLG_SYSTEM_GAMMA)
    scene = np.clip(nits / (HLG_PEAK_NITS * scene_luma[..., None] ** (HLG_SYSTEM_GAMMA - 1)), 0, 1)
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    signal = np.where(scene <= 1 / 12, np.sqrt(3 * scene), a * np.log(np.maximum(12 * scene - b, 1e-9)) + c)
    return np.clip(signal, 0, 1)


def srgb(light: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] -> sRGB R'G'B' in [0, 1] (IEC 61966-2-1)."""
    return np.where(light <= 0.0031308, 12.92 * light, 1.055 * np.power(np.maximum(light, 0), 1 / 2.4) - 0.055)
