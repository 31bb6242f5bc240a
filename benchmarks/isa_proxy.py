"""What AVX-512 buys a network on this CPU (issue 17's AVX2 case): torch's oneDNN at its default ISA and
held to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``), the same weights and inputs, in alternating processes.

    python benchmarks/isa_proxy.py [--weights enlightengan_c8_s4.safetensors] [--sizes 213x120 480x270]
        [--processes 3] [--calls 7] [--json FILE]

ONNX Runtime (what the presets run on a CPU) has no switch that holds MLAS to AVX2, so oneDNN's two
kernel sets on one machine stand in for "the same CPU without AVX-512". One thread, float32, eval mode,
median of ``--calls`` timed calls after a warm-up, per process. Prints the CPU line first. Never
asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def measure(weights: str, sizes: list[str], calls: int) -> dict[str, float]:
    """Median ms per call of the generator ``weights`` (a file in enlight/models/weights) at each WxH."""
    import torch

    from enlight.models.bundled import WEIGHTS_DIR
    from enlight.models.weights import load_generator
    from enlight.ops.luma import attention_map

    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    generator = load_generator(WEIGHTS_DIR / weights).float().eval()
    out = {}
    for size in sizes:
        width, height = (int(v) for v in size.split("x"))
        frames = torch.rand(1, 3, height, width) * 0.5 - 1
        attention = attention_map(frames)
        with torch.inference_mode():
            generator(frames, attention)
            times = []
            for _ in range(calls):
                start = time.perf_counter()
                generator(frames, attention)
                times.append(time.perf_counter() - start)
        out[size] = statistics.median(times) * 1000
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", default="enlightengan_c8_s4.safetensors")
    parser.add_argument("--sizes", nargs="+", default=["213x120", "480x270"])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--calls", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.weights, args.sizes, args.calls)))
        return 0

    import torch

    from enlight.stream.apps.bench import machine_info, machine_line

    machine = machine_info(torch.device("cpu"))
    print(machine_line(machine), flush=True)
    rows = []
    for _ in range(args.processes):
        for isa in ("default", "AVX2"):
            env = dict(os.environ)
            env.pop("ONEDNN_MAX_CPU_ISA", None)
            if isa != "default":
                env["ONEDNN_MAX_CPU_ISA"] = isa
            command = [sys.executable, __file__, "--child", "--weights", args.weights, "--calls", str(args.calls),
                       "--sizes", *args.sizes]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            ms = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"isa": isa, "ms": ms, "load": os.getloadavg()[0]})
            print(f"{isa:8s} " + "  ".join(f"{k}: {v:.1f} ms" for k, v in ms.items()), flush=True)
    for isa in ("default", "AVX2"):
        mine = [r["ms"] for r in rows if r["isa"] == isa]
        print(f"median {isa:8s} " + "  ".join(f"{s}: {statistics.median(m[s] for m in mine):.1f} ms"
                                              for s in args.sizes))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "weights": args.weights, "runs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
