"""Evaluate generator weights on the real low-light test photos: NIQE table, before/after grid, loss curves.

    python benchmarks/enhancement_eval.py [--weights W] [--data ../shared/data/eval] [--sets LIME,MEF,Fusion]
        [--grid docs/img/before_after.png] [--run runs/default --curves docs/img/loss_curves.png]
        [--json docs/img/niqe.json]

Prints a markdown table of mean NIQE (lower = more natural) of the inputs and of our outputs,
next to the EnlightenGAN paper's values where it reports them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from stills import images

from enlight.models import default_weights, load_generator
from enlight.quality.niqe import niqe
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import build_backend, make_plan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.train.data import load_rgb

REPO = Path(__file__).resolve().parents[1]
PAPER_NIQE = {"MEF": 3.232, "LIME": 3.719}  # EnlightenGAN, Jiang et al. TIP 2021


def still_enhancer(generator) -> Enhancer:
    """Enhances single photos: the product's Enhancer with temporal smoothing off."""
    return Enhancer(build_backend(make_plan(device="cpu"), network=generator), SmoothingConfig(strength=0))


def grid(pairs: list[tuple[np.ndarray, np.ndarray]], height: int = 220) -> Image.Image:
    rows = []
    for before, after in pairs:
        tiles = []
        for img in (before, after):
            w = round(img.shape[1] * height / img.shape[0])
            tiles.append(np.asarray(Image.fromarray(img).resize((w, height), Image.BICUBIC)))
        rows.append(np.concatenate([tiles[0], np.full((height, 6, 3), 255, np.uint8), tiles[1]], 1))
    width = max(r.shape[1] for r in rows)
    canvas = np.full((len(rows) * (height + 6), width, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        canvas[i * (height + 6) : i * (height + 6) + height, : row.shape[1]] = row
    return Image.fromarray(canvas)


def loss_curves(run: Path, output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [json.loads(line) for line in (run / "losses.jsonl").read_text().splitlines() if line.strip()]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    for ax, keys, title in (
        (axes[0], ("warmup_l1",), "exposure warm-up (L1)"),
        (axes[1], ("g_global", "g_local"), "generator adversarial"),
        (axes[2], ("d_global", "d_local"), "discriminators"),
        (axes[3], ("vgg", "vgg_patch"), "self feature preserving (VGG)"),
    ):
        for key in keys:
            points = [(r["step"], r[key]) for r in records if key in r]
            if points:
                ax.plot(*zip(*points, strict=True), label=key)
        ax.set_title(title)
        ax.set_xlabel("step")
        if ax.lines:
            ax.legend()
        else:
            ax.text(0.5, 0.5, "not in this run", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(output, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "eval")
    parser.add_argument("--sets", default="LIME,MEF,Fusion")
    parser.add_argument("--grid", type=Path)
    parser.add_argument("--run", type=Path)
    parser.add_argument("--curves", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    enhance = still_enhancer(load_generator(args.weights or default_weights()))
    results, pairs = {}, []
    start = time.perf_counter()
    for name in args.sets.split(","):
        folder = args.data / name
        if not folder.is_dir():
            print(f"skipping {name}: {folder} not found", file=sys.stderr)
            continue
        before, after = [], []
        for i, path in enumerate(images(folder)):
            rgb = load_rgb(path)
            out = enhance(rgb[None])[0]
            before.append(niqe(rgb))
            after.append(niqe(out))
            if name in ("LIME", "MEF") and i < 4:
                pairs.append((rgb, out))
        results[name] = {"images": len(before), "niqe_input": float(np.mean(before)),
                         "niqe_ours": float(np.mean(after)), "niqe_paper_enlightengan": PAPER_NIQE.get(name),
                         "per_image_input": [round(v, 3) for v in before],
                         "per_image_ours": [round(v, 3) for v in after]}
    print("| set | images | NIQE input | NIQE ours | EnlightenGAN (paper) |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        paper = f"{r['niqe_paper_enlightengan']:.3f}" if r["niqe_paper_enlightengan"] else "-"
        print(f"| {name} | {r['images']} | {r['niqe_input']:.3f} | {r['niqe_ours']:.3f} | {paper} |")
    print(f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if args.grid and pairs:
        args.grid.parent.mkdir(parents=True, exist_ok=True)
        grid(pairs).save(args.grid)
    if args.run and args.curves:
        args.curves.parent.mkdir(parents=True, exist_ok=True)
        loss_curves(args.run, args.curves)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
