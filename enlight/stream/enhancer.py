"""Enhancing batches of RGB frames: to the device, attention, temporal smoothing, backend, back."""

from __future__ import annotations

import numpy as np
import torch

from enlight.models.attention import attention_map
from enlight.stream.backends.base import Backend
from enlight.stream.frames import to_model_input, to_uint8
from enlight.stream.smoothing import SmoothingConfig, TemporalSmoother


class Enhancer:
    """Callable: (B, H, W, 3) uint8 RGB frames (numpy), in display order -> same shape, enhanced.

    Keeps the smoother's state between calls, so consecutive batches form one clip.
    """

    def __init__(self, backend: Backend, smoothing: SmoothingConfig = SmoothingConfig()) -> None:
        self.backend = backend
        self.smoother = TemporalSmoother(smoothing)
        self._pin = backend.device.type == "cuda"

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        batch = torch.from_numpy(np.ascontiguousarray(frames))
        if self._pin:
            batch = batch.pin_memory()
        with torch.inference_mode():
            x = to_model_input(batch.to(self.backend.device, non_blocking=True))
            attention = self.smoother(attention_map(x))
            y = self.backend(x, attention)
            return to_uint8(y).cpu().numpy()
