"""RetinexNet vs EnlightenGAN on LOL15 (PSNR/SSIM against the ground truth) and decomposition pictures.

Each model enhances the 15 ``low_crop600x396`` images through the product's path (the Enhancer,
smoothing off, ONNX Runtime on a CPU); outputs are compared with the top 396 rows of ``high/``.
The figure shows, for two images: input, reflectance R, illumination I, the new illumination
from Enhance-Net, the output, and the ground truth.

    python benchmarks/retinexnet_eval.py [--data ../shared/data] [--json docs/img/retinexnet_lol15.json]
        [--png docs/img/retinexnet_decomposition.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from enhancement_eval import still_enhancer  # benchmarks/ is on sys.path when this file runs
from PIL import Image

from enlight.models.zoo import default_model_weights, load_model, load_retinexnet
from enlight.quality.paired import psnr, ssim
from enlight.train.data import load_rgb

ROOT = Path(__file__).resolve().parents[1]


def lol15(data: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, low (396, 600, 3), high cropped to the same rows) for the 15 LOL eval images."""
    folder = data / "eval" / "LOL15"
    pairs = []
    for low in sorted((folder / "low_crop600x396").iterdir()):
        image = load_rgb(low)
        pairs.append((low.stem, image, load_rgb(folder / "high" / low.name)[: image.shape[0]]))
    return pairs


def enhance_all(model: str, images: list[np.ndarray]) -> tuple[list[np.ndarray], float]:
    enhancer = still_enhancer(load_model(model))
    start = time.perf_counter()
    out = [enhancer(image[None])[0] for image in images]
    return out, (time.perf_counter() - start) / len(images)


def decomposition_rows(images: list[tuple[np.ndarray, np.ndarray]]) -> Image.Image:
    net = load_retinexnet(default_model_weights("retinexnet"))
    rows = []
    for low, high in images:
        x = torch.from_numpy(low).permute(2, 0, 1)[None].float() / 255
        with torch.no_grad():
            r, i = net.decom(x)
            i_new = net.enhance(r, i)
            out = (r * i_new).clamp(0, 1)
        tiles = [x, r, i.expand(-1, 3, -1, -1), (i_new / i_new.max()).expand(-1, 3, -1, -1), out]
        tiles = [(t[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8) for t in tiles] + [high]
        rows.append(np.concatenate([np.pad(t, ((4, 4), (4, 4), (0, 0)), constant_values=255) for t in tiles], 1))
    image = Image.fromarray(np.concatenate(rows, 0))
    return image.resize((image.width // 2, image.height // 2), Image.LANCZOS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--png", type=Path, default=None)
    args = parser.parse_args()
    pairs = lol15(args.data)
    names, lows, highs = zip(*pairs, strict=True)
    results = {"input": {"psnr": [psnr(lo, hi) for lo, hi in zip(lows, highs, strict=True)],
                         "ssim": [ssim(lo, hi) for lo, hi in zip(lows, highs, strict=True)], "s_per_image": 0.0}}
    for model in ("enlightengan", "retinexnet"):
        outputs, seconds = enhance_all(model, list(lows))
        results[model] = {"psnr": [psnr(o, hi) for o, hi in zip(outputs, highs, strict=True)],
                          "ssim": [ssim(o, hi) for o, hi in zip(outputs, highs, strict=True)], "s_per_image": seconds}
    print("| LOL15 (15 images, 600x396) | PSNR dB | SSIM | s / image (CPU) |")
    print("|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {np.mean(r['psnr']):.2f} | {np.mean(r['ssim']):.3f} | {r['s_per_image']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"images": list(names), **results}, indent=1))
    if args.png:
        chosen = [pairs[i] for i in (0, len(pairs) // 2)]
        decomposition_rows([(lo, hi) for _, lo, hi in chosen]).save(args.png)
        print(f"decomposition of {', '.join(n for n, _, _ in chosen)} -> {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
