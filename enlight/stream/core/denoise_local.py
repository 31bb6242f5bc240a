"""The denoiser's CPU refinements (``enlight.stream.core.denoise``), with OpenCV's SIMD code.

Local motion (``LocalMotion``): the global whole-pixel shift leaves what moves on its own (people,
parallax, a camera that also turns) misaligned, and the motion gate then closes there, so few frames
are averaged. DIS optical flow (OpenCV, preset ``fast``, on the half grid: on the full grid it cost 10 ms
more per 854x480 frame for the same PSNR on the panning clip) between the frame and the running mean
already moved by the global shift gives what is left of the motion; residual vectors under FLOW_SNAP
pixels are dropped (the flow of noisy frames is not that accurate, and the whole-pixel move is exact: resampling the
mean by a wrong fraction blurs it, and the blur accumulates), and per pixel (3x3 means of 2x2 blocks,
the gate's grid) the mean moved by the flow replaces the one moved by the global shift where it fits
the frame better.

Spatial (``NoiseBilateral``): where few frames were averaged (moving things, what enters a panning
picture) the guided filter is too weak. There a bilateral filter of the running mean is blended in, run
on it after a variance-stabilising transform built from the clip's noise table (T(v) = integral of
1 / sigma(v): the noise is about 1 in every place and at every intensity, so one range parameter fits
the whole picture), and transformed back; its weight falls from 1 at one frame to 0 at
SPATIAL_FRAMES. The constants were chosen on the benchmark's five synthetic clips at both noise levels
(docs/quality.md, "Denoising"): diameter 5 lost 0.3-0.9 dB on the panning bikes clip (within 0.3 dB
elsewhere, either way), a range of 4 noise units lost 0.1-0.6 dB on the others; on CPU frames only.
"""

from __future__ import annotations

import numpy as np
import torch

from enlight.stream.core.denoise_noise import NoiseEstimator
from enlight.stream.core.denoise_ops import box, full, half

FLOW_SNAP = 0.5  # residual flow vectors shorter than this (pixels) are dropped: the global move is exact
FLOW_LEVEL = 160.0  # the flow sees the channel mean stretched so its 99th percentile is at this 8-bit value
BILATERAL_DIAMETER = 7  # pixels
BILATERAL_SPACE = 4.0  # the spatial sigma, pixels
BILATERAL_RANGE = 3.0  # the range sigma, in noise standard deviations of one channel (x sqrt(3): OpenCV
#                        takes the sum of the three channels' differences)
FLOW_MIN_SIDE = 16  # the flow needs this many half-grid pixels on each side (DIS refuses under 12)
SPATIAL_FRAMES = 6  # the bilateral's weight falls linearly from 1 (one frame averaged) to 0 at this count
_INVERSE = 4096  # entries of the inverse transform's table (nearest: under 0.1 of a level apart)


def _grey(luma: torch.Tensor, gain: float) -> np.ndarray:
    """(H, W) float 0..255 (a channel mean) -> (H, W) uint8 luma x gain (the flow's input)."""
    return torch.mul(luma, gain).round_().clamp_(0, 255).to(torch.uint8).numpy()


class LocalMotion:
    """What the global shift leaves: see the module. One per clip."""

    def __init__(self) -> None:
        self._flow = None  # cv2.DISOpticalFlow, made on first use
        self._gain: float | None = None  # the flow input's stretch, fixed per clip

    def __call__(self, x: torch.Tensor, past: torch.Tensor, count: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (3, H, W) the frame, past (3, H, W) the running mean moved by the global shift, count (1, h, w)
        its frame count on the half grid -> (past, count), moved further where the flow fits better."""
        import cv2

        if self._flow is None:
            self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        if self._gain is None:
            top = float(torch.quantile(x[:, ::4, ::4].mean(0).flatten(), 0.99))
            self._gain = FLOW_LEVEL / max(top, 8.0)
        h, w = x.shape[-2:]
        if min(count.shape[-2:]) < FLOW_MIN_SIDE:
            return past, count
        luma, past_luma = x.mean(0), past.mean(0)
        small_luma, small_past = half(luma[None])[0], half(past_luma[None])[0]
        flow = self._flow.calc(_grey(small_luma, self._gain), _grey(small_past, self._gain), None)  # on the half
        length = flow[..., 0] * flow[..., 0]  #                                         grid: x(p) ~ past(p + flow)
        length += flow[..., 1] * flow[..., 1]
        if not (length >= (FLOW_SNAP / 2) ** 2).any():
            return past, count
        flow *= (length >= (FLOW_SNAP / 2) ** 2)[..., None]
        small_h, small_w = flow.shape[:2]
        half_x = np.round(flow[..., 0] + np.arange(small_w, dtype=np.float32))
        half_y = np.round(flow[..., 1] + np.arange(small_h, dtype=np.float32)[:, None])
        moved_count = torch.from_numpy(cv2.remap(count[0].numpy(), half_x, half_y, cv2.INTER_NEAREST,
                                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0))[None]
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
        flow *= 2
        map_x = flow[..., 0] + np.arange(w, dtype=np.float32)
        map_y = flow[..., 1] + np.arange(h, dtype=np.float32)[:, None]
        # outside the picture the edge is repeated: that fits the frame badly, so the global move stays
        planes = [cv2.remap(plane, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                  for plane in (*past.numpy(), past_luma.numpy())]  # interpolation is linear: the mean moves too
        moved = torch.from_numpy(np.stack(planes[:3]))
        misfit_global = box((small_luma - small_past)[None]).square_()
        misfit_flow = box(small_luma.sub_(half(torch.from_numpy(planes[3])[None])[0])[None]).square_()
        better = misfit_flow < misfit_global  # (1, h, w)
        past = torch.where(full(better.to(x.dtype), (h, w)) > 0.5, moved, past)
        return past, torch.where(better, moved_count, count)


class NoiseBilateral:
    """The strong spatial part where few frames were averaged: see the module."""

    def __call__(self, mean: torch.Tensor, count: torch.Tensor, estimator: NoiseEstimator, *,
                 out: torch.Tensor) -> torch.Tensor:
        """mean (3, H, W) the running mean, count (1, h, w) its frame count on the half grid, out (3, H, W)
        the guided filter's output, blended in place with the bilateral where count < SPATIAL_FRAMES."""
        import cv2

        weight = (SPATIAL_FRAMES - count).clamp_(0, SPATIAL_FRAMES - 1).div_(SPATIAL_FRAMES - 1)
        if not bool(weight.any()):
            return out
        sigma = estimator.variance(torch.arange(256, dtype=torch.float32)).sqrt_()
        transform = torch.cumsum(sigma.reciprocal(), 0).sub_(1 / sigma[0])  # T(v), noise units, T(0) = 0
        top = float(transform[-1])
        inverse = np.interp(np.linspace(0, top, _INVERSE), transform.numpy(), np.arange(256.0)).astype(np.float32)
        pixels = mean.round().clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
        stable = cv2.LUT(pixels, transform.numpy())  # (H, W, 3) float32
        smooth = torch.from_numpy(cv2.bilateralFilter(stable, BILATERAL_DIAMETER, BILATERAL_RANGE * 3**0.5,
                                                      BILATERAL_SPACE))
        index = smooth.mul_((_INVERSE - 1) / top).round_().long().clamp_(0, _INVERSE - 1)
        back = torch.take(torch.from_numpy(inverse), index)
        h, w = out.shape[-2:]
        return out.add_(back.permute(2, 0, 1).sub(out).mul_(full(weight, (h, w))))
