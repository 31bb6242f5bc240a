"""Before/after frames of the real night clips (../shared/data/video/real_night; SOURCES.md there).

    python benchmarks/night_frames.py --weights old=W1 new=W2 [--time 3] [--out docs/img/night_frames.png]
        [--full /tmp/night_full] [--floor] [--detail S]

One frame of each clip at ``--time`` seconds, enhanced by each generator at full size (PyTorch,
eval mode, as `--quality best` runs it, smoothing off), next to the input and gamma 0.45; writes a
grid PNG (rows: clips; columns: input, gamma, the weights in order) scaled to 480 px wide per
column, and with ``--full`` every full-size frame as its own PNG for looking at closely. Also
prints NIQE, structure kept, border excess, hue change and dark tint of each frame. ``--floor`` adds a
column per weights whose input is decoded with the chroma floor, as the command decodes video
(``enlight.stream.io.chroma_floor``); the other columns are decoded without it. ``--detail S`` adds a column per
weights with the product's detail step after it (``enlight.ops.detail``, as the command runs it by default).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from stills import gamma
from weights_eval import generator_method, load_any_generator, with_detail

from enlight.quality.niqe import niqe
from enlight.quality.structure import border_excess, dark_tint, hue_change, structure_kept
from enlight.stream.apps.snapshot import frame_at

REPO = Path(__file__).resolve().parents[1]
COLUMN_WIDTH = 480


def _column(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.asarray(Image.fromarray(rgb).resize((COLUMN_WIDTH, round(h * COLUMN_WIDTH / w)), Image.BICUBIC))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", nargs="+", required=True, help="NAME=PATH (weights, checkpoint or run folder)")
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--time", type=float, default=3.0)
    p.add_argument("--out", type=Path, default=REPO / "docs" / "img" / "night_frames.png")
    p.add_argument("--full", type=Path, default=None, help="folder for the full-size frames")
    p.add_argument("--floor", action="store_true", help="also each weights on the chroma-floored decode")
    p.add_argument("--detail", type=float, default=None, help="also each weights with the detail step at this strength")
    args = p.parse_args()
    clips = sorted((args.data / "video" / "real_night").glob("*.mp4"))
    if not clips:
        print(f"night_frames: no clips in {args.data / 'video' / 'real_night'}", file=sys.stderr)
        return 2
    methods = {"input": lambda rgb: rgb, "gamma 0.45": gamma}
    for pair in args.weights:
        name, path = pair.split("=", 1)
        methods[name] = generator_method(load_any_generator(Path(path)))
        if args.floor:
            methods[f"{name}, floor"] = methods[name]
        if args.detail:
            methods[f"{name}, detail {args.detail:g}"] = with_detail(methods[name], args.detail)
    rows = []
    print("| clip | method | NIQE | structure | border | hue change | dark tint |\n|---|---|---|---|---|---|---|")
    for clip in clips:
        frame, floored = frame_at(clip, args.time), frame_at(clip, args.time, floor=True)
        row = []
        for name, method in methods.items():
            out = method(floored if name.endswith(", floor") else frame)
            row.append(_column(out))
            print(f"| {clip.stem[:28]} | {name} | {niqe(out):.3f} | {structure_kept(frame, out):.3f} | "
                  f"{border_excess(frame, out):.2f} | {hue_change(frame, out):.2f} | {dark_tint(frame, out):.2f} |",
                  flush=True)
            if args.full:
                args.full.mkdir(parents=True, exist_ok=True)
                Image.fromarray(out).save(args.full / f"{clip.stem[:20]}_{name.replace(' ', '_')}.png")
        height = max(c.shape[0] for c in row)
        rows.append(np.concatenate([np.pad(c, ((0, height - c.shape[0]), (0, 4), (0, 0))) for c in row], 1))
    grid = np.concatenate([np.pad(r, ((0, 4), (0, 0), (0, 0))) for r in rows], 0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(args.out, optimize=True)
    print(f"wrote {args.out} ({' | '.join(methods)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
