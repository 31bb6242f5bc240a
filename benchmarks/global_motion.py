"""The global motion's phase correlation on the analysis picture cropped to DFT-friendly sides (the product's
``analysis_luma``) against the same picture uncropped (its form before 2026-12-06): time per pair of frames
and how well each shift aligns the frames. Prints a table, writes JSON; never asserts.

    python benchmarks/global_motion.py [CLIP ...] [--frames 300] [--json docs/img/global_motion.json]

Without clips: samples/night.mp4 and every clip under ../shared/data/video (skipped when absent). Alignment
error: the mean absolute luma difference (0-255) between frame t+1 and frame t moved by the shift (bilinear,
edges repeated, a 40-pixel margin left out), averaged over the pairs; "worse" counts the pairs where one form's
shift aligns worse than the other's by more than 0.5 levels. One thread (OpenCV), as the stages run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import av
import cv2
import numpy as np

from enlight.stream.apps.bench import cpu_info, machine_line
from enlight.stream.core.cpu import motion
from enlight.stream.core.smoothing_config import ANALYSIS_SHORT_SIDE

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT.parent / "shared" / "data" / "video"


def uncropped(luma: np.ndarray) -> tuple[np.ndarray, int]:
    """The analysis picture before the crop: (B, 1, H, W) float32 -> means over f x f blocks, remainder dropped."""
    factor = max(1, min(luma.shape[-2:]) // ANALYSIS_SHORT_SIDE)
    b, _, h, w = luma.shape
    h, w = h // factor, w // factor
    out = np.empty((b, 1, h, w), np.float32)
    for source, plane in zip(luma[:, 0], out[:, 0], strict=True):
        cv2.resize(np.ascontiguousarray(source[:h * factor, :w * factor]), (w, h), dst=plane,
                   interpolation=cv2.INTER_AREA)
    return out, factor


def alignment_error(before: np.ndarray, after: np.ndarray, shift: np.ndarray, margin: int = 40) -> float:
    moved = cv2.warpAffine(before, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), before.shape[::-1],
                           borderMode=cv2.BORDER_REPLICATE)
    return float(np.abs(moved - after)[margin:-margin, margin:-margin].mean())


def measure(path: Path, frames: int) -> dict:
    with av.open(str(path)) as container:
        luma = np.stack([f.to_ndarray(format="gray").astype(np.float32)
                         for _, f in zip(range(frames), container.decode(video=0), strict=False)])[:, None]
    row = {"size": f"{luma.shape[-1]}x{luma.shape[-2]}", "pairs": len(luma) - 1}
    errors = {}
    for name, analysis_of in (("uncropped", uncropped), ("cropped", motion.analysis_luma)):
        analysis, factor = analysis_of(luma)
        motion.global_shift(analysis[:2], analysis[1:3])  # warm-up
        start = time.perf_counter()
        shifts = motion.global_shift(analysis[:-1], analysis[1:]) * np.float32(factor)
        row[f"{name} ms per pair"] = (time.perf_counter() - start) / (len(luma) - 1) * 1000
        row[f"{name} analysis"] = f"{analysis.shape[-1]}x{analysis.shape[-2]}"
        errors[name] = np.array([alignment_error(luma[i, 0], luma[i + 1, 0], shifts[i]) for i in range(len(shifts))])
        row[f"{name} alignment error"] = float(errors[name].mean())
    row["cropped worse"] = int((errors["cropped"] > errors["uncropped"] + 0.5).sum())
    row["uncropped worse"] = int((errors["uncropped"] > errors["cropped"] + 0.5).sum())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    clips = args.clips or [ROOT / "samples" / "night.mp4", *sorted(VIDEO.glob("*.mp4")), *sorted(VIDEO.glob("*/*.mp4"))]
    machine = machine_line({**cpu_info(), "cores": os.cpu_count()})
    print(machine)
    rows = {path.name: measure(path, args.frames) for path in clips if path.exists()}
    keys = ["size", "pairs", "uncropped analysis", "cropped analysis", "uncropped ms per pair", "cropped ms per pair",
            "uncropped alignment error", "cropped alignment error", "uncropped worse", "cropped worse"]
    print("| clip | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, row in rows.items():
        cells = [f"{row[k]:.2f}" if isinstance(row[k], float) else str(row[k]) for k in keys]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "clips": rows}, indent=1))


if __name__ == "__main__":
    main()
