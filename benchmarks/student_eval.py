"""PSNR of student weights against their teacher through the product's Enhancer, on the validation split.

    python benchmarks/student_eval.py --teacher enlight/models/weights/enlightengan.safetensors \
        --quality fast --images 20 STUDENT [STUDENT ...]

Each STUDENT (weights, ``enlight-train`` checkpoint or run folder) runs as the ``--quality`` preset
runs it (its runtime, its scale with the guided upsampling, float); a STUDENT ending in ``.onnx`` is an
int8 model (``enlight-train quantize``) run as the preset runs its own on a CPU. The teacher runs as ``best``; the
images are the first ``--images`` of the 40 that the ``zerodce`` recipe holds out (never trained
on by that recipe; the students' own training shots may include some). Use it to choose a
student's checkpoint; the presets' numbers on LIME and MEF come from benchmarks/quality.py.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from quality import still
from weights_eval import load_any_generator, set_images

from enlight.quality.paired import psnr
from enlight.stream.core.plan import build_backend, make_plan
from enlight.stream.core.presets import QUALITIES
from enlight.train.data import load_rgb

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("students", nargs="+", type=Path)
    p.add_argument("--teacher", type=Path, default=REPO / "enlight" / "models" / "weights" / "enlightengan.safetensors")
    p.add_argument("--quality", choices=sorted(QUALITIES), default="balanced")
    p.add_argument("--images", type=int, default=20)
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = p.parse_args()
    torch.set_num_threads(1)
    best = still(build_backend(make_plan(quality="best", device="cpu"), network=load_any_generator(args.teacher)))
    scale = QUALITIES[args.quality].scale
    pairs = [(rgb, best(rgb)) for rgb in map(load_rgb, set_images(args.data, "validation")[: args.images])]
    for path in args.students:
        plan = make_plan(quality=args.quality, device="cpu")
        if path.suffix == ".onnx":
            backend, label = build_backend(replace(plan, int8_model=path)), "int8"
        else:
            student = load_any_generator(path)
            backend, label = build_backend(plan, network=student), f"margin {student.margin}"
        method = still(backend, scale=scale)
        values = [psnr(method(rgb), ref) for rgb, ref in pairs]
        print(f"{path}: {label}, {np.mean(values):.2f} dB mean, {np.min(values):.2f} worst "
              f"({len(values)} images)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
