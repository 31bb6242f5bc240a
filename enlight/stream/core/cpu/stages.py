"""The CPU forms of the stages (``enlight.stream.core.stages`` has the method and the torch forms, which run on
CUDA): the same ``Work`` (``enlight.stream.core.work``) with numpy arrays of the same shapes, the full-size work in
OpenCV (``enlight.ops.simd``), the smoothers and the denoiser in their numpy forms. Importable without torch: a CPU
run with ONNX Runtime never loads it (1.2 s of start-up on 2 cores; issue 17). Outputs equal the torch forms'
within one code value (tests/stream/test_cpu_stages.py)."""

from __future__ import annotations

import numpy as np

from enlight.ops import simd
from enlight.ops.guided_fit import EPS, RADIUS
from enlight.ops.luma import BT601_LUMA, attention_map
from enlight.stream.backends.base import Backend
from enlight.stream.core.cpu.denoise import Denoiser
from enlight.stream.core.exposure import ExposureFloor
from enlight.stream.core.work import AttentionSmoothing, CorrectionSmoothing, Work

# every stage of this form, the two that only call a smoother (of either form) among them
__all__ = ["AttentionSmoothing", "Combine", "CorrectionSmoothing", "Deband", "Denoise", "Detail", "Exposure",
           "Grey", "ModelInput", "RunModel"]


def to_model_input(batch: np.ndarray) -> np.ndarray:
    """(B, H, W, 3) uint8 RGB -> (B, 3, H, W) float32 RGB in [-1, 1] (contiguous)."""
    frames = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)
    frames /= np.float32(127.5)
    frames -= np.float32(1.0)
    return frames


def to_uint8(frames: np.ndarray) -> np.ndarray:
    """(B, 3, H, W) float32 RGB, nominally [-1, 1] -> (B, H, W, 3) uint8 (clamped, rounded half to even)."""
    value = (frames + np.float32(1.0)) * np.float32(127.5)
    return np.rint(np.clip(value, 0, 255, out=value), out=value).astype(np.uint8).transpose(0, 2, 3, 1)


def grey_uint8(frames: np.ndarray) -> np.ndarray:
    """(B, H, W, 3) uint8 RGB -> the same shape, its BT.601 luma (rounded) on all three channels."""
    value = (frames.astype(np.float32) * np.asarray(BT601_LUMA, np.float32)).sum(-1, keepdims=True)
    return np.repeat(np.clip(np.rint(value), 0, 255).astype(np.uint8), 3, axis=-1)


class Denoise:
    """pixels (B, H, W, 3) uint8 RGB -> the same, denoised (rounded to uint8, so that the reduced-size path keeps
    its OpenCV forms); unchanged when the denoiser passes the batch (noise under its floor)."""

    def __init__(self, denoiser: Denoiser) -> None:
        self.denoiser = denoiser

    def __call__(self, work: Work) -> Work:
        frames = work.pixels.transpose(0, 3, 1, 2)
        denoised = self.denoiser(frames)
        if denoised is not frames:
            work.pixels = np.ascontiguousarray(np.rint(denoised).astype(np.uint8).transpose(0, 2, 3, 1))
        return work


class Deband:
    """pixels (B, H, W, 3) uint8 RGB -> the same, codec blocks and bands in the dark smoothed (``simd.deband``,
    ``enlight.ops.deband``); the batch itself where it has none."""

    def __init__(self) -> None:
        self.frames = self.changed = 0  # frames seen, frames changed (the summary line's count)

    def __call__(self, work: Work) -> Work:
        work.pixels, changed = simd.deband(work.pixels)
        self.frames, self.changed = self.frames + len(work.pixels), self.changed + changed
        return work


class ModelInput:
    """pixels -> frames and attention, at full size (scale 1) or area-downscaled to 1/scale."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def __call__(self, work: Work) -> Work:
        work.frames = to_model_input(work.pixels) if self.scale == 1 else simd.downscale(work.pixels, self.scale)
        work.attention = attention_map(work.frames)
        return work


class RunModel:
    """frames, attention -> output, by the backend (numpy in, numpy out)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __call__(self, work: Work) -> Work:
        work.output = np.asarray(self.backend(work.frames, work.attention), dtype=np.float32)
        return work


class Combine:
    """output -> result (uint8, full size): rounded at scale 1; below it, the small correction carried to full size
    by ``upsample`` ('guided' or 'bilinear') and applied to the uint8 input (``simd.combine``)."""

    def __init__(self, scale: float = 1.0, upsample: str = "guided", *, radius: int = RADIUS,
                 eps: float = EPS) -> None:
        self.scale, self.upsample, self.radius, self.eps = scale, upsample, radius, eps

    def __call__(self, work: Work) -> Work:
        if self.scale == 1:
            work.result = to_uint8(work.output)
        else:
            work.result = simd.combine(work.pixels, work.frames, work.output - work.frames, upsample=self.upsample,
                                       radius=self.radius, eps=self.eps)
        return work


class Exposure:
    """result -> the same, each frame darker than the floor's level lifted towards it by a power curve of its luma
    (``enlight.ops.exposure``; the power smoothed over time by ``floor``, an ``ExposureFloor``), in OpenCV
    (``simd.lift_exposure``)."""

    def __init__(self, floor: ExposureFloor) -> None:
        self.floor = floor

    def __call__(self, work: Work) -> Work:
        work.result = simd.lift_exposure(work.result, self.floor.powers(simd.luma_histograms(work.result)))
        return work


class Detail:
    """result -> the same with a share ``strength`` of the input's luma detail at the local gain in place of its own
    (``simd.restore_detail``)."""

    def __init__(self, strength: float) -> None:
        self.strength = strength

    def __call__(self, work: Work) -> Work:
        work.result = simd.restore_detail(work.result, work.pixels, self.strength)
        return work


class Grey:
    """result -> its BT.601 luma on all three channels (for sources without chroma)."""

    def __call__(self, work: Work) -> Work:
        work.result = grey_uint8(work.result)
        return work
