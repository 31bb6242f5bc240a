"""The PyTorch backend: CPU or CUDA, fp16 on CUDA by default, channels_last, inference mode;
optionally CUDA graphs (one captured graph per input shape) and torch.compile on CUDA."""

from __future__ import annotations

import copy
import os

import numpy as np
import torch
from torch import nn

from enlight.errors import EnlightError
from enlight.ops.threads import torch_threads
from enlight.stream.backends.base import register_backend
from enlight.stream.backends.options import TorchBackendConfig


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
    """Runs a copy of the generator on ``config.device``, in fp16 where ``config.half``.

    frames (B, 3, H, W) float RGB in [-1, 1], attention (B, 1, H, W) in [0, 1], on the device;
    returns (B, 3, H, W) float32 on the device.
    """

    name = "torch"

    def __init__(self, generator: nn.Module, config: TorchBackendConfig) -> None:
        if isinstance(generator, bytes):
            raise EnlightError("the torch backend runs a PyTorch network, not a serialised ONNX model")
        self.config = config
        self.device = torch.device(str(config.device))
        self.dtype = torch.float16 if config.half else torch.float32
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

    def __call__(self, frames, attention):
        """torch tensors -> a torch tensor on the device; numpy arrays (the CPU forms of the stages) -> numpy."""
        if isinstance(frames, np.ndarray):
            return self._call(torch.from_numpy(frames), torch.from_numpy(np.ascontiguousarray(attention))).numpy()
        return self._call(frames, attention)

    def _call(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode(), torch_threads(self.threads):
            frames = frames.to(self.device, self.dtype, non_blocking=True).contiguous(memory_format=self.memory_format)
            attention = attention.to(self.device, self.dtype, non_blocking=True).contiguous(
                memory_format=self.memory_format
            )
            return self._run(frames, attention).float()


register_backend("torch", TorchBackendConfig, TorchBackend)
