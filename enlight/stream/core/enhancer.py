"""Enhancing batches of RGB frames: to the device, attention, backend, temporal smoothing, back.

On the CPU each batch is done when ``submit`` returns. On CUDA the work is pipelined one batch
deep: the upload of batch n (from pinned memory, on a copy stream) and the download of batch
n-1's result (into pinned memory, on the same copy stream) overlap the compute of batch n, and
``submit`` hands back the batch that finished. ``drain`` returns what is still in flight.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import torch

from enlight.ops.luma import BT601_LUMA, attention_map
from enlight.stream.backends.base import Backend
from enlight.stream.core.smoothing import SmoothingConfig, TemporalSmoother
from enlight.stream.io.frames import to_model_input, to_uint8


def grey_uint8(frames: torch.Tensor) -> torch.Tensor:
    """(B, H, W, 3) uint8 RGB -> the same shape, its BT.601 luma (rounded) on all three channels."""
    weights = torch.tensor(BT601_LUMA, device=frames.device)
    luma = (frames.float() * weights).sum(-1, keepdim=True).round_().clamp_(0, 255).to(torch.uint8)
    return luma.expand(-1, -1, -1, 3)


class _Pending:
    """A batch on its way back: pinned host output, the event that marks its copy done, a tag."""

    def __init__(self, host: torch.Tensor, done: torch.cuda.Event, keep: tuple, tag: Any) -> None:
        self.host, self.done, self.keep, self.tag = host, done, keep, tag

    def result(self) -> tuple[np.ndarray, Any]:
        self.done.synchronize()
        return self.host.numpy(), self.tag


class Enhancer:
    """frames (B, H, W, 3) uint8 RGB (numpy), in display order -> the same, enhanced.

    Keeps the smoother's state between calls, so consecutive batches form one clip. ``submit``
    returns the finished ``(frames, tag)`` pairs, in order; ``__call__`` is the synchronous form.

    grey: output the enhanced frames' BT.601 luma on all three channels (for sources without
    chroma, such as infrared night cameras: the generator would tint their dark areas). The
    caller decides it from the decoded chroma (``enlight.stream.io.chroma``) and may change it
    between batches.
    """

    def __init__(self, backend: Backend, smoothing: SmoothingConfig = SmoothingConfig(), *,
                 grey: bool = False) -> None:
        self.backend = backend
        self.grey = grey
        self.device = backend.device
        self.smoother = TemporalSmoother(smoothing)
        # a reduced-size backend smooths its small output itself (far cheaper than at full size)
        inside = getattr(backend, "smooth_inside", None)
        self._smooth_here = not (inside is not None and inside(self.smoother))
        # reduced-size backends also go uint8 -> uint8 directly (fewer full-size passes)
        self._uint8_path = getattr(backend, "enhance_uint8", None)
        self.cuda = self.device.type == "cuda"
        self._copy_stream = torch.cuda.Stream(self.device) if self.cuda else None
        self._pending: deque[_Pending] = deque()

    def _enhance(self, batch: torch.Tensor) -> torch.Tensor:
        """(B, H, W, 3) uint8 on the device -> (B, H, W, 3) uint8 on the device."""
        with torch.inference_mode():
            if self._uint8_path is not None:
                out = self._uint8_path(batch)
                return grey_uint8(out) if self.grey else out
            x = to_model_input(batch)
            y = self.backend(x, attention_map(x))
            if self._smooth_here:
                y = self.smoother(x, y)
            if self.grey:
                y = (1 - attention_map(y)).mul(2).sub(1).expand(-1, 3, -1, -1)  # luma, as RGB in [-1, 1]
            return to_uint8(y)

    def submit(self, frames: np.ndarray, tag: Any = None) -> list[tuple[np.ndarray, Any]]:
        batch = torch.from_numpy(np.ascontiguousarray(frames))
        if not self.cuda:
            return [(self._enhance(batch).numpy(), tag)]
        copy, compute = self._copy_stream, torch.cuda.current_stream(self.device)
        pinned = batch.pin_memory()
        with torch.cuda.stream(copy):
            on_device = pinned.to(self.device, non_blocking=True)
        compute.wait_stream(copy)
        on_device.record_stream(compute)
        out = self._enhance(on_device)
        host = torch.empty(out.shape, dtype=torch.uint8, pin_memory=True)
        copy.wait_stream(compute)
        with torch.cuda.stream(copy):
            host.copy_(out, non_blocking=True)
            done = torch.cuda.Event()
            done.record(copy)
        out.record_stream(copy)
        self._pending.append(_Pending(host, done, (pinned,), tag))
        finished = []
        while len(self._pending) > 1:  # one batch stays in flight
            finished.append(self._pending.popleft().result())
        return finished

    def drain(self) -> list[tuple[np.ndarray, Any]]:
        finished = [p.result() for p in self._pending]
        self._pending.clear()
        return finished

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        finished = self.submit(frames) + self.drain()
        return finished[-1][0]
