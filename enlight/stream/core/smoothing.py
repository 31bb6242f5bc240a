"""Temporal smoothing of the enhancement, so the output does not flicker over time.

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
Strength 0 returns the generator's output unchanged (frame by frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from enlight.ops.luma import attention_map
from enlight.stream.core.choices import SMOOTHING_STRENGTH
from enlight.stream.core.motion import analysis_luma, global_shift, translate


@dataclass(frozen=True)
class SmoothingConfig:
    """strength in [0, 1) (0 = off); thresholds in luma units ([0, 1]). Defaults from docs/quality.md."""

    strength: float = SMOOTHING_STRENGTH
    motion_threshold: float = 0.08
    scene_cut_threshold: float = 0.15
    follow_camera: bool = True  # move the state along the global (shake) motion

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"smoothing strength must be within [0, 1], got {self.strength}")
        if self.motion_threshold <= 0 or self.scene_cut_threshold <= 0:
            raise ValueError("smoothing thresholds must be positive")


def gate_luma(frames: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) RGB in [-1, 1] -> (B, 1, H, W) float32 luma in [0, 1], 3x3 box-filtered (less noise)."""
    luma = 1 - attention_map(frames.float())
    return F.avg_pool2d(F.pad(luma, (1, 1, 1, 1), mode="replicate"), 3, stride=1)


class TemporalSmoother:
    """Stateful smoother: call with consecutive batches, in display order.

    frames: (B, 3, H, W) RGB in [-1, 1], the generator's input; enhanced: (B, 3, H, W), its output.
    Returns the smoothed output, (B, 3, H, W) float32 (``enhanced`` itself when strength is 0).
    ``scene_cuts`` counts the resets so far (the first frame is not counted).
    """

    def __init__(self, config: SmoothingConfig = SmoothingConfig()) -> None:
        self.config = config
        self._luma: torch.Tensor | None = None  # (1, H, W) smoothed gate luma
        self._correction: torch.Tensor | None = None  # (3, H, W) smoothed y - x
        self._analysis: torch.Tensor | None = None  # (1, 1, h, w) last frame's downsampled luma
        self._cuts: torch.Tensor | int = 0  # a device tensor: counting never waits for the GPU

    @property
    def scene_cuts(self) -> int:
        return int(self._cuts)

    def reset(self) -> None:
        self._luma = self._correction = self._analysis = None

    def __call__(self, frames: torch.Tensor, enhanced: torch.Tensor) -> torch.Tensor:
        cfg = self.config
        if cfg.strength == 0:
            return enhanced
        luma = gate_luma(frames)
        correction = enhanced.float() - frames.float()
        if self._luma is not None and self._luma.shape != luma.shape[1:]:
            self.reset()
        analysis, factor = analysis_luma(luma)
        if cfg.follow_camera:
            previous = analysis[:1] if self._analysis is None else self._analysis
            shifts = global_shift(torch.cat([previous, analysis[:-1]]), analysis) * factor  # (B, 2) pixels
        self._analysis = analysis[-1:]
        out = torch.empty_like(correction)
        for i in range(luma.shape[0]):
            if self._luma is None:
                self._luma, self._correction = luma[i].clone(), correction[i].clone()
            else:
                past_luma, past_correction = self._luma, self._correction
                if cfg.follow_camera:
                    past_luma, past_correction = translate(past_luma, shifts[i]), translate(past_correction, shifts[i])
                diff = (luma[i] - past_luma).abs()
                cut = diff.mean() > cfg.scene_cut_threshold  # 0-d tensor, no host sync
                weight = torch.exp(-((diff / cfg.motion_threshold) ** 2)).mul_(cfg.strength)
                weight = torch.where(cut, torch.zeros_like(weight), weight)
                self._luma = torch.lerp(luma[i], past_luma, weight)
                self._correction = torch.lerp(correction[i], past_correction, weight)
                self._cuts = self._cuts + cut.to(torch.int32)
            out[i] = self._correction
        return frames.float() + out
