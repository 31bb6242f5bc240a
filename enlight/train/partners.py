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
from torch.utils.data import Dataset

from enlight.errors import EnlightError
from enlight.ops.luma import attention_map
from enlight.train.data import load_rgb, random_crop, random_flip, to_tensor


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


class PartneredCrops(Dataset):
    """Item ``epoch * len(self) + i``: random crop and flips of shot i and of its partner (the same window);
    a shot without one gets a zero target and ``has_target`` 0."""

    def __init__(self, images: list[Path], partners: dict[str, Path], *, crop: int, seed: int = 0) -> None:
        if not images:
            raise EnlightError("no training images")
        self.images, self.partners, self.crop, self.seed = images, partners, crop, seed

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, code: int) -> dict[str, torch.Tensor]:
        epoch, index = divmod(int(code), len(self.images))
        rng = np.random.default_rng([self.seed, epoch, index])
        image = load_rgb(self.images[index])
        partner = self.partners.get(self.images[index].name)
        high = load_rgb(partner) if partner is not None else np.zeros_like(image)
        if high.shape != image.shape:
            raise EnlightError(f"{partner} is {high.shape[1]}x{high.shape[0]}, its shot "
                               f"{self.images[index].name} {image.shape[1]}x{image.shape[0]}")
        both = random_flip(random_crop(np.concatenate([image, high], axis=2), self.crop, rng), rng)
        low = to_tensor(both[..., :3])
        return {"low": low, "attention": attention_map(low[None])[0], "target": to_tensor(both[..., 3:]),
                "has_target": torch.tensor(float(partner is not None))}


def pair_loss(output: torch.Tensor, target: torch.Tensor, has_target: torch.Tensor, *, pool: int) -> torch.Tensor:
    """Mean L1 between ``output`` and ``target`` ((B, 3, H, W) in [0, 1]) average-pooled by ``pool`` (the tone
    and local contrast of the partner, not the pixel detail of a shot taken moments later), over the items
    whose ``has_target`` (B,) is 1; 0 when none has."""
    pooled = torch.nn.functional.avg_pool2d(output, pool) - torch.nn.functional.avg_pool2d(target, pool)
    per_item = pooled.abs().mean(dim=(1, 2, 3))
    return (per_item * has_target).sum() / has_target.sum().clamp(min=1)


__all__ = ["PartneredCrops", "pair_loss", "partner_paths"]
