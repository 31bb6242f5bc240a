"""Temporal smoothing of the enhancement, so the output does not flicker over time.

Two quantities can be averaged over time, by the same motion-gated, camera-following running
average (``GatedAverage``): the generator's correction (``CorrectionSmoother``, after the model,
the default) and its attention map (``AttentionSmoother``, before the model: the mechanism the
product was first specified with). ``SmoothingConfig.target`` picks one or both; docs/quality.md
measures the three. The correction smoother:

The generator's output is ``x + A * r``: what it adds to the input, the correction ``c = y - x``,
jumps from frame to frame (its residual ``r`` reacts to noise and to what enters the picture, and
its global brightness response shifts with the content). The smoother averages that correction
over time, per pixel, along the camera's motion, and leaves the input itself untouched::

    v   = global shift from frame t-1 to t (phase correlation, camera shake)
    L~  = move(L_{t-1}, v),  C~ = move(C_{t-1}, v)            state follows the picture
    d   = |L_t - L~|                                          L: input luma, 3x3 box-filtered
    w   = strength * exp(-(d / motion_threshold)^2)           past weight, lowered where things move
    L_t = lerp(L_t, L~, w),  C_t = lerp(c_t, C~, w)
    out = x_t + C_t

and the state is reset (w = 0) on a scene cut, when the mean of d exceeds ``scene_cut_threshold``.
Static regions average the correction over roughly (1 + strength) / (1 - strength) frames; moving
objects, whose luma differs from the state's, take this frame's correction, so they do not ghost.
Strength 0 returns its input unchanged (frame by frame). Strength is at most ``MAX_SMOOTHING`` (0.95).
"""

from __future__ import annotations

import torch

from enlight.ops.luma import luma as luma_of
from enlight.stream.core.denoise_ops import box
from enlight.stream.core.motion import analysis_luma, global_shift, translate
from enlight.stream.core.smoothing_config import SmoothingConfig


def gate_luma(frames: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) RGB in [-1, 1] -> (B, 1, H, W) float32 luma in [0, 1], 3x3 box-filtered with the edges
    replicated (less noise). The box as slices and adds: ``avg_pool2d`` took 3.8 of 4.6 ms per 854x480
    frame on a CPU, this 0.4."""
    value = luma_of(frames.float())
    return box(value[:, 0])[:, None]


class GatedAverage:
    """Per-pixel running average of a quantity over consecutive batches, in display order.

    ``average(frames, values)``: frames (B, 3, H, W) RGB in [-1, 1] steer it (their luma gates the
    past's weight, their global shift moves the state); values (B, C, H, W) are averaged. Returns
    (B, C, H, W) float32. ``scene_cuts`` counts the resets so far (the first frame is not counted).
    """

    def __init__(self, config: SmoothingConfig = SmoothingConfig()) -> None:
        self.config = config
        self._luma: torch.Tensor | None = None  # (1, H, W) smoothed gate luma
        self._value: torch.Tensor | None = None  # (C, H, W) smoothed quantity
        self._analysis: torch.Tensor | None = None  # (1, 1, h, w) last frame's downsampled luma
        self._cuts: torch.Tensor | int = 0  # a device tensor: counting never waits for the GPU

    @property
    def scene_cuts(self) -> int:
        return int(self._cuts)

    def reset(self) -> None:
        self._luma = self._value = self._analysis = None

    def _shifts(self, luma: torch.Tensor) -> torch.Tensor | None:
        """(B, 2) global shift of each frame from the one before, in pixels (None when not following)."""
        analysis, factor = analysis_luma(luma)
        previous = analysis[:1] if self._analysis is None else self._analysis
        self._analysis = analysis[-1:]
        if not self.config.follow_camera:
            return None
        return global_shift(torch.cat([previous, analysis[:-1]]), analysis) * factor

    def average(self, frames: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        cfg = self.config
        luma = gate_luma(frames)
        values = values.float()
        if self._luma is not None and (self._luma.shape != luma.shape[1:] or self._value.shape != values.shape[1:]):
            self.reset()
        shifts = self._shifts(luma)
        out = torch.empty_like(values)
        for i in range(luma.shape[0]):
            if self._luma is None:
                self._luma, self._value = luma[i].clone(), values[i].clone()
            else:
                past_luma, past_value = self._luma, self._value
                if shifts is not None:
                    past_luma, past_value = translate(past_luma, shifts[i]), translate(past_value, shifts[i])
                diff = (luma[i] - past_luma).abs()
                cut = diff.mean() > cfg.scene_cut_threshold  # 0-d tensor, no host sync
                weight = torch.exp(-((diff / cfg.motion_threshold) ** 2)).mul_(cfg.strength)
                weight = torch.where(cut, torch.zeros_like(weight), weight)
                self._luma = torch.lerp(luma[i], past_luma, weight)
                self._value = torch.lerp(values[i], past_value, weight)
                self._cuts = self._cuts + cut.to(torch.int32)
            out[i] = self._value
        return out


class CorrectionSmoother(GatedAverage):
    """Averages the generator's correction: frames (B, 3, H, W) RGB in [-1, 1] (its input) and
    enhanced (B, 3, H, W) (its output) -> the smoothed output, (B, 3, H, W) float32 (``enhanced``
    itself when strength is 0)."""

    def __call__(self, frames: torch.Tensor, enhanced: torch.Tensor) -> torch.Tensor:
        if self.config.strength == 0:
            return enhanced
        return frames.float() + self.average(frames, enhanced.float() - frames.float())


class AttentionSmoother(GatedAverage):
    """Averages the attention map the generator is given: frames (B, 3, H, W) RGB in [-1, 1] and
    attention (B, 1, H, W) in [0, 1] -> the smoothed attention, (B, 1, H, W) float32."""

    def __call__(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        if self.config.strength == 0:
            return attention
        return self.average(frames, attention)
