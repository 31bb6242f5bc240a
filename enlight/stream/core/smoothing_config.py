"""The temporal smoother's configuration and the global-motion constants, importable without torch: shared by
the torch forms (``enlight.stream.core.smoothing`` and ``motion``, CUDA) and the numpy/OpenCV forms
(``enlight.stream.core.cpu.smoothing`` and ``cpu.motion``, CPU)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from enlight.stream.core.choices import MAX_SMOOTHING, SMOOTH_TARGET, SMOOTH_TARGETS, SMOOTHING_STRENGTH

# global motion (``motion``)
ANALYSIS_SHORT_SIDE = 96  # phase correlation runs on the luma area-downsampled to about this size
MAX_SHIFT_FRACTION = 0.125  # larger global shifts are not shake: reported as 0 (the motion gate handles them)
PEAK_SIGMAS = 6.0  # a correlation peak below 6 / sqrt(pixels) is noise (flat or unrelated frames): shift 0


@lru_cache(maxsize=64)
def dft_side(n: int) -> int:
    """The largest size <= n (n >= 1) with no prime factor over 5: the analysis picture is cropped to it, since a
    DFT of a size with a large prime factor is several times slower (OpenCV, 213x120: 2.4 ms a pair of frames
    against 0.65 at 200x120)."""
    for size in range(n, 0, -1):
        rest = size
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return size
    raise ValueError(f"a side must be at least 1, got {n}")


def analysis_crop(height: int, width: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the centred crop of a (height, width) analysis picture to ``dft_side``
    sizes."""
    h, w = dft_side(height), dft_side(width)
    top, left = (height - h) // 2, (width - w) // 2
    return top, top + h, left, left + w


@dataclass(frozen=True)
class SmoothingConfig:
    """strength in [0, MAX_SMOOTHING] (0 = off); target: correction, attention or both; thresholds in
    luma units ([0, 1]). Defaults from docs/quality.md."""

    strength: float = SMOOTHING_STRENGTH
    target: str = SMOOTH_TARGET
    motion_threshold: float = 0.08
    scene_cut_threshold: float = 0.15
    follow_camera: bool = True  # move the state along the global (shake) motion

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= MAX_SMOOTHING:
            raise ValueError(f"smoothing strength must be within [0, {MAX_SMOOTHING}], got {self.strength}")
        if self.target not in SMOOTH_TARGETS:
            raise ValueError(f"smoothing target must be one of {', '.join(SMOOTH_TARGETS)}, got {self.target}")
        if self.motion_threshold <= 0 or self.scene_cut_threshold <= 0:
            raise ValueError("smoothing thresholds must be positive")

    @property
    def smooths_correction(self) -> bool:
        return self.strength > 0 and self.target in ("correction", "both")

    @property
    def smooths_attention(self) -> bool:
        return self.strength > 0 and self.target in ("attention", "both")
