"""`enlight-video bench`'s end-to-end rows before and after they ran the command's stages, side by side.

    nice -n 10 .venv/bin/python -m benchmarks.bench_stages [--qualities fast,balanced] [--frames 48] [--rounds 3]
        [--size 854x480] [--real-dir DIR] [--only WORD ...] [--json F]

Clips: the bench's own (``--size``, ``--frames`` frames, made by ``apps.bench.make_clip``), clean as its rows run it
and with ``--clip-noise 12`` (``SENSOR_NOISE``: noise the denoiser removes), then the first ``--frames`` frames of each
.mp4 in ``--real-dir`` at its own size (default $ENLIGHT_SHARED/data/video/real_night, else ../shared/...; none where
the folder is absent, and a line says so); ``--only`` keeps the clips whose name holds one of its words ('bench',
'dashcam'). For each clip and preset, two plans as the bench makes them (``apps.bench.preset_plans``): with
``--denoise off --deband off`` (what the bench's rows ran before) and with the command's defaults (``--denoise auto
--deband on``: what `enlight-video IN -o OUT --quality Q` runs and the bench's rows run now), on the same backend,
end to end (``apps.bench.time_end_to_end``: file in, file out); one untimed run of each, then ``--rounds`` rounds,
the two alternated and each round's order swapped. Printed: the CPU's line and flags, the load before and after, and
for each pair the medians and what the denoiser and the deband step did. It never asserts: a speed measurement, run
it alone (``nice`` at most).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from enlight.cli.common import parse_size
from enlight.ops.device import resolve_device
from enlight.stream.apps.bench import (
    SENSOR_NOISE,
    BenchConfig,
    machine_info,
    machine_line,
    make_clip,
    preset_plans,
    time_end_to_end,
)
from enlight.stream.core.plan import build_backend

GREP_FLAGS = ("avx2", "avx512f", "avx512_vnni", "amx_int8", "avx_vnni")  # grep -o -w -E '...' /proc/cpuinfo
VARIANTS = {"bench before (--denoise off --deband off)": dict(denoise="off", deband="off"),
            "the command's stages (bench now)": dict(denoise="auto", deband="on")}


def _clips(args, tmp: Path) -> list[tuple[str, Path]]:
    """(name, path) of each clip to time: the bench's own, noisy and clean, then the real ones found."""
    clips = [("bench clip", make_clip(tmp / "clean.mp4", args.size, args.frames)),
             (f"bench clip, --clip-noise {SENSOR_NOISE:g}",
              make_clip(tmp / "noisy.mp4", args.size, args.frames, SENSOR_NOISE))]
    if args.real_dir.is_dir():
        clips += [(path.name, path) for path in sorted(args.real_dir.glob("*.mp4"))]
    else:
        print(f"no real clips: {args.real_dir} not found")
    return [(name, path) for name, path in clips if not args.only or any(word in name for word in args.only)]


def _size(path: Path) -> tuple[int, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.width, stream.height


def _pair(name: str, clip: Path, quality: str, args, tmp: Path) -> dict:
    """Both plans of ``quality`` on ``clip``: their end-to-end fps each round, medians, and what ran."""
    device, size = resolve_device("cpu"), _size(clip)
    plans = {label: dict(preset_plans(BenchConfig(device="cpu", qualities=(quality,), preset_size=size,
                                                  preset_frames=args.frames, **given), device))[quality]
             for label, given in VARIANTS.items()}
    backend = build_backend(next(iter(plans.values())))  # (the two plans differ in the denoiser and deband only)
    runs: dict[str, list[dict]] = {label: [] for label in plans}
    for round_ in range(args.rounds + 1):  # round 0: untimed
        for label in (list(plans) if round_ % 2 else list(plans)[::-1]):
            row = time_end_to_end(plans[label], clip, tmp / "out.mp4", backend, max_frames=args.frames)
            if round_:
                runs[label].append(row)
    result = {"clip": name, "width": size[0], "height": size[1], "quality": quality, "runs": runs}
    for label, rows in runs.items():
        result[label] = {"fps": statistics.median(r["fps"] for r in rows), "frames": rows[0]["frames"],
                         "denoise": rows[-1]["denoise"], "deband": rows[-1]["deband"]}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qualities", default="fast,balanced")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=parse_size, default=(854, 480))
    shared = Path(os.environ.get("ENLIGHT_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
    parser.add_argument("--real-dir", type=Path, default=shared / "data" / "video" / "real_night")
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    present = sorted({flag for line in cpuinfo.splitlines() if line.startswith("flags") for flag in line.split()}
                     & set(GREP_FLAGS))
    print(machine_line(machine_info(resolve_device("cpu"))))
    print(f"flags (grep -o -w -E '{'|'.join(GREP_FLAGS)}' /proc/cpuinfo | sort -u): {' '.join(present)}")
    load = [os.getloadavg()]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, clip in _clips(args, Path(tmp)):
            for quality in args.qualities.split(","):
                result = _pair(name, clip, quality, args, Path(tmp))
                results.append(result)
                before, now = (result[label] for label in VARIANTS)
                print(f"| {name} | {result['width']}x{result['height']} | {quality} | {before['fps']:.2f} | "
                      f"{now['fps']:.2f} | {now['fps'] / before['fps']:.2f} | {now['denoise']} | {now['deband']} |",
                      flush=True)
    load.append(os.getloadavg())
    print(f"load (1, 5, 15 min) before: {load[0]}, after: {load[1]}; {args.rounds} rounds, {args.frames} frames")
    if args.json:
        args.json.write_text(json.dumps({"flags": present, "load": load, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
