"""Sets to choose weights on that have a truth, both made of training data (never LIME, MEF or LOL15).

- ``synthetic``: the clean photos of the training folder's normal-light set (Kodak 24 PNG and McMaster
  18 TIFF: no JPEG blocks, unlike every low-light training shot) taken to linear light (power 2.2),
  scaled by 0.03, 0.06 or 0.1 in turn (mean luma 29 out of 255), with Poisson-Gaussian sensor noise
  (full well 30000 at linear 1, read noise 5e-5: Immerkaer's noise estimate of the dark images 1.05
  levels, LIME's inputs 1.37, LOL15's 1.17) and back through power 1/2.2, seeded per image. The truth
  is the photo. No recipe trains on these photos (the ``zerodce`` recipe reads low-light shots only).
- ``validation`` partners: the well-exposed shot of the same SICE multi-exposure sequence as a held-out
  dark shot (``enlight.train.pairs``, mean luma nearest 0.45), for the dark shots that have one.

    items = choosing_items(data, "synthetic")   # [(name, input (H, W, 3) uint8, truth or None), ...]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from enlight.train.data import list_images, load_rgb, validation_split
from enlight.train.pairs import find_sequences, load_shots, pair_sequences

GAINS = (0.03, 0.06, 0.1)
FULL_WELL, READ_NOISE = 30000.0, 5e-5


def synthetic_dark(photo: np.ndarray, index: int) -> np.ndarray:
    """A dark, noisy version of a (H, W, 3) uint8 photo (same shape, uint8), the same for every call."""
    rng = np.random.default_rng(index)
    linear = (photo.astype(np.float64) / 255.0) ** 2.2 * GAINS[index % len(GAINS)]
    shot = rng.poisson(linear * FULL_WELL) / FULL_WELL + rng.normal(0.0, READ_NOISE, linear.shape)
    return np.round(np.clip(shot, 0, 1) ** (1 / 2.2) * 255).astype(np.uint8)


def synthetic_photos(data: Path) -> list[Path]:
    normal = data / "train" / "normal"
    return sorted(normal.glob("kodak_*")) + sorted(normal.glob("mcmaster_*"))


def validation_partners(data: Path) -> dict[str, Path]:
    """Held-out dark shot's file name -> the well-exposed shot of its SICE sequence (those that have one)."""
    low = list_images(data / "train" / "low")
    held = validation_split(low, 40)[1]
    names = {p.name for p in held}
    bright = [p for p in list_images(data / "train" / "normal") if p.name.startswith("sice_")]
    shots = load_shots([p for p in low if p.name.startswith("sice_")], bright)
    return {dark.path.name: best.path for dark, best, _ in pair_sequences(find_sequences(shots))
            if dark.path.name in names}


def choosing_items(data: Path, name: str) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(name, input, truth or None) of the ``synthetic`` or ``validation`` set."""
    if name == "synthetic":
        return [(p.name, synthetic_dark(load_rgb(p), i), load_rgb(p)) for i, p in enumerate(synthetic_photos(data))]
    if name == "validation":
        partners = validation_partners(data)
        held = validation_split(list_images(data / "train" / "low"), 40)[1]
        return [(p.name, load_rgb(p), load_rgb(partners[p.name]) if p.name in partners else None) for p in held]
    raise ValueError(f"no choosing set {name!r}")
