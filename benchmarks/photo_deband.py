"""Photo deband (``enlight.stream.apps.photo_prepare.deband_photo``, ``--deband``): JPEG blocks, NIQE, truth.

    python benchmarks/photo_deband.py [--data ../shared/data] [--json docs/img/photo_deband.json]
        [--png docs/img/photo_deband.png] [--skip validation fusion synthetic png]

Every photo is enhanced as the command enhances it (`best`, the detail step, no tiles), with the step off and on;
only choosing sets, never LIME, MEF or LOL15 (docs/training.md):

- validation: the 40 held-out low-light training shots (SICE, JPEG as stored): NIQE, ``block_ratio`` on the 8-pixel
  grid (1: no grid), the share of pixels the step changed.
- fusion: the JPEG photos of the Fusion set (14 of its 18).
- synthetic: every other clean training photo (Kodak, McMaster: 21, no JPEG of their own) darkened in linear light
  as ``benchmarks/deband.py`` darkens its clips, saved by Pillow as JPEG at three qualities (4:2:0) and read back;
  against the truth, the same darkened photo enhanced without the JPEG: PSNR, and NIQE and blocks as above.
- png: a validation shot's dark rock (sice_90), off against on, 3x.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from choosing_sets import synthetic_photos  # sibling scripts (benchmarks/ is on sys.path when run as a script)
from deband import FLAGS, darkened
from PIL import Image

from enlight.ops import simd
from enlight.quality.blocks import block_ratio
from enlight.quality.niqe import niqe
from enlight.quality.paired import psnr
from enlight.stream.apps.photo import enhance_picture, still_plan
from enlight.stream.core.cpu_kind import cpu_flags
from enlight.stream.core.plan import build_backend, make_plan
from enlight.train.data import list_images, load_rgb, validation_split

REPO = Path(__file__).resolve().parents[1]
QUALITIES = (60, 80, 92)
Enhance = Callable[[np.ndarray], np.ndarray]


def enhancers() -> dict[str, Enhance]:
    """(H, W, 3) uint8 -> enhanced, as ``enhance_photo`` runs `best` on a CPU: the step on the whole picture first
    ("on") or not ("off"), then the enhancer (smoothing off, the detail step)."""
    plan = still_plan(make_plan(quality="best", device="cpu"))
    backend = build_backend(plan)

    def off(rgb: np.ndarray) -> np.ndarray:
        return enhance_picture(rgb, plan, backend, grey=False, layout=None)

    return {"off": off, "on": lambda rgb: off(simd.deband(rgb[None])[0][0])}


def measure(name: str, rgb: np.ndarray, runs: dict[str, Enhance], truth: np.ndarray | None = None) -> dict:
    row = {"name": name, "changed": float((simd.deband(rgb[None])[0][0] != rgb).any(-1).mean())}
    for mode, enhance in runs.items():
        out = enhance(rgb)
        row[mode] = {"niqe": float(niqe(out)), "blocks 8": block_ratio(out, rgb)}
        if truth is not None:
            row[mode]["psnr"] = psnr(out, truth)
    return row


def summarise(label: str, rows: list[dict]) -> dict:
    """The means over ``rows``, printed as one line."""
    keys = [k for k in ("niqe", "blocks 8", "psnr") if k in rows[0]["off"]]
    mean = {"set": label, "images": len(rows), "changed": statistics.mean(r["changed"] for r in rows)}
    for mode in ("off", "on"):
        mean[mode] = {k: statistics.mean(r[mode][k] for r in rows) for k in keys}
    cells = " | ".join(f"{mode}: " + ", ".join(f"{k} {mean[mode][k]:.3f}" for k in keys) for mode in ("off", "on"))
    print(f"{label:22s} {len(rows):2d} photos, changed {mean['changed']:.3f} | {cells}", flush=True)
    return mean


def validation_rows(data: Path, runs: dict[str, Enhance]) -> list[dict]:
    held = validation_split(list_images(data / "train" / "low"), 40)[1]
    return [measure(p.name, load_rgb(p), runs) for p in held]


def fusion_rows(data: Path, runs: dict[str, Enhance]) -> list[dict]:
    photos = sorted((data / "eval" / "Fusion").glob("*.jpg"))
    return [measure(p.name, np.asarray(Image.open(p).convert("RGB")), runs) for p in photos]


def through_jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def synthetic_rows(data: Path, runs: dict[str, Enhance]) -> dict[int, list[dict]]:
    rows: dict[int, list[dict]] = {q: [] for q in QUALITIES}
    for path in synthetic_photos(data)[::2]:
        clean = np.asarray(Image.open(path).convert("RGB"))
        dark = darkened(clean[:clean.shape[0] // 16 * 16, :clean.shape[1] // 16 * 16])
        truth = runs["off"](dark)
        for quality in QUALITIES:
            rows[quality].append(measure(f"{path.stem} q{quality}", through_jpeg(dark, quality), runs, truth))
    return rows


def bench_parser(name: str, doc: str, skips: tuple[str, ...]) -> argparse.ArgumentParser:
    """The options of a photo step's benchmark ``name``: --data, --json and --png (docs/img/NAME.*), --skip."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--json", type=Path, default=REPO / "docs" / "img" / f"{name}.json")
    p.add_argument("--png", type=Path, default=REPO / "docs" / "img" / f"{name}.png")
    p.add_argument("--skip", nargs="*", default=[], choices=skips)
    return p


def begin(name: str, needed: Path) -> dict | None:
    """Print the CPU flags; the JSON result's start: the command that made it, the flags, no sets yet. None (and a
    line on stderr) when the folder of photos ``needed`` is absent."""
    if not needed.is_dir():
        print(f"{name}: no training photos in {needed}", file=sys.stderr)
        return None
    flags = sorted(cpu_flags() & set(FLAGS))
    print("CPU flags:", ", ".join(flags))
    return {"command": f"python benchmarks/{name}.py " + " ".join(sys.argv[1:]), "cpu_flags": flags, "sets": []}


def side_by_side(pieces: list[np.ndarray], zoom: int, out: Path) -> None:
    """Two (h, w, 3) uint8 crops side by side, a white 4-pixel gap between them, enlarged ``zoom`` times (nearest),
    written to ``out``."""
    strip = np.concatenate([pieces[0], np.full((pieces[0].shape[0], 4, 3), 255, np.uint8), pieces[1]], 1)
    Image.fromarray(strip).resize((strip.shape[1] * zoom, strip.shape[0] * zoom), Image.NEAREST).save(out)


def crops_png(data: Path, runs: dict[str, Enhance], out: Path) -> None:
    rgb = load_rgb(data / "train" / "low" / "sice_90.jpg")
    side_by_side([runs[mode](rgb)[330:512, 0:200] for mode in ("off", "on")], 3, out)
    print(f"wrote {out} (left: --deband off, right: on; best, validation shot sice_90, 3x)")


def main() -> int:
    args = bench_parser("photo_deband", __doc__, ("validation", "fusion", "synthetic", "png")).parse_args()
    result = begin("photo_deband", args.data / "train" / "low")
    if result is None:
        return 2
    runs = enhancers()
    if "validation" not in args.skip:
        rows = validation_rows(args.data, runs)
        result["sets"].append(summarise("validation", rows) | {"rows": rows})
    if "fusion" not in args.skip:
        rows = fusion_rows(args.data, runs)
        result["sets"].append(summarise("Fusion (JPEG)", rows) | {"rows": rows})
    if "synthetic" not in args.skip:
        for quality, rows in synthetic_rows(args.data, runs).items():
            result["sets"].append(summarise(f"synthetic, JPEG q{quality}", rows) | {"rows": rows})
    if "png" not in args.skip:
        crops_png(args.data, runs, args.png)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
