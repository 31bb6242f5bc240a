"""The causal video denoiser on CPU frames: the numpy/OpenCV form of ``enlight.stream.core.denoise.Denoiser``
(the method, its measurements and its reasons: that module's docstring), without torch.

Temporal averaging along the camera's whole-pixel motion, gated by how far each difference lies beyond the
clip's measured noise (the channel mean, its colour under ``DenoiseConfig.refine``, and the region around),
then the guided filter, strong where few frames were averaged. Here every frame is a CPU frame, so the
OpenCV refinements (``denoise_local``: optical flow and bilateral) run whenever ``config.refine`` is set.
The arithmetic follows the torch form's float32 operations, so the outputs agree within float rounding.
"""

from __future__ import annotations

import numpy as np

from enlight.stream.core.cpu.denoise_local import LocalMotion, NoiseBilateral, channel_mean
from enlight.stream.core.cpu.denoise_noise import MeasuredSpread, NoiseEstimator, intensity_bins
from enlight.stream.core.cpu.denoise_ops import box, guided_self, half, move, region_excess, smooth_full
from enlight.stream.core.cpu.motion import analysis_luma, global_shift
from enlight.stream.core.cpu.still_noise import StillNoiseEstimator
from enlight.stream.core.denoise_config import (
    GATE_SIGMAS,
    MIN_SIDE,
    NOISE_EVERY,
    NOISE_FLOOR,
    NOISE_FLOOR_OFF,
    REGION_CAP,
    REGION_SIGMAS,
    SCENE_CUT,
    TEMPORAL_EXCESS,
    DenoiseConfig,
)
from enlight.text import counted


def _channel_mean(x: np.ndarray) -> np.ndarray:
    """(3, ...) float32 -> (1, ...) float32, the mean of the three channels (``denoise_local.channel_mean``)."""
    return channel_mean(x)[None]


def _lower_median(rows: np.ndarray) -> np.ndarray:
    """(C, N) -> (C,) per-row median as torch's ``median`` takes it: of an even count, the lower middle value."""
    k = (rows.shape[1] - 1) // 2
    return np.partition(rows, k, axis=1)[:, k]


class Denoiser:
    """Causal video denoiser: frames (B, 3, H, W) float32 RGB 0..255 (or uint8) numpy, in display order,
    consecutive batches forming one clip -> (B, 3, H, W) float32 0..255, denoised; the torch form's
    ``Denoiser`` (see it for the method). ``scene_cuts`` counts the resets so far; ``estimator`` and
    ``mean_estimator`` hold the clip's noise tables (of one channel, and of the mean of the three)."""

    def __init__(self, config: DenoiseConfig) -> None:
        self.config = config
        estimator = StillNoiseEstimator if config.still else NoiseEstimator  # a photo: from its flattest blocks
        self.estimator = estimator()  # of each channel
        self.mean_estimator = estimator()  # of the channel mean (the gate's; grey sources: the same)
        self._cuts = 0
        self._seen = 0  # frames so far
        self._filtered = 0  # frames denoised so far (the others passed unchanged: noise under the floor)
        self._noise = 0.0  # the last noise estimate (rms, 0..255)
        self._gate_spread = MeasuredSpread()  # of the gate's difference
        self._colour_spread = MeasuredSpread()  # of its colour (per component)
        self._analysis: np.ndarray | None = None  # (1, 1, h, w) the last frame's analysis luma
        self._visible = False  # whether the clip's noise is over the floor (decided at each noise estimate)
        self._local = LocalMotion(lean=not config.bilateral)
        self._bilateral = NoiseBilateral()
        self._halted = False  # ``halt``
        self.reset()

    def halt(self) -> None:
        """End the batch under way (on another thread) before its next frame, with KeyboardInterrupt: the run was
        stopped (Ctrl-C, SIGTERM) and waits for this thread, and a batch of 1080p frames takes seconds. The
        denoiser is done after it."""
        self._halted = True

    def _go_on(self) -> None:
        if self._halted:
            raise KeyboardInterrupt("the run was stopped")

    @property
    def noise(self) -> float:
        """The last noise estimate: the standard deviation (0..255) over the frame, root mean square; 0 before any."""
        return float(self._noise)

    @property
    def scene_cuts(self) -> int:
        return self._cuts

    def report(self) -> str:
        """What the denoiser did so far, for a run's summary: '' when it denoised every frame, else how many
        of them and, when some passed unchanged, the clip's noise against the floor."""
        if self._filtered == self._seen:
            return ""
        done = f"{self._filtered} of {counted(self._seen, 'frame')}"
        return f"{done}: noise {self._noise:.2f} under the floor {NOISE_FLOOR:g}" if self._filtered == 0 else done

    def reset(self) -> None:
        self._mean: np.ndarray | None = None  # (3, H, W) float32 running mean
        self._count: np.ndarray | None = None  # (1, h, w) float32 frames in it, on the half grid

    def _moves(self, frames: np.ndarray) -> list[tuple[int, int]]:
        """frames (B, 3, H, W) float32 -> the whole-pixel global shift (dx, dy) of each from the one before
        (none for the first frame, or after a change of the frame size, where the torch form fails)."""
        analysis, factor = analysis_luma(((frames[:, 0] + frames[:, 1] + frames[:, 2]) / np.float32(3))[:, None])
        same_size = self._analysis is not None and self._analysis.shape[1:] == analysis.shape[1:]
        previous = self._analysis if same_size else analysis[:1]
        self._analysis = analysis[-1:]
        shifts = global_shift(np.concatenate([previous, analysis[:-1]]), analysis) * np.float32(factor)
        return [(int(dx), int(dy)) for dx, dy in np.round(shifts).astype(np.int64).tolist()]

    def _gate_noise(self, diff: np.ndarray, bins: np.ndarray, spread: np.ndarray, measure: bool) -> np.ndarray:
        """(1, h, w) float32 variance of the gate's difference ``diff`` (1, h, w) under noise alone (``bins``:
        int64 intensity bins; ``spread``: 1 + 1 / the frames in the running mean), as the torch form's."""
        white = np.take(self.mean_estimator.table, bins) / np.float32(36)
        if measure:
            self._gate_spread.update((diff / np.sqrt(spread)).ravel(), bins.ravel())
        return self._gate_spread.variance(bins, white, white * np.float32(TEMPORAL_EXCESS)) * spread

    def _colour_excess(self, colour: np.ndarray, bins: np.ndarray, spread: np.ndarray, measure: bool
                       ) -> np.ndarray:
        """(1, h, w) float32, >= 0: how far the colour of the difference lies beyond noise (the torch form's
        ``_colour_excess``). ``colour`` (3, h, w) float32: the box-averaged differences less their mean."""
        channel, mean = np.take(self.estimator.table, bins), np.take(self.mean_estimator.table, bins)
        white = np.maximum(channel - mean, np.float32(0)) / np.float32(36)
        if measure:  # on every other sample of every other row
            samples = colour[:, ::2, ::2] / np.sqrt(spread[:, ::2, ::2])
            self._colour_spread.update(samples.ravel(), np.broadcast_to(bins[:, ::2, ::2], samples.shape).ravel())
        cap = np.maximum(white, mean / np.float32(36)) * np.float32(TEMPORAL_EXCESS)
        noise = np.maximum(self._colour_spread.variance(bins, white, cap) * spread, np.float32(1e-4))
        squares = np.square(colour)
        size = (squares[0] + squares[1] + squares[2])[None] / noise
        return np.maximum(size - np.float32(2), np.float32(0))

    def _colour_term(self, small_d: np.ndarray, mean_d: np.ndarray, bins: np.ndarray, spread: np.ndarray,
                     measure: bool) -> np.ndarray:
        """(1, h, w) float32: the colour term c^2 of the gate from the half-grid difference ``small_d``
        (3, h, w) and its channel mean ``mean_d`` (1, h, w), less the frame's global colour swing."""
        colour = small_d - mean_d
        swing = _lower_median(colour[:, ::4, ::4].reshape(len(colour), -1))
        return self._colour_excess(box(colour - swing[:, None, None]), bins, spread, measure)

    def _gate(self, small_d: np.ndarray, level: np.ndarray, count: np.ndarray, measure: bool) -> np.ndarray:
        """(1, h, w) float32 0..1 on the half grid: where the frame's difference from the moved mean is noise
        (1) or motion (0). ``small_d`` (3, h, w) that difference on the half grid, ``level`` (1, h, w) the
        past's channel mean there, ``count`` (1, h, w) the frames in the moved mean, all float32."""
        mean_d = _channel_mean(small_d)
        diff = box(mean_d)
        bins, spread = intensity_bins(level), np.float32(1) + np.reciprocal(np.maximum(count, np.float32(1)))
        noise = self._gate_noise(diff, bins, spread, measure)
        z2 = np.square(diff) / np.maximum(noise, np.float32(1e-4))
        if self.config.refine:
            z2 += self._colour_term(small_d, mean_d, bins, spread, measure)
        z2 += region_excess(z2, REGION_CAP, REGION_SIGMAS)
        return np.exp(z2 * np.float32(-0.5 / GATE_SIGMAS**2))

    def _temporal(self, x: np.ndarray, shift: tuple[int, int], measure: bool) -> tuple[np.ndarray, np.ndarray]:
        """Fold frame x (3, H, W) float32 into the running mean (written into x: the batch's own copy) and
        count. Returns the past's channel mean (1, h, w) and the new mean (3, h, w), on the half grid."""
        if self._mean is None or self._mean.shape != x.shape:
            small = half(x)
            self._mean, self._count = x, np.ones_like(small[:1])
            return _channel_mean(small), small
        past = move(self._mean, *shift, border=x)
        count = move(self._count, shift[0] // 2, shift[1] // 2, border=0.0)
        if self.config.refine:
            past, count = self._local(x, past, count)
        small = half(x)
        d = np.subtract(x, past, out=x)
        small_d = half(d)
        small -= small_d  # half(past)
        level = _channel_mean(small)
        gate = self._gate(small_d, level, count, measure)
        cut = bool(gate.mean() < SCENE_CUT)  # a new scene
        if cut:
            self._cuts += 1
            if self.config.refine:
                self._local.new_scene()
        count = count * (np.float32(0) if cut else gate)
        weight = np.reciprocal(count + np.float32(1))  # of the new frame, on the half grid
        np.multiply(d, smooth_full(weight, x.shape[-2:]), out=x)  # bilinear: see the torch form
        self._mean = np.add(x, past, out=x)
        self._count = np.minimum(count + np.float32(1), np.float32(self.config.frames))
        return level, half(self._mean)

    def _noise_rms(self, x: np.ndarray) -> float:
        """The clip's noise standard deviation (0..255, the noise table's) over frame x (3, H, W) float32, root
        mean square over every 4th pixel of every 4th row."""
        return float(np.sqrt(self.estimator.variance(_channel_mean(x[:, ::4, ::4])).mean(dtype=np.float32)))

    def _measure(self, frames: np.ndarray) -> list[tuple]:
        """Per frame of the batch, (measured, visible, table, mean table), as the torch form's ``_measure``:
        causal, as one by one."""
        flags = []
        for frame in frames:
            measure = self._seen < NOISE_EVERY or self._seen % NOISE_EVERY == 0
            if measure:
                frame = np.asarray(frame, dtype=np.float32)
                self.estimator.update(frame)
                self.mean_estimator.update(_channel_mean(frame))
                self._noise = self._noise_rms(frame)
                self._visible = self._noise >= (NOISE_FLOOR_OFF if self._visible else NOISE_FLOOR)
            self._seen += 1
            flags.append((measure, self._visible, self.estimator.table, self.mean_estimator.table))
        return flags

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """frames (B, 3, H, W) float32 0..255 (or uint8) -> (B, 3, H, W) float32 0..255, denoised (a float32
        copy when a side is under ``MIN_SIDE`` pixels); ``frames`` itself when every frame of the batch passes
        unchanged (the clip's noise under NOISE_FLOOR)."""
        if min(frames.shape[-2:]) < MIN_SIDE:
            return np.array(frames, dtype=np.float32, order="C")
        flags = self._measure(frames)
        if not any(visible for _, visible, _, _ in flags):  # nothing to remove: no work, and a fresh start later
            self.reset()
            self._analysis = None
            return frames
        self._go_on()
        frames = np.array(frames, dtype=np.float32, order="C")
        out = np.empty_like(frames)
        for i, shift in enumerate(self._moves(frames)):
            self._go_on()
            measure, visible, self.estimator.table, self.mean_estimator.table = flags[i]
            if not visible:
                out[i] = frames[i]
                self.reset()
                continue
            self._filtered += 1
            level, small = self._temporal(frames[i], shift, measure)
            eps = self.estimator.variance(level) * (np.reciprocal(self._count) * np.float32(self.config.spatial))
            guided_self(self._mean, small, eps, out=out[i])
            if self.config.refine and self.config.bilateral:
                self._bilateral(self._mean, self._count, self.estimator, out=out[i])
        return np.clip(out, 0, 255, out=out)
