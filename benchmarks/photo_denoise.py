"""The denoise step on still photos (``enlight.stream.apps.photo_prepare.denoise_photo``, ``--denoise``): how much of
the input to keep over the one-frame denoise, chosen against the noise-free picture, and NIQE on the choosing sets.

    python benchmarks/photo_denoise.py [--data ../shared/data] [--json docs/img/photo_denoise.json]
        [--skip synthetic validation fusion png] [--every 3]

Every photo goes through the command's steps on a CPU with `best`: the denoise step (varied here), the deband step,
the enhancer with the detail step. Only choosing sets, never LIME, MEF or LOL15 (docs/training.md):

- synthetic: the clean training photos (Kodak, McMaster; every ``--every``-th) darkened in linear light with sensor
  noise as ``choosing_sets.synthetic_dark`` makes them, at four full-well settings (30000, the set's own, down to 3000:
  noise about 1.1 to 2.9 levels); the truth is the same darkened photo without noise, enhanced: PSNR against it (what
  the noise and the denoiser change), NIQE, and PSNR against the clean photo.
- validation: the 40 held-out low-light training shots; fusion: the Fusion set (its JPEG and PNG photos): NIQE, and
  how many were over the noise floor.
- png: a noisy synthetic crop (kodim04 at full well 7500), off against the default, 2x.

Forms: ``off`` (the photo as it is), ``keep K`` (the one-frame denoise with the input's share K added back: ``keep
0`` is ``--denoise strong`` and the form the enhancer ran on a photo before this step; ``keep 0.25`` is ``light``).
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import choosing_sets  # sibling scripts (benchmarks/ is on sys.path when run as a script)
import numpy as np
from choosing_sets import GAINS, synthetic_dark, synthetic_photos
from photo_deband import begin, bench_parser, side_by_side

from enlight.ops import simd
from enlight.quality.niqe import niqe
from enlight.quality.paired import psnr
from enlight.stream.apps.photo import enhance_picture, still_plan
from enlight.stream.apps.photo_prepare import denoise_photo
from enlight.stream.core import denoise_config
from enlight.stream.core.denoise_config import STILL_KEEP, DenoiseConfig
from enlight.stream.core.plan import build_backend, make_plan
from enlight.train.data import list_images, load_rgb, validation_split

REPO = Path(__file__).resolve().parents[1]
WELLS = (30000.0, 15000.0, 7500.0, 3000.0)
KEEPS = (0.0, 0.25, 0.5, 0.75)
Enhance = Callable[[np.ndarray], np.ndarray]
CONFIG = DenoiseConfig("strong", still=True)  # keep 0; the share kept is set per form below


def enhancer() -> Enhance:
    """(H, W, 3) uint8 -> enhanced as ``enhance_photo`` runs `best` on a CPU after the denoise step: the deband step,
    then the enhancer (smoothing and its own denoiser off, the detail step)."""
    plan = replace(still_plan(make_plan(quality="best", device="cpu")), denoise=DenoiseConfig())
    backend = build_backend(plan)
    return lambda rgb: enhance_picture(simd.deband(rgb[None])[0][0], plan, backend, grey=False, layout=None)


def forms(rgb: np.ndarray) -> tuple[dict[str, np.ndarray], float]:
    """The photo under every form (``off``, ``keep K``) and its measured noise."""
    strong, done = denoise_photo(rgb, CONFIG)
    out = {"off": rgb}
    for keep in KEEPS:
        mixed = strong + np.float32(keep) * (rgb.astype(np.float32) - strong)  # (the product rounds once: below)
        out[f"keep {keep:g}"] = np.rint(mixed).astype(np.uint8) if done.denoised else rgb
    out[f"keep {STILL_KEEP['light']:g}"] = denoise_photo(rgb, DenoiseConfig("light", still=True))[0]  # the product's
    return out, done.noise


def synthetic_rows(data: Path, enhance: Enhance, every: int) -> list[dict]:
    rows = []
    for well in WELLS:
        choosing_sets.FULL_WELL = well  # (``synthetic_dark`` reads it at each call)
        for index, path in list(enumerate(synthetic_photos(data)))[::every]:
            photo = load_rgb(path)
            linear = (photo.astype(np.float64) / 255) ** 2.2 * GAINS[index % len(GAINS)]
            truth = enhance(np.round(linear ** (1 / 2.2) * 255).astype(np.uint8))
            pictures, noise = forms(synthetic_dark(photo, index))
            row = {"well": well, "name": path.name, "noise": noise}
            for name, rgb in pictures.items():
                out = enhance(rgb)
                row[name] = {"niqe": float(niqe(out)), "psnr": psnr(out, truth), "photo psnr": psnr(out, photo)}
            rows.append(row)
    choosing_sets.FULL_WELL = 30000.0
    return rows


def niqe_rows(paths: list[Path], enhance: Enhance) -> list[dict]:
    rows = []
    for path in paths:
        pictures, noise = forms(load_rgb(path))
        rows.append({"name": path.name, "noise": noise} | {k: {"niqe": float(niqe(enhance(v)))}
                                                          for k, v in pictures.items() if k in ("off", "keep 0",
                                                                                                "keep 0.25")})
    return rows


def summarise(label: str, rows: list[dict]) -> dict:
    """The means over ``rows`` of every form's measures, printed as lines."""
    names = [k for k in rows[0] if isinstance(rows[0][k], dict)]
    mean = {k: {m: statistics.mean(r[k][m] for r in rows) for m in rows[0][k]} for k in names}
    over = sum(r["noise"] >= denoise_config.NOISE_FLOOR for r in rows)
    print(f"{label}: {len(rows)} photos, noise median {statistics.median(r['noise'] for r in rows):.2f}, "
          f"{over} over the floor", flush=True)
    for k in names:
        print(f"    {k:10s} " + "  ".join(f"{m} {v:.3f}" for m, v in mean[k].items()), flush=True)
    return {"set": label, "photos": len(rows), "over floor": over, "mean": mean}


def crop_png(data: Path, enhance: Enhance, out: Path) -> None:
    choosing_sets.FULL_WELL = 7500.0
    index, path = next((i, p) for i, p in enumerate(synthetic_photos(data)) if p.name == "kodak_kodim04.png")
    pictures, _ = forms(synthetic_dark(load_rgb(path), index))
    choosing_sets.FULL_WELL = 30000.0
    side_by_side([enhance(pictures[k])[200:400, 100:300] for k in ("off", "keep 0.25")], 2, out)
    print(f"wrote {out} (left: --denoise off, right: the default, light; best, kodim04 at full well 7500, 2x)")


def main() -> int:
    p = bench_parser("photo_denoise", __doc__, ("synthetic", "validation", "fusion", "png"))
    p.add_argument("--every", type=int, default=3, help="every N-th synthetic photo (default 3: 14 of 42)")
    args = p.parse_args()
    result = begin("photo_denoise", args.data / "train" / "normal")
    if result is None:
        return 2
    enhance = enhancer()
    if "synthetic" not in args.skip:
        rows = synthetic_rows(args.data, enhance, args.every)
        for well in WELLS:
            part = [r for r in rows if r["well"] == well]
            result["sets"].append(summarise(f"synthetic, full well {well:g}", part) | {"rows": part})
    if "validation" not in args.skip:
        held = validation_split(list_images(args.data / "train" / "low"), 40)[1]
        rows = niqe_rows(held, enhance)
        result["sets"].append(summarise("validation", rows) | {"rows": rows})
    if "fusion" not in args.skip:
        rows = niqe_rows(list_images(args.data / "eval" / "Fusion"), enhance)
        result["sets"].append(summarise("Fusion", rows) | {"rows": rows})
    if "png" not in args.skip:
        crop_png(args.data, enhance, args.png)
    args.json.write_text(json.dumps(result, indent=1))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
