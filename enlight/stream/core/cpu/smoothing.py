"""CPU form of ``enlight.stream.core.smoothing``: temporal smoothing of the enhancement (the motion-gated,
camera-following running average of the generator's correction or attention map) on float32 numpy arrays,
without torch. Same classes, state, scene-cut rule and results (within float rounding: see ``cpu.motion`` for
the shift); the method is described in the torch form's module.
"""

from __future__ import annotations

import numpy as np

from enlight.ops.luma import luma as luma_of
from enlight.stream.core.cpu.denoise_ops import box
from enlight.stream.core.cpu.motion import analysis_luma, global_shift, translate
from enlight.stream.core.smoothing_config import SmoothingConfig


def gate_luma(frames: np.ndarray) -> np.ndarray:
    """(B, 3, H, W) RGB in [-1, 1] -> (B, 1, H, W) float32 BT.601 luma in [0, 1], 3x3 box-filtered with the
    edges replicated (less noise)."""
    return box(luma_of(frames.astype(np.float32, copy=False))[:, 0])[:, None]


class GatedAverage:
    """Per-pixel running average of a quantity over consecutive batches, in display order.

    ``average(frames, values)``: frames (B, 3, H, W) RGB in [-1, 1] steer it (their luma gates the past's
    weight, their global shift moves the state); values (B, C, H, W) are averaged. Returns (B, C, H, W)
    float32. ``scene_cuts`` counts the resets so far (the first frame is not counted). ``config`` may be
    replaced between calls.
    """

    def __init__(self, config: SmoothingConfig = SmoothingConfig()) -> None:
        self.config = config
        self._luma: np.ndarray | None = None  # (1, H, W) smoothed gate luma
        self._value: np.ndarray | None = None  # (C, H, W) smoothed quantity
        self._analysis: np.ndarray | None = None  # (1, 1, h, w) last frame's analysis luma
        self._cuts = 0

    @property
    def scene_cuts(self) -> int:
        return self._cuts

    def reset(self) -> None:
        self._luma = self._value = self._analysis = None

    def _shifts(self, luma: np.ndarray) -> np.ndarray | None:
        """(B, 2) float32 global shift of each frame from the one before, in pixels (None when not following)."""
        analysis, factor = analysis_luma(luma)
        previous = analysis[:1] if self._analysis is None else self._analysis
        self._analysis = analysis[-1:]
        if not self.config.follow_camera:
            return None
        return global_shift(np.concatenate([previous, analysis[:-1]]), analysis) * np.float32(factor)

    def _step(self, luma: np.ndarray, value: np.ndarray, shift: np.ndarray | None) -> None:
        """Folds one frame's gate luma (1, H, W) and value (C, H, W) into the state, which holds a first frame."""
        cfg = self.config
        past_luma, past_value = self._luma, self._value
        if shift is not None:
            past_luma, past_value = translate(past_luma, shift), translate(past_value, shift)
        diff = np.abs(luma - past_luma)
        if diff.mean() > cfg.scene_cut_threshold:  # weight 0: this frame alone
            self._luma, self._value = luma.copy(), value.copy()
            self._cuts += 1
            return
        weight = diff
        weight /= np.float32(cfg.motion_threshold)
        np.square(weight, out=weight)
        np.negative(weight, out=weight)
        np.exp(weight, out=weight)
        weight *= np.float32(cfg.strength)
        self._luma = _lerp(luma, past_luma, weight)
        self._value = _lerp(value, past_value, weight)

    def average(self, frames: np.ndarray, values: np.ndarray) -> np.ndarray:
        luma = gate_luma(frames)
        values = values.astype(np.float32, copy=False)
        if self._luma is not None and (self._luma.shape != luma.shape[1:] or self._value.shape != values.shape[1:]):
            self.reset()
        shifts = self._shifts(luma)
        out = np.empty_like(values)
        for i in range(luma.shape[0]):
            if self._luma is None:
                self._luma, self._value = luma[i].copy(), values[i].copy()
            else:
                self._step(luma[i], values[i], None if shifts is None else shifts[i])
            out[i] = self._value
        return out


def _lerp(start: np.ndarray, end: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """start + weight (end - start), a new float32 array; weight (1, H, W) broadcasts over the channels."""
    out = end - start
    out *= weight
    out += start
    return out


class CorrectionSmoother(GatedAverage):
    """Averages the generator's correction: frames (B, 3, H, W) RGB in [-1, 1] (its input) and enhanced
    (B, 3, H, W) (its output) -> the smoothed output, (B, 3, H, W) float32 (``enhanced`` itself when strength
    is 0)."""

    def __call__(self, frames: np.ndarray, enhanced: np.ndarray) -> np.ndarray:
        if self.config.strength == 0:
            return enhanced
        frames = frames.astype(np.float32, copy=False)
        return frames + self.average(frames, enhanced.astype(np.float32, copy=False) - frames)


class AttentionSmoother(GatedAverage):
    """Averages the attention map the generator is given: frames (B, 3, H, W) RGB in [-1, 1] and attention
    (B, 1, H, W) in [0, 1] -> the smoothed attention, (B, 1, H, W) float32 (``attention`` itself when strength
    is 0)."""

    def __call__(self, frames: np.ndarray, attention: np.ndarray) -> np.ndarray:
        if self.config.strength == 0:
            return attention
        return self.average(frames, attention)
