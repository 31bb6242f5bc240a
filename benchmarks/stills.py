"""What the still-image benchmarks share, without importing enlight.stream: the test photos in
natural order and the simple baselines (gamma, CLAHE). Each method maps (H, W, 3) uint8 RGB to the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SUFFIXES = {".bmp", ".png", ".jpg", ".jpeg", ".tif"}


def images(folder: Path, limit: int | None = None) -> list[Path]:
    """The test photos of a folder in natural order (2.bmp before 10.bmp), the first ``limit`` of them."""
    found = sorted((p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES), key=lambda p: (len(p.stem), p.stem))
    return found[:limit] if limit else found


def gamma(rgb: np.ndarray, g: float = 0.45) -> np.ndarray:
    return np.round(255 * (rgb / 255.0) ** g).astype(np.uint8)


def clahe(rgb: np.ndarray) -> np.ndarray:
    """CLAHE (clip 2, 8x8 tiles) on the L channel of CIELAB."""
    import cv2

    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
