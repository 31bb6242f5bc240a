"""A segment's read: from the start of its file (the frames before it dropped) against from the keyframe before it
(``VideoSource(seek_pts=)``), decode and RGB conversion only.

    python benchmarks/segment_seek.py CLIP [--scale 1920x1080] [--runs 3] [--json docs/img/segment_seek.json]

CLIP is scaled to SCALE and encoded once with x264 ultrafast (a keyframe every 250 frames, x264's default) into a
temporary file; the read covers its last eighth, as the last of 8 segments does. The runs alternate (from the
start, then seeking) and the medians are printed with the CPU's flags.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from statistics import median

import av

from enlight.stream.core.cpu_kind import cpu_flags
from enlight.stream.io.source import VideoSource
from enlight.stream.io.source_items import DecodedFrame


def _scaled_copy(clip: Path, out: Path, width: int, height: int) -> None:
    with av.open(str(clip)) as source, av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for index, frame in enumerate(source.decode(video=0)):
            scaled = frame.reformat(width=width, height=height, format="yuv420p")
            scaled.pts, scaled.time_base = index, Fraction(1, 30)
            container.mux(stream.encode(scaled))
        container.mux(stream.encode())


def _read(path: Path, target: int, seek: bool) -> tuple[float, int]:
    """(seconds, frames at or after ``target``) of one read."""
    start, frames = time.perf_counter(), 0
    with VideoSource(path, seek_pts=target if seek else None) as source:
        for item in source:
            frames += isinstance(item, DecodedFrame) and item.pts >= target
    return time.perf_counter() - start, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clip", type=Path)
    parser.add_argument("--scale", default="1920x1080")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    width, height = (int(v) for v in args.scale.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "long.mp4"
        _scaled_copy(args.clip, copy, width, height)
        with av.open(str(copy)) as container:
            pts = sorted(p.pts for p in container.demux(video=0) if p.size)
        target = pts[len(pts) * 7 // 8]
        times: dict[str, list[float]] = {"from the start": [], "from the keyframe before it": []}
        frames = {}
        for _ in range(args.runs):
            for name, seek in (("from the start", False), ("from the keyframe before it", True)):
                seconds, frames[name] = _read(copy, target, seek)
                times[name].append(seconds)
    flags = sorted(cpu_flags() & {"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_int8"})
    print(f"{len(pts)} frames at {width}x{height}, the last eighth read; CPU flags: {flags}")
    for name, runs in times.items():
        print(f"{name:<30} {frames[name]} frames  runs {', '.join(f'{t:.2f}' for t in runs)} s  "
              f"median {median(runs):.2f} s")
    if args.json:
        args.json.write_text(json.dumps({"frames": len(pts), "size": [width, height], "cpu_flags": flags,
                                         "read": {k: {"runs_s": v, "median_s": median(v), "frames": frames[k]}
                                                  for k, v in times.items()}}, indent=1))


if __name__ == "__main__":
    main()
