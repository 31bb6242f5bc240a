"""A live run's capture-to-display latencies, as a histogram of fixed size: the run's median and 95th percentile
without a value kept per frame (a webcam left on all night shows a million frames, and a list of them grew by 33
bytes a frame, to be copied twice more for the percentiles at the end)."""

from __future__ import annotations

import math

import numpy as np

LOWEST_MS = 0.05  # the first bin's lower edge; shorter latencies count in it
STEP = 1.005  # each bin 0.5% wider than the one before: a percentile within 0.25% of the latency it stands for
BINS = 2800  # up to 0.05 * 1.005**2800, about 60 s; longer latencies count in the last bin


class Latencies:
    """Latencies in ms, ``add`` one by one; ``count``, and ``percentile(q)`` (q 0..100) within 0.25%, from
    ``BINS`` counts whatever the number of frames."""

    def __init__(self) -> None:
        self.counts = np.zeros(BINS, np.int64)
        self.count = 0

    def add(self, ms: float) -> None:
        self.counts[_bin(ms)] += 1
        self.count += 1

    def percentile(self, q: float) -> float:
        """The latency (ms) that ``q`` percent of those added do not exceed (the middle of its bin); NaN for none."""
        if not self.count:
            return float("nan")
        index = int(np.searchsorted(np.cumsum(self.counts), q / 100 * self.count))
        index = min(index, BINS - 1)
        return LOWEST_MS * STEP ** (index + 0.5)


def _bin(ms: float) -> int:
    if ms <= LOWEST_MS:
        return 0
    return min(BINS - 1, int(math.log(ms / LOWEST_MS) / math.log(STEP)))
