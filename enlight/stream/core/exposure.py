"""``--exposure``'s running power: the curve of ``enlight.ops.exposure`` found frame by frame and smoothed over
time, so that a clip brightens and darkens like a camera's auto-exposure, not frame by frame (torch-free; the
stages of either form give it their frames' histograms)."""

from __future__ import annotations

import math

import numpy as np

from enlight.ops.exposure import MIN_POWER, mean_after, power_for_mean
from enlight.text import counted

KEEP = 0.8  # share of the running log power kept per frame: 0.8**16 = 0.03, as the segments' warm-up (WARMUP_FRAMES)


class ExposureFloor:
    """level: the mean BT.601 luma (0-255) frames are lifted to. ``powers(histograms)``: (B, 256) luma counts of
    consecutive frames -> their curves' powers, each frame's own power averaged in the log domain with the past
    (``KEEP``); the first frame takes its own. One clip per object."""

    def __init__(self, level: float, keep: float = KEEP) -> None:
        self.level = level
        self.keep = keep
        self._log_power: float | None = None
        self.seen = 0  # frames so far
        self.lifted = 0  # of them, frames whose curve was not the identity
        self.short = 0  # of them, frames the strongest lift left below the level
        self.reached: tuple[float, float] | None = None  # the lowest and highest mean luma those frames reached
        # (two numbers, not one a frame: a list of them grew all through a night's live run or an hour's video)

    def describe(self) -> str:
        """For a run's summary, e.g. 'to 100: 58 of 60 frames lifted', and where the strongest curve
        (``MIN_POWER``) could not take frames to the level, how far it took them: 'to 200: 60 of 60 frames lifted,
        60 of them only to about mean luma 121-126 (the strongest lift)'."""
        text = f"to {self.level:g}: {self.lifted} of {counted(self.seen, 'frame')} lifted"
        if not self.short:
            return text
        low, high = round(self.reached[0]), round(self.reached[1])
        reached = f"{low}" if low == high else f"{low}-{high}"
        return f"{text}, {self.short} of them only to about mean luma {reached} (the strongest lift)"

    def describe_still(self) -> str:
        """``describe`` for one photo, e.g. 'to 100: lifted', 'to 200: lifted only to about mean luma 108 (the
        strongest lift)', 'to 60: already brighter'."""
        if not self.lifted:
            return f"to {self.level:g}: already brighter"
        if self.short:
            return f"to {self.level:g}: lifted only to about mean luma {round(self.reached[0])} (the strongest lift)"
        return f"to {self.level:g}: lifted"

    def powers(self, histograms: np.ndarray) -> list[float]:
        out = []
        for histogram in histograms:
            own = math.log(power_for_mean(histogram, self.level))
            if own <= math.log(MIN_POWER) and histogram.sum() > 0:
                self._fell_short(mean_after(histogram, MIN_POWER))
            self._log_power = own if self._log_power is None else self.keep * self._log_power + (1 - self.keep) * own
            out.append(1.0 if self._log_power > -1e-3 else math.exp(self._log_power))  # within 0.1%: left as it is
        self.seen += len(out)
        self.lifted += sum(p < 1 for p in out)
        return out

    def _fell_short(self, mean: float) -> None:
        """A frame the strongest lift took to ``mean`` luma only, below the level."""
        self.short += 1
        low, high = self.reached or (mean, mean)
        self.reached = (min(low, mean), max(high, mean))
