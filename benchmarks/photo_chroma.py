"""A JPEG's dark chroma blocks (``enlight.ops.chroma_blocks``, part of ``--deband``): chroma blocks, NIQE, truth.

    python benchmarks/photo_chroma.py [--data ../shared/data] [--json docs/img/photo_chroma.json]
        [--png docs/img/photo_chroma.png] [--skip validation fusion synthetic png] [--radius 4 8] [--eps 25]

Every photo is enhanced as the command enhances it (`best`, the detail step, the luma deband step, no tiles), with
the chroma step off and at each RADIUS x EPS; only choosing sets, never LIME, MEF or LOL15 (docs/training.md):
the 40 validation shots (SICE, JPEG as stored), Fusion's JPEG photos, and the synthetic set (every other clean
training photo darkened and saved as JPEG at quality 60, 80 and 92; against the truth, the same darkened photo
enhanced without the JPEG). Measures: ``chroma_block_ratio`` (the chroma steps across the 16-pixel grid over those
inside, in the dark regions; 1: no grid), NIQE, the mean CIELAB chroma of the output (how much colour is left) and,
on the synthetic set, PSNR. The png: Fusion's 3.jpg, its dark river, off against on, 3x.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np
from choosing_sets import synthetic_photos  # sibling scripts (benchmarks/ is on sys.path when run as a script)
from deband import darkened
from photo_deband import QUALITIES, Enhance, begin, bench_parser, side_by_side, through_jpeg
from PIL import Image

from enlight.ops import chroma_blocks, simd
from enlight.quality.blocks import chroma_block_ratio
from enlight.quality.niqe import niqe
from enlight.quality.paired import psnr
from enlight.stream.apps.photo import enhance_picture, still_plan
from enlight.stream.core.plan import build_backend, make_plan
from enlight.train.data import list_images, load_rgb, validation_split


def _colourfulness(rgb: np.ndarray) -> float:
    """Mean CIELAB chroma (a*, b*) of an (H, W, 3) uint8 picture."""
    import cv2

    lab = cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


def enhancers(settings: list[tuple[int, float]]) -> dict[str, Enhance]:
    """'off' (the luma deband step, then `best`), and 'r{radius} e{eps}' (the chroma step after it) for each."""
    plan = still_plan(make_plan(quality="best", device="cpu"))
    backend = build_backend(plan)

    def run(rgb: np.ndarray, radius: int | None, eps: float) -> np.ndarray:
        prepared = simd.deband(rgb[None])[0][0]
        if radius is not None:
            chroma_blocks.RADIUS, chroma_blocks.EPS = radius, eps
            prepared = chroma_blocks.smooth_dark_chroma(prepared)
        return enhance_picture(prepared, plan, backend, grey=False, layout=None)

    runs = {"off": lambda rgb: run(rgb, None, 0.0)}
    for radius, eps in settings:
        runs[f"r{radius} e{eps:g}"] = lambda rgb, r=radius, e=eps: run(rgb, r, e)
    return runs


def measure(name: str, rgb: np.ndarray, runs: dict[str, Enhance], truth: np.ndarray | None = None) -> dict:
    row: dict = {"name": name}
    for mode, enhance in runs.items():
        out = enhance(rgb)
        row[mode] = {"chroma blocks": chroma_block_ratio(out, rgb), "niqe": float(niqe(out)),
                     "colour": _colourfulness(out)}
        if truth is not None:
            row[mode]["psnr"] = psnr(out, truth)
    return row


def summarise(label: str, rows: list[dict], modes: list[str]) -> dict:
    keys = [k for k in ("chroma blocks", "niqe", "colour", "psnr") if k in rows[0]["off"]]
    mean = {"set": label, "images": len(rows)}
    for mode in modes:
        mean[mode] = {k: statistics.mean(v for r in rows if (v := r[mode][k]) == v) for k in keys}
    print(f"{label} ({len(rows)} photos)")
    for mode in modes:
        print(f"  {mode:10s} " + ", ".join(f"{k} {mean[mode][k]:.3f}" for k in keys), flush=True)
    return mean


def main() -> int:
    parser = bench_parser("photo_chroma", __doc__, ("validation", "fusion", "synthetic", "png"))
    parser.add_argument("--radius", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--eps", type=float, nargs="+", default=[25.0])
    parser.add_argument("--qualities", type=int, nargs="+", default=list(QUALITIES))
    args = parser.parse_args()
    result = begin("photo_chroma", args.data / "train" / "low")
    if result is None:
        return 2
    runs = enhancers([(r, e) for r in args.radius for e in args.eps])
    modes = list(runs)
    if "validation" not in args.skip:
        held = validation_split(list_images(args.data / "train" / "low"), 40)[1]
        rows = [measure(p.name, load_rgb(p), runs) for p in held]
        result["sets"].append(summarise("validation", rows, modes) | {"rows": rows})
    if "fusion" not in args.skip:
        photos = sorted((args.data / "eval" / "Fusion").glob("*.jpg"))
        rows = [measure(p.name, np.asarray(Image.open(p).convert("RGB")), runs) for p in photos]
        result["sets"].append(summarise("Fusion (JPEG)", rows, modes) | {"rows": rows})
    if "synthetic" not in args.skip:
        rows_by = {q: [] for q in args.qualities}
        for path in synthetic_photos(args.data)[::2]:
            clean = np.asarray(Image.open(path).convert("RGB"))
            dark = darkened(clean[:clean.shape[0] // 16 * 16, :clean.shape[1] // 16 * 16])
            truth = runs["off"](dark)
            for quality in args.qualities:
                rows_by[quality].append(measure(f"{path.stem} q{quality}", through_jpeg(dark, quality), runs, truth))
        for quality, rows in rows_by.items():
            result["sets"].append(summarise(f"synthetic, JPEG q{quality}", rows, modes) | {"rows": rows})
    if "png" not in args.skip:
        rgb = np.asarray(Image.open(args.data / "eval" / "Fusion" / "3.jpg").convert("RGB"))
        side_by_side([runs[mode](rgb)[256:384, 416:544] for mode in ("off", modes[1])], 3, args.png)
        print(f"wrote {args.png} (left: off, right: {modes[1]}; best, Fusion 3.jpg's river, 3x)")
    Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
