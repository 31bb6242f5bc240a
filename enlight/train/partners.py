"""Low-light training shots with the well-exposed shot of their SICE sequence, for the ``zerodce`` recipe's
paired term (``--pairs DIR --w-pair W``).

``DIR`` is what ``enlight-train pairs`` writes: ``pairs.csv`` (one row per dark shot: its file name, its
partner's, the sequence number) and ``high/<dark stem><partner suffix>``. Sequences that hold a
validation shot are left out whole, so no held-out scene is trained on through a sibling exposure.

    partners = partner_paths(train, validation, DIR)     # {dark file name: partner path}
    data = PartneredCrops(train, partners, crop=160, seed=0)
    data[i] -> {low, attention, target (3, crop, crop) in [-1, 1], has_target () 0. or 1.}
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from enlight.errors import EnlightError
from enlight.train.data import load_rgb
from enlight.train.distill import LowLightCrops


def partner_paths(train: list[Path], validation: list[Path], pairs_dir: Path) -> dict[str, Path]:
    """{training shot's file name: its partner's path} from ``pairs_dir/pairs.csv``, without the sequences
    of any ``validation`` shot."""
    table = pairs_dir / "pairs.csv"
    if not table.is_file():
        raise EnlightError(f"{table} not found: write it with "
                           f"`enlight-train pairs --low DIR --normal DIR --out {pairs_dir}`")
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    held = {p.name for p in validation}
    held_sequences = {row["sequence"] for row in rows if row["low"] in held}
    names = {p.name for p in train}
    partners = {}
    for row in rows:
        if row["low"] in names and row["sequence"] not in held_sequences:
            partners[row["low"]] = pairs_dir / "high" / (Path(row["low"]).stem + Path(row["high"]).suffix.lower())
    missing = [p for p in partners.values() if not p.is_file()]
    if missing:
        raise EnlightError(f"{len(missing)} partner images missing in {pairs_dir / 'high'}, e.g. {missing[0].name}")
    if not partners:
        raise EnlightError(f"no training shot has a partner in {table}")
    return partners


class PartneredCrops(LowLightCrops):
    """Item ``epoch * len(self) + i``: random crop and flips of shot i and of its partner (the same window,
    ``LowLightCrops``'s targets); a shot without one gets a zero target and ``has_target`` 0."""

    def __init__(self, images: list[Path], partners: dict[str, Path], *, crop: int, seed: int = 0) -> None:
        super().__init__(images, [], crop=crop, seed=seed)
        self.partners = partners

    def target(self, index: int, image: np.ndarray) -> np.ndarray:
        partner = self.partners.get(self.items[index].name)
        if partner is None:
            return np.zeros_like(image)
        high = load_rgb(partner)
        if high.shape != image.shape:
            raise EnlightError(f"{partner} is {high.shape[1]}x{high.shape[0]}, its shot "
                               f"{self.items[index].name} {image.shape[1]}x{image.shape[0]}")
        return high

    def __getitem__(self, code: int) -> dict[str, torch.Tensor]:
        item = super().__getitem__(code)
        name = self.items[int(code) % len(self.items)].name
        return item | {"has_target": torch.tensor(float(name in self.partners))}


def pair_loss(output: torch.Tensor, target: torch.Tensor, has_target: torch.Tensor, *, pool: int) -> torch.Tensor:
    """Mean L1 between ``output`` and ``target`` ((B, 3, H, W) in [0, 1]) average-pooled by ``pool`` (the tone
    and local contrast of the partner, not the pixel detail of a shot taken moments later), over the items
    whose ``has_target`` (B,) is 1; 0 when none has."""
    pooled = torch.nn.functional.avg_pool2d(output, pool) - torch.nn.functional.avg_pool2d(target, pool)
    per_item = pooled.abs().mean(dim=(1, 2, 3))
    return (per_item * has_target).sum() / has_target.sum().clamp(min=1)


__all__ = ["PartneredCrops", "pair_loss", "partner_paths"]
