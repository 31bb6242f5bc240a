"""The ``Backend`` protocol and the registry that ``create_backend``, the one factory, looks in.

A backend owns a device and runs a network: it takes frames (B, 3, H, W) float RGB in [-1, 1] and
attention (B, 1, H, W) in [0, 1], both on its device, and returns enhanced frames (B, 3, H, W)
float32 on the same device, not clamped. Each runtime has its own frozen options dataclass (device
and what that runtime can do, checked when the options are made); the registry maps the options'
class to the runtime's constructor, so no runtime sees another's options.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from enlight.errors import EnlightError


@runtime_checkable
class Backend(Protocol):
    name: str
    device: torch.device

    def __call__(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor: ...


# network: the model (torch module), or a serialised ONNX model of it (e.g. int8-quantised)
BackendFactory = Callable[[nn.Module | bytes, object], Backend]
# On a CPU, ONNX Runtime ran the full generator faster than PyTorch on this project's 2-core
# machine (docs/benchmarks.md), so auto prefers it there when it is installed.
CPU_PREFERENCE = ("onnxruntime", "torch")
_REGISTRY: dict[str, tuple[type, BackendFactory]] = {}


def register_backend(name: str, options_type: type, factory: BackendFactory) -> None:
    _REGISTRY[name] = (options_type, factory)


def _load_builtin() -> None:
    # importing registers them; the heavy runtimes are imported only when a backend is built
    from enlight.stream.backends import onnxruntime as _ort  # noqa: F401
    from enlight.stream.backends import tensorrt as _trt  # noqa: F401
    from enlight.stream.backends import torch as _torch  # noqa: F401


def available_backends() -> list[str]:
    _load_builtin()
    return ["auto", *sorted(_REGISTRY)]


def auto_backend(device: torch.device) -> str:
    """TensorRT when usable on a CUDA device, else PyTorch there; on a CPU the faster of ONNX Runtime and PyTorch."""
    if device.type == "cuda":
        from enlight.stream.backends.tensorrt import tensorrt_available

        return "tensorrt" if tensorrt_available() else "torch"
    for name in CPU_PREFERENCE:
        if name == "torch" or importlib.util.find_spec(name) is not None:
            return name
    return "torch"


def runtime_name(options: object) -> str:
    """The registered runtime whose options ``options`` are."""
    _load_builtin()
    for name, (options_type, _) in _REGISTRY.items():
        if type(options) is options_type:
            return name
    raise EnlightError(f"no backend takes options of type {type(options).__name__}")


def create_backend(options: object, network: nn.Module | bytes) -> Backend:
    """A ready backend: the runtime whose options ``options`` are, running ``network``."""
    _load_builtin()
    return _REGISTRY[runtime_name(options)][1](network, options)
