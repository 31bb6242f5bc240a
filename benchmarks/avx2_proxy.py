"""This CPU without AVX-512 (issue 17's AVX2 laptop, as near as one machine gets): every library of the
pipeline held to its AVX2 code, in a child process's environment.

    python benchmarks/avx2_proxy.py check                 # what each library runs, default against proxy
    python benchmarks/avx2_proxy.py run -- CMD [ARG ...]  # CMD under the proxy (e.g. enlight-video ...)

What holds each library to AVX2 (all in the child's environment; nothing installed changes):

- torch: ``ATEN_CPU_CAPABILITY=avx2`` (ATen's kernels) and ``ONEDNN_MAX_CPU_ISA=AVX2`` (oneDNN's).
- numpy: ``NPY_DISABLE_CPU_FEATURES`` (its AVX-512 dispatch targets); OpenCV: ``OPENCV_CPU_DISABLE``.
- FFmpeg inside PyAV (decoders, swscale): ``av_force_cpu_flags`` without the AVX-512 flags, called by a
  ``sitecustomize`` in the proxy's folder before anything is decoded.
- libx264: ``x264-params asm=AVX2`` (x264's own names: everything up to AVX2, FMA3 and BMI2), added by
  the same ``sitecustomize`` to the encoder options ``enlight.stream.io.muxer_trials`` sets (its ``QUIET`` table;
  a tree older than that table keeps x264's own detection).
- ONNX Runtime: it has no switch (its issues #7010, #12479). The proxy folder holds a copy of the
  installed package in which two branches are patched: MLAS's platform set-up never takes its AVX-512
  branch (so its AVX2/FMA3 kernels and, for int8, its AVX2 ``vpmaddubsw`` kernels run, as on a CPU
  without AVX-512 VNNI), and ``CPUIDInfo`` reports no AVX-512. Located by their instruction bytes in
  onnxruntime 1.32.0's Linux x86-64 build; another build fails with a message instead of guessing.
- ours: ``ENLIGHT_CPU_FLAGS`` = this CPU's flags without ``avx512*``, ``avx_vnni`` and ``amx*``, so the
  plan chooses as on such a CPU (``balanced``'s float model, the cost table's ``avx2`` row).

What it cannot change: the silicon. Clocks, caches and the width of the execution units stay this CPU's
(on AMD Zen 4 the AVX-512 units are 256 bits wide, so float kernels run at about the same speed either
way; int8 loses VNNI). ``check`` proves each switch took: ATen's capability, numpy's and OpenCV's
dispatch lists, FFmpeg's flags, and an int8 QLinearConv timed in ONNX Runtime with and without the
patch (VNNI against ``vpmaddubsw``). Never asserts on time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

PROXY_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "enlight" / "avx2_proxy"

# (what, bytes before, the bytes to replace, their replacement): each must occur exactly once
_ORT_PATCHES = (
    # MLAS platform set-up: not rax (= ~xcr0); test al, 0xe0 (ZMM state); je <AVX-512 block>  ->  never jump
    ("MLAS AVX-512 branch", b"\x48\xf7\xd0\xa8\xe0", rb"\x0f\x84(....)", b"\x90" * 6),
    # CPUIDInfo: not rax; test al, 0xe6; jne <skip>  ->  always skip (has_avx512 stays false)
    ("CPUIDInfo AVX-512 state", b"\x48\xf7\xd0\xa8\xe6", rb"\x75(.)", None),
)

_SITECUSTOMIZE = '''
"""Written by benchmarks/avx2_proxy.py: FFmpeg and x264 without AVX-512 in this process."""
import ctypes, importlib.abc, importlib.util, os, sys
from pathlib import Path

def _ffmpeg():
    spec = importlib.util.find_spec("av")
    if spec is None or not spec.submodule_search_locations:
        return
    libs = Path(list(spec.submodule_search_locations)[0]).parent / "av.libs"
    for path in sorted(libs.glob("libavutil-*.so*")):
        util = ctypes.CDLL(str(path))
        detected = util.av_get_cpu_flags()
        util.av_force_cpu_flags(detected & ~(0x100000 | 0x200000))  # AV_CPU_FLAG_AVX512, AV_CPU_FLAG_AVX512ICL
        os.environ["ENLIGHT_AVX2_PROXY_FFMPEG_FLAGS"] = f"{detected:#x} -> {util.av_get_cpu_flags():#x}"

class _X264(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in ("enlight.stream.io.sink", "enlight.stream.io.muxer_trials"):
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        sys.meta_path.insert(0, self)
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            table = getattr(module, "QUIET", getattr(module, "_QUIET", None))  # (sink's _QUIET in older trees;
            if table is not None:  # older still have no encoder-option table: x264 detects for itself)
                table["libx264"] = {"x264-params": "asm=AVX2"}
        spec.loader.exec_module = exec_module
        return spec

_ffmpeg()
sys.meta_path.insert(0, _X264())
'''


def _patch_ort(package: Path) -> list[str]:
    """Patch the copied ONNX Runtime extension in ``package``; returns what was patched (one line each)."""
    [module] = list((package / "capi").glob("onnxruntime_pybind11_state*.so"))
    data = bytearray(module.read_bytes())
    done = []
    for what, before, pattern, replacement in _ORT_PATCHES:
        hits = [m for m in re.finditer(re.escape(before) + pattern, data, flags=re.DOTALL)]
        if len(hits) != 1:
            raise SystemExit(f"avx2_proxy: {what}: {len(hits)} matches in {module.name} (expected 1; this "
                             "onnxruntime build is not the one the patch was written for)")
        start = hits[0].start() + len(before)
        if replacement is None:  # jne rel8 -> jmp rel8
            data[start] = 0xEB
        else:
            data[start:start + len(replacement)] = replacement
        done.append(f"{what} at file offset {start:#x}")
    module.write_bytes(bytes(data))
    return done


def prepare(proxy_dir: Path = PROXY_DIR) -> Path:
    """The proxy folder (made once per installed onnxruntime): a patched onnxruntime and the sitecustomize."""
    import onnxruntime

    source = Path(onnxruntime.__file__).parent
    stamp = proxy_dir / f".onnxruntime-{onnxruntime.__version__}"
    if not stamp.exists():
        shutil.rmtree(proxy_dir, ignore_errors=True)
        shutil.copytree(source, proxy_dir / "onnxruntime")
        lines = _patch_ort(proxy_dir / "onnxruntime")
        (proxy_dir / "sitecustomize.py").write_text(textwrap.dedent(_SITECUSTOMIZE).lstrip())
        stamp.write_text("\n".join(lines) + "\n")
    return proxy_dir


def proxy_env(base: dict[str, str] | None = None, proxy_dir: Path = PROXY_DIR) -> dict[str, str]:
    """``base`` (default: this process's environment) with the proxy's settings; PYTHONPATH gets the
    proxy folder first."""
    from enlight.stream.core.cpu_kind import cpu_flags

    env = dict(os.environ if base is None else base)
    folder = prepare(proxy_dir)
    kept = sorted(f for f in cpu_flags() if not f.startswith(("avx512", "amx")) and f != "avx_vnni")
    env.update({
        "PYTHONPATH": os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH", "")) if p),
        "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
        "OPENCV_CPU_DISABLE": "AVX512F,AVX512-SKX",
        "ENLIGHT_CPU_FLAGS": " ".join(kept),
    })
    return env


_CHECK = '''
import os, time, numpy as np
import torch, cv2, onnxruntime as ort
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
from onnx import TensorProto, helper, numpy_helper
import enlight.stream.io.muxer_trials as trials
from enlight.stream.core.cpu_kind import cpu_flags, cpu_kind
import av  # noqa: F401  (its libavutil holds the flags)
print("torch ATen:", torch.backends.cpu.get_cpu_capability())
print("numpy dispatch targets on:", " ".join(d for d in __cpu_dispatch__ if __cpu_features__.get(d)))
print("OpenCV:", cv2.getCPUFeaturesLine(), "('?' = switched off)")
print("FFmpeg flags:", os.environ.get("ENLIGHT_AVX2_PROXY_FFMPEG_FLAGS", "detected, not forced"),
      "(AVX512 = 0x100000, AVX512ICL = 0x200000)")
print("x264 options:", trials.QUIET.get("libx264", "x264's own detection"))
print("enlight cpu kind:", cpu_kind(cpu_flags()))
print("onnxruntime:", ort.__file__)
w = numpy_helper.from_array(np.random.default_rng(0).integers(-100, 100, (64, 64, 3, 3)).astype(np.int8), "W")
scalars = [numpy_helper.from_array(np.array(v, dtype=t), n) for n, v, t in (
    ("xs", 0.02, np.float32), ("xz", 128, np.uint8), ("ws", 0.01, np.float32), ("wz", 0, np.int8),
    ("ys", 0.05, np.float32), ("yz", 128, np.uint8))]
node = helper.make_node("QLinearConv", ["x", "xs", "xz", "W", "ws", "wz", "ys", "yz"], ["y"], pads=[1, 1, 1, 1])
graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 64, 135, 240])],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, None)], [w, *scalars])
options = ort.SessionOptions()
options.intra_op_num_threads = 1
session = ort.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
                               .SerializeToString(), options, providers=["CPUExecutionProvider"])
x = np.random.default_rng(1).integers(0, 255, (1, 64, 135, 240)).astype(np.uint8)
session.run(None, {"x": x})
times = []
for _ in range(9):
    start = time.perf_counter(); session.run(None, {"x": x}); times.append(time.perf_counter() - start)
print(f"int8 QLinearConv 64->64 3x3 at 240x135, one thread: {sorted(times)[4] * 1e3:.1f} ms (median of 9)")
'''


def check() -> int:
    """Run the same probe in a default child and a proxy child, and print both."""
    from enlight.stream.apps.bench import machine_info, machine_line

    print(machine_line(machine_info(__import__("torch").device("cpu"))))
    for name, env in (("default", dict(os.environ)), ("AVX2 proxy", proxy_env())):
        print(f"\n== {name}")
        sys.stdout.flush()
        subprocess.run([sys.executable, "-c", _CHECK], env=env, check=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("check", "run"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.action == "check":
        return check()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command after --")
    env = proxy_env()
    print(f"avx2_proxy: {' '.join(command)} with torch, numpy, OpenCV, FFmpeg, x264 and ONNX Runtime held to AVX2 "
          "(a CPU line a child prints lists this CPU's own flags, then 'torch held to AVX2')",
          file=sys.stderr, flush=True)
    return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
