"""Whole-process speed of the file command (issue 17): ``enlight-video CLIP -o OUT --quality Q --denoise off``
timed from process start to exit, for one or more source trees side by side, each clip in turn.

    python benchmarks/whole_process.py CLIP [CLIP ...] [--trees before=/tmp/base after=/tmp/new]
        [--isa default,AVX2] [--quality fast] [--json docs/img/whole_process_cpu.json]

A tree is an export of a commit (``git archive COMMIT | tar -x -C DIR``), run with ``PYTHONPATH=DIR``;
without --trees the installed ``enlight`` runs. ``--isa AVX2`` sets ``ONEDNN_MAX_CPU_ISA=AVX2`` (holds
torch's oneDNN to AVX2; ONNX Runtime's MLAS has no such switch). Prints the CPU line first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from enlight.stream.apps.bench import machine_info, machine_line

SUMMARY = re.compile(r"(\d+) frames in ([\d.]+) s \(([\d.]+) fps")


def run_once(clip: Path, tree: str | None, isa: str, quality: str, out: Path) -> dict:
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = tree
    if isa != "default":
        env["ONEDNN_MAX_CPU_ISA"] = isa
    argv = [sys.executable, "-m", "enlight.cli.video", str(clip), "-o", str(out), "--quality", quality,
            "--denoise", "off", "--force"]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    frames, pipeline_s, pipeline_fps = SUMMARY.search(done.stderr).groups()
    return {"clip": clip.name, "isa": isa, "wall_s": wall, "frames": int(frames), "fps": int(frames) / wall,
            "pipeline_s": float(pipeline_s), "pipeline_fps": float(pipeline_fps),
            "before_first_frame_s": wall - float(pipeline_s), "load_before": load,
            "summary": done.stderr.strip().splitlines()[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clips", nargs="+", type=Path)
    parser.add_argument("--trees", nargs="*", default=[], help="NAME=DIR of exported commits (default: installed)")
    parser.add_argument("--isa", default="default")
    parser.add_argument("--quality", default="fast")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    machine = machine_info(torch.device("cpu"))
    print(machine_line(machine))
    trees = [tuple(t.split("=", 1)) for t in args.trees] or [("installed", None)]
    rows = []
    print("| clip | tree | ONEDNN_MAX_CPU_ISA | frames | whole process s | fps | pipeline fps "
          "| s outside run() (imports, exit) | load before |\n|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for isa in args.isa.split(","):
            for clip in args.clips:
                for name, tree in trees:  # side by side, so the machine's load drifts over both
                    row = {"tree": name, **run_once(clip, tree, isa, args.quality, Path(tmp) / f"{name}.mp4")}
                    rows.append(row)
                    print(f"| {clip.name} | {name} | {isa} | {row['frames']} | {row['wall_s']:.1f} | "
                          f"{row['fps']:.1f} | {row['pipeline_fps']:.1f} | {row['before_first_frame_s']:.1f} | "
                          f"{row['load_before']:.1f} |",
                          flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "quality": args.quality, "runs": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
