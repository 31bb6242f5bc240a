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
# 854x480, 8- and 32-frame runs, the command's defaults (--denoise auto: light for best and balanced), one run
# on the otherwise idle machine (load 1.7-2.2: the runs themselves), 2026-12-05, with the CPU forms of the stages
# (no torch imported; the exports cached), docs/img/preset_costs_cpu_s10.json
COSTS = CostTable(
    where="costs measured on a 2-core AMD EPYC (family 25 model 17) with AVX-512 VNNI",
    kind="avx512_vnni",
    costs={
        ("best", "onnxruntime"): PresetCost(ms_per_mp=2722.6, startup_s=2.29),
        ("balanced", "onnxruntime int8"): PresetCost(ms_per_mp=586.8, startup_s=0.56),
        ("balanced", "onnxruntime"): PresetCost(ms_per_mp=642.8, startup_s=0.69),
        ("fast", "onnxruntime"): PresetCost(ms_per_mp=41.2, startup_s=0.44),
    },
)
# END MEASURED

__all__ = ["COSTS", "CostTable", "PresetCost"]
