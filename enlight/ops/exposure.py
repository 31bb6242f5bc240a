"""A floor on how bright the enhanced picture is (``--exposure LEVEL``): a frame whose mean BT.601 luma is below
``LEVEL`` is lifted to it by a power curve of its luma, y -> 255 (y / 255)^p with p <= 1, applied as one gain on
all three channels (so the hue stays the network's). Frames at or above the level pass unchanged. Off by default.

Why it is an option and not the default (docs/training.md, "Brighter for the sets with a truth"): the shipped
generator leaves very dark inputs darker than a well-exposed shot of the same scene (validation split: mean luma 78
against the partners' 114; LOL15: 76 against 116), which costs most of its PSNR there (gain-matched to the truth,
validation 14.4 -> 19.0 dB, LOL15 15.2 -> 24.5). A floor of 100, chosen on the choosing sets (the best pooled PSNR
of the validation split's partners and the synthetic set, NIQE lower on both), gives validation 16.4 dB, but it
turns a real night highway's black sky into a flat grey full of codec blocks. Night footage is what the product
is for, so the floor is for footage that should look like day: dim rooms, webcams, indoor scenes.

The per-frame power is a scalar found on a histogram (numpy, imported when first used: the command line reads
``LIMIT`` before anything heavy is imported); the curve's two forms are ``simd.lift_exposure`` (OpenCV) and
``exposure_frames.lift_exposure`` (torch).
"""

from __future__ import annotations

LIMIT = 200.0  # the highest level a user may ask for (0-255 luma)
MIN_POWER = 0.4  # the strongest lift: 255 (y / 255)^0.4 takes luma 1 to 28 and 10 to 70
SAMPLE = 4  # the power is found on the luma of every 4th row and column (a 1/16 sample)
DARKEST = 0.5  # levels: the least luma the curve's gain is taken at, and what a histogram's bin 0 stands for


def power_for_mean(histogram, level: float) -> float:
    """The power p in [``MIN_POWER``, 1] whose curve 255 (y / 255)^p takes the mean luma of ``histogram`` ((256,)
    counts of uint8 luma values) to ``level`` (0-255): 1 when the mean is already there or above, ``MIN_POWER``
    when even that is not enough. Bisection in log p, to within 0.1%."""
    import numpy as np

    weights = np.asarray(histogram, np.float64)
    if weights.sum() == 0 or level <= 0:
        return 1.0
    target = level / 255

    def mean(power: float) -> float:
        return mean_after(weights, power) / 255

    if mean(1.0) >= target:
        return 1.0
    if mean(MIN_POWER) <= target:
        return MIN_POWER
    low, high = np.log(MIN_POWER), 0.0
    while high - low > 1e-3:
        middle = (low + high) / 2
        low, high = (middle, high) if mean(float(np.exp(middle))) > target else (low, middle)
    return float(np.exp((low + high) / 2))


def mean_after(histogram, power: float) -> float:
    """The mean luma (0-255) of ``histogram`` ((256,) counts of uint8 luma, not all 0) after the curve
    255 (y / 255)^power."""
    import numpy as np

    weights = np.asarray(histogram, np.float64)
    centres = np.maximum(np.arange(256, dtype=np.float64), DARKEST) / 255
    return 255 * float(weights @ centres ** power) / weights.sum()


def luma_histogram(luma):
    """(256,) counts of a uint8 luma map (numpy, any shape)."""
    import numpy as np

    return np.bincount(np.asarray(luma, np.uint8).ravel(), minlength=256)
