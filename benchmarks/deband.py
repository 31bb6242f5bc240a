"""The deband step (``enlight.ops.deband``, ``--deband``) measured: codec blocks, naturalness, a truth, its cost.

    python benchmarks/deband.py [--data ../shared/data] [--json docs/img/deband.json] [--png docs/img/deband.png]
        [--skip real synthetic cost png e2e]

- real: frames of the real night clips (../shared/data/video/real_night, and the night surveillance clip), decoded
  as the command decodes them (chroma floor), enhanced by `best` and `fast` with the step off and on (smoothing
  and denoising off: one frame at a time): ``enlight.quality.blocks.block_ratio`` on 4, 8 and 16 pixel grids (1:
  no grid), NIQE, the share of pixels the step changed.
- synthetic: clean clips (bikes, Big Buck Bunny at 640x360) darkened in linear light, encoded by libx264 at two
  CRFs and decoded; each enhanced by `best` with the step off and on, against the truth: the same darkened
  frames enhanced without the codec. PSNR and block ratio.
- cost: the OpenCV form's milliseconds per frame (median of 9, one thread) on a dark blocky frame and a bright one
  at four sizes, with the CPU's flags.
- png: crops of the dashcam frame, off against on, 3x.
- e2e: ``enlight-video --quality fast`` with ``--deband off`` and ``on``, interleaved, three pairs (the first
  discarded as warm-up), on the dashcam clip scaled to 854x480 (150 frames) and 1920x1080 (90 frames): the
  frame rates from the summary lines and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from enlight.ops import simd
from enlight.quality.blocks import block_ratio
from enlight.quality.niqe import niqe
from enlight.quality.paired import psnr
from enlight.stream.apps.snapshot import frame_at
from enlight.stream.core.cpu_kind import cpu_flags
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import build_backend, make_plan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.stream.io.chroma_floor import floor_chroma
from enlight.stream.io.frames import ColorInfo, frame_to_rgb

REPO = Path(__file__).resolve().parents[1]
TIMES = (0.5, 1.5, 2.5)  # seconds into each real clip (the street clip is 2.8 s long)
GRIDS = (4, 8, 16)
DARKEN = 0.06  # linear-light gain of the synthetic clips (mean luma about 20 of 255)
CRFS = (28, 36)
SIZES = ((360, 640), (480, 854), (720, 1280), (1080, 1920))
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8")


def enhancers(quality: str) -> dict[str, Enhancer]:
    """The preset with the step off and on (one backend), smoothing and denoising off."""
    plans = {name: make_plan(quality=quality, device="cpu", deband=name == "on", denoise="off",
                             smoothing=SmoothingConfig(strength=0)) for name in ("off", "on")}
    backend = build_backend(plans["off"])
    return {name: Enhancer.from_plan(plan, backend) for name, plan in plans.items()}


def real_rows(data: Path) -> list[dict]:
    clips = sorted((data / "video" / "real_night").glob("*.mp4")) + [data / "video" / "surveillance_night.mp4"]
    runs = {quality: enhancers(quality) for quality in ("best", "fast")}
    rows = []
    for clip in (c for c in clips if c.is_file()):
        for seconds in TIMES:
            frame = frame_at(clip, seconds, floor=True)
            row = {"clip": clip.stem, "time": seconds}
            row["changed"] = float((simd.deband(frame[None])[0][0] != frame).any(-1).mean())
            for quality, pair in runs.items():
                for name, enhancer in pair.items():
                    out = enhancer(frame[None])[0]
                    row[f"{quality} {name}"] = {f"blocks {g}": block_ratio(out, frame, grid=g) for g in GRIDS}
                    row[f"{quality} {name}"]["niqe"] = float(niqe(out))
            rows.append(row)
            print(_real_line(row), flush=True)
    return rows


def _real_line(row: dict) -> str:
    cells = [f"{row['clip'][:24]:24s} {row['time']:3.1f}s changed {row['changed']:.3f}"]
    for key in ("best off", "best on", "fast off", "fast on"):
        m = row[key]
        cells.append(f"{key}: {m['blocks 8']:.3f} / {m['niqe']:.2f}")
    return " | ".join(cells)


def darkened(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 sRGB-ish frame -> the same scene DARKEN times the light (gamma 2.2), uint8."""
    linear = (rgb.astype(np.float32) / 255) ** 2.2 * DARKEN
    return np.clip(np.rint(255 * linear ** (1 / 2.2)), 0, 255).astype(np.uint8)


def through_codec(frames: list[np.ndarray], crf: int, folder: Path) -> list[np.ndarray]:
    """Frames encoded by libx264 (yuv420p, this CRF, 25 fps) into a file and decoded back as the command decodes."""
    path = folder / f"dark_crf{crf}.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.options = {"crf": str(crf), "preset": "medium"}
        for rgb in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode())
    with av.open(str(path)) as container:
        return [frame_to_rgb(floor_chroma(f), ColorInfo.from_frame(f)) for f in container.decode(video=0)]


def clean_frames(clip: Path, count: int, size: tuple[int, int] | None) -> list[np.ndarray]:
    frames = []
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            image = frame.to_image()
            frames.append(np.asarray(image.resize(size[::-1], Image.BICUBIC) if size else image))
            if len(frames) == count:
                break
    return frames


def synthetic_rows(data: Path, folder: Path) -> list[dict]:
    pair = enhancers("best")
    rows = []
    for name, size in (("bikes", None), ("bigbuckbunny", (360, 640))):
        clip = data / "video" / f"{name}.mp4"
        if not clip.is_file():
            continue
        dark = [darkened(f) for f in clean_frames(clip, 8, size)]
        truths = [pair["off"](d[None])[0] for d in dark]
        for crf in CRFS:
            coded = through_codec(dark, crf, folder)
            row = {"clip": name, "crf": crf}
            for mode, enhancer in pair.items():
                outs = [enhancer(c[None])[0] for c in coded]
                row[mode] = {"psnr": statistics.mean(map(psnr, outs, truths)),
                             "blocks 8": statistics.mean(map(block_ratio, outs, coded))}
            row["truth blocks 8"] = statistics.mean(map(block_ratio, truths, dark))
            rows.append(row)
            print(f"{name:14s} crf {crf}: PSNR off {row['off']['psnr']:.2f} on {row['on']['psnr']:.2f} dB; blocks "
                  f"off {row['off']['blocks 8']:.3f} on {row['on']['blocks 8']:.3f} truth {row['truth blocks 8']:.3f}",
                  flush=True)
    return rows


def cost_rows(data: Path) -> list[dict]:
    import cv2

    cv2.setNumThreads(1)
    dark = frame_at(data / "video" / "real_night" / "night_highway_dashcam_audio_360p.mp4", 3.0, floor=True)
    rows = []
    for height, width in SIZES:
        row = {"size": f"{width}x{height}"}
        for kind, frame in (("dark", dark), ("bright", np.full_like(dark, 128))):
            batch = cv2.resize(frame, (width, height), interpolation=cv2.INTER_NEAREST)[None]
            times = []
            for _ in range(9):
                start = time.perf_counter()
                simd.deband(batch)
                times.append(1000 * (time.perf_counter() - start))
            row[f"{kind} ms"] = statistics.median(times)
        rows.append(row)
        print(f"{row['size']:10s} dark {row['dark ms']:.1f} ms, bright {row['bright ms']:.2f} ms per frame", flush=True)
    return rows


def crops_png(data: Path, out: Path) -> None:
    frame = frame_at(data / "video" / "real_night" / "night_highway_dashcam_audio_360p.mp4", 3.0, floor=True)
    pair = enhancers("best")
    pieces = [pair[name](frame[None])[0][120:300, 0:320] for name in ("off", "on")]
    gap = np.full((180, 4, 3), 255, np.uint8)
    strip = np.concatenate([pieces[0], gap, pieces[1]], 1)
    Image.fromarray(strip).resize((strip.shape[1] * 3, strip.shape[0] * 3), Image.NEAREST).save(out)
    print(f"wrote {out} (left: --deband off, right: on; best, the dashcam 3 s in, 3x)")


def scaled_clip(source: Path, size: tuple[int, int], frames: int, out: Path) -> Path:
    """The first ``frames`` frames of ``source`` scaled to ``size`` (height, width), libx264 CRF 20, no audio."""
    import cv2

    with av.open(str(source)) as container, av.open(str(out), "w") as target:
        stream = target.add_stream("libx264", rate=Fraction(30000, 1001))
        stream.width, stream.height, stream.pix_fmt = size[1], size[0], "yuv420p"
        stream.options = {"crf": "20"}
        for i, frame in enumerate(container.decode(video=0)):
            if i == frames:
                break
            rgb = cv2.resize(frame.to_ndarray(format="rgb24"), size[::-1], interpolation=cv2.INTER_LINEAR)
            target.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        target.mux(stream.encode())
    return out


def e2e_rows(data: Path, folder: Path) -> list[dict]:
    source = data / "video" / "real_night" / "night_highway_dashcam_audio_360p.mp4"
    rows = []
    for size, frames in (((480, 854), 150), ((1080, 1920), 90)):
        clip = scaled_clip(source, size, frames, folder / f"dash_{size[0]}.mp4")
        fps = {"off": [], "on": []}
        for _ in range(3):
            for mode in ("off", "on"):
                run = subprocess.run([sys.executable, "-m", "enlight.cli.video", str(clip), "-o",
                                      str(folder / "e2e.mp4"), "--quality", "fast", "--deband", mode, "--force"],
                                     capture_output=True, text=True, check=True)
                fps[mode].append(float(re.search(r"\(([0-9.]+) fps,", run.stderr).group(1)))
        row = {"size": f"{size[1]}x{size[0]}", "frames": frames, "fps off": fps["off"], "fps on": fps["on"],
               "ratio": statistics.median(fps["on"][1:]) / statistics.median(fps["off"][1:])}
        rows.append(row)
        print(f"{row['size']:10s} fast: off {fps['off']} on {fps['on']} fps; ratio of the medians (warm-up "
              f"dropped) {row['ratio']:.3f}", flush=True)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--json", type=Path, default=REPO / "docs" / "img" / "deband.json")
    p.add_argument("--png", type=Path, default=REPO / "docs" / "img" / "deband.png")
    p.add_argument("--skip", nargs="*", default=[], choices=("real", "synthetic", "cost", "png", "e2e"))
    p.add_argument("--scratch", type=Path, default=Path("/tmp/enlight_deband"))
    args = p.parse_args()
    if not (args.data / "video").is_dir():
        print(f"deband: no clips in {args.data / 'video'}", file=sys.stderr)
        return 2
    args.scratch.mkdir(parents=True, exist_ok=True)
    flags = sorted(cpu_flags() & set(FLAGS))
    print("CPU flags:", ", ".join(flags))
    result = {"command": "python benchmarks/deband.py " + " ".join(sys.argv[1:]), "cpu_flags": flags}
    if "real" not in args.skip:
        result["real"] = real_rows(args.data)
    if "synthetic" not in args.skip:
        result["synthetic"] = synthetic_rows(args.data, args.scratch)
    if "cost" not in args.skip:
        result["cost"] = cost_rows(args.data)
    if "png" not in args.skip:
        crops_png(args.data, args.png)
    if "e2e" not in args.skip:
        result["e2e"] = e2e_rows(args.data, args.scratch)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
