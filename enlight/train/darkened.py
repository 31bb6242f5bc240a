"""Clean photos darkened on the fly, with the photo itself as the truth, beside the real low-light shots of
the ``zerodce`` recipe (``--synthetic DIR --w-pair W``).

The real shots train the non-reference terms only (or the pair term too, where ``--pairs`` gives a SICE
partner); a darkened photo trains every term, and the pair term against the photo it came from. So the
network sees very dark, noisy inputs whose right exposure is known: the regime of LOL and of the
``synthetic`` choosing set, which the SICE shots (bright enough, JPEG-smoothed) do not cover.

    data = WithDarkened(LowLightCrops(train, [], crop=160), photos, ranges=PHOTO_DARKENING, seed=0)
    data[i] -> {low, attention, target (3, crop, crop) in [-1, 1], has_target () 0. or 1.}
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from enlight.errors import EnlightError
from enlight.ops.luma import attention_map
from enlight.train.data import list_images, load_rgb, random_crop, random_flip, to_tensor
from enlight.train.distill import LowLightCrops
from enlight.train.pairs import Darkening, darken

# Milder noise than RetinexNet's pairs (100-1000 photo-electrons, which bury a dark shot): 500-20000 at full scale,
# read noise up to 0.002; exposure x 0.02-0.2 (the ``synthetic`` choosing set's x 0.03-0.1 inside it).
PHOTO_DARKENING = Darkening(gain=(0.02, 0.2), peak=(500.0, 20000.0), read=(1e-4, 2e-3))


def photos_matching(folder: Path, pattern: str) -> list[Path]:
    """The images of ``folder`` whose file name matches the shell ``pattern``; an error when none does."""
    photos = [p for p in list_images(folder) if fnmatch(p.name, pattern)]
    if not photos:
        raise EnlightError(f"no image in {folder} matches {pattern!r}")
    return photos


class WithDarkened(Dataset):
    """Item ``epoch * len(self) + i``: for i below ``len(real)`` item ``epoch * len(real) + i`` of ``real``
    (a zero target and ``has_target`` 0 where it has none); above, a random crop and flips of photo
    ``i - len(real)`` as the target and its ``darken``-ed copy as ``low``, drawn per (seed, epoch, i)."""

    def __init__(self, real: LowLightCrops, photos: list[Path], *, ranges: Darkening = PHOTO_DARKENING,
                 seed: int = 0) -> None:
        if not photos:
            raise EnlightError("no photos to darken")
        self.real, self.photos, self.ranges, self.seed = real, photos, ranges, seed

    def __len__(self) -> int:
        return len(self.real) + len(self.photos)

    def __getitem__(self, code: int) -> dict[str, torch.Tensor]:
        epoch, index = divmod(int(code), len(self))
        if index < len(self.real):
            item = self.real[epoch * len(self.real) + index]
            if "has_target" in item:  # a SICE shot with or without its partner (PartneredCrops)
                return item
            return item | {"target": torch.zeros_like(item["low"]), "has_target": torch.tensor(0.0)}
        rng = np.random.default_rng([self.seed, epoch, index, 1])
        whole = load_rgb(self.photos[index - len(self.real)])
        photo = np.ascontiguousarray(random_flip(random_crop(whole, self.real.crop, rng), rng))
        low = to_tensor(darken(photo, rng, self.ranges))
        return {"low": low, "attention": attention_map(low[None])[0], "target": to_tensor(photo),
                "has_target": torch.tensor(1.0)}


__all__ = ["PHOTO_DARKENING", "WithDarkened", "photos_matching"]
