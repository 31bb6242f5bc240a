"""Paired low/normal-light data without a paired dataset: SICE sequences and synthetic darkening.

SICE (Part 1) shoots each scene as a multi-exposure sequence; the files of one sequence carry
consecutive numbers (``sice_<n>.jpg``), rise in exposure and are pixel-aligned. Our training
folders hold the dark shots in one folder and the well-exposed ones in another, with the
middle exposures removed, so the sequences must be found again:

1. every image gets an exposure-invariant signature: its grey level at 64x64, replaced by its
   rank (a monotonic change of exposure keeps the ranks; clipping changes them a little);
2. sorted by number, two neighbours at most ``max_gap`` apart belong to one sequence when the
   correlation of their signatures (Spearman's rho) is at least ``threshold``;
3. each dark shot is paired with the well-exposed shot of its sequence whose mean luma is
   nearest 0.45.

Synthetic pairs (``darken``): a normal photo taken to linear light, scaled by a random exposure
gain, with Poisson-Gaussian sensor noise, and back through a random gamma.
"""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from enlight.errors import EnlightError
from enlight.train.data import list_images, load_rgb

NUMBER = re.compile(r"(\d+)")
TARGET_LUMA = 0.45


@dataclass(frozen=True, eq=False)
class Shot:
    path: Path
    number: int
    dark: bool
    luma: float
    signature: np.ndarray  # (64 * 64,) ranks scaled to zero mean, unit norm


def signature(image: np.ndarray, size: int = 64) -> tuple[np.ndarray, float]:
    """(H, W, 3) uint8 -> (exposure-invariant signature (size*size,), mean luma in [0, 1])."""
    grey = np.asarray(Image.fromarray(image).convert("L").resize((size, size), Image.BOX), dtype=np.float64)
    ranks = grey.ravel().argsort(kind="stable").argsort().astype(np.float64)
    ranks -= ranks.mean()
    ranks /= np.linalg.norm(ranks) + 1e-12
    return ranks, float(np.asarray(image, dtype=np.float64).mean() / 255.0)


def number_of(path: Path) -> int | None:
    found = NUMBER.findall(path.stem)
    return int(found[-1]) if found else None


def load_shots(dark: list[Path], bright: list[Path]) -> list[Shot]:
    shots = []
    for paths, is_dark in ((dark, True), (bright, False)):
        for path in paths:
            number = number_of(path)
            if number is None:
                continue
            sig, luma = signature(load_rgb(path))
            shots.append(Shot(path, number, is_dark, luma, sig))
    return sorted(shots, key=lambda s: (s.number, not s.dark))


def find_sequences(shots: list[Shot], *, max_gap: int = 3, threshold: float = 0.6) -> list[list[Shot]]:
    """Chains of numbered shots whose neighbours are close in number and similar in structure."""
    sequences: list[list[Shot]] = []
    for shot in shots:
        if sequences:
            last = sequences[-1][-1]
            close = shot.number - last.number <= max_gap
            if close and float(shot.signature @ last.signature) >= threshold:
                sequences[-1].append(shot)
                continue
        sequences.append([shot])
    return sequences


def pair_sequences(sequences: list[list[Shot]]) -> list[tuple[Shot, Shot, int]]:
    """(dark, bright, sequence index) for every dark shot whose sequence has a well-exposed shot."""
    pairs = []
    for index, sequence in enumerate(sequences):
        bright = [s for s in sequence if not s.dark]
        if not bright:
            continue
        best = min(bright, key=lambda s: (abs(s.luma - TARGET_LUMA), s.number))
        pairs += [(s, best, index) for s in sequence if s.dark]
    return pairs


def write_pairs(low_dir: Path, normal_dir: Path, out: Path, *, max_gap: int = 3, threshold: float = 0.6) -> dict:
    """Find SICE pairs and write ``out/low/<name>`` and ``out/high/<name>`` (same name, copied bytes)
    and ``out/pairs.csv``; returns counts."""
    dark = list_images(low_dir)
    prefixes = {NUMBER.split(p.stem)[0] for p in dark}  # e.g. "sice_": other sets in the folder are skipped
    bright = [p for p in list_images(normal_dir) if NUMBER.split(p.stem)[0] in prefixes]
    shots = load_shots(dark, bright)
    sequences = find_sequences(shots, max_gap=max_gap, threshold=threshold)
    pairs = pair_sequences(sequences)
    if not pairs:
        raise EnlightError(f"no pairs found between {low_dir} and {normal_dir}")
    for sub in ("low", "high"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    with open(out / "pairs.csv", "w", newline="") as handle:
        table = csv.writer(handle)
        table.writerow(["name", "low", "high", "low_luma", "high_luma", "similarity", "sequence"])
        for dark, bright, index in pairs:
            shutil.copyfile(dark.path, out / "low" / (dark.path.stem + dark.path.suffix.lower()))
            shutil.copyfile(bright.path, out / "high" / (dark.path.stem + bright.path.suffix.lower()))
            table.writerow([dark.path.stem, dark.path.name, bright.path.name, f"{dark.luma:.3f}",
                            f"{bright.luma:.3f}", f"{float(dark.signature @ bright.signature):.3f}", index])
    multi = [s for s in sequences if len(s) > 1]
    return {"images": len(shots), "sequences": len(multi), "pairs": len(pairs),
            "unpaired_dark": sum(s.dark for s in shots) - len(pairs)}


@dataclass(frozen=True)
class Darkening:
    """The ranges ``darken`` draws from: exposure gain (log-uniform), full-well photo-electrons at linear 1
    (uniform), Gaussian read noise sigma (uniform, linear units), display gamma (uniform). The defaults are
    RetinexNet's synthetic pairs (very noisy)."""

    gain: tuple[float, float] = (0.02, 0.25)
    peak: tuple[float, float] = (100.0, 1000.0)
    read: tuple[float, float] = (0.001, 0.008)
    gamma: tuple[float, float] = (2.0, 2.6)


def darken(image: np.ndarray, rng: np.random.Generator, ranges: Darkening = Darkening()) -> np.ndarray:
    """A synthetic low-light version of a (H, W, 3) uint8 photo (same shape and dtype).

    linear = (x / 255) ** 2.2; times a gain drawn from ``ranges.gain`` (log-uniform); Poisson noise with a
    full-well of ``peak`` photo-electrons at linear 1 and Gaussian read noise; back through gamma 1 / g;
    quantised to 8 bits.
    """
    linear = (image.astype(np.float64) / 255.0) ** 2.2
    gain = float(np.exp(rng.uniform(np.log(ranges.gain[0]), np.log(ranges.gain[1]))))
    peak = float(rng.uniform(*ranges.peak))
    read = float(rng.uniform(*ranges.read))
    gamma = float(rng.uniform(*ranges.gamma))
    dark = rng.poisson(linear * gain * peak) / peak + rng.normal(0.0, read, linear.shape)
    return (np.clip(dark, 0, 1) ** (1 / gamma) * 255.0 + 0.5).astype(np.uint8)


__all__ = ["Darkening", "darken", "find_sequences", "pair_sequences", "signature", "write_pairs"]
