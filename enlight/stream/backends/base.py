"""The ``Backend`` protocol and the registry that ``create_backend`` looks names up in.

A backend owns a device and runs the generator: it takes frames (B, 3, H, W) float RGB in
[-1, 1] and attention (B, 1, H, W) in [0, 1], both on its device, and returns enhanced frames
(B, 3, H, W) float32 on the same device, not clamped.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch

from enlight.errors import EnlightError
from enlight.models.generator import EnlightenGANGenerator


@runtime_checkable
class Backend(Protocol):
    name: str
    device: torch.device

    def __call__(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor: ...


@dataclass(frozen=True)
class BackendOptions:
    """precision: auto (fp16 on CUDA, fp32 on the CPU), fp32 or fp16; cuda_graphs and compile are
    PyTorch-on-CUDA options (replay captured graphs; torch.compile the generator)."""

    precision: str = "auto"
    cuda_graphs: bool = False
    compile: bool = False


# name -> factory(generator, device, options) -> Backend; modules register themselves on import
BackendFactory = Callable[[EnlightenGANGenerator, torch.device, BackendOptions], Backend]
# On a CPU, ONNX Runtime ran the full generator faster than PyTorch on this project's 2-core
# machine (docs/benchmarks.md), so auto prefers it there when it is installed.
CPU_PREFERENCE = ("onnxruntime", "torch")
_REGISTRY: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    _REGISTRY[name] = factory


def _load_builtin() -> None:
    # importing registers them; the heavy runtimes are imported only when a backend is built
    from enlight.stream.backends import onnxruntime as _ort  # noqa: F401
    from enlight.stream.backends import tensorrt as _trt  # noqa: F401
    from enlight.stream.backends import torch as _torch  # noqa: F401


def available_backends() -> list[str]:
    _load_builtin()
    return ["auto", *sorted(_REGISTRY)]


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' -> cuda when available, else cpu; 'cpu', 'cuda', 'cuda:N' checked against this machine."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise EnlightError(f"unknown device '{name}' (use auto, cpu, cuda or cuda:N)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise EnlightError(f"--device {name}: no CUDA GPU is visible to PyTorch on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise EnlightError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) here")
    elif device.type != "cpu":
        raise EnlightError(f"unsupported device '{name}' (use auto, cpu, cuda or cuda:N)")
    return device


def auto_backend(device: torch.device) -> str:
    """TensorRT when usable on a CUDA device, else PyTorch there; on a CPU the faster of ONNX Runtime and PyTorch."""
    if device.type == "cuda":
        from enlight.stream.backends.tensorrt import tensorrt_available

        return "tensorrt" if tensorrt_available() else "torch"
    for name in CPU_PREFERENCE:
        if name == "torch" or importlib.util.find_spec(name) is not None:
            return name
    return "torch"


def create_backend(
    name: str,
    generator: EnlightenGANGenerator,
    *,
    device: str = "auto",
    precision: str = "auto",
    cuda_graphs: bool = False,
    compile: bool = False,
) -> Backend:
    """A ready backend. name: 'auto' or a registered name; precision: 'auto', 'fp32' or 'fp16'."""
    _load_builtin()
    if precision not in ("auto", "fp32", "fp16"):
        raise EnlightError(f"unknown precision '{precision}' (use auto, fp32 or fp16)")
    resolved = resolve_device(device)
    if name == "auto":
        name = auto_backend(resolved)
    factory = _REGISTRY.get(name)
    if factory is None:
        raise EnlightError(f"unknown backend '{name}' (available: {', '.join(available_backends())})")
    if (cuda_graphs or compile) and (name != "torch" or resolved.type != "cuda"):
        raise EnlightError("--cuda-graphs and --compile are for the torch backend on a CUDA device")
    return factory(generator, resolved, BackendOptions(precision=precision, cuda_graphs=cuda_graphs, compile=compile))
