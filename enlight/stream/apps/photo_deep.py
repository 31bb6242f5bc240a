"""A 16-bit photo's result at 16 bits, through the model itself (a 16-bit PNG or TIFF, a camera RAW developed).

The enhancer works at 8 bits: the model sees the photo rounded to 256 levels, and its correction was added to the
16-bit pixels as it was (``photo.apply_to_16bit``). Where the picture is lifted several times, as in a RAW's deep
shadows or a dark sky's gradient, each of the model's 8-bit steps came out as a band of a few levels: a smooth
16-bit ramp lifted from levels 0-12 to 15-72 rose in steps of 2-5 levels.

Here the model also runs on the 16-bit picture itself (as float: the model's input is float) and on the 8-bit one
it was rounded to; their difference, the model's own response to what the rounding removed, is added to the 8-bit
result (with every stage after the model, the detail step included). Both of those runs see the photo before the
denoise step, so the difference carries no noise back. Two more model runs, whole or in tiles (``photo.tile_layout``
for the memory left less ``DEEP_BYTES_PER_PIXEL`` a pixel): only where the output holds 16 bits and the photo is
enhanced at full size (``best``, ``balanced``) on a CPU; elsewhere the correction is added as before.

    rgb16 = deep_result(photo.rgb16, photo.rgb, enhanced, backend)
"""

from __future__ import annotations

import numpy as np

from enlight.ops.luma import BT601_LUMA
from enlight.stream.backends.base import Backend
from enlight.stream.core.plan import InferencePlan
from enlight.stream.io.photo_reader import eight_bits

# what the 16-bit runs hold beside the model's own work: the float picture, the two outputs and their difference
DEEP_BYTES_PER_PIXEL = 48


def takes_deep(plan: InferencePlan) -> bool:
    """Whether ``deep_result`` applies to a photo enhanced with ``plan``: at full size, on a CPU."""
    return plan.scale == 1 and plan.device.type == "cpu"


def _model_output(pixels: np.ndarray, backend: Backend) -> np.ndarray:
    """(H, W, 3) uint8 or float32 0..255 -> the model's (H, W, 3) float32 output in 0..255 levels (unrounded)."""
    from enlight.stream.core.cpu.stages import ModelInput, RunModel
    from enlight.stream.core.work import Work

    work = RunModel(backend)(ModelInput(1.0)(Work(pixels=pixels[None])))
    return (work.output[0].transpose(1, 2, 0) + np.float32(1)) * np.float32(127.5)


def _model_difference(rgb16: np.ndarray, backend: Backend) -> np.ndarray:
    """(h, w, 3) uint16 -> (h, w, 3) float32: the model's output on it (as float levels) less its output on its
    8-bit rounding."""
    fine = _model_output(rgb16.astype(np.float32) / np.float32(257), backend)
    return fine - _model_output(eight_bits(rgb16), backend)


def deep_result(rgb16: np.ndarray, rgb8: np.ndarray, enhanced8: np.ndarray, backend: Backend, *,
                detail: float = 0.0, grey: bool = False, layout: tuple[int, int] | None = None) -> np.ndarray:
    """rgb16 (H, W, 3) uint16, rgb8 its 8-bit rounding (uint8), enhanced8 the enhancer's (H, W, 3) uint8 result ->
    (H, W, 3) uint16: enhanced8 plus the model's output on rgb16 less its output on rgb8 (whole, or in the tiles of
    ``layout``, cross-faded as the photo's were), and the same difference of the detail step of strength
    ``detail`` (``simd.detail_shift``); its BT.601 luma on every channel where the result is ``grey``; where
    enhanced8 is black or white, so is the result."""
    from enlight.ops import simd
    from enlight.stream.core.tiles import enhance_in_tiles

    if layout is None:
        difference = _model_difference(rgb16, backend)
    else:
        difference = enhance_in_tiles(lambda part: _model_difference(part, backend), rgb16, *layout, rounded=False)
    difference += simd.detail_shift(enhanced8, rgb16.astype(np.float32) / np.float32(257), rgb8, detail)[..., None]
    if grey:
        difference = np.repeat(difference @ np.asarray(BT601_LUMA, np.float32), 3).reshape(difference.shape)
    out = np.clip(np.rint((enhanced8 + difference) * np.float32(257)), 0, 65535).astype(np.uint16)
    out[enhanced8 == 255] = 65535
    out[enhanced8 == 0] = 0
    return out
