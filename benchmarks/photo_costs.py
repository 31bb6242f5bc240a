"""The cost of one photo per preset on a CPU, for ``--quality auto``'s first line on a big photo: each preset timed as
whole ``enlight-video PHOTO -o OUT.jpg`` processes at two of a phone's sizes, so the cost per megapixel and the
start-up separate:

    python benchmarks/photo_costs.py [--cases best,fast] [--sizes 2016x1512,4032x3024] [--repeats 2]
        [--json docs/img/photo_costs_cpu.json] [--write]

per megapixel = (wall(big) - wall(small)) / (big - small megapixels); start-up = wall(small) - small megapixels x
per megapixel (below zero where a bigger photo costs more per megapixel: ``--quality auto`` takes the larger of
this line and the video cost, ``CostTable.photo_seconds``). The photos are generated (a dark gradient with noise
and lit shapes, JPEG quality 92); each run is the command as a user types it (``--quality Q``, the machine's
default memory: a 12-megapixel photo may be enhanced in tiles, as it would be). The fastest of ``--repeats`` runs
per size is kept. ``--write`` replaces the photo block of enlight/stream/core/preset_costs.py. Never asserts on
time; prints the CPU and its flags.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from PIL import Image
from preset_costs import CASES  # sibling script (benchmarks/ is on sys.path when run as a script)

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "enlight" / "stream" / "core" / "preset_costs.py"


def dark_photo(path: Path, width: int, height: int) -> Path:
    """A generated dark photo (mean luma about 25 of 255) as a JPEG at quality 92."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    luma = 10 + 25 * x / width + 10 * y / height + rng.normal(0, 2, (height, width)).astype(np.float32)
    rgb = np.stack([luma * 1.1, luma, luma * 0.8], -1)
    for i in range(6):  # lit windows
        top, left = int(height * (0.1 + 0.13 * i)), int(width * (0.1 + 0.12 * i))
        rgb[top:top + height // 12, left:left + width // 14] = (200, 170, 110)
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(path, quality=92)
    return path


def run_once(photo: Path, case: str, out: Path) -> float:
    """One whole process's wall time, seconds."""
    quality, _, extra, env = CASES[case]
    command = [sys.executable, "-m", "enlight.cli.video", str(photo), "-o", str(out), "--force", "--device", "cpu",
               "--quality", quality, *extra]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env={**os.environ, **env})
    if proc.returncode != 0:
        raise SystemExit(f"{case}: exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}")
    print(f"  {proc.stderr.strip().splitlines()[-1]}", flush=True)
    return time.perf_counter() - start


def measure(photos: dict[tuple[int, int], Path], case: str, repeats: int, out: Path) -> dict:
    walls = {size: min(run_once(path, case, out) for _ in range(repeats)) for size, path in photos.items()}
    (small, a), (big, b) = sorted(walls.items(), key=lambda item: item[0][0] * item[0][1])
    mp_small, mp_big = small[0] * small[1] / 1e6, big[0] * big[1] / 1e6
    per_mp = (b - a) / (mp_big - mp_small)
    quality, runtime = CASES[case][:2]
    return {"case": case, "quality": quality, "runtime": runtime, "ms_per_mp": 1000 * per_mp,
            "startup_s": a - mp_small * per_mp,  # the line's value at 0 MP: below 0 where the cost grows with size
            "walls": {f"{w}x{h}": s for (w, h), s in walls.items()}, "load_after": os.getloadavg()[0]}


def write_block(rows: list[dict], comment: str) -> None:
    """Replace the photo block of enlight/stream/core/preset_costs.py with the cases measured (the others kept)."""
    from enlight.stream.core.preset_costs import PHOTO_COSTS

    costs = {key: (cost.ms_per_mp, cost.startup_s) for key, cost in PHOTO_COSTS.items()}
    costs.update({(r["quality"], r["runtime"]): (r["ms_per_mp"], r["startup_s"]) for r in rows})
    quote = json.dumps
    lines = textwrap.wrap(comment, 116, initial_indent="# ", subsequent_indent="# ")
    lines += ["PHOTO_COSTS: dict[tuple[str, str], PresetCost] = {"]
    lines += [f"    ({quote(q)}, {quote(rt)}): PresetCost(ms_per_mp={ms:.1f}, startup_s={s:.2f}),"
              for (q, rt), (ms, s) in costs.items()]
    lines += ["}"]
    text = TABLE.read_text()
    begin, end = text.index("# BEGIN PHOTO COSTS"), text.index("# END PHOTO COSTS")
    marker = text[begin:end].splitlines()[0]
    TABLE.write_text(text[:begin] + "\n".join([marker, *lines]) + "\n" + text[end:])


def main() -> None:
    sys.path.insert(0, str(REPO))
    from enlight.stream.apps.bench import cpu_info, machine_line

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="best,fast")
    parser.add_argument("--sizes", default="2016x1512,4032x3024", help="two photo sizes, WxH (default: 3 and 12 MP)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per size, the fastest kept (default: 2)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--write", action="store_true", help="write the photo block of preset_costs.py")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    machine = {**cpu_info(), "cores": os.cpu_count(), "cpu": os.uname().machine}
    print(machine_line(machine))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        photos = {size: dark_photo(Path(tmp) / f"dark_{size[0]}x{size[1]}.jpg", *size) for size in sizes}
        for case in args.cases.split(","):
            rows.append(measure(photos, case, args.repeats, Path(tmp) / "out.jpg"))
            r = rows[-1]
            print(f"{case}: {r['ms_per_mp']:.0f} ms/MP, start-up {r['startup_s']:.1f} s; whole runs "
                  f"{', '.join(f'{k} {v:.1f} s' for k, v in r['walls'].items())}; load {r['load_after']:.1f}",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "sizes": args.sizes, "rows": rows}, indent=1) + "\n")
    if args.write:
        write_block(rows, f"photos of {' and '.join(args.sizes.split(','))} (JPEG), the fastest of {args.repeats} "
                    f"whole processes each, {time.strftime('%Y-%m-%d')}, {machine_line(machine)}")


if __name__ == "__main__":
    main()
