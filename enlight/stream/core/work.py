"""What the stages of enhancing one batch hand on (``Work``), their one protocol (``Stage``), and the two stages
that only hand the work to a smoother, of either form: importable without torch, for the torch forms of the
stages (``stages``) and their CPU forms (``cpu.stages``) alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class Work:
    """One batch on its way through the stages (all on the backend's device): torch tensors for the torch forms
    (``enlight.stream.core.stages``), numpy arrays of the same shapes for the CPU forms (``cpu.stages``).

    pixels: (B, H, W, 3) uint8 RGB, the frames as decoded (float32 0..255 once ``Denoise``,
    ``enlight.stream.core.denoise``, has cleaned them); the reduced-size path reads them twice
    (downscale, combine) and makes no full-size float copy of them. frames: (B, 3, h, w) float32 RGB in
    [-1, 1], what the model sees (h, w: full or reduced size). attention: (B, 1, h, w) in [0, 1].
    output: (B, 3, h, w) float32, the model's output. result: (B, H, W, 3) uint8 RGB, the enhanced frames.
    grey: whether the batch is to be output grey (``Enhancer.start`` records it for ``Enhancer.finish``).
    """

    pixels: Any
    frames: Any | None = None
    attention: Any | None = None
    output: Any | None = None
    result: Any | None = None
    grey: bool = False


class Stage(Protocol):
    def __call__(self, work: Work) -> Work: ...


class AttentionSmoothing:
    """attention -> its motion-gated temporal average (the product's specified smoothing), by an
    ``AttentionSmoother`` of either form."""

    def __init__(self, smoother) -> None:
        self.smoother = smoother

    def __call__(self, work: Work) -> Work:
        work.attention = self.smoother(work.frames, work.attention)
        return work


class CorrectionSmoothing:
    """output -> input + the motion-gated temporal average of the correction (output - input), by a
    ``CorrectionSmoother`` of either form."""

    def __init__(self, smoother) -> None:
        self.smoother = smoother

    def __call__(self, work: Work) -> Work:
        work.output = self.smoother(work.frames, work.output)
        return work
