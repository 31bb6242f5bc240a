"""The per-pixel cost table of ``--quality auto``: each preset and runtime timed as whole
``enlight-video`` processes on a CPU, at two clip lengths, so the cost per frame and the start-up
separate:

    quiet python benchmarks/preset_costs.py --cases best,balanced-int8,balanced-float,fast \\
        --size 854x480 --json docs/img/preset_costs_cpu.json [--write]

per frame = (wall(long) - wall(short)) / (long - short frames); start-up = wall(short) - short x per
frame; ms per megapixel = per frame / the frame's megapixels. Each run is the command as a user types
it (``enlight-video IN -o OUT --quality Q``: default batch, smoothing and ``--denoise auto``).
Cases: best, balanced-int8 (the int8 model: ``ENLIGHT_CPU_FLAGS`` says the CPU has VNNI),
balanced-float (the float student, as on a CPU without int8 dot products), fast, and torch-best,
torch-balanced, torch-fast (``--backend torch``). ``--write`` replaces the measured block of
enlight/stream/core/preset_costs.py with the cases measured (merged with the rows already there;
the machine's words appear in the README's example summary line, which tests/stream/test_docs.py checks).
Never asserts on time; prints the CPU and its flags with the table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "enlight" / "stream" / "core" / "preset_costs.py"
CASES = {  # name -> (quality, runtime as the cost table names it, extra arguments, extra environment)
    "best": ("best", "onnxruntime", [], {}),
    "balanced-int8": ("balanced", "onnxruntime int8", [], {"ENLIGHT_CPU_FLAGS": "avx2 avx512f avx512_vnni"}),
    "balanced-float": ("balanced", "onnxruntime", [], {"ENLIGHT_CPU_FLAGS": "avx2"}),
    "fast": ("fast", "onnxruntime", [], {}),
    "torch-best": ("best", "torch", ["--backend", "torch"], {}),
    "torch-balanced": ("balanced", "torch", ["--backend", "torch"], {}),
    "torch-fast": ("fast", "torch", ["--backend", "torch"], {}),
}
KIND_NAMES = {"amx": "AMX", "avx512_vnni": "AVX-512 VNNI", "avx_vnni": "AVX-VNNI", "avx512": "AVX-512",
              "avx2": "AVX2", "arm_dot": "ARM dot products"}  # as the README's example summary line writes them
SUMMARY = re.compile(r"(\d+) frames in ([\d.]+) s \(([\d.]+) fps")


def run_once(clip: Path, frames: int, case: str, out: Path, more: list[str]) -> dict:
    """One whole process: its wall time, and the summary line's pipeline figures."""
    quality, _, extra, env = CASES[case]
    extra = [*extra, *more]
    command = [sys.executable, "-m", "enlight.cli.video", str(clip), "-o", str(out), "--force", "--device", "cpu",
               "--quality", quality, "--max-frames", str(frames), *extra]
    start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env={**os.environ, **env})
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode != 0:
        raise SystemExit(f"{case}: exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}")
    summary = proc.stderr.strip().splitlines()[-1]
    match = SUMMARY.search(summary)
    return {"frames": int(match.group(1)), "process_s": wall, "cpu_s": cpu, "pipeline_s": float(match.group(2)),
            "pipeline_fps": float(match.group(3)), "summary": summary}


def measure(clip: Path, size: tuple[int, int], case: str, lengths: tuple[int, int], tmp: Path, repeats: int,
            more: list[str]) -> dict:
    """The case at both lengths, alternating, ``repeats`` times; the fastest run of each length kept (the
    one least disturbed by other work on the machine)."""
    runs = [tuple(run_once(clip, n, case, tmp / "out.mp4", more) for n in lengths) for _ in range(repeats)]
    a = min((r[0] for r in runs), key=lambda r: r["process_s"])
    b = min((r[1] for r in runs), key=lambda r: r["process_s"])
    per_frame = (b["process_s"] - a["process_s"]) / (b["frames"] - a["frames"])
    cpu_per_frame = (b["cpu_s"] - a["cpu_s"]) / (b["frames"] - a["frames"])
    megapixels = size[0] * size[1] / 1e6
    quality, runtime = CASES[case][:2]
    return {"case": case, "quality": quality, "runtime": runtime, "width": size[0], "height": size[1],
            "per_frame_s": per_frame, "cpu_per_frame_s": cpu_per_frame, "ms_per_mp": 1000 * per_frame / megapixels,
            "startup_s": max(0.0, a["process_s"] - a["frames"] * per_frame), "short": a, "long": b,
            "load_after": os.getloadavg()[0], "arguments": more}


def write_table(rows: list[dict], where: str, kind: str) -> None:
    """Replace the measured block of enlight/stream/core/preset_costs.py (rows already there are kept
    unless measured again)."""
    from enlight.stream.core.preset_costs import COSTS

    costs = {key: (cost.ms_per_mp, cost.startup_s) for key, cost in COSTS.costs.items()}
    costs.update({(r["quality"], r["runtime"]): (r["ms_per_mp"], r["startup_s"]) for r in rows})
    quote = json.dumps  # double quotes, as the project's style writes strings
    lines = ["COSTS = CostTable(", f"    where={quote(where)},", f"    kind={quote(kind)},", "    costs={"]
    lines += [f"        ({quote(q)}, {quote(rt)}): PresetCost(ms_per_mp={ms:.1f}, startup_s={s:.2f}),"
              for (q, rt), (ms, s) in costs.items()]
    lines += ["    },", ")"]
    text = TABLE.read_text()
    begin, end = text.index("# BEGIN MEASURED"), text.index("# END MEASURED")
    head = [line for line in text[begin:end].splitlines() if line.startswith("#")]  # the marker and the comment
    block = "\n".join(head + lines) + "\n"
    TABLE.write_text(text[:begin] + block + text[end:])


def main() -> None:
    sys.path.insert(0, str(REPO))
    from enlight.stream.apps.bench import cpu_info, machine_line, make_clip
    from enlight.stream.core.cpu_kind import cpu_flags, cpu_kind

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="best,balanced-int8,balanced-float,fast")
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--short", type=int, default=8, help="frames of the short run (default: 8)")
    parser.add_argument("--long", type=int, default=32, help="frames of the long run (default: 32)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per length, the fastest kept (default: 1)")
    parser.add_argument("--args", default="", help="more enlight-video arguments for every run, e.g. '--denoise off'")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--write", action="store_true", help="write the table into enlight/stream/core/preset_costs.py")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    machine = {**cpu_info(), "cores": os.cpu_count(), "cpu": os.uname().machine}
    print(machine_line(machine))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "clip.mp4", size, args.long)
        for case in args.cases.split(","):
            rows.append(measure(clip, size, case, (args.short, args.long), Path(tmp), args.repeats,
                                args.args.split()))
            r = rows[-1]
            print(f"{case}: {1000 * r['per_frame_s']:.0f} ms/frame (CPU {1000 * r['cpu_per_frame_s']:.0f} ms), "
                  f"{r['ms_per_mp']:.0f} ms/MP, start-up "
                  f"{r['startup_s']:.1f} s; pipeline {r['long']['pipeline_fps']:.2f} fps ({r['long']['frames']} "
                  f"frames), process {r['long']['frames'] / r['long']['process_s']:.2f} fps; "
                  f"load {r['load_after']:.1f}",
                  flush=True)
    print(f"\n| case | runtime | size | ms/frame | ms per MP | start-up s | end-to-end fps ({args.long} frames, "
          "pipeline) | process fps |\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['runtime']} | {r['width']}x{r['height']} | {1000 * r['per_frame_s']:.0f} | "
              f"{r['ms_per_mp']:.0f} | {r['startup_s']:.1f} | {r['long']['pipeline_fps']:.2f} | "
              f"{r['long']['frames'] / r['long']['process_s']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))
    if args.write:
        kind = cpu_kind(cpu_flags())
        write_table(rows, f"costs measured on a {machine['cores']}-core {machine['cpu_model']} "
                    f"({machine.get('cpu_id', '?')}) with {KIND_NAMES.get(kind, kind)}", kind)


if __name__ == "__main__":
    main()
