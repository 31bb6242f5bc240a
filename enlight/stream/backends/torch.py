"""The PyTorch backend: CPU or CUDA, fp16 on CUDA by default, channels_last, inference mode;
optionally CUDA graphs (one captured graph per input shape) and torch.compile on CUDA."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from enlight.errors import EnlightError
from enlight.stream.backends.base import register_backend


@dataclass(frozen=True)
class TorchBackendConfig:
    """device: a resolved torch device; precision 'auto' = fp16 on CUDA, fp32 on the CPU."""

    device: torch.device
    precision: str = "auto"
    channels_last: bool = True
    cuda_graphs: bool = False
    compile: bool = False

    @property
    def dtype(self) -> torch.dtype:
        if self.precision == "fp16" or (self.precision == "auto" and self.device.type == "cuda"):
            return torch.float16
        return torch.float32

    def __post_init__(self) -> None:
        if self.precision not in ("auto", "fp32", "fp16"):
            raise EnlightError(f"unknown precision '{self.precision}' (use auto, fp32 or fp16)")
        if self.dtype == torch.float16 and self.device.type == "cpu":
            raise EnlightError("fp16 is for CUDA devices; use --precision fp32 on the CPU")
        if (self.cuda_graphs or self.compile) and self.device.type != "cuda":
            raise EnlightError("--cuda-graphs and --compile are for the torch backend on a CUDA device")


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch's intra-op (CPU) threads set to ``count`` inside the block and restored after; 0 leaves them.

    A file run on a CPU does the work around the model with one thread (``enlight.stream.apps.pipeline``):
    its decode and encode threads use the other cores, and on 2 cores a second torch thread made every
    small operation wait for a core (fast preset at 854x480: 14 -> 24 fps end to end; issue 17)."""
    before = torch.get_num_threads()
    if count <= 0 or count == before:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _GraphRunner:
    """Replays a CUDA graph captured for each input shape (static input and output buffers)."""

    def __init__(self, model: torch.nn.Module, device: torch.device) -> None:
        self.model, self.device = model, device
        self.graphs: dict[tuple, tuple] = {}

    def __call__(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        key = (tuple(frames.shape), frames.dtype)
        if key not in self.graphs:
            static_frames, static_attention = frames.clone(), attention.clone()
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):  # warm-up outside the graph, as the CUDA graphs docs ask
                for _ in range(2):
                    self.model(static_frames, static_attention)
            torch.cuda.current_stream(self.device).wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                static_out = self.model(static_frames, static_attention)
            self.graphs[key] = (graph, static_frames, static_attention, static_out)
        graph, static_frames, static_attention, static_out = self.graphs[key]
        static_frames.copy_(frames)
        static_attention.copy_(attention)
        graph.replay()
        return static_out.clone()


class TorchBackend:
    """Runs a copy of the generator on ``config.device`` in ``config.dtype``.

    frames (B, 3, H, W) float RGB in [-1, 1], attention (B, 1, H, W) in [0, 1], on the device;
    returns (B, 3, H, W) float32 on the device.
    """

    name = "torch"

    def __init__(self, generator: nn.Module, config: TorchBackendConfig) -> None:
        if isinstance(generator, bytes):
            raise EnlightError("the torch backend runs a PyTorch network, not a serialised ONNX model")
        self.config = config
        self.device = config.device
        self.dtype = config.dtype
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        self.threads = (os.cpu_count() or 1) if self.device.type == "cpu" else 0  # the model: every core
        if self.device.type == "cpu":
            torch.set_flush_denormal(True)  # denormal weights/activations slow CPU convs badly
        model = copy.deepcopy(generator).eval().requires_grad_(False)
        self.model = model.to(device=self.device, dtype=self.dtype, memory_format=self.memory_format)
        self._run = self.model
        if config.compile:
            self._run = torch.compile(self.model, dynamic=False)
        if config.cuda_graphs:
            self._run = _GraphRunner(self._run, self.device)

    def __call__(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode(), torch_threads(self.threads):
            frames = frames.to(self.device, self.dtype, non_blocking=True).contiguous(memory_format=self.memory_format)
            attention = attention.to(self.device, self.dtype, non_blocking=True).contiguous(
                memory_format=self.memory_format
            )
            return self._run(frames, attention).float()


register_backend("torch", TorchBackendConfig, TorchBackend)
