"""16-bit photos through the model (``enlight.stream.apps.photo_deep``) against the 8-bit correction added
(``photo.apply_to_16bit``): the bands a lifted gradient shows, and the time.

    python benchmarks/photo_deep.py [--data ../shared/data] [--json docs/img/photo_deep.json]

- ramp: a smooth dark 16-bit ramp (levels 0-12 of 255, bluish), 320x96;
- sky: the smoothest 16 choosing-set photos (training normal-light shots, never LIME, MEF or LOL15; longer side cut
  to 640 px), darkened in
  linear light to a twentieth in 16 bits (no noise: what a clean RAW or a 16-bit scan of a dusk sky holds);
  the 99th percentile of the jumps between neighbours where the darkened 16-bit picture is smooth (its four
  neighbours within a quarter of an 8-bit level), in 8-bit levels of the result.
Every picture is enhanced as the command enhances a photo (``best``, whole, the detail step). Prints a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from enlight.stream.apps.photo import apply_to_16bit, enhance_picture, still_plan
from enlight.stream.apps.photo_deep import deep_result
from enlight.stream.core.cpu_kind import cpu_flags
from enlight.stream.core.denoise_config import DenoiseConfig
from enlight.stream.core.plan import build_backend, make_plan
from enlight.train.data import list_images, load_rgb

REPO = Path(__file__).resolve().parents[1]
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8")


def _jumps(rgb16: np.ndarray, smooth: np.ndarray) -> float:
    """99th percentile of the horizontal and vertical neighbour jumps (8-bit levels) where ``smooth``."""
    x = rgb16.astype(np.float64) / 257
    across = np.abs(np.diff(x, axis=1))[:, :, :][smooth[:, 1:]]
    down = np.abs(np.diff(x, axis=0))[smooth[1:]]
    return float(np.percentile(np.concatenate([across.ravel(), down.ravel()]), 99))


def _ramp() -> np.ndarray:
    ramp = np.linspace(0, 3000, 320)[None, :, None] * np.ones((96, 1, 1))
    return np.round(ramp * np.array([0.8, 0.9, 1.0])).astype(np.uint16)


def _darkened(rgb: np.ndarray, factor: float = 1 / 20) -> np.ndarray:
    linear = np.where(rgb <= 10, rgb / 255 / 12.92, ((rgb / 255 + 0.055) / 1.055) ** 2.4) * factor
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(srgb * 65535).astype(np.uint16)


def _smooth_mask(rgb16: np.ndarray) -> np.ndarray:
    """Where the 16-bit picture is smooth: each of its four neighbours within a quarter of an 8-bit level."""
    luma = rgb16.astype(np.float64).mean(-1) / 257
    spread = np.zeros(luma.shape, bool)
    for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        spread |= np.abs(luma - np.roll(luma, (dy, dx), (0, 1))) > 0.25
    spread[:8], spread[-8:], spread[:, :8], spread[:, -8:] = True, True, True, True
    return ~spread


def _small(rgb: np.ndarray, side: int = 640) -> np.ndarray:
    """``rgb`` with its longer side at most ``side`` (area resampling), so that every picture weighs alike."""
    from PIL import Image

    scale = side / max(rgb.shape[:2])
    if scale >= 1:
        return rgb
    size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.BOX))


def _roughness(rgb: np.ndarray) -> float:
    """Mean absolute horizontal step of the luma: the smoothest photos (skies, walls) first."""
    return float(np.abs(np.diff(rgb.astype(np.float32).mean(-1), axis=1)).mean())


def measure(rgb16: np.ndarray, plan, backend) -> dict:
    rgb8 = ((rgb16.astype(np.uint32) + 128) // 257).astype(np.uint8)
    start = time.perf_counter()
    enhanced = enhance_picture(rgb8, replace(plan, deband=False, denoise=DenoiseConfig()), backend, grey=False,
                               layout=None)
    enhance_s = time.perf_counter() - start
    before = apply_to_16bit(rgb16, rgb8, enhanced)
    start = time.perf_counter()
    after = deep_result(rgb16, rgb8, enhanced, backend, detail=plan.detail)
    deep_s = time.perf_counter() - start
    smooth = _smooth_mask(rgb16)
    return {"before": _jumps(before, smooth), "after": _jumps(after, smooth), "enhance_s": enhance_s,
            "deep_s": deep_s, "mean_shift": float(abs(after.mean() - before.mean()) / 257)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--json", type=Path, default=REPO / "docs" / "img" / "photo_deep.json")
    args = p.parse_args()
    flags = sorted(cpu_flags() & set(FLAGS))
    print("CPU flags:", ", ".join(flags))
    plan = still_plan(make_plan())
    backend = build_backend(plan)
    rows = {"ramp": [measure(_ramp(), plan, backend)]}
    folder = args.data / "train" / "normal"
    if folder.is_dir():
        scored = sorted((_roughness(_small(load_rgb(path))), path) for path in list_images(folder))
        rows["sky"] = [measure(_darkened(_small(load_rgb(path))), plan, backend) for _, path in scored[:16]]
    else:
        print(f"no choosing-set photos in {folder}: the ramp only", file=sys.stderr)
    print("| set | pictures | 99th pct jump, 8-bit correction added | through the model | mean shift | enhance s "
          "| 16-bit runs s |\n|---|---|---|---|---|---|---|")
    summary = {}
    for name, found in rows.items():
        summary[name] = {key: statistics.median(r[key] for r in found) for key in found[0]}
        s = summary[name]
        print(f"| {name} | {len(found)} | {s['before']:.2f} | {s['after']:.2f} | {s['mean_shift']:.2f} | "
              f"{s['enhance_s']:.2f} | {s['deep_s']:.2f} |")
    args.json.write_text(json.dumps({"command": "python benchmarks/photo_deep.py " + " ".join(sys.argv[1:]),
                                     "cpu_flags": flags, "medians": summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
