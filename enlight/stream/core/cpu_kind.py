"""What the CPU can do that decides the speed of the presets, read from /proc/cpuinfo (torch-free).

The int8 ``balanced`` model runs well only where the CPU has int8 dot products: AVX-512 VNNI,
AVX-VNNI, AMX (x86) or the dot-product extension (ARM). Elsewhere ONNX Runtime computes u8 x s8
products with ``vpmaddubsw``, whose 16-bit sums can saturate (OpenVINO's "saturation issue" page
describes the same for every runtime) and which gains little: 567 against 680 ms per 854x480 frame
for the float student on the AVX2 machine of issue 17. There ``balanced`` runs the float student.

``ENLIGHT_CPU_FLAGS`` (space- or comma-separated flags, e.g. ``"avx2 fma"``) replaces the flags read
from /proc/cpuinfo: for tests, and to try the other choice on one machine.
"""

from __future__ import annotations

import os
from pathlib import Path

FLAGS_ENV = "ENLIGHT_CPU_FLAGS"
INT8_DOT = ("avx512_vnni", "avx_vnni", "amx_int8", "asimddp")  # int8 dot-product instructions


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The CPU's flags: ``$ENLIGHT_CPU_FLAGS`` when set, else the first 'flags' (x86) or 'Features'
    (ARM) line of /proc/cpuinfo (or of ``cpuinfo``); empty where neither is readable."""
    override = os.environ.get(FLAGS_ENV)
    if override is not None and cpuinfo is None:
        return frozenset(override.replace(",", " ").split())
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("flags", "features"):
            return frozenset(value.split())
    return frozenset()


def has_int8_dot(flags: frozenset[str]) -> bool:
    """Whether the CPU has int8 dot-product instructions (``INT8_DOT``)."""
    return any(flag in flags for flag in INT8_DOT)


def cpu_kind(flags: frozenset[str]) -> str:
    """The CPU's class for speed: 'amx', 'avx512_vnni', 'avx_vnni', 'avx512', 'avx2', 'arm_dot' or 'other'."""
    for kind, flag in (("amx", "amx_int8"), ("avx512_vnni", "avx512_vnni"), ("avx_vnni", "avx_vnni"),
                       ("avx512", "avx512f"), ("avx2", "avx2"), ("arm_dot", "asimddp")):
        if flag in flags:
            return kind
    return "other"


# what each ``cpu_kind`` says of the CPU, in a sentence's words ('this CPU has AMX')
KIND_WORDS = {"amx": "has AMX", "avx512_vnni": "has AVX-512 VNNI", "avx_vnni": "has AVX-VNNI",
              "avx512": "has AVX-512 without VNNI", "avx2": "has AVX2 (no AVX-512, no VNNI)",
              "arm_dot": "is an ARM CPU with int8 dot products", "other": "has neither AVX2 nor int8 dot products"}


def balanced_runtime(flags: frozenset[str]) -> str:
    """How ``--quality balanced`` runs with ONNX Runtime on this CPU: 'int8' with int8 dot products, else 'float'."""
    return "int8" if has_int8_dot(flags) else "float"


__all__ = ["FLAGS_ENV", "INT8_DOT", "KIND_WORDS", "balanced_runtime", "cpu_flags", "cpu_kind", "has_int8_dot"]
