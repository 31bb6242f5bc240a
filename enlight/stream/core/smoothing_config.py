"""The temporal smoother's configuration and the global-motion constants, importable without torch: shared by
the torch forms (``enlight.stream.core.smoothing`` and ``motion``, CUDA) and the numpy/OpenCV forms
(``enlight.stream.core.cpu.smoothing`` and ``cpu.motion``, CPU)."""

from __future__ import annotations

from dataclasses import dataclass

from enlight.stream.core.choices import MAX_SMOOTHING, SMOOTH_TARGET, SMOOTH_TARGETS, SMOOTHING_STRENGTH

# global motion (``motion``)
ANALYSIS_SHORT_SIDE = 96  # phase correlation runs on the luma area-downsampled to about this size
MAX_SHIFT_FRACTION = 0.125  # larger global shifts are not shake: reported as 0 (the motion gate handles them)
PEAK_SIGMAS = 6.0  # a correlation peak below 6 / sqrt(pixels) is noise (flat or unrelated frames): shift 0


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
