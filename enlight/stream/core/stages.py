"""The stages of enhancing one batch, each a small object with one protocol: ``stage(work) -> work``.

    ModelInput -> [AttentionSmoothing] -> RunModel -> [CorrectionSmoothing] -> Combine -> [Grey]

``Work`` carries what the stages hand on. Two paths, declared by the stages rather than discovered:
at full size (scale 1) ``ModelInput`` makes the float frames and ``Combine`` rounds the output to
uint8; at a reduced size ``ModelInput`` area-downscales the uint8 frames and ``Combine`` applies the
small correction to the full-size uint8 input in one multiply-add (``enlight.ops.scaled``), so the
smoothers run on the small frames. A denoiser slots in before ``ModelInput``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from enlight.ops.guided import EPS, RADIUS
from enlight.ops.luma import attention_map, grey_uint8
from enlight.ops.pixels import to_model_input, to_uint8
from enlight.ops.scaled import combine_uint8, downscale_uint8
from enlight.stream.backends.base import Backend
from enlight.stream.core.smoothing import AttentionSmoother, CorrectionSmoother


@dataclass
class Work:
    """One batch on its way through the stages (all on the backend's device).

    pixels: (B, H, W, 3) uint8 RGB, the frames as decoded (float32 0..255 once ``Denoise``,
    ``enlight.stream.core.denoise``, has cleaned them); the reduced-size path reads them twice
    (downscale, combine) and makes no full-size float copy of them. frames: (B, 3, h, w) float32 RGB in
    [-1, 1], what the model sees (h, w: full or reduced size). attention: (B, 1, h, w) in [0, 1].
    output: (B, 3, h, w) float32, the model's output. result: (B, H, W, 3) uint8 RGB, the enhanced frames.
    grey: whether the batch is to be output grey (``Enhancer.start`` records it for ``Enhancer.finish``).
    """

    pixels: torch.Tensor
    frames: torch.Tensor | None = None
    attention: torch.Tensor | None = None
    output: torch.Tensor | None = None
    result: torch.Tensor | None = None
    grey: bool = False


class Stage(Protocol):
    def __call__(self, work: Work) -> Work: ...


class ModelInput:
    """pixels -> frames and attention, at full size (scale 1) or area-downscaled to 1/scale."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def __call__(self, work: Work) -> Work:
        if self.scale == 1:
            work.frames = to_model_input(work.pixels)
        else:
            work.frames = downscale_uint8(work.pixels, self.scale)
        work.attention = attention_map(work.frames)
        return work


class AttentionSmoothing:
    """attention -> its motion-gated temporal average (the product's specified smoothing)."""

    def __init__(self, smoother: AttentionSmoother) -> None:
        self.smoother = smoother

    def __call__(self, work: Work) -> Work:
        work.attention = self.smoother(work.frames, work.attention)
        return work


class RunModel:
    """frames, attention -> output, by the backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __call__(self, work: Work) -> Work:
        work.output = self.backend(work.frames, work.attention).float()
        return work


class CorrectionSmoothing:
    """output -> input + the motion-gated temporal average of the correction (output - input)."""

    def __init__(self, smoother: CorrectionSmoother) -> None:
        self.smoother = smoother

    def __call__(self, work: Work) -> Work:
        work.output = self.smoother(work.frames, work.output)
        return work


class Combine:
    """output -> result (uint8, full size): rounded at scale 1; below it, the small correction carried
    to full size by ``upsample`` ('guided' or 'bilinear') and applied to the uint8 input."""

    def __init__(self, scale: float = 1.0, upsample: str = "guided", *, radius: int = RADIUS,
                 eps: float = EPS) -> None:
        self.scale, self.upsample, self.radius, self.eps = scale, upsample, radius, eps

    def __call__(self, work: Work) -> Work:
        if self.scale == 1:
            work.result = to_uint8(work.output)
        else:
            delta = work.output - work.frames
            work.result = combine_uint8(work.pixels, work.frames, delta, upsample=self.upsample,
                                        radius=self.radius, eps=self.eps)
        return work


class Grey:
    """result -> its BT.601 luma on all three channels (for sources without chroma)."""

    def __call__(self, work: Work) -> Work:
        work.result = grey_uint8(work.result)
        return work
