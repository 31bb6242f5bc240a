"""The PyTorch backend: CPU or CUDA, fp16 on CUDA by default, channels_last, inference mode."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from enlight.errors import EnlightError
from enlight.models.generator import EnlightenGANGenerator
from enlight.stream.backends.base import register_backend


@dataclass(frozen=True)
class TorchBackendConfig:
    """device: a resolved torch device; precision 'auto' = fp16 on CUDA, fp32 on the CPU."""

    device: torch.device
    precision: str = "auto"
    channels_last: bool = True

    @property
    def dtype(self) -> torch.dtype:
        if self.precision == "fp16" or (self.precision == "auto" and self.device.type == "cuda"):
            return torch.float16
        return torch.float32


class TorchBackend:
    """Runs a copy of the generator on ``config.device`` in ``config.dtype``.

    frames (B, 3, H, W) float RGB in [-1, 1], attention (B, 1, H, W) in [0, 1], on the device;
    returns (B, 3, H, W) float32 on the device.
    """

    name = "torch"

    def __init__(self, generator: EnlightenGANGenerator, config: TorchBackendConfig) -> None:
        if config.dtype == torch.float16 and config.device.type == "cpu":
            raise EnlightError("fp16 is for CUDA devices; use --precision fp32 on the CPU")
        self.config = config
        self.device = config.device
        self.dtype = config.dtype
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        if self.device.type == "cpu":
            torch.set_flush_denormal(True)  # denormal weights/activations slow CPU convs badly
        model = copy.deepcopy(generator).eval().requires_grad_(False)
        self.model = model.to(device=self.device, dtype=self.dtype, memory_format=self.memory_format)

    def __call__(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            frames = frames.to(self.device, self.dtype, non_blocking=True).contiguous(memory_format=self.memory_format)
            attention = attention.to(self.device, self.dtype, non_blocking=True).contiguous(
                memory_format=self.memory_format
            )
            return self.model(frames, attention).float()


def _factory(generator: EnlightenGANGenerator, device: torch.device, precision: str) -> TorchBackend:
    return TorchBackend(generator, TorchBackendConfig(device=device, precision=precision))


register_backend("torch", _factory)
