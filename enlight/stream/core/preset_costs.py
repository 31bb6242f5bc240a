"""The measured cost of each ``--quality`` preset per runtime on a CPU: what ``--quality auto``
estimates a run's time from (``enlight.stream.core.auto_quality``). Torch-free.

Written by ``python benchmarks/preset_costs.py --write`` (whole ``enlight-video`` processes on
generated clips, run under ``quiet``); docs/benchmarks.md, "--quality auto", has the run.
ms_per_mp: end-to-end milliseconds per frame per megapixel of frame (decode, enhance and encode
overlapping, as a file run does them); startup_s: from the process start to the first frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PresetCost:
    ms_per_mp: float
    startup_s: float

    def seconds_per_frame(self, megapixels: float) -> float:
        return self.ms_per_mp * megapixels / 1000


@dataclass(frozen=True)
class CostTable:
    """costs: (preset, runtime as the summary names it) -> its cost; where: the machine, in words."""

    where: str
    kind: str  # enlight.stream.core.cpu_kind.cpu_kind of the machine measured
    costs: dict[tuple[str, str], PresetCost] = field(default_factory=dict)


# BEGIN MEASURED (benchmarks/preset_costs.py --write replaces this block)
# 854x480, 8- and 24-frame runs, the command's defaults (--denoise auto: light for best and balanced), the
# faster of 2 repeats of one run on the otherwise idle machine (load 1.8-2.0: the run itself), 2026-12-04,
# with the stage-2 weights (margin 16 for best and balanced, 32 before) and issue 17's second-session pipeline
COSTS = CostTable(
    where="costs measured on a 2-core AMD EPYC (family 25 model 17) with AVX-512 VNNI",
    kind="avx512_vnni",
    costs={
        ("best", "onnxruntime"): PresetCost(ms_per_mp=2740.1, startup_s=3.76),
        ("balanced", "onnxruntime int8"): PresetCost(ms_per_mp=613.2, startup_s=2.13),
        ("balanced", "onnxruntime"): PresetCost(ms_per_mp=839.6, startup_s=1.87),
        ("fast", "onnxruntime"): PresetCost(ms_per_mp=44.3, startup_s=2.16),
    },
)
# END MEASURED

__all__ = ["COSTS", "CostTable", "PresetCost"]
