"""What to smooth over time: the generator's correction, its attention map, or both (issue 13).

The product was specified with a temporal smoother of the attention map (the generator's input);
the correction smoother (after the generator) replaced it. Both are stages of the Enhancer now
(``--smooth correction|attention|both``); this measures them side by side, in one run, with the
full generator at the default strength, on the same clips as docs/quality.md's sweep: three shaky
noisy photo clips (LIME, MEF, Fusion) and the moving-object clip (the ghosting check), plus the
real surveillance clip when present. Prints a markdown table and writes JSON.

    python benchmarks/smoothing_targets.py --json docs/img/smoothing_targets.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import quality_clips as clips
import torch
from enhancement_eval import images

from enlight.quality.flicker import aligned_temporal_std, motion_compensated_flicker, warping_error
from enlight.stream.core.choices import SMOOTH_TARGETS
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import build_backend, make_plan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.train.data import load_rgb

REPO = Path(__file__).resolve().parents[1]
SHAKY = ("shaky noisy LIME", "shaky noisy MEF", "shaky noisy Fusion")


def make_clips(data: Path, frames: int, size: tuple[int, int]) -> dict[str, list[np.ndarray]]:
    made = {}
    for seed, name in zip((0, 2, 3), ("LIME", "MEF", "Fusion"), strict=True):  # as docs/quality.md's sweep
        made[f"shaky noisy {name}"] = clips.shaky_noisy_clip(load_rgb(images(data / "eval" / name)[0]), frames, size,
                                                            seed=seed)
    made["moving object"] = clips.moving_object_clip(load_rgb(images(data / "eval" / "LIME")[0]), frames, size)
    surveillance = data / "video" / "surveillance_night.mp4"
    if surveillance.is_file():
        height = size[0] * 1088 // 960 // 2 * 2  # the clip's aspect ratio
        made["surveillance (real)"] = clips.video_frames(surveillance, frames, (size[0], height))
    return made


def enhance(backend, clip: list[np.ndarray], smoothing: SmoothingConfig, batch: int = 4) -> list[np.ndarray]:
    enhancer = Enhancer(backend, smoothing)
    out = []
    for i in range(0, len(clip), batch):
        out.extend(enhancer(np.stack(clip[i : i + batch])))
    return out


def measure(backend, clip_set: dict[str, list[np.ndarray]], strength: float) -> dict:
    """Per variant (off, and each target at ``strength``) and clip: warping error, motion-compensated
    flicker, aligned temporal std; and the flicker's ratio to frame by frame."""
    variants = {"off": SmoothingConfig(strength=0)}
    variants |= {target: replace(SmoothingConfig(), strength=strength, target=target) for target in SMOOTH_TARGETS}
    table: dict = {}
    for name, config in variants.items():
        for clip_name, clip in clip_set.items():
            out = enhance(backend, clip, config)
            table.setdefault(name, {})[clip_name] = {
                "warping_error": warping_error(clip, out), "mc_flicker": motion_compensated_flicker(clip, out),
                "aligned_std": aligned_temporal_std(clip, out)}
            print(f"{name:10s} {clip_name}: {table[name][clip_name]}", file=sys.stderr)
    for rows in table.values():
        for clip_name, row in rows.items():
            off = table["off"][clip_name]
            row["mc_flicker_ratio"] = row["mc_flicker"] / off["mc_flicker"] if off["mc_flicker"] else float("nan")
            row["warping_no_worse"] = row["warping_error"] <= off["warping_error"] * 1.001
    return table


def choose(table: dict) -> str:
    """The default: the target with the lowest worst-case flicker ratio over the shaky clips, among those
    whose warping error is no worse than frame by frame on every clip (no ghosting)."""
    fair = [t for t in SMOOTH_TARGETS if all(row["warping_no_worse"] for row in table[t].values())]
    fair = fair or list(SMOOTH_TARGETS)
    return min(fair, key=lambda t: max(table[t][c]["mc_flicker_ratio"] for c in SHAKY))


def markdown(table: dict, chosen: str) -> str:
    clips_ = list(next(iter(table.values())))
    lines = ["| smoothed | " + " | ".join(f"{c}: mc flicker (x off), warping x1000" for c in clips_) + " |",
             "|---|" + "---|" * len(clips_)]
    for name, rows in table.items():
        cells = [f"{rows[c]['mc_flicker']:.4f} ({rows[c]['mc_flicker_ratio']:.2f}x), "
                 f"{1000 * rows[c]['warping_error']:.3f}" for c in clips_]
        lines.append(f"| {name}{' (default)' if name == chosen else ''} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--size", default="320x192")
    parser.add_argument("--quality", default="best")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (args.data / "eval").is_dir():
        print(f"no evaluation data at {args.data} (--data)", file=sys.stderr)
        return 2
    torch.set_flush_denormal(True)
    start = time.perf_counter()
    size = tuple(int(v) for v in args.size.split("x"))
    clip_set = make_clips(args.data, args.frames, size)
    backend = build_backend(make_plan(quality=args.quality, device="cpu"))
    table = measure(backend, clip_set, SmoothingConfig().strength)
    chosen = choose(table)
    print(markdown(table, chosen))
    print(f"\nchosen default: {chosen} ({time.perf_counter() - start:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"table": table, "chosen": chosen, "frames": args.frames, "size": size,
                                         "strength": SmoothingConfig().strength,
                                         "quality": args.quality, "seconds": round(time.perf_counter() - start)},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
