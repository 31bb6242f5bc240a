"""Quality and temporal stability of our output against simple baselines; writes docs/quality.md.

    python benchmarks/quality.py [--quick] [--weights W] [--data ../shared/data] [--out docs]

- NIQE (lower = more natural) of the inputs, gamma correction, CLAHE on luma, Zero-DCE (where
  ../shared/baselines has its released weights) and ours on LIME, MEF and Fusion; with structure
  kept, border excess (frame) and hue change (enlight.quality.structure);
- PSNR / SSIM on LOL15 (low_crop600x396 outputs vs the top 396 rows of high/);
- warping error, brightness flicker (plain and motion-compensated) and temporal std (static
  pixels, and aligned along the motion) for the baselines and for ours with smoothing off /
  default / strong, on (a) the real night surveillance clip, (b) a clip made from a still
  low-light photo with simulated camera shake and Poisson-Gaussian sensor noise, (c) a clip with
  a moving object (ghosting check: warping error must not rise with smoothing);
- a scene cut and a light switched on (does the smoother reset / catch up);
- a sweep of the smoothing parameters, from which the default is chosen;
- docs/quality.md, a before/after PNG grid and a JSON of every number (docs/img/).

To compare another generator (a preset, a distilled model), add it to ``generator_variants``;
every table gets its rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import quality_clips as clips  # sibling scripts (run from anywhere: benchmarks/ is on sys.path)
import torch
from PIL import Image
from quality_report import write_report
from stills import clahe, gamma, images

from enlight.models import default_weights, load_generator
from enlight.ops import simd
from enlight.ops.detail import STRENGTH
from enlight.quality.flicker import (
    aligned_temporal_std,
    brightness_flicker,
    motion_compensated_flicker,
    static_temporal_std,
    warping_error,
)
from enlight.quality.niqe import niqe
from enlight.quality.paired import psnr, ssim
from enlight.quality.structure import border_excess, hue_change, structure_kept
from enlight.stream.apps.photo_prepare import denoise_photo
from enlight.stream.backends.base import Backend
from enlight.stream.core.denoise_config import DenoiseConfig
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import build_backend, make_plan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.train.data import load_rgb

REPO = Path(__file__).resolve().parents[1]
Method = Callable[[np.ndarray], np.ndarray]  # (H, W, 3) uint8 RGB -> the same


BASELINES: dict[str, Method] = {"gamma 0.45": gamma, "CLAHE (luma)": clahe}
ZERODCE = REPO.parent / "shared" / "baselines" / "zerodce_Epoch99.pth"  # evaluation only, never shipped


def baselines() -> dict[str, Method]:
    """gamma, CLAHE and, where its released weights are present, Zero-DCE (benchmarks/zerodce.py)."""
    if not ZERODCE.is_file():
        return dict(BASELINES)
    from zerodce import zerodce_method

    return BASELINES | {"Zero-DCE": zerodce_method(ZERODCE)}


def generator_variants(weights: Path | None) -> dict[str, Callable[[], Backend]]:
    """Named factories of the backends to evaluate as "ours"; other generators add entries here."""
    generator = load_generator(weights or default_weights())
    return {"ours": lambda: build_backend(make_plan(device="cpu"), network=generator)}


PHOTO_DENOISE = DenoiseConfig("light", still=True)  # what `best` on a CPU runs on a photo (--denoise auto)
EXPOSURE = 100  # --exposure's level reported beside the default (chosen on the choosing sets; docs/training.md)

BALANCED_NARROW = "balanced, base-12 float (a CPU without int8 dot products)"


def preset_variants() -> dict[str, tuple[Backend, float, str]]:
    """The --quality presets on the CPU; balanced's narrower float student (what it runs on a CPU without int8
    dot products; this CPU's own choice is the row ``balanced``); and the fast preset with plain bilinear
    upsampling of its correction instead of the guided filter (which of the two keeps more detail). Each:
    (backend, scale, upsample)."""
    from enlight.models.bundled import WEIGHTS_DIR
    from enlight.stream.core.presets import QUALITIES

    plans = {name: make_plan(quality=name, device="cpu") for name in QUALITIES}
    narrow = QUALITIES["balanced"].cpu_narrow
    if narrow is not None:
        plans[BALANCED_NARROW] = make_plan(quality="balanced", device="cpu", weights=WEIGHTS_DIR / narrow)
    variants = {name: (build_backend(plan), plan.scale, plan.upsample) for name, plan in plans.items()}
    fast, scale, _ = variants["fast"]
    variants["fast, bilinear upsampling"] = (fast, scale, "bilinear")
    return variants


def edge_energy(rgb: np.ndarray) -> float:
    """Mean |Laplacian| of the luma (0-255): how much fine detail an image carries."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F)).mean())


def preset_scores(data: Path, limit: int | None, frames: int) -> dict:
    """Each preset against the full model's output (best): PSNR, NIQE and detail kept (edge energy
    ratio to best's) on LIME and MEF, and PSNR on the bundled night clip with default smoothing."""
    variants = preset_variants()
    table: dict = {}
    for name in ("LIME", "MEF"):
        folder = data / "eval" / name
        if not folder.is_dir():
            continue
        rows: dict[str, dict[str, list[float]]] = {k: {"psnr": [], "niqe": [], "detail": []} for k in variants}
        for path in images(folder, limit):
            rgb = load_rgb(path)
            outs = {k: still(backend, scale=scale, upsample=up)(rgb) for k, (backend, scale, up) in variants.items()}
            for key, img in outs.items():
                rows[key]["psnr"].append(psnr(img, outs["best"]))
                rows[key]["niqe"].append(niqe(img))
                rows[key]["detail"].append(edge_energy(img) / edge_energy(outs["best"]))
        table[name] = {k: {m: float(np.mean(v)) for m, v in r.items()} | {"min_psnr": float(np.min(r["psnr"]))}
                       for k, r in rows.items()}
    clip = clips.video_frames(REPO / "samples" / "night.mp4", frames, (640, 360))
    enhanced = {k: enhance_clip(backend, clip, SmoothingConfig(), scale=scale, upsample=up)[0]
                for k, (backend, scale, up) in variants.items()}
    table["night.mp4"] = {k: {"psnr": float(np.mean([psnr(a, b) for a, b in zip(v, enhanced["best"], strict=True)])),
                              "frames": len(clip)} for k, v in enhanced.items()}
    for name, rows in table.items():
        print(f"presets {name}: " + ", ".join(f"{k} {v['psnr']:.2f} dB" for k, v in rows.items()), file=sys.stderr)
    return table


def smoothing_variants() -> dict[str, SmoothingConfig]:
    default = SmoothingConfig()
    return {"smoothing 0 (frame by frame)": replace(default, strength=0.0),
            f"smoothing {default.strength:g} (default)": default,
            "smoothing 0.95 (strong)": replace(default, strength=0.95)}


class MemoBackend:
    """A backend that remembers its outputs by input, so smoothing variants share one generator run.

    The smoother works after the generator, so every smoothing setting feeds it the same frames.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend, self.name, self.device = backend, backend.name, backend.device
        self._memo: dict[str, torch.Tensor] = {}

    def __call__(self, frames, attention):
        """frames, attention: numpy arrays (the CPU forms of the stages) or torch tensors -> the backend's output."""
        pixels = frames if isinstance(frames, np.ndarray) else frames.cpu().numpy()
        key = hashlib.sha1(pixels.tobytes()).hexdigest()
        if key not in self._memo:
            self._memo[key] = self.backend(frames, attention)
        return self._memo[key]


def enhance_clip(backend: Backend, clip: list[np.ndarray], smoothing: SmoothingConfig, batch: int = 4, *,
                 scale: float = 1.0, upsample: str = "guided") -> tuple[list[np.ndarray], int]:
    """The product's Enhancer (with its detail step, ``enlight.ops.detail``) over a clip in batches; returns (frames,
    scene cuts it detected)."""
    enhancer = Enhancer(backend, smoothing, scale=scale, upsample=upsample, detail=STRENGTH)
    out = []
    for i in range(0, len(clip), batch):
        out.extend(enhancer(np.stack(clip[i : i + batch])))
    smoother = enhancer.correction_smoother or enhancer.attention_smoother
    return out, smoother.scene_cuts


def still(backend: Backend, *, scale: float = 1.0, upsample: str = "guided", exposure: float = 0.0,
          denoise: DenoiseConfig = PHOTO_DENOISE) -> Method:
    """The product on one 8-bit picture as the command runs it: the denoise step and then the deband step on the whole
    picture (``enlight.stream.apps.photo_prepare``: ``--denoise auto`` on a CPU for `best`, light, leaves a photo under
    the noise floor as it is), then the enhancer with its detail step (``exposure``: ``--exposure``'s level, 0 = off as
    by default). Every preset gets the same denoise, so that their comparison with `best` is the networks'."""
    enhancer = Enhancer(backend, SmoothingConfig(strength=0), scale=scale, upsample=upsample, detail=STRENGTH,
                        exposure=exposure)
    return lambda rgb: enhancer(simd.deband(denoise_photo(rgb, denoise)[0][None])[0])[0]


def temporal_metrics(clip: list[np.ndarray], out: list[np.ndarray]) -> dict[str, float]:
    return {"warping_error": warping_error(clip, out), "flicker": brightness_flicker(out),
            "mc_flicker": motion_compensated_flicker(clip, out), "static_std": static_temporal_std(clip, out),
            "aligned_std": aligned_temporal_std(clip, out)}


def still_scores(methods: dict[str, Method], data: Path, limit: int | None, grid_rows: list) -> tuple[dict, dict]:
    """(NIQE per set and method, structure table): the second holds, per set and method, structure kept
    (mean, worst image), border excess (mean, worst) and hue change (enlight.quality.structure)."""
    niqe_table: dict = {}
    structure_table: dict = {}
    for name in ("LIME", "MEF", "Fusion"):
        folder = data / "eval" / name
        if not folder.is_dir():
            continue
        scores: dict[str, list[float]] = {k: [] for k in methods}
        kept: dict[str, dict[str, list[float]]] = {k: {"structure": [], "border": [], "hue": []} for k in methods}
        for i, path in enumerate(images(folder, limit)):
            rgb = load_rgb(path)
            outs = {k: method(rgb) for k, method in methods.items()}
            for key, img in outs.items():
                scores[key].append(niqe(img))
                kept[key]["structure"].append(structure_kept(rgb, img))
                kept[key]["border"].append(border_excess(rgb, img))
                kept[key]["hue"].append(hue_change(rgb, img))
            if i < 2 and name != "Fusion":
                grid_rows.append(list(outs.values()))
        niqe_table[name] = {k: float(np.mean(v)) for k, v in scores.items()} | {"images": len(scores["input"])}
        structure_table[name] = {k: {"structure": float(np.mean(v["structure"])),
                                     "structure_min": float(np.min(v["structure"])),
                                     "border": float(np.mean(v["border"])), "border_max": float(np.max(v["border"])),
                                     "hue": float(np.nanmean(v["hue"]))} for k, v in kept.items()}
        print(f"NIQE {name}: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in scores.items()), file=sys.stderr)
    return niqe_table, structure_table


def lol_scores(methods: dict[str, Method], data: Path, limit: int | None) -> dict:
    lol = data / "eval" / "LOL15"
    if not lol.is_dir():
        return {}
    rows: dict[str, list[tuple[float, float]]] = {k: [] for k in methods}
    for path in images(lol / "low_crop600x396", limit):
        low = load_rgb(path)
        high = load_rgb(lol / "high" / path.name)[: low.shape[0]]
        for key, method in methods.items():
            img = method(low)
            rows[key].append((psnr(img, high), ssim(img, high)))
    table = {k: {"psnr": float(np.mean([r[0] for r in v])), "ssim": float(np.mean([r[1] for r in v])),
                 "images": len(v)} for k, v in rows.items()}
    print("LOL15: " + ", ".join(f"{k} {v['psnr']:.2f} dB / {v['ssim']:.3f}" for k, v in table.items()), file=sys.stderr)
    return table


def make_clips(data: Path, frames: int, size: tuple[int, int]) -> dict[str, list[np.ndarray]]:
    lime = images(data / "eval" / "LIME")
    photo, other = load_rgb(lime[0]), load_rgb(lime[1])
    made = {"shaky noisy photo": clips.shaky_noisy_clip(photo, frames, size),
            "moving object": clips.moving_object_clip(photo, frames, size)}
    for i, name in enumerate(("MEF", "Fusion"), start=2):  # more shaky clips, for the sweep only
        made[f"shaky noisy photo {i}"] = clips.shaky_noisy_clip(load_rgb(images(data / "eval" / name)[0]), frames,
                                                                size, seed=i)
    surveillance = data / "video" / "surveillance_night.mp4"
    if surveillance.is_file():
        height = size[0] * 1088 // 960 // 2 * 2  # the clip's aspect ratio
        made["surveillance_night.mp4"] = clips.video_frames(surveillance, frames, (size[0], height))
    made["scene cut"] = clips.scene_cut_clip(photo, other, 16, size)
    made["lights on (x3)"] = clips.lights_on_clip(photo, 16, size)
    return made


def temporal_scores(backends: dict[str, Backend], clip_set: dict[str, list[np.ndarray]]) -> dict:
    table: dict = {}
    for clip_name in ("shaky noisy photo", "moving object", "surveillance_night.mp4"):
        if clip_name not in clip_set:
            continue
        clip = clip_set[clip_name]
        rows = {"input": temporal_metrics(clip, clip)}
        rows |= {k: temporal_metrics(clip, [m(f) for f in clip]) for k, m in BASELINES.items()}
        for gen_name, backend in backends.items():
            for label, config in smoothing_variants().items():
                rows[f"{gen_name}, {label}"] = temporal_metrics(clip, enhance_clip(backend, clip, config)[0])
        table[clip_name] = {"frames": len(clip), "size": list(clip[0].shape[1::-1]), "rows": rows}
        print(f"{clip_name}: " + json.dumps(rows), file=sys.stderr)
    return table


def transition_scores(backends: dict[str, Backend], clip_set: dict[str, list[np.ndarray]]) -> dict:
    """Scene cuts detected, and the mean |luma difference| (0-255) between smoothed and frame-by-frame
    output: on the frame of the change (0 = reset at once), the 3 frames after it, and the steady
    frames before it (what smoothing changes anyway)."""
    table: dict = {}
    luma = np.array([0.299, 0.587, 0.114])
    for clip_name in ("scene cut", "lights on (x3)"):
        clip = clip_set[clip_name]
        change = len(clip) // 2
        for gen_name, backend in backends.items():
            reference, _ = enhance_clip(backend, clip, SmoothingConfig(strength=0))
            for label, config in smoothing_variants().items():
                out, cuts = enhance_clip(backend, clip, config)
                diff = [float(np.abs((o.astype(float) - r) @ luma).mean()) for o, r in zip(out, reference, strict=True)]
                table.setdefault(clip_name, {})[f"{gen_name}, {label}"] = {
                    "scene_cuts": cuts, "steady_before": float(np.mean(diff[2:change])), "at_change": diff[change],
                    "after_change": float(np.mean(diff[change + 1 : change + 4]))}
    print("transitions: " + json.dumps(table), file=sys.stderr)
    return table


SHAKY = ("shaky noisy photo", "shaky noisy photo 2", "shaky noisy photo 3")


def sweep(backend: Backend, clip_set: dict[str, list[np.ndarray]]) -> dict:
    """Warping error, motion-compensated flicker and aligned std for a grid of smoothing settings, on
    the three shaky noisy clips and the moving-object clip."""
    default = SmoothingConfig()
    configs = [replace(default, strength=s) for s in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)]
    configs += [replace(default, motion_threshold=m) for m in (0.04, 0.16, 0.32)]
    configs += [replace(default, follow_camera=False)]
    rows = []
    for config in configs:
        row = {"config": asdict(config)}
        for clip_name in (*SHAKY, "moving object"):
            clip = clip_set[clip_name]
            out, _ = enhance_clip(backend, clip, config)
            row[clip_name] = {"warping_error": warping_error(clip, out),
                              "mc_flicker": motion_compensated_flicker(clip, out),
                              "aligned_std": aligned_temporal_std(clip, out)}
        rows.append(row)
        print(f"sweep {row}", file=sys.stderr)
    off = rows[0]
    for row in rows:
        ratios = [row[c]["mc_flicker"] / off[c]["mc_flicker"] for c in SHAKY]
        row["shaky_mc_flicker_ratio_worst"], row["shaky_mc_flicker_ratio_mean"] = max(ratios), float(np.mean(ratios))
        row["no_worse_warping"] = all(row[c]["warping_error"] <= off[c]["warping_error"]
                                      for c in (*SHAKY, "moving object"))
    return {"rows": rows}


def save_grid(rows: list[list[np.ndarray]], path: Path, height: int = 180) -> None:
    tiles = []
    for row in rows:
        resized = [np.asarray(Image.fromarray(im).resize((round(im.shape[1] * height / im.shape[0]), height)))
                   for im in row]
        gap = np.full((height, 4, 3), 255, np.uint8)
        tiles.append(np.concatenate(sum(([r, gap] for r in resized), [])[:-1], 1))
    width = max(t.shape[1] for t in tiles)
    grid = np.full((len(tiles) * (height + 4), width, 3), 255, np.uint8)
    for i, t in enumerate(tiles):
        grid[i * (height + 4) : i * (height + 4) + height, : t.shape[1]] = t
    Image.fromarray(grid).save(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 images per set, 12-frame clips (about 2 minutes)")
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--from-json", type=Path, metavar="JSON",
                        help="measure nothing: rewrite quality.md from a quality.json of an earlier run")
    parser.add_argument("--only-presets", action="store_true",
                        help="measure the --quality presets only, into the existing OUT/img/quality.json")
    args = parser.parse_args()
    if args.from_json:
        write_report(json.loads(args.from_json.read_text()), args.out / "quality.md")
        return 0
    limit = 3 if args.quick else None
    if args.only_presets:
        results = json.loads((args.out / "img" / "quality.json").read_text())
        start = time.perf_counter()
        results["presets"] = preset_scores(args.data, limit, 12 if args.quick else 48)
        results["presets_seconds"] = round(time.perf_counter() - start)
        (args.out / "img" / "quality.json").write_text(json.dumps(results, indent=2))
        write_report(results, args.out / "quality.md")
        return 0
    start = time.perf_counter()
    torch.set_flush_denormal(True)
    backends = {name: MemoBackend(factory()) for name, factory in generator_variants(args.weights).items()}
    methods: dict[str, Method] = {"input": lambda rgb: rgb} | baselines()
    methods |= {name: still(backend.backend) for name, backend in backends.items()}
    methods[f"ours, --exposure {EXPOSURE:g}"] = still(backends["ours"].backend, exposure=EXPOSURE)
    grid_rows: list[list[np.ndarray]] = []
    results: dict = {"mode": "quick" if args.quick else "full",
                     "command": "python benchmarks/quality.py" + (" --quick" if args.quick else ""),
                     "default_smoothing": asdict(SmoothingConfig()), "methods": list(methods)}
    results["niqe"], results["structure"] = still_scores(methods, args.data, limit, grid_rows)
    results["lol15"] = lol_scores(methods, args.data, limit)
    frames = 12 if args.quick else 32
    clip_set = make_clips(args.data, frames, (320, 192))
    results["temporal"] = temporal_scores(backends, clip_set)
    results["transitions"] = transition_scores(backends, clip_set)
    results["sweep"] = sweep(next(iter(backends.values())), clip_set)
    results["presets"] = preset_scores(args.data, limit, 12 if args.quick else 48)
    results["seconds"] = round(time.perf_counter() - start)

    (args.out / "img").mkdir(parents=True, exist_ok=True)
    if grid_rows:
        save_grid(grid_rows, args.out / "img" / "quality_grid.png")
    (args.out / "img" / "quality.json").write_text(json.dumps(results, indent=2))
    write_report(results, args.out / "quality.md")
    print(f"done in {results['seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
