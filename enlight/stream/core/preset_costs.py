"""The measured cost of each ``--quality`` preset per runtime on a CPU: what ``--quality auto``
estimates a run's time from (``enlight.stream.core.auto_quality``). Torch-free.

Written by ``python benchmarks/preset_costs.py --write`` (whole ``enlight-video`` processes on
generated clips, run under ``quiet``); docs/benchmarks.md, "--quality auto", has the run.
ms_per_mp: end-to-end milliseconds per frame per megapixel of frame (decode, enhance and encode
overlapping, as a file run does them); startup_s: from the process start to the first frame.
A photo has its own line where measured (``python benchmarks/photo_costs.py --write``: whole processes on one
photo at two of a phone's sizes, in one piece or in tiles as the machine's memory allows): per megapixel it costs
more than a video frame, and more the bigger it is (tiles, memory), so the line through the two sizes meets zero
megapixels below zero seconds; ``photo_seconds`` takes the larger of that line and the video's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class PresetCost:
    ms_per_mp: float
    startup_s: float  # of a photo line: its value at zero megapixels, which may be below zero

    def seconds_per_frame(self, megapixels: float) -> float:
        return self.ms_per_mp * megapixels / 1000


@dataclass(frozen=True)
class CostTable:
    """costs: (preset, runtime as the summary names it) -> its cost per video frame; photo: the same for one
    photo (``photo_seconds``); where: the machine, in words."""

    where: str
    kind: str  # enlight.stream.core.cpu_kind.cpu_kind of the machine measured
    costs: dict[tuple[str, str], PresetCost] = field(default_factory=dict)
    photo: dict[tuple[str, str], PresetCost] = field(default_factory=dict)

    def photo_seconds(self, preset: str, runtime: str | None, megapixels: float) -> float | None:
        """The seconds one photo of ``megapixels`` takes from the process start: the larger of the photo line
        and the video cost (start-up and one frame); None where the table has neither for this preset."""
        lines = [c for c in (self.photo.get((preset, runtime)), self.costs.get((preset, runtime))) if c is not None]
        return max((c.startup_s + c.seconds_per_frame(megapixels) for c in lines), default=None)


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

# BEGIN PHOTO COSTS (benchmarks/photo_costs.py --write replaces this block)
# photos of 2016x1512 and 4032x3024 (JPEG), the fastest of 2 whole processes each, 2026-12-06, CPU: AMD EPYC (family
# 25 model 17), 2 cores; flags: avx2 avx512f avx512_vnni avx512_bf16; no amx_int8
PHOTO_COSTS: dict[tuple[str, str], PresetCost] = {
    ("best", "onnxruntime"): PresetCost(ms_per_mp=5080.1, startup_s=-5.43),
    ("fast", "onnxruntime"): PresetCost(ms_per_mp=137.2, startup_s=0.30),
    ("balanced", "onnxruntime int8"): PresetCost(ms_per_mp=960.5, startup_s=-0.31),
    ("balanced", "onnxruntime"): PresetCost(ms_per_mp=1352.8, startup_s=-1.00),
}
# END PHOTO COSTS
COSTS = replace(COSTS, photo=PHOTO_COSTS)

__all__ = ["COSTS", "PHOTO_COSTS", "CostTable", "PresetCost"]
