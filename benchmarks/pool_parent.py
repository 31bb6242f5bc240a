"""A folder of many tiny photos with ``--jobs`` (or ``--ray``): the parent process's CPU time and memory, and the time
per 1,000 files.

    python benchmarks/pool_parent.py [--files 20000] [--size 16] [--jobs 2] [--ray] [--repeat 1]
        [--python PYTHON --cwd TREE ...] [--json docs/img/pool_parent.json]

FILES photos of SIZE x SIZE pixels (dim noise, JPEG) are written to a temporary folder, then
``enlight-video FOLDER -o OUT --jobs JOBS --quality fast`` (with ``--ray``: the same on a local Ray cluster the run
starts, its tasks 1 core each at --jobs 2) runs on them (Linux: /proc). Every 0.25 s the parent's own CPU time (utime +
stime of /proc/PID/stat, not its workers', nor Ray's processes'), its resident memory and the outputs written so far
are sampled; its CPU time is read once more when it has exited, before it is reaped. Printed: the totals, and at every
1,000th file the seconds and the parent's CPU seconds since the 1,000 before, with the CPU's flags. ``--cwd TREE``
(repeatable) runs the command in each of those source trees in turn on the same folder, REPEAT rounds, the trees
alternated (before and after a change, side by side), and prints each tree's medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from enlight.stream.core.cpu_kind import cpu_flags

FLAGS = frozenset({"avx2", "avx512f", "avx512_vnni", "amx_int8"})


def _photos(folder: Path, count: int, size: int) -> None:
    """``count`` JPEGs of (size, size, 3) uint8 noise in 0-59."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 60, (size, size, 3), dtype=np.uint8)).save(folder / f"IMG_{i:05d}.jpg")


def _sample(pid: int) -> tuple[float, float]:
    """The process's own CPU seconds (user + system) and resident MB (0 once it has exited)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(status.split("VmRSS:")[1].split()[0]) / 1024 if "VmRSS:" in status else 0.0
    return cpu, rss


def _exited(pid: int) -> bool:
    """Whether the child has exited (it is left to reap: its /proc entry still says its CPU time)."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _run(folder: Path, out: Path, args: argparse.Namespace, tree: Path, log: Path) -> dict:
    """One run in source tree ``tree``, sampled; the totals and per-1,000-file marks (files, s, parent CPU s,
    parent MB)."""
    command = [sys.executable, "-m", "enlight.cli.video", str(folder), "-o", str(out), "--jobs", str(args.jobs),
               "--quality", "fast", *(["--ray"] if args.ray else [])]
    with open(log, "w") as stderr:  # (a pipe left unread would stop the run at the table's end)
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=tree)  # (-m: tree's enlight)
    start, marks, peak, cpu = time.perf_counter(), [], 0.0, 0.0
    while not _exited(proc.pid):
        cpu, rss = _sample(proc.pid)
        peak, done = max(peak, rss), len(os.listdir(out)) - 1 if out.exists() else 0  # (less the manifest)
        while done >= 1000 * (len(marks) + 1):
            marks.append((1000 * (len(marks) + 1), round(time.perf_counter() - start, 2), round(cpu, 2), round(rss, 1)))
        time.sleep(0.25)
    cpu = _sample(proc.pid)[0]
    wall = time.perf_counter() - start
    return {"tree": str(tree), "returncode": proc.wait(), "wall_s": round(wall, 1), "parent_cpu_s": round(cpu, 2),
            "parent_peak_mb": round(peak, 1), "load": os.getloadavg(), "marks": marks}


def _print(result: dict, args: argparse.Namespace) -> None:
    how = "--ray --jobs" if args.ray else "--jobs"
    print(f"{args.files} files, {how} {args.jobs} ({result['tree']}): {result['wall_s']} s, the parent's CPU "
          f"{result['parent_cpu_s']} s, its peak {result['parent_peak_mb']} MB (exit {result['returncode']}; load "
          f"{' '.join(f'{x:.2f}' for x in result['load'])})")
    before = (0, 0.0, 0.0)
    for files, seconds, cpu, rss in result["marks"]:
        print(f"  {files:>6} files: {seconds - before[1]:5.1f} s, parent CPU {cpu - before[2]:4.2f} s for these 1,000, "
              f"{rss} MB")
        before = (files, seconds, cpu)


def _medians(runs: list[dict], trees: list[Path]) -> dict:
    """Per tree: the median wall s, parent CPU s and parent peak MB of its runs."""
    return {str(tree): {key: statistics.median(r[key] for r in runs if r["tree"] == str(tree))
                        for key in ("wall_s", "parent_cpu_s", "parent_peak_mb")} for tree in trees}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--ray", action="store_true", help="on a local Ray cluster of the run's own")
    parser.add_argument("--tree", type=Path, action="append", help="source tree to run (repeatable; default: this one)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds, the trees alternated in each")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    trees = [tree.resolve() for tree in args.tree or [Path(__file__).resolve().parents[1]]]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        _photos(Path(tmp, "in"), args.files, args.size)
        for _ in range(args.repeat):
            for tree in trees:
                shutil.rmtree(Path(tmp, "out"), ignore_errors=True)
                runs.append(_run(Path(tmp, "in"), Path(tmp, "out"), args, tree, Path(tmp, "log")))
                _print(runs[-1], args)
    flags = sorted(cpu_flags() & FLAGS)
    medians = _medians(runs, trees)
    print(f"medians ({' '.join(flags)}):")
    for tree, median in medians.items():
        print(f"  {tree}: {median['wall_s']} s, the parent's CPU {median['parent_cpu_s']} s, "
              f"its peak {median['parent_peak_mb']} MB")
    if args.json:
        args.json.write_text(json.dumps({"files": args.files, "jobs": args.jobs, "ray": args.ray, "flags": flags,
                                         "medians": medians, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
