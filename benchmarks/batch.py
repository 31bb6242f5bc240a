"""Many files on one machine: --jobs 2 and segment-parallel runs against a single run, and Ray's overhead.

    python benchmarks/batch.py [--quality balanced] [--files 4] [--json docs/img/batch_cpu.json]

Makes its inputs from samples/night.mp4 (640x360, 75 frames, 25 fps, AAC), re-encoded with a keyframe
every 25 frames so a video can be split; times whole `enlight-video` commands (process start, model
build, pool or Ray start-up included) and prints a table. Never asserts on time. The machine's other
work shows in the numbers: run it on an idle machine for clean figures, and read the load average
printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "night.mp4"


def keyframed_copy(src: Path, dst: Path, *, gop: int = 25, repeat: int = 1) -> Path:
    """``src`` re-encoded (x264, crf 18) with a keyframe every ``gop`` frames, played ``repeat`` times."""
    with av.open(str(src)) as inp:
        frames = [f.to_ndarray(format="rgb24") for f in inp.decode(video=0)]
        rate = inp.streams.video[0].average_rate
    with av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.options = {"crf": "18", "preset": "fast", "sc_threshold": "0"}
        for i, img in enumerate(frames * repeat):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return dst


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "enlight.cli.video", *map(str, args), "-q"], capture_output=True,
                          text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, args))}\n{proc.stderr}")
    return time.perf_counter() - start


def frame_diff(a: Path, b: Path, joins: list[int], near: int = 3) -> dict:
    """Mean absolute difference (8-bit levels) of two videos' decoded frames, near the joins and away."""
    def frames(path):
        with av.open(str(path)) as c:
            return [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]

    fa, fb = frames(a), frames(b)
    diffs = [float(np.abs(x - y).mean()) for x, y in zip(fa, fb, strict=True)]
    close = [d for i, d in enumerate(diffs) if any(0 <= i - j < near for j in joins)]
    away = [d for i, d in enumerate(diffs) if not any(0 <= i - j < near for j in joins)]
    return {"frames": [len(fa), len(fb)], "mean_near_joins": float(np.mean(close)) if close else 0.0,
            "mean_away": float(np.mean(away)), "max_frame_mean": max(diffs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quality", default="balanced")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--reverse", action="store_true",
                        help="run the configurations in reverse order (a second pass shows the machine's drift)")
    args = parser.parse_args()
    common = ["--quality", args.quality]
    results: dict = {"cores": os.cpu_count(), "quality": args.quality, "load_before": os.getloadavg(),
                     "order": "reverse" if args.reverse else "forward"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "in"
        folder.mkdir()
        clip = keyframed_copy(SAMPLE, tmp / "clip.mp4")
        for i in range(args.files):
            (folder / f"cam{i}.mp4").write_bytes(clip.read_bytes())
        long = keyframed_copy(SAMPLE, tmp / "long.mp4", repeat=2)
        frames = 75 * args.files
        runs = {
            "folder, --jobs 1": ([folder, "-o", tmp / "o1", *common], frames),
            "folder, --jobs 2": ([folder, "-o", tmp / "o2", "--jobs", "2", *common], frames),
            "folder, --ray --jobs 2 (local Ray, 2 CPUs)": ([folder, "-o", tmp / "o3", "--ray", "--jobs", "2", *common],
                                                          frames),
            "long video, single run": ([long, "-o", tmp / "single.mp4", *common], 150),
            "long video, --segments 2 --jobs 2": ([long, "-o", tmp / "seg.mp4", "--segments", "2", "--jobs", "2",
                                                   *common], 150),
        }
        rows = []
        for name, (cli_args, count) in (reversed(runs.items()) if args.reverse else runs.items()):
            load = os.getloadavg()[0]
            wall = timed(cli_args)
            rows.append({"run": name, "frames": count, "wall_s": wall, "fps": count / wall, "load_1min": load})
            print(f"{name:<45} {count:>5} frames {wall:>7.1f} s {count / wall:>6.2f} fps  (load {load:.1f})",
                  flush=True)
        results["runs"] = rows
        results["load_after"] = os.getloadavg()
        results["join"] = frame_diff(tmp / "single.mp4", tmp / "seg.mp4", joins=[75])
    by = {r["run"]: r["wall_s"] for r in rows}
    results["speedup_jobs2"] = by["folder, --jobs 1"] / by["folder, --jobs 2"]
    results["speedup_segments2"] = by["long video, single run"] / by["long video, --segments 2 --jobs 2"]
    results["ray_overhead_s"] = by["folder, --ray --jobs 2 (local Ray, 2 CPUs)"] - by["folder, --jobs 2"]
    print(f"speed-up --jobs 2: {results['speedup_jobs2']:.2f}x; segments 2: {results['speedup_segments2']:.2f}x; "
          f"Ray over --jobs 2: {results['ray_overhead_s']:+.1f} s; join: {results['join']}; "
          f"load {results['load_before']} -> {results['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
