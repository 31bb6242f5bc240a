"""Temporal smoothing of the attention map, so the enhancement does not flicker over time.

Per frame t, with A_t the attention map (1 - luma) and S the smoothed state::

    d   = |A_t - S_{t-1}|                                   per pixel
    w   = strength * exp(-(d / motion_threshold)^2)          past weight, lowered where things move
    S_t = w * S_{t-1} + (1 - w) * A_t

and S is reset to A_t on a scene cut (mean of d above ``scene_cut_threshold``). Static regions
are averaged over roughly 1 / (1 - strength) frames; moving edges follow the input at once,
so they do not ghost.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class SmoothingConfig:
    """strength in [0, 1) (0 = off); thresholds in attention units ([0, 1])."""

    strength: float = 0.6
    motion_threshold: float = 0.08
    scene_cut_threshold: float = 0.15

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"smoothing strength must be within [0, 1], got {self.strength}")
        if self.motion_threshold <= 0 or self.scene_cut_threshold <= 0:
            raise ValueError("smoothing thresholds must be positive")


class TemporalSmoother:
    """Stateful smoother: call with consecutive batches of attention maps, in display order.

    attention: (B, 1, H, W) float in [0, 1]; returns the smoothed maps, same shape and dtype.
    ``scene_cuts`` counts the resets so far (the first frame is not counted).
    """

    def __init__(self, config: SmoothingConfig = SmoothingConfig()) -> None:
        self.config = config
        self.state: torch.Tensor | None = None
        self._cuts: torch.Tensor | int = 0  # a device tensor: counting never waits for the GPU

    @property
    def scene_cuts(self) -> int:
        return int(self._cuts)

    def reset(self) -> None:
        self.state = None

    def __call__(self, attention: torch.Tensor) -> torch.Tensor:
        cfg = self.config
        if cfg.strength == 0:
            return attention
        out = torch.empty_like(attention)
        for i in range(attention.shape[0]):
            current = attention[i]
            if self.state is None or self.state.shape != current.shape:
                self.state = current.clone()
            else:
                diff = (current - self.state).abs()
                cut = diff.mean() > cfg.scene_cut_threshold  # 0-d tensor, no host sync
                weight = torch.exp(-((diff / cfg.motion_threshold) ** 2)).mul_(cfg.strength)
                weight = torch.where(cut, torch.zeros_like(weight), weight)
                self.state = torch.lerp(current, self.state, weight)
                self._cuts = self._cuts + cut.to(torch.int32)
            out[i] = self.state
        return out
