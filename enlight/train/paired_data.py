"""Paired training data: aligned low/normal-light images matched by file name, plus synthetic pairs.

``pairs_low/NAME.*`` pairs with ``pairs_high/NAME.*`` (same stem; extensions may differ). Both
get the same random window and flips. ``synthetic`` normal photos become pairs on the fly: the
low image is ``pairs.darken`` of the crop, with randomness drawn per (seed, epoch, index).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from enlight.errors import EnlightError
from enlight.train.data import list_images, load_rgb
from enlight.train.pairs import darken


def match_by_name(low_dir: Path, high_dir: Path) -> list[tuple[Path, Path]]:
    """(low, high) for every low image whose stem has a high image; an error when none match."""
    highs = {p.stem: p for p in list_images(high_dir)}
    pairs = [(p, highs[p.stem]) for p in list_images(low_dir) if p.stem in highs]
    if not pairs:
        raise EnlightError(f"no file in {low_dir} has a namesake in {high_dir}")
    return pairs


def paired_crop(low: np.ndarray, high: np.ndarray, crop: int, rng: np.random.Generator):
    """The same random (crop, crop) window and flips of two aligned (H, W, 3) images."""
    if low.shape != high.shape:
        raise EnlightError(f"paired images differ in size: {low.shape[:2]} vs {high.shape[:2]}")
    h, w = low.shape[:2]
    if h < crop or w < crop:
        raise EnlightError(f"paired images must be at least {crop}x{crop}, got {w}x{h}")
    y, x = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
    low, high = low[y : y + crop, x : x + crop], high[y : y + crop, x : x + crop]
    if rng.random() < 0.5:
        low, high = low[:, ::-1], high[:, ::-1]
    if rng.random() < 0.5:
        low, high = low[::-1], high[::-1]
    return low, high


def to_unit(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (3, H, W) float32 in [0, 1] (RetinexNet's range)."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div(255)


class PairedDataset(Dataset):
    """Item ``epoch * len(self) + i``: {low, high}, each (3, crop, crop) float32 RGB in [0, 1]."""

    def __init__(self, pairs: list[tuple[Path, Path]], synthetic: list[Path] = (), *, crop: int = 96,
                 seed: int = 0) -> None:
        self.items: list[tuple[Path, Path | None]] = [*pairs, *((p, None) for p in synthetic)]
        if not self.items:
            raise EnlightError("no training pairs")
        self.crop, self.seed = crop, seed

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, code: int) -> dict[str, torch.Tensor]:
        epoch, index = divmod(int(code), len(self.items))
        rng = np.random.default_rng([self.seed, epoch, index])
        first, second = self.items[index]
        if second is None:  # synthetic: darken a window of the normal photo
            image = load_rgb(first)
            _, high = paired_crop(image, image, self.crop, rng)
            low = darken(high, rng)
        else:
            low, high = paired_crop(load_rgb(first), load_rgb(second), self.crop, rng)
        return {"low": to_unit(low), "high": to_unit(high)}
