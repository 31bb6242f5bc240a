"""The ``Backend`` protocol and the registry that ``create_backend``, the one factory, looks in.

A backend owns a device and runs a network: it takes frames (B, 3, H, W) float RGB in [-1, 1] and
attention (B, 1, H, W) in [0, 1], both on its device, and returns enhanced frames (B, 3, H, W)
float32 on the same device, not clamped: torch tensors, or, for a backend on the CPU, numpy arrays
(what the CPU forms of the stages, ``enlight.stream.core.cpu``, hand it; the same kind comes back).
Each runtime has its own frozen options dataclass (``enlight.stream.backends.options``: device and what
that runtime can do, checked when the options are made); the registry maps the options' class to the
runtime's module, imported only when its backend is built, so no runtime sees another's options and a
plan is made without importing torch or any runtime.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from enlight.errors import EnlightError
from enlight.ops.device import Device
from enlight.stream.backends.options import OnnxRuntimeConfig, TensorRTConfig, TorchBackendConfig


@runtime_checkable
class Backend(Protocol):
    name: str
    device: Device

    def __call__(self, frames: Any, attention: Any) -> Any: ...


# network: the model (a torch module), or a serialised ONNX model of it (e.g. int8-quantised)
BackendFactory = Callable[[Any, object], Backend]
# On a CPU, ONNX Runtime ran the full generator faster than PyTorch on this project's 2-core
# machine (docs/benchmarks.md), so auto prefers it there when it is installed.
CPU_PREFERENCE = ("onnxruntime", "torch")
# runtime -> (its options' class, the module that registers its factory when imported)
RUNTIMES: dict[str, tuple[type, str]] = {
    "onnxruntime": (OnnxRuntimeConfig, "enlight.stream.backends.onnxruntime"),
    "tensorrt": (TensorRTConfig, "enlight.stream.backends.tensorrt"),
    "torch": (TorchBackendConfig, "enlight.stream.backends.torch"),
}
_FACTORIES: dict[str, BackendFactory] = {}


def register_backend(name: str, options_type: type, factory: BackendFactory) -> None:
    if RUNTIMES.get(name, (None,))[0] is not options_type:
        raise EnlightError(f"backend {name} must be listed in RUNTIMES with options {options_type.__name__}")
    _FACTORIES[name] = factory


def available_backends() -> list[str]:
    return ["auto", *sorted(RUNTIMES)]


def auto_backend(device: Device) -> str:
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
    for name, (options_type, _) in RUNTIMES.items():
        if type(options) is options_type:
            return name
    raise EnlightError(f"no backend takes options of type {type(options).__name__}")


def create_backend(options: object, network: Any) -> Backend:
    """A ready backend: the runtime whose options ``options`` are, running ``network`` (a torch module or
    serialised ONNX bytes); the runtime's module is imported here."""
    name = runtime_name(options)
    importlib.import_module(RUNTIMES[name][1])
    return _FACTORIES[name](network, options)
