"""Denoising the dark frames before the model sees them: temporal first, spatial where that cannot help.

Low-light noise is signal-dependent (Poisson shot noise plus read noise, ``enlight.train.pairs.darken``
simulates it) and the enhancer lifts it with the picture, so it is removed from the input, where it is
smallest, and the attention map, the model and the full-size combine all see the clean frames.

Per frame t, causal (no look-ahead: live mode's latency is unchanged), in the 0..255 values of each
RGB channel, planar::

    s2(v)  = noise variance at intensity v, estimated from the frames (``denoise_noise.NoiseEstimator``)
    v_t    = global shift from frame t-1 to t (phase correlation), rounded to whole pixels (so the mean
             is never resampled; rounding the camera's summed path instead let the estimates' own
             errors add up into false moves: -0.9 to -5.5 dB on the synthetic clips)
    M~, n~ = move(M_{t-1}, v_t), move(n_{t-1}, v_t)        the running mean and its frame count follow
                                                          the camera (pixels entering the frame: n~ = 0)
    d      = x_t - M~
    z      = box(half(mean_rgb(d))) / its standard deviation under noise alone (from the noise of
             the channel mean and n~), on a half-resolution grid (36 pixels x 3 channels per value)
    c^2    = |box(half(d - mean_rgb(d))) - the frame's median of it|^2 / its noise variance, less 2, at
             least 0: the difference's colour (a thing of another colour but the same brightness moving
             over the background; a global colour swing of the whole frame is not motion)
    r^2    = what the region around adds: the mean of z^2 + c^2 (each at most REGION_CAP) over 24x24-pixel
             windows, its robust spreads over the frame's median beyond REGION_SIGMAS, squared
             (``denoise_ops.region_excess``; every device and form): a dim thing moving over a background of
             about its brightness shows only in its outline and a few features, and the region carries
             that to the rest of it, which would otherwise be averaged with what was behind (translucent)
    g      = exp(-(z^2 + c^2 + r^2) / (2 k^2))            1 where the difference is noise, 0 where
                                                          something moved (k = GATE_SIGMAS)
    n      = g * n~;  M_t = M~ + d / (n + 1);  n_t = min(n + 1, frames)   1 / (n + 1) taken from the
                                                          half grid bilinearly
    out    = guided_self(M_t, eps = spatial * s2 / n_t)   edge-preserving spatial smoothing, strong
                                                          where few frames were averaged (moving
                                                          regions, the first frames), none where many were

and a scene cut (the gate closed over most of the picture) resets the state. Frames of a clip whose noise
is under ``NOISE_FLOOR`` (clean footage: the codec removed the pixel noise) pass unchanged. The spatial filter is
applied to the output only, never fed back into the state. The colour term c^2 runs with the refinements
(``DenoiseConfig.refine``; on every device). On CPU frames two refinements with OpenCV
(``denoise_local``): M~ and n~ are moved further by the optical flow where what is left of the motion
fits the frame better (people, parallax), and where n_t < 6 a bilateral filter of M_t, on a
variance-stabilised scale from s2, is blended over ``out``. On a CPU the stage runs on one thread
(as a file run does all the work around the model): its operations are a pass over memory or a
fraction of one each, and an OpenMP team on a busy machine waits for its slowest member at every one
of them (measured 0.3 ms per 854x480 pass on one thread, 8 ms on two with the machine loaded).

``frames`` (how many frames the static regions average at most) and ``spatial`` come from the level
(``LEVEL_PARAMS``); docs/quality.md ("Denoising") has the measurements behind them.
"""

from __future__ import annotations

import torch

from enlight.ops.threads import torch_threads
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
from enlight.stream.core.denoise_local import LocalMotion, NoiseBilateral
from enlight.stream.core.denoise_noise import MeasuredSpread, NoiseEstimator, intensity_bins
from enlight.stream.core.denoise_ops import box, guided_self, half, move, region_excess, smooth_full
from enlight.stream.core.motion import analysis_luma, global_shift
from enlight.text import counted


class Denoiser:
    """Causal video denoiser: frames (B, 3, H, W) float32 RGB 0..255, in display order, consecutive
    batches forming one clip -> the same, denoised. See the module for the method.

    ``scene_cuts`` counts the resets so far; ``estimator`` and ``mean_estimator`` hold the clip's noise
    tables (of one channel, and of the mean of the three: equal for grey sources, a third for independent
    channel noise).
    """

    def __init__(self, config: DenoiseConfig) -> None:
        self.config = config
        self.estimator = NoiseEstimator()  # of each channel
        self.mean_estimator = NoiseEstimator()  # of the channel mean (the gate's; grey sources: the same)
        self._cuts: torch.Tensor | int = 0
        self._seen = 0  # frames so far
        self._filtered = 0  # frames denoised so far (the others passed unchanged: noise under the floor)
        self._noise = 0.0  # the last noise estimate (rms, 0..255)
        self._gate_spread = MeasuredSpread()  # of the gate's difference
        self._colour_spread = MeasuredSpread()  # of its colour (per component)
        self._analysis: torch.Tensor | None = None  # (1, 1, h, w) the last frame's analysis luma
        self._visible = False  # whether the clip's noise is over the floor (decided at each noise estimate)
        self._local = LocalMotion(lean=not config.bilateral)  # CPU frames only (OpenCV)
        self._bilateral = NoiseBilateral()  # CPU frames only (OpenCV)
        self.reset()

    @property
    def noise(self) -> float:
        """The last noise estimate: the standard deviation (0..255) over the frame, root mean square; 0 before any."""
        return float(self._noise)

    @property
    def scene_cuts(self) -> int:
        return int(self._cuts)

    def report(self) -> str:
        """What the stage did so far, for a run's summary: '' when it denoised every frame, else how many
        of them and, when some passed unchanged, the clip's noise against the floor."""
        if self._filtered == self._seen:
            return ""
        done = f"{self._filtered} of {counted(self._seen, 'frame')}"
        return f"{done}: noise {self._noise:.2f} under the floor {NOISE_FLOOR:g}" if self._filtered == 0 else done

    def reset(self) -> None:
        self._mean: torch.Tensor | None = None  # (3, H, W) running mean
        self._count: torch.Tensor | None = None  # (1, h, w) frames in it, on the half grid

    def _moves(self, frames: torch.Tensor) -> list[tuple[int, int]]:
        """Whole-pixel global shift of each frame from the one before (one device sync per batch)."""
        analysis, factor = analysis_luma(frames.mean(1, keepdim=True))
        previous = analysis[:1] if self._analysis is None else self._analysis
        self._analysis = analysis[-1:]
        shifts = global_shift(torch.cat([previous, analysis[:-1]]), analysis) * factor
        return [(int(dx), int(dy)) for dx, dy in shifts.round().long().tolist()]

    def _gate_noise(self, diff: torch.Tensor, bins: torch.Tensor, spread: torch.Tensor, measure: bool
                    ) -> torch.Tensor:
        """The variance of the gate's difference ``diff`` (1, h, w) under noise alone, at each value (``bins``:
        their intensity bins; ``spread``: 1 + 1 / the frames in the running mean, whose own noise adds to the
        frame's). Predicted from the spatial estimate for white noise (the channel mean's variance / 36), and
        measured over time (``MeasuredSpread``), at most TEMPORAL_EXCESS times the prediction."""
        white = torch.take(self.mean_estimator.table, bins).div_(36)
        if measure:
            self._gate_spread.update((diff / spread.sqrt()).flatten(), bins.flatten())
        return self._gate_spread.variance(bins, white, white * TEMPORAL_EXCESS) * spread

    def _colour_excess(self, colour: torch.Tensor, bins: torch.Tensor, spread: torch.Tensor, measure: bool
                       ) -> torch.Tensor:
        """(1, h, w): how far the colour of the difference lies beyond noise. ``colour`` (3, h, w): each
        channel's box-averaged difference less the channel mean's (they sum to 0: two degrees of freedom).
        Its squared size in units of its noise variance, less the 2 that noise alone gives on average, at
        least 0. The channel mean alone misses an object of another colour but the same mean moving over a
        background (a dark red coat over a grey wall): averaged in, it leaves a tinted trail. Grey sources
        add 0. The noise per component: the channel's variance less the channel mean's (independent
        channels: 2/3 of it; equal channels: 0), over 36 pixels, or as measured over time like the mean's
        (``_gate_noise``), capped at TEMPORAL_EXCESS times the larger of that and the mean's prediction."""
        channel, mean = torch.take(self.estimator.table, bins), torch.take(self.mean_estimator.table, bins)
        white = (channel - mean).clamp_(min=0).div_(36)
        if measure:  # on every other sample of every other row: the three components cost 5 times one
            samples = (colour / spread.sqrt())[:, ::2, ::2]
            self._colour_spread.update(samples.flatten(), bins[:, ::2, ::2].expand_as(samples).flatten())
        noise = self._colour_spread.variance(bins, white, torch.maximum(white, mean.div(36)).mul_(TEMPORAL_EXCESS))
        size = colour.square().sum(0, keepdim=True).div_(noise.mul_(spread).clamp_(min=1e-4))
        return size.sub_(2).clamp_(min=0)

    def _temporal(self, x: torch.Tensor, shift: tuple[int, int], measure: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Fold frame x (3, H, W) into the running mean (written into x: the batch's own copy) and count.
        Returns the past's channel mean (1, h, w) and the new mean (3, h, w), on the half grid."""
        if self._mean is None or self._mean.shape != x.shape:
            small = half(x)
            self._mean, self._count = x, torch.ones_like(small[:1])
            return small.mean(0, keepdim=True), small
        past = move(self._mean, *shift, border=x)
        count = move(self._count, shift[0] // 2, shift[1] // 2, border=0.0)
        if self._refines(x):
            past, count = self._local(x, past, count)
        small = half(x)
        d = x.sub_(past)
        small_d = half(d)
        small = small.sub_(small_d)  # half(past)
        level = small.mean(0, keepdim=True)
        mean_d = small_d.mean(0, keepdim=True)
        diff = box(mean_d)
        bins, spread = intensity_bins(level), 1 + 1 / count.clamp(min=1)
        noise = self._gate_noise(diff, bins, spread, measure)
        z2 = diff.square_().div_(noise.clamp_(min=1e-4))
        if self.config.refine:  # (on every device; the CPU form of a reduced-size preset skips its cost)
            colour = small_d.sub_(mean_d)
            swing = colour[:, ::4, ::4].flatten(1).median(1).values  # the frame's global colour swing is not motion
            z2 = z2.add_(self._colour_excess(box(colour.sub_(swing[:, None, None])), bins, spread, measure))
        z2 = z2.add_(region_excess(z2, REGION_CAP, REGION_SIGMAS))
        gate = torch.exp(z2.mul_(-0.5 / GATE_SIGMAS**2))
        cut = gate.mean() < SCENE_CUT  # a new scene: 0-d tensor, no device sync
        self._cuts = self._cuts + cut.to(torch.int32)
        if self._refines(x) and bool(cut):  # (a CPU tensor: no sync to wait for)
            self._local.new_scene()
        count = count.mul_(torch.where(cut, torch.zeros_like(gate), gate))
        weight = (count + 1).reciprocal_()  # of the new frame, on the half grid
        # bilinear, not repeated over 2x2 blocks: blocks of different weights along a thin diagonal line
        # (bridge cables on a slowly drifting camera) turned it into a row of beads (NIQE 9.25 against 10.14)
        self._mean = torch.addcmul(past, d, smooth_full(weight, x.shape[-2:]), out=x)
        self._count = count.add_(1).clamp_(max=self.config.frames)
        return level, half(self._mean)

    def _refines(self, x: torch.Tensor) -> bool:
        """Whether the OpenCV refinements (``denoise_local``) run on x: CPU frames, and the config asks for them."""
        return self.config.refine and x.device.type == "cpu"

    def _noise_rms(self, x: torch.Tensor) -> float:
        """The clip's noise standard deviation (0..255, the noise table's) over frame x (3, H, W), root mean
        square over every 4th pixel of every 4th row."""
        return float(self.estimator.variance(x[:, ::4, ::4].mean(0)).mean().sqrt())

    def _measure(self, frames: torch.Tensor) -> list[tuple]:
        """Per frame of the batch, (measured, visible, table, mean table): whether the noise tables were
        updated from it, whether the clip's noise is over NOISE_FLOOR at that frame, and the two tables as
        they were then (each update makes new tensors), for the frame's filtering: causal, as one by one."""
        flags = []
        for frame in frames:
            measure = self._seen < NOISE_EVERY or self._seen % NOISE_EVERY == 0
            if measure:
                frame = frame.float()
                self.estimator.update(frame)
                self.mean_estimator.update(frame.mean(0, keepdim=True))
                self._noise = self._noise_rms(frame)
                self._visible = self._noise >= (NOISE_FLOOR_OFF if self._visible else NOISE_FLOOR)
            self._seen += 1
            flags.append((measure, self._visible, self.estimator.table, self.mean_estimator.table))
        return flags

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (B, 3, H, W) float 0..255 (or uint8) -> (B, 3, H, W) float32 0..255, denoised (unchanged
        when a side is under ``MIN_SIDE`` pixels); ``frames`` itself when every frame of the batch passes
        unchanged (the clip's noise under NOISE_FLOOR)."""
        if min(frames.shape[-2:]) < MIN_SIDE:
            return frames.to(torch.float32, memory_format=torch.contiguous_format, copy=True)
        with torch_threads(1 if frames.device.type == "cpu" else 0):
            flags = self._measure(frames)
            if not any(visible for _, visible, _, _ in flags):  # nothing to remove: no work, and a fresh start later
                self.reset()
                self._analysis = None
                return frames
            frames = frames.to(torch.float32, memory_format=torch.contiguous_format, copy=True)
            out = torch.empty_like(frames)
            for i, shift in enumerate(self._moves(frames)):
                measure, visible, self.estimator.table, self.mean_estimator.table = flags[i]
                if not visible:
                    out[i] = frames[i]
                    self.reset()
                    continue
                self._filtered += 1
                level, small = self._temporal(frames[i], shift, measure)
                eps = self.estimator.variance(level).mul_(self.config.spatial / self._count)
                guided_self(self._mean, small, eps, out=out[i])
                if self._refines(frames) and self.config.bilateral:
                    self._bilateral(self._mean, self._count, self.estimator, out=out[i])
            return out.clamp_(0, 255)
