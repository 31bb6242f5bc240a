"""The stages of enhancing one batch, each a small object with one protocol: ``stage(work) -> work``.

    [Denoise] -> [Deband] -> ModelInput -> [AttentionSmoothing] -> RunModel -> [CorrectionSmoothing] -> Combine
    -> [Exposure] -> [Detail] -> [Grey]

``Work`` carries what the stages hand on. Two paths, declared by the stages rather than discovered:
at full size (scale 1) ``ModelInput`` makes the float frames and ``Combine`` rounds the output to
uint8; at a reduced size ``ModelInput`` area-downscales the uint8 frames and ``Combine`` applies the
small correction to the full-size uint8 input in one multiply-add (``enlight.ops.scaled``), so the
smoothers run on the small frames. A denoiser and the deband step slot in before ``ModelInput``.
"""

from __future__ import annotations

import torch

from enlight.ops.deband_frames import deband
from enlight.ops.detail_frames import restore_detail
from enlight.ops.exposure_frames import lift_exposure, luma_histograms
from enlight.ops.guided import EPS, RADIUS
from enlight.ops.luma import attention_map, grey_uint8
from enlight.ops.pixels import to_model_input, to_uint8
from enlight.ops.scaled import combine_uint8, downscale_uint8
from enlight.stream.backends.base import Backend
from enlight.stream.core.denoise import Denoiser
from enlight.stream.core.exposure import ExposureFloor
from enlight.stream.core.work import AttentionSmoothing, CorrectionSmoothing, Work

# every stage of this form, the two that only call a smoother (of either form) among them
__all__ = ["AttentionSmoothing", "Combine", "CorrectionSmoothing", "Deband", "Denoise", "Detail", "Exposure",
           "Grey", "ModelInput", "RunModel"]


class Denoise:
    """pixels (B, H, W, 3) uint8 RGB -> the same, denoised: uint8 (rounded) for CPU frames, as the CPU form
    (``cpu.stages.Denoise``) hands them on, so that the two forms agree; float32 0..255 elsewhere (a view of an
    NCHW tensor, which ``ModelInput`` and ``Combine`` read as they read uint8 pixels)."""

    def __init__(self, denoiser: Denoiser) -> None:
        self.denoiser = denoiser

    def __call__(self, work: Work) -> Work:
        frames = work.pixels.permute(0, 3, 1, 2)
        denoised = self.denoiser(frames)
        if denoised is frames:  # passed unchanged
            return work
        if denoised.device.type == "cpu":
            work.pixels = denoised.round_().to(torch.uint8).permute(0, 2, 3, 1).contiguous()
        else:
            work.pixels = denoised.permute(0, 2, 3, 1)
        return work


class Deband:
    """pixels (B, H, W, 3) uint8 RGB, or float32 levels once denoised -> the same dtype, codec blocks and bands in the
    dark smoothed (``enlight.ops.deband_frames``); the batch itself where it has none."""

    def __init__(self) -> None:
        self.frames = self.changed = 0  # frames seen, frames changed (the summary line's count)

    def __call__(self, work: Work) -> Work:
        work.pixels, changed = deband(work.pixels)
        self.frames, self.changed = self.frames + len(work.pixels), self.changed + changed
        return work


class ModelInput:
    """pixels -> frames and attention, at full size (scale 1) or area-downscaled to 1/scale."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def __call__(self, work: Work) -> Work:
        if self.scale == 1:
            work.frames = to_model_input(work.pixels)
        else:
            work.frames = downscale_uint8(work.pixels, self.scale)
        work.attention = attention_map(work.frames)
        return work


class RunModel:
    """frames, attention -> output, by the backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __call__(self, work: Work) -> Work:
        work.output = self.backend(work.frames, work.attention).float()
        return work


class Combine:
    """output -> result (uint8, full size): rounded at scale 1; below it, the small correction carried
    to full size by ``upsample`` ('guided' or 'bilinear') and applied to the uint8 input."""

    def __init__(self, scale: float = 1.0, upsample: str = "guided", *, radius: int = RADIUS,
                 eps: float = EPS) -> None:
        self.scale, self.upsample, self.radius, self.eps = scale, upsample, radius, eps

    def __call__(self, work: Work) -> Work:
        if self.scale == 1:
            work.result = to_uint8(work.output)
        else:
            delta = work.output - work.frames
            work.result = combine_uint8(work.pixels, work.frames, delta, upsample=self.upsample,
                                        radius=self.radius, eps=self.eps)
        return work


class Exposure:
    """result -> the same, each frame darker than the floor's level lifted towards it by a power curve of its luma
    (``enlight.ops.exposure``; the power smoothed over time by ``floor``, an ``ExposureFloor``)."""

    def __init__(self, floor: ExposureFloor) -> None:
        self.floor = floor

    def __call__(self, work: Work) -> Work:
        work.result = lift_exposure(work.result, self.floor.powers(luma_histograms(work.result)))
        return work


class Detail:
    """result -> the same with a share ``strength`` of the input's luma detail at the local gain in place of its own
    (``enlight.ops.detail``; the input: ``pixels``, denoised when ``Denoise`` ran)."""

    def __init__(self, strength: float) -> None:
        self.strength = strength

    def __call__(self, work: Work) -> Work:
        work.result = restore_detail(work.result, work.pixels, self.strength)
        return work


class Grey:
    """result -> its BT.601 luma on all three channels (for sources without chroma)."""

    def __call__(self, work: Work) -> Work:
        work.result = grey_uint8(work.result)
        return work
