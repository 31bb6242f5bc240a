"""Each runtime's frozen options (they hold the device and what that runtime can do, checked when they are made),
importable without torch or any runtime: a plan names them before its backend is built (``base.create_backend``
imports the runtime's module then)."""

from __future__ import annotations

from dataclasses import dataclass

from enlight.errors import EnlightError
from enlight.ops.device import Device


@dataclass(frozen=True)
class TorchBackendConfig:
    """device: a resolved device (``enlight.ops.device.Device``; a ``torch.device`` reads the same); precision
    'auto' = fp16 on CUDA, fp32 on the CPU."""

    device: Device
    precision: str = "auto"
    channels_last: bool = True
    cuda_graphs: bool = False
    compile: bool = False

    @property
    def half(self) -> bool:
        """Whether the network runs in fp16 (the backend's dtype)."""
        return self.precision == "fp16" or (self.precision == "auto" and self.device.type == "cuda")

    def __post_init__(self) -> None:
        if self.precision not in ("auto", "fp32", "fp16"):
            raise EnlightError(f"unknown precision '{self.precision}' (use auto, fp32 or fp16)")
        if self.half and self.device.type == "cpu":
            raise EnlightError("fp16 is for CUDA devices; use --precision fp32 on the CPU")
        if (self.cuda_graphs or self.compile) and self.device.type != "cuda":
            raise EnlightError("--cuda-graphs and --compile are for the torch backend on a CUDA device")


@dataclass(frozen=True)
class OnnxRuntimeConfig:
    """device: where frames live; threads 0 = ORT's default (all cores); int8: the model it runs is an
    int8-quantised one (named so in the summary). ORT runs fp32 (fp16 comes from its TensorRT provider).
    memory_pattern: ORT's planned block per input shape, allocated on top of its arena from the second run on
    (the full generator at 1920x1080 on a CPU: 3.4 GB peak without it, 4.8 GB with it, the same speed; at
    854x480 1.0 against 1.3 GB and 1% slower). ``make_plan`` leaves it on only for the reduced-size preset,
    whose model input is small and whose frame rate counts most."""

    device: Device
    threads: int = 0
    int8: bool = False
    memory_pattern: bool = True


@dataclass(frozen=True)
class TensorRTConfig:
    """precision fp16 (default) or fp32; max_batch: the profile's largest batch (at least the first batch's)."""

    device: Device
    precision: str = "fp16"
    max_batch: int = 4

    def __post_init__(self) -> None:
        if self.precision not in ("fp16", "fp32"):
            raise EnlightError(f"the tensorrt backend builds fp16 or fp32 engines, not {self.precision}")
