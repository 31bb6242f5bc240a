"""Denoising the dark frames before the model sees them: temporal first, spatial where that cannot help.

Low-light noise is signal-dependent (Poisson shot noise plus read noise, ``enlight.train.pairs.darken``
simulates it) and the enhancer lifts it with the picture, so it is removed from the input, where it is
smallest, and the attention map, the model and the full-size combine all see the clean frames.

Per frame t, causal (no look-ahead: live mode's latency is unchanged), in the 0..255 values of each
RGB channel::

    s2(v)  = noise variance at intensity v, estimated from the frames (``NoiseEstimator``)
    v_t    = global shift from frame t-1 to t (phase correlation), rounded to whole pixels
    M~, n~ = move(M_{t-1}, v_t), move(n_{t-1}, v_t)        the running mean and its frame count follow
                                                          the camera (pixels entering the frame: n~ = 0)
    z      = box(mean_rgb(x_t - M~)) / its standard deviation under noise alone (from the noise of
             the channel mean and n~), on a half-resolution grid
    g      = exp(-z^2 / (2 k^2))                          1 where the difference is noise, 0 where
                                                          something moved (k = GATE_SIGMAS)
    n      = g * n~;  M_t = lerp(x_t, M~, n / (n + 1));  n_t = min(n + 1, frames)
    out    = guided_self(M_t, eps = spatial * s2 / n_t)   edge-preserving spatial smoothing, strong
                                                          where few frames were averaged (moving
                                                          regions, the first frames), none where many were

and a scene cut (the gate closed over most of the picture) resets the state. Whole-pixel shifts keep
the running mean sharp (a bilinear move would blur it a little more at every frame); the spatial
filter is applied to the output only, never fed back into the state.

``frames`` (how many frames the static regions average at most) and ``spatial`` come from the level
(``DENOISE_LEVELS``); docs/quality.md ("Denoising") has the measurements behind them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from enlight.stream.core.choices import DENOISE_LEVELS
from enlight.stream.core.motion import analysis_luma, global_shift
from enlight.stream.core.stages import Work

# level -> (frames averaged at most, spatial strength); measured in docs/quality.md ("Denoising")
LEVEL_PARAMS = {"light": (8, 2.0), "strong": (16, 4.0)}
GATE_SIGMAS = 3.0  # differences beyond ~3 noise standard deviations count as motion
SCENE_CUT = 0.2  # a frame where the mean gate falls below this is a new scene: the state is reset
NOISE_BINS = 16  # noise variance is tabulated against sqrt(intensity) in this many bins over 0..255
MIN_SAMPLES = 64  # a bin with fewer residual samples in a frame takes the frame's pooled estimate
NOISE_MEMORY = 0.8  # per-frame estimates enter the clip's table by this exponential average
NOISE_EVERY = 4  # the noise is estimated on each of the first 4 frames, then on every 4th
TRIM_SIGMAS = 2.0  # the noise estimate trims residuals beyond this many of its standard deviations
MIN_SIDE = 8  # smaller frames pass unchanged
QUANTISATION = 1 / 12  # the variance of 8-bit rounding: the least noise any frame has
TEMPORAL_EXCESS = 9.0  # the gate's noise measured over time may exceed the spatial prediction this much
NOISE_STRIDE = 4  # the residual is sampled on every 4th pixel of every 4th row (plenty, and cheap)
# Immerkaer's (1996) operator: the difference of two Laplacians, blind to planes and nearly so to edges;
# white noise of variance s2 gives a residual of variance 36 s2
_IMMERKAER = ((1.0, -2.0, 1.0), (-2.0, 4.0, -2.0), (1.0, -2.0, 1.0))


@dataclass(frozen=True)
class DenoiseConfig:
    """level: 'off', 'light' or 'strong' (``DENOISE_LEVELS``); frames and spatial: see the module."""

    level: str = "off"

    def __post_init__(self) -> None:
        if self.level not in DENOISE_LEVELS:
            raise ValueError(f"denoise level must be one of {', '.join(DENOISE_LEVELS)}, got {self.level}")

    @property
    def enabled(self) -> bool:
        return self.level != "off"

    @property
    def frames(self) -> int:
        return LEVEL_PARAMS[self.level][0] if self.enabled else 1

    @property
    def spatial(self) -> float:
        return LEVEL_PARAMS[self.level][1] if self.enabled else 0.0

    def describe(self) -> str:
        if not self.enabled:
            return "off"
        return (f"{self.level} (temporal, up to {self.frames} frames along the camera's motion, motion-gated; "
                f"spatial guided filter x{self.spatial:g} where fewer were averaged; noise estimated per clip)")


def _truncated_mean_factor(k: float) -> float:
    """E[|r| : |r| < k s] / s for Gaussian r of standard deviation s."""
    return math.sqrt(2 / math.pi) * (1 - math.exp(-k * k / 2)) / math.erf(k / math.sqrt(2))


def _sums(bins: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """(NOISE_BINS,) sums of ``values`` by bin (``bincount`` without its scan for the range)."""
    return torch.zeros(NOISE_BINS, dtype=values.dtype, device=values.device).scatter_add_(0, bins, values)


def _bins(v: torch.Tensor) -> torch.Tensor:
    """Intensity bins of v (any shape, 0..255): uniform in sqrt(intensity), finer where it is dark."""
    scaled = v.clamp(0, 255).sqrt() * (NOISE_BINS / math.sqrt(255.0))
    return scaled.long().clamp_(max=NOISE_BINS - 1)


def binned_sigma(residual: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """(NOISE_BINS,) robust standard deviation of zero-mean Gaussian ``residual`` samples (flat) in each
    bin: the mean of |r|, then three times the mean of the |r| under TRIM_SIGMAS of the last estimate
    (what is not noise, edges and texture or motion, falls in the trimmed tail). Bins with fewer than
    MIN_SAMPLES samples take the pooled estimate."""
    residual = residual.abs()
    count = _sums(bins, torch.ones_like(residual))
    sigma = _sums(bins, residual) / count.clamp(min=1) / math.sqrt(2 / math.pi)
    factor = _truncated_mean_factor(TRIM_SIGMAS)
    for _ in range(3):
        keep = (residual < TRIM_SIGMAS * sigma[bins]).float()
        count = _sums(bins, keep)
        sigma = _sums(bins, residual * keep) / count.clamp(min=1) / factor
    pooled = (sigma * count).sum() / count.sum().clamp(min=1)
    return torch.where(count >= MIN_SAMPLES, sigma, pooled)


class NoiseEstimator:
    """The noise variance of the frames as a function of intensity, learned over the clip.

    ``update(x)``: x (C, H, W) float 0..255 (one frame). Immerkaer's residual is taken on every
    fourth pixel, binned by the local 3x3 mean, and ``binned_sigma`` of it (divided by 6, the
    operator's gain on white noise) is that frame's table, which enters the clip's by an exponential
    average. ``variance(v)``: v (any shape) float 0..255 -> the noise variance of one channel at v,
    same shape, never below the 8-bit quantisation's 1/12.
    """

    def __init__(self) -> None:
        self.table: torch.Tensor | None = None  # (NOISE_BINS,) variance per bin

    def _frame_table(self, x: torch.Tensor) -> torch.Tensor:
        kernel = torch.tensor([_IMMERKAER, [[1 / 9] * 3] * 3], dtype=x.dtype, device=x.device)[:, None]
        both = F.conv2d(x[:, None], kernel, stride=NOISE_STRIDE)  # (C, 2, h, w): residual, local mean
        return (binned_sigma(both[:, 0].flatten(), _bins(both[:, 1]).flatten()) / 6).square()

    def update(self, x: torch.Tensor) -> None:
        table = self._frame_table(x.float()).clamp_(min=QUANTISATION)
        self.table = table if self.table is None else torch.lerp(table, self.table, NOISE_MEMORY)

    def variance(self, v: torch.Tensor) -> torch.Tensor:
        if self.table is None:
            raise RuntimeError("NoiseEstimator.variance before any update")
        return self.table[_bins(v)]


def _move(image: torch.Tensor, dx: int, dy: int, *, fill: float | None = None) -> torch.Tensor:
    """(C, H, W) moved by whole pixels: out(x) = image(x - shift); the uncovered border replicates the
    edge (fill None) or holds ``fill``."""
    if dx == 0 and dy == 0:
        return image
    h, w = image.shape[-2:]
    dx, dy = max(-w, min(w, dx)), max(-h, min(h, dy))
    kept = image[:, max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    pad = (max(0, dx), max(0, -dx), max(0, dy), max(0, -dy))
    if fill is None:
        return F.pad(kept[None], pad, mode="replicate")[0]
    return F.pad(kept, pad, value=fill)


# The helpers below are written as strided slices and adds: on a CPU they run 10-15x faster than
# avg_pool2d and bilinear interpolate for the same results (measured at 854x480, one thread).

def _box(x: torch.Tensor) -> torch.Tensor:
    """(C, h, w) mean over 3x3 windows, edges replicated."""
    p = F.pad(x[None], (1, 1, 1, 1), mode="replicate")[0]
    rows = p[:, :-2] + p[:, 1:-1] + p[:, 2:]
    return (rows[:, :, :-2] + rows[:, :, 1:-1] + rows[:, :, 2:]).div_(9)


def _half(x: torch.Tensor) -> torch.Tensor:
    """(C, H, W) -> (C, ceil(H/2), ceil(W/2)), 2x2 means (the grid of the gate and the filter's statistics);
    an odd last row or column is replicated."""
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        x = F.pad(x[None], (0, w % 2, 0, h % 2), mode="replicate")[0]
    rows = x[:, 0::2] + x[:, 1::2]
    return (rows[:, :, 0::2] + rows[:, :, 1::2]).mul_(0.25)


def _full(x: torch.Tensor, size: tuple[int, int], mode: str = "nearest") -> torch.Tensor:
    """(C, h, w) on the half grid -> (C, H, W): each value repeated over its 2x2 block, or bilinear."""
    if mode == "bilinear":
        return F.interpolate(x[None], scale_factor=2.0, mode="bilinear", align_corners=False)[0, :, :size[0], :size[1]]
    return F.interpolate(x[None], scale_factor=2.0)[0, :, :size[0], :size[1]]


def guided_self(x: torch.Tensor, scale: torch.Tensor, estimator: NoiseEstimator, *,
                out: torch.Tensor | None = None) -> torch.Tensor:
    """The fast guided filter (He & Sun 2015, subsampling 2) of each channel of x (C, H, W) 0..255 by
    itself, its eps the noise variance at each pixel's intensity times ``scale`` (1, h, w) on the half
    grid. Windows (about 6x6 pixels) whose variance is well above eps keep their detail, flatter ones
    are averaged. Returns (C, H, W) float32 (into ``out`` when given)."""
    half = _half(x)
    mean = _box(half)
    var = (_box(_half(x * x)) - mean * mean).clamp_(min=0)
    eps = estimator.variance(half.mean(0, keepdim=True)).mul_(scale)
    a = var / (var + eps)
    b = mean - a * mean
    size = x.shape[-2:]
    # bilinear: coefficients repeated over 2x2 blocks put steps into thin diagonal lines (seen on a
    # bridge's cables in docs/img/denoise_night.png)
    coefficients = _full(torch.cat([_box(a), _box(b)]), size, "bilinear")
    return torch.addcmul(coefficients[len(a):], coefficients[:len(a)], x, out=out)


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
        self._gate_table: torch.Tensor | None = None  # (NOISE_BINS,) the gate difference's variance, measured
        self.reset()

    @property
    def scene_cuts(self) -> int:
        return int(self._cuts)

    def reset(self) -> None:
        self._mean: torch.Tensor | None = None  # (3, H, W) running mean
        self._count: torch.Tensor | None = None  # (1, H, W) frames in it
        self._analysis: torch.Tensor | None = None  # (1, 1, h, w) the last frame's analysis luma

    def _shifts(self, frames: torch.Tensor) -> list[tuple[int, int]]:
        """Whole-pixel global shift of each frame from the one before (one device sync per batch)."""
        analysis, factor = analysis_luma(frames.mean(1, keepdim=True))
        previous = analysis[:1] if self._analysis is None else self._analysis
        self._analysis = analysis[-1:]
        shifts = global_shift(torch.cat([previous, analysis[:-1]]), analysis) * factor
        return [(int(dx), int(dy)) for dx, dy in shifts.round().long().tolist()]

    def _gate_noise(self, diff: torch.Tensor, level: torch.Tensor, count: torch.Tensor, measure: bool) -> torch.Tensor:
        """The variance of the gate's difference ``diff`` (1, h, w) under noise alone, at each pixel.

        Predicted from the spatial estimate for white noise (the channel mean's variance / 36), and
        measured over time: the robust spread of diff itself per intensity bin (most of a picture is
        static), which also sees noise that is correlated between pixels (compressed video) or between
        channels (grey sources). The larger is used, the measured one at most TEMPORAL_EXCESS times the
        prediction (so that a frame full of motion cannot open the gate)."""
        bins = _bins(level)
        spread = 1 + 1 / _half(count).clamp_(min=1)  # the running mean's own noise adds to the frame's
        white = self.mean_estimator.table[bins] / 36
        if measure:
            measured = binned_sigma((diff / spread.sqrt()).flatten(), bins.flatten()).square_()
            self._gate_table = measured if self._gate_table is None else torch.lerp(measured, self._gate_table,
                                                                                    NOISE_MEMORY)
        if self._gate_table is None:
            return white * spread
        return torch.maximum(white, torch.minimum(self._gate_table[bins], white * TEMPORAL_EXCESS)) * spread

    def _temporal(self, x: torch.Tensor, shift: tuple[int, int], measure: bool) -> None:
        """Fold frame x (3, H, W) into the running mean and count. The gate is computed on the half
        grid: 2x2 means of the channel-mean difference, box-filtered 3x3 (36 pixels)."""
        if self._mean is None or self._mean.shape != x.shape:
            self._mean, self._count = x.clone(), torch.ones_like(x[:1])
            return
        past = _move(self._mean, *shift)
        count = _move(self._count, *shift, fill=0.0)
        past_half = _half(past).mean(0, keepdim=True)
        diff = _box(_half(x).mean(0, keepdim=True).sub_(past_half))
        noise = self._gate_noise(diff, past_half, count, measure)
        gate = torch.exp(diff.square().div_(noise.clamp_(min=1e-4)).mul_(-0.5 / GATE_SIGMAS**2))
        cut = gate.mean() < SCENE_CUT  # a new scene: 0-d tensor, no device sync
        self._cuts = self._cuts + cut.to(torch.int32)
        count = count.mul_(_full(torch.where(cut, torch.zeros_like(gate), gate), x.shape[-2:]))
        self._mean = torch.lerp(x, past, count / (count + 1))
        self._count = count.add_(1).clamp_(max=self.config.frames)

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (B, 3, H, W) float 0..255 (or uint8) -> (B, 3, H, W) float32 0..255, denoised (unchanged
        when a side is under ``MIN_SIDE`` pixels)."""
        frames = frames.to(torch.float32, memory_format=torch.contiguous_format)
        if min(frames.shape[-2:]) < MIN_SIDE:
            return frames
        out = torch.empty_like(frames)
        for i, shift in enumerate(self._shifts(frames)):
            measure = self._seen < NOISE_EVERY or self._seen % NOISE_EVERY == 0
            if measure:
                self.estimator.update(frames[i])
                self.mean_estimator.update(frames[i].mean(0, keepdim=True))
            self._seen += 1
            self._temporal(frames[i], shift, measure)
            guided_self(self._mean, self.config.spatial / _half(self._count), self.estimator, out=out[i])
        return out.clamp_(0, 255)


class Denoise:
    """pixels (B, H, W, 3) uint8 RGB -> pixels (B, H, W, 3) float32 RGB 0..255, denoised (a view of
    an NCHW tensor: ``ModelInput`` and the full-size combine read it as they read uint8 pixels)."""

    def __init__(self, denoiser: Denoiser) -> None:
        self.denoiser = denoiser

    def __call__(self, work: Work) -> Work:
        work.pixels = self.denoiser(work.pixels.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return work
