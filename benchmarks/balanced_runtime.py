"""balanced's runtime: the full generator, the base-16 student in float and the student in int8, model
only (one 854x480 frame already in memory, median of the timed calls), per runtime, and ONNX Runtime's
own per-operator split (its profiler) of where the time goes.

    quiet python benchmarks/balanced_runtime.py --json docs/img/balanced_runtime_cpu.json
    quiet env ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/balanced_runtime.py --runtimes torch
    python benchmarks/avx2_proxy.py run -- python benchmarks/balanced_runtime.py --runtimes onnxruntime

ONEDNN_MAX_CPU_ISA=AVX2 holds torch's oneDNN convolutions to AVX2 (ONNX Runtime's MLAS has no such
switch), so the torch rows under it stand for an AVX2 CPU; under benchmarks/avx2_proxy.py the ONNX Runtime
rows run MLAS's AVX2 kernels too (int8 without VNNI). Never asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(run, repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def op_split(model_bytes: bytes, feeds: dict, runs: int) -> dict[str, float]:
    """Milliseconds per run by ONNX operator type, from ORT's profiler."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.enable_profiling = True
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.profile_file_prefix = "/tmp/enlight_ort_profile"
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    session.run(None, feeds)
    for _ in range(runs):
        session.run(None, feeds)
    profile = json.loads(Path(session.end_profiling()).read_text())
    totals: dict[str, float] = {}
    for event in profile:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            op = event["args"]["op_name"]
            totals[op] = totals.get(op, 0.0) + event["dur"] / 1000 / (runs + 1)
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def main() -> None:
    sys.path.insert(0, str(REPO))
    import torch

    from enlight.models.bundled import WEIGHTS_DIR
    from enlight.models.onnx_export import export_onnx_bytes
    from enlight.models.onnx_graph import INPUT_NAMES
    from enlight.models.weights import load_generator
    from enlight.ops.luma import attention_map
    from enlight.stream.apps.bench import cpu_info, machine_line

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runtimes", default="torch,onnxruntime")
    parser.add_argument("--profile", action="store_true", help="ORT's per-operator split too")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    machine = {**cpu_info(), "cores": os.cpu_count(), "cpu": os.uname().machine,
               "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA"),
               "torch_cpu_capability": torch.backends.cpu.get_cpu_capability()}
    print(machine_line(machine), f"ONEDNN_MAX_CPU_ISA={machine['onednn_max_cpu_isa']}")
    frames = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0)) * 0.4 - 1
    attention = attention_map(frames)
    feeds = {INPUT_NAMES[0]: frames.numpy(), INPUT_NAMES[1]: attention.numpy()}
    networks = {"best (base 32)": load_generator(WEIGHTS_DIR / "enlightengan.safetensors"),
                "balanced float (base 16)": load_generator(WEIGHTS_DIR / "enlightengan_c16.safetensors"),
                "balanced float (base 12)": load_generator(WEIGHTS_DIR / "enlightengan_c12.safetensors")}
    rows = []
    for runtime in args.runtimes.split(","):
        cases = dict(networks)
        if runtime == "onnxruntime":
            cases = {name: export_onnx_bytes(net) for name, net in networks.items()}
            cases["balanced int8 (base 16)"] = (WEIGHTS_DIR / "enlightengan_c16_int8.onnx").read_bytes()
        for name, model in cases.items():
            if runtime == "torch":
                with torch.inference_mode():
                    seconds = timed(lambda m=model: m(frames, attention), args.repeats)
                split = {}
            else:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
                seconds = timed(lambda s=session: s.run(None, feeds), args.repeats)
                split = op_split(model, feeds, 1) if args.profile else {}
            rows.append({"runtime": runtime, "model": name, "ms": 1000 * seconds, "ops_ms": split})
            top = ", ".join(f"{op} {ms:.0f}" for op, ms in list(split.items())[:5])
            print(f"{runtime} {name}: {1000 * seconds:.0f} ms" + (f" (by operator, ms: {top})" if top else ""),
                  flush=True)
    print(f"\n| runtime | model | ms per {width}x{height} frame | best / this |\n|---|---|---|---|")
    for r in rows:
        best = next(b["ms"] for b in rows if b["runtime"] == r["runtime"] and b["model"].startswith("best"))
        print(f"| {r['runtime']} | {r['model']} | {r['ms']:.0f} | {best / r['ms']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "size": [width, height], "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
