"""Model-only speed and correctness of the PyTorch CUDA backend, on a GPU machine without PyAV.

For each generator (the bundled full one, and any students named) and each precision variant
(fp32, fp16, fp16 + CUDA graphs, fp16 + torch.compile): the max abs difference from fp32 on a
fixed batch, then fps at each size and batch (median of ``--repeats`` synchronised calls).
Prints a markdown table, writes JSON.

    python benchmarks/gpu_speed.py --json OUT.json [--weights a.safetensors b.safetensors]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from enlight.models.bundled import default_weights
from enlight.models.weights import load_generator
from enlight.ops.luma import attention_map
from enlight.stream.apps.bench import machine_info, time_model
from enlight.stream.backends.base import create_backend
from enlight.stream.backends.torch import TorchBackendConfig

VARIANTS = {"fp32": {"precision": "fp32"}, "fp16": {"precision": "fp16"},
            "fp16+graphs": {"precision": "fp16", "cuda_graphs": True},
            "fp16+compile": {"precision": "fp16", "compile": True}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, nargs="*", default=[])
    parser.add_argument("--sizes", default="1280x720,1920x1080")
    parser.add_argument("--batches", default="1,4,8")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    device = torch.device("cuda")
    rows = []
    g = torch.Generator().manual_seed(0)
    check = (torch.rand(2, 3, 368, 640, generator=g) * 0.5 - 1).to(device)
    check_att = attention_map(check)
    for path in [default_weights(), *args.weights]:
        generator = load_generator(path)
        reference = None
        for name in args.variants.split(","):
            t0 = time.perf_counter()
            try:
                backend = create_backend(TorchBackendConfig(device=device, **VARIANTS[name]), generator)
                out = backend(check, check_att).float()
                if reference is None:
                    reference = out.clone()
                diff = float((out - reference).abs().max())
                for size in sizes:
                    for batch in batches:
                        result = time_model(backend, batch, size, args.repeats)
                        rows.append({"weights": path.name, "base_channels": generator.base_channels,
                                     "variant": name, "max_abs_diff_vs_fp32": diff, **result})
                        print(f"| {path.name} | {name} | {size[0]}x{size[1]} | {batch} | {result['fps']:.1f} | "
                              f"{diff:.2e} |", flush=True)
            except Exception as exc:  # report and go on: one broken variant must not lose the others
                rows.append({"weights": path.name, "variant": name, "error": f"{type(exc).__name__}: {exc}"})
                print(f"| {path.name} | {name} | error: {type(exc).__name__}: {str(exc)[:200]} |", flush=True)
            print(f"  ({name} took {time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
            # written after every variant, so a time-boxed run keeps what it measured
            args.json.write_text(json.dumps({"machine": machine_info(device), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
