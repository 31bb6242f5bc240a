"""Quality and temporal stability of our output against simple baselines; writes docs/quality.md.

    python benchmarks/quality.py [--quick] [--weights W] [--data ../shared/data] [--out docs]

- NIQE (lower = more natural) of the inputs, gamma correction, CLAHE on luma, and ours on LIME,
  MEF and Fusion;
- PSNR / SSIM on LOL15 (low_crop600x396 outputs vs the top 396 rows of high/);
- warping error, brightness flicker and static-pixel temporal std, for smoothing off / default /
  strong, on (a) the real night surveillance clip, (b) a clip made from a still low-light photo
  with simulated camera shake and Poisson-Gaussian sensor noise, (c) a clip with a moving object
  (ghosting check: warping error must not rise with smoothing);
- a before/after PNG grid and a JSON of every number.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from enhancement_eval import images, still_enhancer  # the sibling script (run from benchmarks/)
from PIL import Image

from enlight.models import default_weights, load_generator
from enlight.quality.flicker import brightness_flicker, static_temporal_std, warping_error
from enlight.quality.niqe import niqe
from enlight.quality.paired import psnr, ssim
from enlight.stream.backends import create_backend
from enlight.stream.enhancer import Enhancer
from enlight.stream.smoothing import SmoothingConfig
from enlight.train.data import load_rgb

REPO = Path(__file__).resolve().parents[1]



def gamma(rgb: np.ndarray, g: float = 0.45) -> np.ndarray:
    return np.round(255 * (rgb / 255.0) ** g).astype(np.uint8)


def clahe(rgb: np.ndarray) -> np.ndarray:
    import cv2

    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def shaky_noisy_clip(photo: np.ndarray, frames: int, size: tuple[int, int], seed: int = 0) -> list[np.ndarray]:
    """A window that wanders a few pixels per frame over a still photo, with Poisson-Gaussian noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    margin = 12
    base = np.asarray(Image.fromarray(photo).resize((w + 2 * margin, h + 2 * margin), Image.BICUBIC))
    linear = (base / 255.0) ** 2.2
    pos = np.zeros(2)
    clip = []
    for _ in range(frames):
        pos = np.clip(0.7 * pos + rng.normal(0, 2.0, 2), -margin, margin)  # shaky hand
        x, y = int(round(pos[0])) + margin, int(round(pos[1])) + margin
        window = linear[y : y + h, x : x + w]
        noisy = rng.poisson(window * 600) / 600 + rng.normal(0, 0.003, window.shape)
        clip.append(np.round(np.clip(noisy, 0, 1) ** (1 / 2.2) * 255).astype(np.uint8))
    return clip


def moving_object_clip(photo: np.ndarray, frames: int, size: tuple[int, int]) -> list[np.ndarray]:
    w, h = size
    base = np.asarray(Image.fromarray(photo).resize((w, h), Image.BICUBIC))
    clip = []
    for t in range(frames):
        img = base.copy()
        x = int(t * (w - 40) / max(1, frames - 1))
        img[h // 3 : h // 3 + 40, x : x + 40] = [200, 170, 120]  # a lit object crossing the scene
        clip.append(img)
    return clip


def video_frames(path: Path, frames: int, size: tuple[int, int], start: int = 0) -> list[np.ndarray]:
    from enlight.stream.source import DecodedFrame, VideoSource

    out = []
    with VideoSource(path) as source:
        for item in source:
            if isinstance(item, DecodedFrame):
                if start > 0:
                    start -= 1
                    continue
                out.append(np.asarray(Image.fromarray(item.rgb).resize(size, Image.BILINEAR)))
                if len(out) == frames:
                    break
    return out


def enhance_clip(generator, clip: list[np.ndarray], strength: float, batch: int = 4) -> list[np.ndarray]:
    enhancer = Enhancer(create_backend("auto", generator, device="cpu"), SmoothingConfig(strength=strength))
    out = []
    for i in range(0, len(clip), batch):
        out.extend(enhancer(np.stack(clip[i : i + batch])))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer images and frames")
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    args = parser.parse_args()
    start = time.perf_counter()
    generator = load_generator(args.weights or default_weights())
    enhance_one = still_enhancer(generator)
    limit = 3 if args.quick else None
    results: dict = {"niqe": {}, "lol15": {}, "temporal": {}}

    grid_rows = []
    for name in ("LIME", "MEF", "Fusion"):
        folder = args.data / "eval" / name
        if not folder.is_dir():
            continue
        scores = {"input": [], "gamma": [], "clahe": [], "ours": []}
        for i, path in enumerate(images(folder, limit)):
            rgb = load_rgb(path)
            outs = {"input": rgb, "gamma": gamma(rgb), "clahe": clahe(rgb), "ours": enhance_one(rgb[None])[0]}
            for key, img in outs.items():
                scores[key].append(niqe(img))
            if i < 2 and name != "Fusion":
                grid_rows.append([outs[k] for k in ("input", "gamma", "clahe", "ours")])
        results["niqe"][name] = {k: float(np.mean(v)) for k, v in scores.items()} | {"images": len(scores["ours"])}
        print(f"NIQE {name}: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in scores.items()), file=sys.stderr)

    lol = args.data / "eval" / "LOL15"
    if lol.is_dir():
        rows = {"input": [], "gamma": [], "clahe": [], "ours": []}
        for path in images(lol / "low_crop600x396", limit):
            low = load_rgb(path)
            high = load_rgb(lol / "high" / path.name)[: low.shape[0]]
            outs = {"input": low, "gamma": gamma(low), "clahe": clahe(low), "ours": enhance_one(low[None])[0]}
            for key, img in outs.items():
                rows[key].append((psnr(img, high), ssim(img, high)))
        results["lol15"] = {k: {"psnr": float(np.mean([r[0] for r in v])), "ssim": float(np.mean([r[1] for r in v])),
                                "images": len(v)} for k, v in rows.items()}
        print("LOL15: " + ", ".join(f"{k} {v['psnr']:.2f} dB / {v['ssim']:.3f}"
                                    for k, v in results["lol15"].items()), file=sys.stderr)

    frames = 10 if args.quick else 24
    size = (320, 240) if args.quick else (480, 272)
    photo = load_rgb(images(args.data / "eval" / "LIME")[0])
    clips = {"shaky noisy photo": shaky_noisy_clip(photo, frames, size),
             "moving object": moving_object_clip(photo, frames, size)}
    surveillance = args.data / "video" / "surveillance_night.mp4"
    if surveillance.is_file():
        clips["surveillance_night.mp4"] = video_frames(surveillance, frames, (size[0], size[0] * 1088 // 960 // 2 * 2))
    strengths = {"off": 0.0, "default": SmoothingConfig().strength, "strong": 0.9}
    for clip_name, clip in clips.items():
        rows = {"input": {"flicker": brightness_flicker(clip), "static_std": static_temporal_std(clip, clip)}}
        for label, strength in strengths.items():
            out = enhance_clip(generator, clip, strength)
            rows[label] = {"strength": strength, "warping_error": warping_error(clip, out),
                           "flicker": brightness_flicker(out), "static_std": static_temporal_std(clip, out)}
        results["temporal"][clip_name] = rows
        print(f"{clip_name}: " + json.dumps(rows), file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "img").mkdir(exist_ok=True)
    if grid_rows:
        height = 180
        tiles = []
        for row in grid_rows:
            resized = [np.asarray(Image.fromarray(im).resize((round(im.shape[1] * height / im.shape[0]), height)))
                       for im in row]
            gap = np.full((height, 4, 3), 255, np.uint8)
            tiles.append(np.concatenate(sum(([r, gap] for r in resized), [])[:-1], 1))
        width = max(t.shape[1] for t in tiles)
        grid = np.full((len(tiles) * (height + 4), width, 3), 255, np.uint8)
        for i, t in enumerate(tiles):
            grid[i * (height + 4) : i * (height + 4) + height, : t.shape[1]] = t
        Image.fromarray(grid).save(args.out / "img" / "quality_grid.png")
    (args.out / "img" / "quality.json").write_text(json.dumps(results, indent=2))
    print(f"done in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
