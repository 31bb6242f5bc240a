"""Whole-process speed of the file command (issue 17): ``enlight-video CLIP -o OUT --quality Q --denoise D``
timed from process start to exit, for one or more source trees side by side, each clip in turn.

    python benchmarks/whole_process.py CLIP [CLIP ...] [--trees before=/tmp/base after=/tmp/new]
        [--isa default,proxy] [--quality fast] [--denoise off,auto] [--repeats 1] [--json FILE]

``--denoise`` (default off): levels run side by side like trees (``auto`` is the command's default; ``none``
passes no ``--denoise``, for trees from before the denoiser).

A tree is an export of a commit (``git archive COMMIT | tar -x -C DIR``), run with ``PYTHONPATH=DIR`` from DIR;
without --trees the installed ``enlight`` runs. ``--isa proxy`` runs under benchmarks/avx2_proxy.py (every
library of the pipeline held to its AVX2 code, ONNX Runtime's MLAS included); ``--isa AVX2`` sets only
``ONEDNN_MAX_CPU_ISA=AVX2`` (torch's oneDNN; the rows of earlier sessions). Prints the CPU line first, then a
row per process (trees and ISAs interleaved, so the machine's load drifts over all of them) and, with
--repeats > 1, the medians. CPU s: the process's user + system time (all its threads).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from enlight.stream.apps.bench import machine_info, machine_line

sys.path.insert(0, str(Path(__file__).resolve().parent))
from avx2_proxy import proxy_env  # noqa: E402

SUMMARY = re.compile(r"(\d+) frames in ([\d.]+) s \(([\d.]+) fps")


def run_once(clip: Path, tree: str | None, isa: str, quality: str, out: Path, denoise: str = "off") -> dict:
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = tree
    if isa == "proxy":
        env = proxy_env(env)
    elif isa != "default":
        env["ONEDNN_MAX_CPU_ISA"] = isa
    argv = [sys.executable, "-m", "enlight.cli.video", str(clip.resolve()), "-o", str(out.resolve()), "--quality",
            quality, "--force"] + ([] if denoise == "none" else ["--denoise", denoise])
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # run from the tree: ``python -m`` puts the working directory first on sys.path, ahead of PYTHONPATH, so
    # from the repository root every tree ran the working copy
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, cwd=tree or None)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    frames, pipeline_s, pipeline_fps = SUMMARY.search(done.stderr).groups()
    return {"clip": clip.name, "isa": isa, "wall_s": wall, "frames": int(frames), "fps": int(frames) / wall,
            "pipeline_s": float(pipeline_s), "pipeline_fps": float(pipeline_fps),
            "before_first_frame_s": wall - float(pipeline_s), "load_before": load, "cpu_s": cpu,
            "summary": done.stderr.strip().splitlines()[-1]}


HEADER = ("| clip | tree | ISA | frames | whole process s | fps | pipeline fps | CPU s "
          "| s outside run() (imports, exit) | load before |\n|---|---|---|---|---|---|---|---|---|---|")


def _row(row: dict, label: str) -> str:
    return (f"| {row['clip']} | {label} | {row['isa']} | {row['frames']} | {row['wall_s']:.1f} | {row['fps']:.1f} | "
            f"{row['pipeline_fps']:.1f} | {row['cpu_s']:.1f} | {row['before_first_frame_s']:.1f} | "
            f"{row['load_before']:.1f} |")


def medians(rows: list[dict]) -> list[dict]:
    """One row per (clip, isa, tree): the median of each figure over the repeats."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["clip"], row["isa"], row["tree"]), []).append(row)
    keys = ("wall_s", "fps", "pipeline_fps", "cpu_s", "before_first_frame_s", "load_before")
    return [{**group[0], **{k: statistics.median(r[k] for r in group) for k in keys}, "runs": len(group)}
            for group in groups.values()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clips", nargs="+", type=Path)
    parser.add_argument("--trees", nargs="*", default=[], help="NAME=DIR of exported commits (default: installed)")
    parser.add_argument("--isa", default="default")
    parser.add_argument("--quality", default="fast")
    parser.add_argument("--denoise", default="off", help="comma-separated --denoise levels, run side by side")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    machine = machine_info(torch.device("cpu"))
    print(machine_line(machine))
    trees = [tuple(t.split("=", 1)) for t in args.trees] or [("installed", None)]
    levels = args.denoise.split(",")
    if len(levels) > 1:  # each (tree, level) a column of its own
        trees = [(f"{name} denoise {level}", tree, level) for name, tree in trees for level in levels]
    else:
        trees = [(name, tree, levels[0]) for name, tree in trees]
    rows = []
    print(HEADER)
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips:
            for _ in range(args.repeats):
                for isa in args.isa.split(","):
                    for name, tree, level in trees:  # side by side, so the machine's load drifts over all
                        row = {"tree": name, "denoise": level,
                               **run_once(clip, tree, isa, args.quality, Path(tmp) / "out.mp4", level)}
                        rows.append(row)
                        print(_row(row, name), flush=True)
    if args.repeats > 1:
        print(f"\nMedians of {args.repeats} runs:\n\n{HEADER}")
        for row in medians(rows):
            print(_row(row, row["tree"]))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "quality": args.quality, "runs": rows,
                                         "medians": medians(rows)}, indent=2))
    return 0

if __name__ == "__main__":
    sys.exit(main())
