"""benchmarks/avx2_proxy.py: the patch finds its two branches or refuses, and a child process under the proxy
runs every library's AVX2 code (real torch, numpy, OpenCV, PyAV and ONNX Runtime; no timing)."""

import platform
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.avx2_proxy import _patch_ort, proxy_env
from enlight.stream.core.cpu_kind import cpu_flags

MLAS = b"\x48\xf7\xd0\xa8\xe0" + b"\x0f\x84\x54\x01\x00\x00"  # not rax; test al, 0xe0; je rel32
CPUID = b"\x48\xf7\xd0\xa8\xe6" + b"\x75\x0c"  # not rax; test al, 0xe6; jne rel8


def _package(tmp_path: Path, body: bytes) -> Path:
    (tmp_path / "capi").mkdir()
    (tmp_path / "capi" / "onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so").write_bytes(body)
    return tmp_path


def test_patch_turns_both_branches(tmp_path):
    body = b"\x00" * 16 + MLAS + b"\xcc" * 8 + CPUID + b"\x00" * 4
    package = _package(tmp_path, body)
    lines = _patch_ort(package)
    [module] = (package / "capi").glob("*.so")
    patched = module.read_bytes()
    assert len(patched) == len(body) and len(lines) == 2
    assert patched[16:21] == MLAS[:5] and patched[21:27] == b"\x90" * 6  # the je is gone
    start = 16 + len(MLAS) + 8
    assert patched[start:start + 5] == CPUID[:5] and patched[start + 5:start + 7] == b"\xeb\x0c"  # jne -> jmp


@pytest.mark.parametrize("body", [b"\x00" * 32, MLAS + MLAS + CPUID])
def test_patch_refuses_another_build(tmp_path, body):
    with pytest.raises(SystemExit, match="not the one the patch was written for"):
        _patch_ort(_package(tmp_path, body))


PROBE = """
import os, torch, cv2, av, onnxruntime
import enlight.stream.io.muxer_trials as trials
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
from enlight.stream.core.cpu_kind import cpu_flags, cpu_kind
print(torch.backends.cpu.get_cpu_capability())
print(" ".join(d for d in __cpu_dispatch__ if __cpu_features__.get(d)))
print(cv2.getCPUFeaturesLine())
print(os.environ["ENLIGHT_AVX2_PROXY_FFMPEG_FLAGS"])
print(trials.QUIET["libx264"]["x264-params"])
print(cpu_kind(cpu_flags()))
print(onnxruntime.__file__)
"""


@pytest.mark.skipif(platform.machine() != "x86_64" or "avx2" not in cpu_flags(), reason="an x86-64 CPU with AVX2")
def test_child_runs_avx2_code(tmp_path):
    try:
        env = proxy_env(proxy_dir=tmp_path / "proxy")
    except SystemExit as error:
        pytest.skip(str(error))  # another onnxruntime build than the one the patch knows
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    aten, numpy_on, opencv, ffmpeg, x264, kind, ort = out.stdout.splitlines()
    assert aten in ("AVX2", "DEFAULT")
    assert "512" not in numpy_on and "V4" not in numpy_on
    assert "*AVX512" not in opencv.replace("AVX512-SKX?", "")  # each AVX-512 feature off ('?') or absent
    assert not int(ffmpeg.split("->")[1], 16) & 0x300000  # AV_CPU_FLAG_AVX512 and AVX512ICL
    assert x264 == "asm=AVX2"
    assert kind == "avx2"
    assert Path(ort).is_relative_to(tmp_path / "proxy")
    stamp = next((tmp_path / "proxy").glob(".onnxruntime-*")).read_text()
    assert "MLAS AVX-512 branch" in stamp and "CPUIDInfo" in stamp
