"""Bright saturated colours (a blue LED, a police light, neon) through every preset, and what the luma floor of
``enlight.ops.hue.keep_hue`` changes on natural pictures.

    python benchmarks/saturated.py [--data ../shared/data] [--json docs/img/saturated.json]

1. Bars of one colour each (64x32 pixels, the centre measured) through each preset as a run makes it (ONNX
   Runtime, smoothing off): the colour's strongest channel in and out. An enhancer of dark pictures should never
   return such a colour darker than it got it.
2. The full network in PyTorch, its output in the input's colours two ways: as ``keep_hue`` does now (the output's
   luma with its channels held at black from below, and never under the input's luma), and as it did before (the
   raw output's luma). On the 40 validation shots (choosing set), Fusion, and a frame 2 s into each real night clip
   (all at most 640 pixels wide, every n-th pixel): the share of pixels whose output luma falls more than 2 levels
   under the input's in the former form, and the share that the change moves by more than 1 level.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import av
import numpy as np
import torch

from enlight.models.bundled import WEIGHTS_DIR
from enlight.models.weights import load_generator
from enlight.ops.hue import chromaticity, keep_hue
from enlight.ops.luma import attention_map, luma
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import build_backend, make_plan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.train.data import list_images, load_rgb, validation_split

REPO = Path(__file__).resolve().parents[1]
BARS = [(0, 0, 130), (0, 0, 170), (0, 0, 200), (0, 0, 255), (60, 0, 230), (0, 60, 230), (230, 0, 230),
        (200, 0, 0), (0, 200, 0), (255, 128, 0)]
PRESETS = {"best": dict(quality="best"), "balanced (int8)": dict(quality="balanced"),
           "balanced (fp32)": dict(quality="balanced", precision="fp32"), "fast": dict(quality="fast")}


def bars() -> np.ndarray:
    """(1, 64, 32 * len(BARS), 3) uint8: one bar of each colour."""
    frames = np.zeros((1, 64, 32 * len(BARS), 3), np.uint8)
    for i, colour in enumerate(BARS):
        frames[0, :, 32 * i:32 * (i + 1)] = colour
    return frames


def bar_values(out: np.ndarray) -> list[int]:
    """Each bar's strongest input channel at its centre, from (1, 64, W, 3) uint8."""
    return [int(round(out[0, 24:40, 32 * i + 12:32 * i + 20, int(np.argmax(c))].mean())) for i, c in enumerate(BARS)]


def through_presets() -> dict:
    rows = {"in": bar_values(bars())}
    for label, choices in PRESETS.items():
        plan = make_plan(device="cpu", backend="onnxruntime", smoothing=SmoothingConfig(strength=0.0), **choices)
        rows[label] = bar_values(Enhancer.from_plan(plan, build_backend(plan))(bars()))
    print("strongest channel of each bar, in and out (smoothing off):")
    print("  " + " | ".join(["preset", *(str(c) for c in BARS)]))
    for label, values in rows.items():
        print("  " + " | ".join([label, *map(str, values)]))
    return rows


def two_forms(network, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input luma, former output luma, output now), 0-255 float, of one (H, W, 3) uint8 picture."""
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        raw = network(x, attention_map(x))
    former = (luma(raw) * chromaticity(x) * 2 - 1).clamp(-1, 1)
    now = keep_hue(raw, x).clamp(-1, 1)
    change = ((now - former) * 127.5).abs().amax(1)[0].numpy()  # in levels
    return (luma(x) * 255)[0, 0].numpy(), (luma(former) * 255)[0, 0].numpy(), change


def pictures(data: Path) -> dict[str, list[np.ndarray]]:
    small = lambda rgb: rgb[::max(1, -(-rgb.shape[1] // 640)), ::max(1, -(-rgb.shape[1] // 640))]  # noqa: E731
    sets = {"validation": [small(load_rgb(p)) for p in validation_split(list_images(data / "train" / "low"), 40)[1]],
            "Fusion": [small(load_rgb(p)) for p in sorted((data / "eval" / "Fusion").iterdir())]}
    clips = []
    for path in sorted((data / "video" / "real_night").glob("*.mp4")):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                if frame.time is not None and frame.time >= 2:
                    clips.append(small(frame.to_ndarray(format="rgb24")))
                    break
    sets["real night clips"] = clips
    return sets


def on_pictures(data: Path) -> dict:
    network = load_generator(WEIGHTS_DIR / "enlightengan.safetensors").float().eval()
    network.keep_hue = False
    rows = {}
    print("the full network, former form against now (share of pixels):")
    for name, images in pictures(data).items():
        darker = moved = count = 0.0
        for rgb in images:
            y_in, y_former, change = two_forms(network, rgb)
            darker += float((y_former < y_in - 2).sum())
            moved += float((change > 1).sum())
            count += y_in.size
        rows[name] = {"images": len(images), "darker than the input before": darker / count,
                      "moved by the change": moved / count}
        print(f"  {name} ({len(images)}): luma more than 2 levels under the input's before "
              f"{100 * darker / count:.3f}%, moved more than 1 level {100 * moved / count:.3f}%")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, default=REPO / "docs" / "img" / "saturated.json")
    args = parser.parse_args()
    result = {"machine": platform.processor() or platform.machine(), "bars": through_presets()}
    if (args.data / "train" / "low").is_dir():
        result["pictures"] = on_pictures(args.data)
    else:
        print(f"no data at {args.data}: the natural pictures skipped")
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
