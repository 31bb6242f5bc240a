"""Compare generator weights with the baselines on still photos: naturalness, structure, frame, hue.

    python benchmarks/weights_eval.py [--sets validation synthetic Fusion LIME MEF LOL15] \
        [--weights NAME=PATH ...] [--margin 0] [--colour recorded kept free] [--baselines input gamma clahe zerodce] \
        [--post none black:0.5 toe:0.5:64 ...] [--detail 0.35] [--json FILE]

PATH is a ``.safetensors`` file (EnlightenGAN or RetinexNet weights), an ``enlight-train`` checkpoint
(``step_*.pt``) or a run folder (its newest checkpoint). Without ``--weights``: the bundled generator as
``current``. ``--colour``: each network as its weights record its colour handling (``recorded``), in the input's
colours (``kept``: ``enlight.ops.hue.keep_hue``) or in its own (``free``); several values: one row each. Sets:

- ``validation``: the 40 low-light training images that the ``zerodce`` recipe holds out
  (``enlight.train.nonref.validation_split``): choose checkpoints and settings on this, ``synthetic`` or
  Fusion. PSNR / SSIM against the well-exposed shot of the same SICE sequence, for the held-out shots
  that have one (``choosing_sets``; about half);
- ``synthetic``: 42 clean training photos (Kodak, McMaster) darkened in linear light with sensor noise;
  PSNR / SSIM against the photo (``choosing_sets``);
- ``Fusion``, ``LIME``, ``MEF`` (``../shared/data/eval``): LIME and MEF are TEST sets;
- ``LOL15``: paired, PSNR / SSIM of the output of low_crop600x396 against the top rows of high/.

Per set and method: mean NIQE, structure kept (mean, worst image), border excess (mean, worst),
hue change (mean degrees) and the dark tint (mean CIELAB chroma where the input's luma is under 20: the colour
given to near-black), from ``enlight.quality``, and the halo measure (``halo``, below). Prints a
table; ``--json`` writes every number. Generators run in PyTorch on the CPU (eval mode, flush-to-zero),
``--margin`` pixels of extra reflection padding around each image (the frame fix; 0 = as released).
Each generator's output goes through the product's detail step against its input (``enlight.ops.detail``),
as ``enlight-video`` runs it by default: ``--detail S`` sets its strength (default ``STRENGTH``, 0.35; 0 = the
network's output alone, as this script scored before 2026-12-06).

``--post`` adds a row per generator and global curve applied to its output afterwards (``post_curve``:
``none``, ``black:P``, ``toe:P:KNEE``, ``stretch:P``, ``s:S``, ``sm:S``, ``pow:M``), to see what a change of
tone would score without training; the generator runs once per image for all of them. The ``input``
baseline gets a row per curve too (the curve alone).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from choosing_sets import choosing_items
from stills import clahe, gamma, images

from enlight.models.bundled import default_weights
from enlight.models.weights import load_generator, read_metadata
from enlight.models.zoo import RETINEX_ARCHITECTURE, load_model
from enlight.ops.detail import STRENGTH
from enlight.ops.luma import attention_map
from enlight.ops.simd import restore_detail
from enlight.quality.flicker import luma
from enlight.quality.niqe import niqe
from enlight.quality.paired import psnr, ssim
from enlight.quality.structure import border_excess, dark_tint, hue_change, structure_kept
from enlight.train.data import list_images, load_rgb, to_tensor
from enlight.train.loop import read_checkpoint
from enlight.train.trainer import checkpoint_generator

REPO = Path(__file__).resolve().parents[1]
Method = Callable[[np.ndarray], np.ndarray]  # (H, W, 3) uint8 RGB -> the same


def load_any_generator(path: Path, *, margin: int | None = None, colour: str = "recorded"):
    """A generator in eval mode from weights (RetinexNet's too), a checkpoint or a run folder (newest checkpoint);
    ``colour``: ``recorded`` (as its weights say), ``kept`` or ``free`` (its ``keep_hue`` set so)."""
    path = Path(path)
    if path.suffix == ".safetensors" and read_metadata(path).get("architecture") == RETINEX_ARCHITECTURE:
        return with_colour(load_model("retinexnet", path), colour)
    if path.is_dir():
        found = sorted((path / "checkpoints").glob("step_*.pt"))
        if not found:
            raise SystemExit(f"no checkpoint in {path / 'checkpoints'}")
        path = found[-1]
    if path.suffix == ".pt" and path.name.startswith("step_"):
        generator = checkpoint_generator(read_checkpoint(path))
    else:
        generator = load_generator(path)
    if margin is not None:
        generator.margin = margin
    return with_colour(generator.float().eval(), colour)


def with_colour(network, colour: str):
    """``network`` with its ``keep_hue`` as ``colour`` says (``recorded``: unchanged)."""
    if colour not in ("recorded", "kept", "free"):
        raise SystemExit(f"--colour: unknown {colour!r} (recorded, kept, free)")
    if colour != "recorded":
        network.keep_hue = colour == "kept"
    return network


def generator_method(generator) -> Method:
    last: list = [None, None]  # the last input and its output: post-curve rows reuse one forward pass

    def run(rgb: np.ndarray) -> np.ndarray:
        if last[0] is rgb:
            return last[1]
        low = to_tensor(rgb)[None]
        with torch.no_grad():
            out = generator(low, attention_map(low))
        last[:] = rgb, ((out[0].permute(1, 2, 0) + 1) * 127.5).clamp(0, 255).round().byte().numpy()
        return last[1]

    return run


def with_detail(method: Method, strength: float) -> Method:
    """``method`` then the product's detail step against its input (``restore_detail``); as it is at 0."""
    if strength == 0:
        return method
    return lambda rgb: restore_detail(method(rgb)[None], rgb[None], strength)[0]


def post_curve(spec: str) -> Callable[[np.ndarray], np.ndarray]:
    """A global tone curve of an output's BT.601 luma y (0-255), applied as a gain ``f(y) / y`` on all three
    channels (chromaticity kept). b is the ``P``-th percentile of the image's luma:

    - ``none``: the output as it is;
    - ``black:P``: black point only, b -> 0, 255 kept, linear in between;
    - ``toe:P:KNEE``: ``f(y) = y - b (1 - y / KNEE)^2`` below KNEE (clipped at 0), unchanged above: pulls
      the darkest values down by up to b and leaves everything above the knee as it is (slope 1 there);
    - ``stretch:P``: contrast stretch, the P-th and (100 - P)-th percentiles -> 0 and 255;
    - ``s:S`` and ``sm:S``: an S-curve that keeps 0 and 255 (no clipping) and pivots at mid-grey (``s``) or
      at the image's mean luma m (``sm``): below the pivot ``m (u - S u (1 - u))`` with u = y / m, above it
      ``m + (255 - m)(v + S v (1 - v))``; slope 1 - S at black and white, 1 + S at the pivot;
    - ``pow:M``: ``255 (y / 255)^p`` with p chosen per image so that the mean luma is M (an exposure target).
    """
    kind, *args = spec.split(":")
    values = [float(a) for a in args]
    if kind == "none" and not values:
        return lambda out: out
    if kind not in ("black", "toe", "stretch", "s", "sm", "pow") or len(values) != (2 if kind == "toe" else 1):
        raise SystemExit(f"--post: unknown curve {spec!r} (none, black:P, toe:P:KNEE, stretch:P, s:S, sm:S, pow:M)")

    def apply(out: np.ndarray) -> np.ndarray:
        x = out.astype(np.float32)
        y = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
        b = float(np.percentile(y, values[0])) if kind in ("black", "toe", "stretch") else 0.0
        if kind == "pow":
            f = 255 * _power_to_mean(np.clip(y / 255, 1e-4, 1), values[0] / 255)
        elif kind in ("s", "sm"):
            strength, m = values[0], (127.5 if kind == "s" else float(np.clip(y.mean(), 16, 239)))
            u, v = np.clip(y / m, 0, 1), np.clip((y - m) / (255 - m), 0, 1)
            f = np.where(y < m, m * (u - strength * u * (1 - u)), m + (255 - m) * (v + strength * v * (1 - v)))
        elif kind == "black":
            f = (y - b) * 255 / max(255 - b, 1e-3)
        elif kind == "toe":
            knee = values[1]
            f = np.where(y < knee, y - b * (1 - np.minimum(y, knee) / knee) ** 2, y)
        else:
            w = float(np.percentile(y, 100 - values[0]))
            f = (y - b) * 255 / max(w - b, 1e-3)
        gain = np.clip(f, 0, 255) / np.maximum(y, 1e-3)
        return np.clip(x * gain[..., None], 0, 255).round().astype(np.uint8)

    return apply


def _power_to_mean(y: np.ndarray, mean: float) -> np.ndarray:
    """y ** p (y in (0, 1]) with p found by bisection (in the log domain) so that its mean is ``mean``."""
    low, high = 0.05, 20.0
    for _ in range(40):
        p = (low * high) ** 0.5
        low, high = (p, high) if (y ** p).mean() > mean else (low, p)
    return y ** ((low * high) ** 0.5)


def halo(rgb: np.ndarray, out: np.ndarray) -> float:
    """``enlight.train.nonref_losses.halo_loss`` of the output against the input mapped by a global power to its
    mean (how much the coarse gain changes from region to region; 0 = one gain everywhere)."""
    from enlight.train.nonref_losses import gamma_matched, halo_loss

    low, high = (torch.from_numpy(x).permute(2, 0, 1)[None].float() / 255 for x in (rgb, out))
    return float(halo_loss(high, gamma_matched(low, high.mean(dim=(1, 2, 3)))))


def set_images(data: Path, name: str) -> list[Path]:
    if name == "validation":
        from enlight.train.data import validation_split

        return validation_split(list_images(data / "train" / "low"), 40)[1]
    if name == "LOL15":
        return images(data / "eval" / "LOL15" / "low_crop600x396")
    return images(data / "eval" / name)


def set_items(data: Path, name: str) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(name, input (H, W, 3) uint8, truth or None) of every image of a set. ``validation`` has the
    well-exposed shot of the same SICE sequence as truth where there is one, ``synthetic`` the clean photo
    (``choosing_sets``), LOL15 the top rows of high/."""
    if name in ("synthetic", "validation"):
        return choosing_items(data, name)
    items = []
    for path in set_images(data, name):
        rgb = load_rgb(path)
        truth = load_rgb(data / "eval" / "LOL15" / "high" / path.name)[: rgb.shape[0]] if name == "LOL15" else None
        items.append((path.name, rgb, truth))
    return items


def score_set(methods: dict[str, Method], items: list[tuple[str, np.ndarray, np.ndarray | None]]) -> dict:
    rows: dict[str, dict[str, list[float]]] = {k: {} for k in methods}
    for _, rgb, truth in items:
        for name, method in methods.items():
            out = method(rgb)
            r = rows[name]
            r.setdefault("niqe", []).append(niqe(out))
            r.setdefault("structure", []).append(structure_kept(rgb, out))
            r.setdefault("border", []).append(border_excess(rgb, out))
            r.setdefault("hue", []).append(hue_change(rgb, out))
            r.setdefault("dark_tint", []).append(dark_tint(rgb, out))
            r.setdefault("halo", []).append(halo(rgb, out))
            r.setdefault("luma", []).append(float(luma(out).mean()))  # how bright (0-255)
            if truth is not None:  # PSNR / SSIM over the images that have a truth
                r.setdefault("psnr", []).append(psnr(out, truth))
                r.setdefault("ssim", []).append(ssim(out, truth))
    table = {}
    for name, r in rows.items():
        entry = {"niqe": float(np.mean(r["niqe"])), "structure": float(np.mean(r["structure"])),
                 "structure_min": float(np.min(r["structure"])), "border": float(np.mean(r["border"])),
                 "border_max": float(np.max(r["border"])), "hue": float(np.nanmean(r["hue"])),
                 "dark_tint": float(np.nanmean(r["dark_tint"])), "halo": float(np.mean(r["halo"])),
                 "luma": float(np.mean(r["luma"])), "images": len(items)}
        if "psnr" in r:
            entry |= {"psnr": float(np.mean(r["psnr"])), "ssim": float(np.mean(r["ssim"])), "truths": len(r["psnr"])}
        entry["per_image"] = {k: [float(x) for x in v] for k, v in r.items()}
        table[name] = entry
    return table


def format_table(name: str, table: dict) -> str:
    lol = any("psnr" in v for v in table.values())
    head = "| method | NIQE | structure (worst) | border (worst) | hue deg | dark tint | halo | mean luma |" + (
        " PSNR | SSIM |" if lol else "")
    first = next(iter(table.values()))
    truths = f"; PSNR and SSIM over the {first['truths']} with a truth" if first.get("truths", 0) < first["images"] \
        and lol else ""
    lines = [f"### {name} ({first['images']} images{truths})", "", head,
             "|" + "---|" * (head.count("|") - 1)]
    for method, v in table.items():
        line = (f"| {method} | {v['niqe']:.3f} | {v['structure']:.3f} ({v['structure_min']:.3f}) | "
                f"{v['border']:.2f} ({v['border_max']:.2f}) | {v['hue']:.2f} | {v.get('dark_tint', np.nan):.2f} | "
                f"{v['halo']:.3f} | "
                f"{v.get('luma', float('nan')):.1f} |")
        if lol:
            line += f" {v.get('psnr', float('nan')):.2f} | {v.get('ssim', float('nan')):.3f} |"
        lines.append(line)
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--sets", nargs="+", default=["validation", "Fusion"])
    p.add_argument("--weights", nargs="*", default=None, help="NAME=PATH (weights, checkpoint or run folder)")
    p.add_argument("--margin", type=int, nargs="+", default=[None],
                   help="extra reflection padding of the generators (default: as their weights say); several "
                   "values: one row each")
    p.add_argument("--colour", nargs="+", default=["recorded"],
                   help="each network's colours: recorded (as its weights say), kept (the input's), free (its own); "
                   "several values: one row each")
    p.add_argument("--baselines", nargs="*", default=["input", "gamma", "clahe", "zerodce"])
    p.add_argument("--zerodce", type=Path, default=REPO.parent / "shared" / "baselines" / "zerodce_Epoch99.pth")
    p.add_argument("--limit", type=int, default=None, help="first N images of each set")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--post", nargs="+", default=["none"],
                   help="global curves after each generator, one row each: none, black:P, toe:P:KNEE, stretch:P, "
                   "s:S, sm:S")
    p.add_argument("--detail", type=float, default=STRENGTH,
                   help=f"the product's detail step after each generator at this strength (default {STRENGTH}; 0: off)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)

    methods: dict[str, Method] = {}
    known = {"input": lambda rgb: rgb, "gamma": gamma, "clahe": clahe}
    for name in args.baselines:
        if name == "zerodce":
            if args.zerodce.is_file():
                from zerodce import zerodce_method

                methods["Zero-DCE"] = zerodce_method(args.zerodce)
            else:
                print(f"weights_eval: {args.zerodce} missing, Zero-DCE skipped", file=sys.stderr)
        elif name == "input":  # the input under each --post curve too: what a global tone curve alone scores
            for spec in args.post:
                methods["input" if spec == "none" else f"input, then {spec}"] = post_curve(spec)
        else:
            methods[{"gamma": "gamma 0.45", "clahe": "CLAHE"}.get(name, name)] = known[name]
    pairs = [w.split("=", 1) for w in (args.weights if args.weights is not None else [f"current={default_weights()}"])]
    for name, path in pairs:
        for margin, colour in ((m, c) for m in args.margin for c in args.colour):
            label = name + ("" if len(args.margin) == 1 else f" margin {margin}") + (
                "" if len(args.colour) == 1 else f", colour {colour}")
            network = load_any_generator(Path(path), margin=margin, colour=colour)
            method = with_detail(generator_method(network), args.detail)
            for spec in args.post:
                curve = post_curve(spec)
                methods[label if spec == "none" else f"{label}, then {spec}"] = (
                    lambda rgb, method=method, curve=curve: curve(method(rgb)))

    results = {"sets": {}, "weights": dict(pairs), "margin": args.margin, "colour": args.colour, "post": args.post,
               "detail": args.detail}
    for set_name in args.sets:
        items = set_items(args.data, set_name)
        items = items[: args.limit] if args.limit else items
        start = time.perf_counter()
        table = score_set(methods, items)
        results["sets"][set_name] = table
        print(format_table(set_name, table) + f"\n\n({time.perf_counter() - start:.0f} s)\n", flush=True)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
