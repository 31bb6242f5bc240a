"""The denoiser's cost on a CUDA device, in the Enhancer alone (issue 15, criterion 4's GPU path).

    python benchmarks/gpu_denoise_cost.py --out cost.json [--frames 48] [--repeats 3]

For `fast` and `best` at 854x480 (and `fast` at 1920x1080): ms per frame of ``Enhancer.submit`` +
``drain`` on frames already decoded (synthetic: a textured scene panning 2 px a frame, darkened to a
mean of about 22 levels, with Poisson + read noise well above the denoiser's floor), with the denoiser
off, `light` (as `--denoise light` plans it on CUDA) and `light` without the refinements (optical flow,
bilateral). Runs interleaved, median of ``--repeats``. No decode or encode: the end-to-end share of the
cost is smaller than the ratio printed here. Needs no PyAV (the lent GPU machine has none).
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import build_backend, make_plan


def noisy_pan(count: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """(count, height, width, 3) uint8: a smooth random scene with edges, panning right 2 px a frame,
    scaled to a dark mean and given signal-dependent noise (about 3-6 levels rms in the mid-darks)."""
    rng = np.random.default_rng(seed)
    big_w = width + 2 * count + 64
    coarse = rng.random((height // 16 + 2, big_w // 16 + 2, 3)).astype(np.float32)
    import cv2

    scene = cv2.resize(coarse, (big_w, height), interpolation=cv2.INTER_CUBIC)
    bars = ((np.arange(big_w) // 24) % 2).astype(np.float32)[None, :, None] * 0.3
    scene = np.clip(scene * 0.7 + bars, 0, 1) * 45.0  # dark: mean about 22 levels
    frames = np.empty((count, height, width, 3), np.uint8)
    for i in range(count):
        clean = scene[:, 2 * i: 2 * i + width]
        photons = rng.poisson(clean * 2.0) / 2.0  # shot noise
        frames[i] = np.clip(photons + rng.normal(0, 2.0, clean.shape), 0, 255).round().astype(np.uint8)
    return frames


def time_enhancer(enhancer: Enhancer, frames: np.ndarray, batch: int) -> float:
    """ms per frame of the whole clip through ``enhancer`` (the device synchronised at both ends)."""
    sync = torch.cuda.synchronize if enhancer.cuda else (lambda: None)
    sync()
    start = time.perf_counter()
    for i in range(0, len(frames), batch):
        enhancer.submit(frames[i: i + batch])
    enhancer.drain()
    sync()
    return (time.perf_counter() - start) * 1000 / len(frames)


def measure(quality: str, level: str, frames: np.ndarray, batch: int, device: str) -> float:
    refine = level != "light-norefine"
    plan = make_plan(quality=quality, device=device, denoise="off" if level == "off" else "light")
    if level != "off":
        plan = replace(plan, denoise=replace(plan.denoise, refine=refine))
    enhancer = Enhancer.from_plan(plan, build_backend(plan))
    time_enhancer(enhancer, frames[: 2 * batch], batch)  # warm-up (kernels, cudnn autotune)
    enhancer = Enhancer.from_plan(plan, build_backend(plan))
    return time_enhancer(enhancer, frames, batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cuda", help="cuda (the point), or cpu to try the script")
    parser.add_argument("--sizes", default="full", choices=("full", "small"), help="small: 160x96 only")
    args = parser.parse_args()
    torch.backends.cudnn.benchmark = True
    cases = [("fast", 480, 854), ("best", 480, 854), ("fast", 1080, 1920)]
    if args.sizes == "small":
        cases = [("fast", 96, 160), ("best", 96, 160)]
    levels = ("off", "light", "light-norefine")
    rows = []
    for quality, height, width in cases:
        frames = noisy_pan(args.frames, height, width)
        runs: dict[str, list[float]] = {level: [] for level in levels}
        for _ in range(args.repeats):
            for level in levels:
                try:
                    runs[level].append(measure(quality, level, frames, 4, args.device))
                except Exception as error:  # noqa: BLE001 - a benchmark row, not a product path
                    print(f"{quality} {width}x{height} {level}: {type(error).__name__}: {error}", flush=True)
        row = {"quality": quality, "size": f"{width}x{height}",
               **{level: statistics.median(v) if v else None for level, v in runs.items()}}
        for level in levels[1:]:
            if row[level] and row["off"]:
                row[f"{level}_cost_pct"] = 100 * (row[level] / row["off"] - 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    gpu = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "none (cpu)"
    device = {"gpu": gpu, "torch": torch.__version__}
    args.out.write_text(json.dumps({"device": device, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
