"""The denoiser's configuration and the constants of its method, importable without torch: shared by its
torch form (``enlight.stream.core.denoise``, CUDA) and its numpy/OpenCV form (``enlight.stream.core.cpu.denoise``,
CPU). The method and the measurements behind the numbers: those modules' docstrings and docs/quality.md
("Denoising")."""

from __future__ import annotations

from dataclasses import dataclass

from enlight.stream.core.choices import DENOISE_LEVELS

# level -> (frames averaged at most, spatial strength); measured in docs/quality.md ("Denoising")
LEVEL_PARAMS = {"light": (8, 2.0), "strong": (16, 4.0)}
# level -> the share of a still photo's input kept over its one-frame denoise (``photo_prepare.denoise_photo``): a
# photo has no past, so the whole picture gets the spatial part, which alone removes texture with the noise; chosen
# on the synthetic choosing set at four noise levels (docs/quality.md, "Noise in photos")
STILL_KEEP = {"light": 0.25, "strong": 0.0}
GATE_SIGMAS = 3.0  # differences beyond ~3 noise standard deviations count as motion
SCENE_CUT = 0.2  # a frame where the mean gate falls below this is a new scene: the state is reset
NOISE_EVERY = 4  # the noise is estimated on each of the first 4 frames, then on every 4th
MIN_SIDE = 8  # smaller frames pass unchanged
NOISE_FLOOR = 1.0  # frames whose noise (rms standard deviation, 0..255) is under this pass unchanged: clean
#                    night footage measured 0.29-0.83 over whole frames (its codec removed the pixel noise;
#                    denoising it only lost NIQE: dashcam 14.30 -> 15.90), the synthetic clips 4.5-6.5
NOISE_FLOOR_OFF = 0.8  # once denoising, it stops only under this (a clip near the floor does not flip on/off)
TEMPORAL_EXCESS = 9.0  # the gate's noise measured over time may exceed the spatial prediction this much
REGION_CAP = 16.0  # a value of z^2 adds at most this to its region's mean (``denoise_ops.region_excess``)
REGION_SIGMAS = 2.0  # a region's mean counts from this many robust spreads above the frame's median


# noise estimation (``denoise_noise``)
NOISE_BINS = 16  # noise variance is tabulated against sqrt(intensity) in this many bins over 0..255
MIN_SAMPLES = 64  # a bin with fewer residual samples in a frame takes the frame's pooled estimate
NOISE_MEMORY = 0.8  # per-frame estimates enter the clip's table by this exponential average
TRIM_SIGMAS = 2.0  # the noise estimate trims residuals beyond this many of its standard deviations
QUANTISATION = 1 / 12  # the variance of 8-bit rounding: the least noise any frame has
NOISE_STRIDE = 4  # the residual is sampled on every 4th pixel of every 4th row (plenty, and cheap)
# the CPU refinements (``denoise_local``)
FLOW_SNAP = 0.5  # residual flow vectors shorter than this (pixels) are dropped: the global move is exact
FLOW_LEVEL = 160.0  # the flow sees the channel mean stretched so its 99th percentile is at this 8-bit value
BILATERAL_DIAMETER = 7  # pixels
BILATERAL_SPACE = 4.0  # the spatial sigma, pixels
BILATERAL_RANGE = 3.0  # the range sigma, in noise standard deviations of one channel (x sqrt(3): OpenCV
#                        takes the sum of the three channels' differences)
FLOW_MIN_SIDE = 16  # the flow needs this many half-grid pixels on each side (DIS refuses under 12)
SPATIAL_FRAMES = 6  # the bilateral's weight falls linearly from 1 (one frame averaged) to 0 at this count
INVERSE_ENTRIES = 4096  # entries of the inverse transform's table (linear interpolation between them)
BAND = 64  # rows per band of the bilateral's boxes (full grid)
WHOLE = 0.5  # boxes over more than this fraction of the frame: the whole frame in one call
# the most rows and columns of a piece the bilateral filters in one call (full grid; even): its table look-up (an
# OpenCV remap of three samples a pixel) takes maps under 32767 on each side (SHRT_MAX), which a frame over 10922
# pixels wide passed (a phone's panorama, a 108-megapixel photo: an internal error)
PIECE = 10_000


def bilateral_pieces(y0: int, y1: int, x0: int, x1: int) -> list[tuple[int, int, int, int]]:
    """A box (y0, y1, x0, x1) on the full grid, with even y0 and x0, as pieces of at most PIECE rows and columns,
    each starting at an even offset (whole cells of the half grid). Each piece is filtered with its own margins,
    so the pieces give the box's own result."""
    return [(top, min(y1, top + PIECE), left, min(x1, left + PIECE))
            for top in range(y0, y1, PIECE) for left in range(x0, x1, PIECE)]


@dataclass(frozen=True)
class DenoiseConfig:
    """level: 'off', 'light' or 'strong' (``DENOISE_LEVELS``); frames and spatial: see the module.
    refine: the gate's colour term (``Denoiser._colour_excess``, every device) and, on CPU frames, the optical
    flow (``denoise_local.LocalMotion``) too; bilateral: with refine, on CPU frames, the bilateral
    (``denoise_local.NoiseBilateral``) as well, and without it the flow's cheaper preset (the lean form, as `fast`
    runs it on small frames; False whenever refine is). ``make_plan`` leaves the bilateral out for a reduced-size preset
    on a CPU over 0.15 MP and both out over 0.25 MP: at 854x480 they would cost it a quarter to a half of its
    frame rate against a 15% budget (docs/quality.md, "Denoising", "The flow for `fast` on small frames")."""

    level: str = "off"
    refine: bool = True
    bilateral: bool = True
    still: bool = False  # one still photo (``photo_prepare.denoise_photo``): the spatial part alone, some input
    #                      kept, the noise measured from the flattest blocks (``cpu.still_noise``)
    why: str = ""  # why the level is what it is where --denoise auto chose it off (``plan.denoise_config``)

    def __post_init__(self) -> None:
        if self.level not in DENOISE_LEVELS:
            raise ValueError(f"denoise level must be one of {', '.join(DENOISE_LEVELS)}, got {self.level}")
        if not self.refine:  # the bilateral is one of the refinements: without them, no bilateral either
            object.__setattr__(self, "bilateral", False)

    @property
    def enabled(self) -> bool:
        return self.level != "off"

    @property
    def frames(self) -> int:
        return LEVEL_PARAMS[self.level][0] if self.enabled else 1

    @property
    def spatial(self) -> float:
        return LEVEL_PARAMS[self.level][1] if self.enabled else 0.0

    @property
    def label(self) -> str:
        """The level as a run's summary says it: 'light', or 'off (auto: ...)' where ``why`` says why."""
        return f"{self.level} ({self.why})" if self.why else self.level

    def describe(self) -> str:
        if not self.enabled:
            return self.label
        if self.still:
            bilateral = " and, on a CPU, a bilateral" if self.bilateral else ""
            return (f"{self.level} (one frame: the spatial guided filter{bilateral}, {STILL_KEEP[self.level]:.0%} of "
                    f"the input kept; noise from the photo's flattest blocks, left as it is under {NOISE_FLOOR:g})")
        if not self.refine:
            return (f"{self.level} (temporal, up to {self.frames} frames along the camera's motion, motion-gated; "
                    f"spatial guided filter x{self.spatial:g} where fewer were averaged; noise estimated per clip)")
        bilateral = ", and a bilateral on a CPU" if self.bilateral else ""
        return (f"{self.level} (temporal, up to {self.frames} frames along the camera's motion and, on a CPU, "
                f"the optical flow, motion-gated; spatial guided filter x{self.spatial:g} where fewer were "
                f"averaged{bilateral}; noise estimated per clip)")
