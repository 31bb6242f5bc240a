"""A still photo before the enhancer: denoised once, whole, then debanded once, whole (the video path's order).

Both steps run on the whole 8-bit picture, not per tile, so that a photo enhanced in tiles gets one noise estimate
and one treatment. A video's denoiser averages each pixel over up to 8 frames and smooths spatially only where few
were averaged; a photo has one frame, so all of it gets the spatial part (the guided filter and, on a CPU, the
bilateral), which removes texture with the noise; its noise is measured from the photo's flattest blocks
(``enlight.stream.core.cpu.still_noise``), which fine texture does not inflate. ``--denoise light`` keeps a quarter
of the input over it (``STILL_KEEP``), ``strong`` none; a photo whose noise is under the video's floor
(``NOISE_FLOOR``: most JPEGs, whose coding removed it) is left as it is (docs/quality.md, "Noise in photos"). The
deband step follows: docs/quality.md, "Codec blocks in photos".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from enlight.ops import simd
from enlight.stream.core.denoise_config import MIN_SIDE, NOISE_FLOOR, STILL_KEEP, DenoiseConfig
from enlight.stream.core.memory import Budget, gib_text
from enlight.stream.core.plan import InferencePlan

DENOISE_BYTES_PER_PIXEL = 80  # the one-frame denoise's peak working memory (measured: 72 at 4032x3024)


@dataclass(frozen=True)
class PhotoNoise:
    """What ``denoise_photo`` did: level, the --denoise level run ('off': nothing measured); noise, the photo's
    noise standard deviation (0..255, root mean square over the picture); denoised, whether it was over the floor;
    why: where --denoise auto chose off (``DenoiseConfig.why``), why."""

    level: str = "off"
    noise: float = 0.0
    denoised: bool = False
    short: str = ""  # why it was not even measured: too small, or the working memory it needed against the budget
    why: str = ""

    def summary(self) -> str:
        """The summary line's piece: '' when --denoise off was asked, 'denoise off (auto: ...)' where auto chose it
        (a photo over 0.5 megapixels with --quality fast said nothing of it), else e.g. 'denoise light (noise
        1.42)' or 'noise 0.61 under the floor 1: not denoised'."""
        if self.level == "off":
            return f"denoise off ({self.why})" if self.why else ""
        if self.short:
            return f"not denoised: {self.short}"
        if self.denoised:
            return f"denoise {self.level} (noise {self.noise:.2f})"
        return f"noise {self.noise:.2f} under the floor {NOISE_FLOOR:g}: not denoised"


def denoise_photo(rgb: np.ndarray, config: DenoiseConfig, budget: Budget | None = None
                  ) -> tuple[np.ndarray, PhotoNoise]:
    """rgb (H, W, 3) uint8 -> (the same denoised as ``config`` (a plan's ``denoise``) asks, the input itself where it
    does not or the noise is under the floor; what was done). The video denoiser on one frame: its OpenCV form where
    OpenCV loads, elsewhere the torch form on the CPU without the refinements that need OpenCV (and with the video's
    noise estimate: ``still_noise`` needs OpenCV too); the input's share
    ``STILL_KEEP[level]`` added back, rounded to uint8 as the video path's CPU stage rounds. Where ``budget`` cannot
    hold its working memory (``DENOISE_BYTES_PER_PIXEL``) the photo is left as it is, and the summary says why."""
    if not config.enabled:
        return rgb, PhotoNoise(why=config.why)
    if min(rgb.shape[:2]) < MIN_SIDE:  # (the denoiser passes such frames unmeasured)
        return rgb, PhotoNoise(config.level, short=f"under {MIN_SIDE} pixels on a side, too small to measure its noise")
    need = DENOISE_BYTES_PER_PIXEL * rgb.shape[0] * rgb.shape[1]
    if budget is not None and need > budget.left:
        return rgb, PhotoNoise(config.level, short=f"it needs {gib_text(need)} of working memory, "
                                                   f"{budget.explain()}")
    frames = np.ascontiguousarray(rgb.transpose(2, 0, 1))[None]
    if simd.available():
        from enlight.stream.core.cpu.denoise import Denoiser

        denoiser = Denoiser(config)
        out = denoiser(frames)
    else:
        import torch

        from enlight.stream.core.denoise import Denoiser as TorchDenoiser

        denoiser = TorchDenoiser(replace(config, refine=False))  # its refinements are OpenCV's
        out = denoiser(torch.from_numpy(frames)).numpy()
    done = PhotoNoise(config.level, denoiser.noise, denoiser.noise >= NOISE_FLOOR)  # (the floor it passes under)
    if not done.denoised:
        return rgb, done
    keep = np.float32(STILL_KEEP[config.level])
    mixed = out[0] + keep * (frames[0] - out[0]) if keep else out[0]
    return np.ascontiguousarray(np.rint(np.clip(mixed, 0, 255)).astype(np.uint8).transpose(1, 2, 0)), done


def deband_photo(rgb: np.ndarray, plan: InferencePlan, *, deep: bool = False, chroma_step: int | None = None
                 ) -> tuple[np.ndarray, float]:
    """rgb (H, W, 3) uint8 -> (the same with its dark blocks and bands smoothed by ``simd.deband`` where
    ``plan.deband`` asks for it and the photo is 8-bit (``deep``: a 16-bit source, left as it is), and for a JPEG
    whose chroma was stored coarsely (``chroma_step``, its chroma DC quantisation step, at least
    ``COARSE_CHROMA_STEP``) its dark chroma blocks too (``enlight.ops.chroma_blocks``, where OpenCV loads); the share
    of pixels that changed, 0..1). Where OpenCV cannot load, the torch form (``enlight.ops.deband_frames``) runs, as the
    enhancer's stages do."""
    if not plan.deband or deep:
        return rgb, 0.0
    if simd.available():
        from enlight.ops.chroma_blocks import COARSE_CHROMA_STEP, smooth_dark_chroma

        out, changed = simd.deband(rgb[None])
        if chroma_step is not None and chroma_step >= COARSE_CHROMA_STEP:
            out, changed = smooth_dark_chroma(out[0])[None], True
    else:
        import torch

        from enlight.ops.deband_frames import deband

        out, changed = deband(torch.from_numpy(rgb)[None])
        out = out.numpy()
    return out[0], changed_share(out[0], rgb) if changed else 0.0


def changed_share(a: np.ndarray, b: np.ndarray) -> float:
    """The share of pixels of two (H, W, 3) uint8 pictures that differ in any channel (OpenCV: 0.3 against numpy's
    0.8 s for 48 megapixels)."""
    if not simd.available():
        return float((a != b).any(-1).mean())
    import cv2

    diff = cv2.split(cv2.absdiff(a, b))
    return cv2.countNonZero(cv2.max(cv2.max(diff[0], diff[1]), diff[2])) / (a.shape[0] * a.shape[1])
