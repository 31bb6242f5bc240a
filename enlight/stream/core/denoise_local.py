"""The denoiser's CPU refinements (``enlight.stream.core.denoise``), with OpenCV's SIMD code.

Local motion (``LocalMotion``): the global whole-pixel shift leaves what moves on its own (people,
parallax, a camera that also turns) misaligned, and the motion gate then closes there, so few frames
are averaged. DIS optical flow (OpenCV, preset ``fast``, on the half grid: on the full grid it cost 10 ms
more per 854x480 frame for the same PSNR on the panning clip; preset ``ultrafast`` in the lean form
without the bilateral that ``fast`` runs on frames of 0.15-0.25 MP: 0.6 against 1.1 ms at 640x360, and
the same PSNR there on the benchmark's clips) between the frame and the running mean
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

from enlight.stream.core.denoise_config import (
    BAND,
    BILATERAL_DIAMETER,
    BILATERAL_RANGE,
    BILATERAL_SPACE,
    FLOW_LEVEL,
    FLOW_MIN_SIDE,
    FLOW_SNAP,
    INVERSE_ENTRIES,
    SPATIAL_FRAMES,
    WHOLE,
    bilateral_pieces,
)
from enlight.stream.core.denoise_noise import NoiseEstimator
from enlight.stream.core.denoise_ops import box, full, half


def _grey(luma: torch.Tensor, gain: float) -> np.ndarray:
    """(H, W) float 0..255 (a channel mean) -> (H, W) uint8 luma x gain (the flow's input)."""
    return torch.mul(luma, gain).round_().clamp_(0, 255).to(torch.uint8).numpy()


class LocalMotion:
    """What the global shift leaves: see the module. One per clip."""

    def __init__(self, *, lean: bool = False) -> None:
        self._lean = lean  # DIS's ultrafast preset instead of its fast one (``DenoiseConfig.bilateral`` off)
        self._flow = None  # cv2.DISOpticalFlow, made on first use
        self._gain: float | None = None  # the flow input's stretch, fixed per scene

    def new_scene(self) -> None:
        """After a scene cut: the flow input's stretch is measured again on the next frame."""
        self._gain = None

    def __call__(self, x: torch.Tensor, past: torch.Tensor, count: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (3, H, W) the frame, past (3, H, W) the running mean moved by the global shift, count (1, h, w)
        its frame count on the half grid -> (past, count), moved further where the flow fits better."""
        import cv2

        if self._flow is None:
            self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST if self._lean
                                                   else cv2.DISOPTICAL_FLOW_PRESET_FAST)
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
        moved = torch.from_numpy(np.stack([cv2.remap(plane, map_x, map_y, cv2.INTER_LINEAR,
                                                     borderMode=cv2.BORDER_REPLICATE) for plane in past.numpy()]))
        misfit_global = box((small_luma - small_past)[None]).square_()
        misfit_flow = box(small_luma.sub_(half(moved.mean(0)[None])[0])[None]).square_()
        better = misfit_flow < misfit_global  # (1, h, w)
        past = torch.where(full(better.to(x.dtype), (h, w)) > 0.5, moved, past)
        return past, torch.where(better, moved_count, count)


class NoiseBilateral:
    """The strong spatial part where few frames were averaged: see the module. Run only over the boxes of
    rows and columns that need it when they are under half the frame (with the filter's radius around them,
    so each result is the whole frame's); the transform there and back are a table look-up and OpenCV's
    linear interpolation into a table (``remap`` on a one-row image), made again only when the clip's noise
    table changes. (8-bit stabilised values instead cost 0.24 dB on the bikes clip.)"""

    def __init__(self) -> None:
        self._table: torch.Tensor | None = None  # the noise table the look-up tables were made from
        self._forward: np.ndarray | None = None  # (256,) float32: T(v), noise units
        self._inverse: np.ndarray | None = None  # (1, INVERSE_ENTRIES) float32: v at T = i * step
        self._scale = 1.0  # 1 / step = (INVERSE_ENTRIES - 1) / top
        self._rows: np.ndarray | None = None  # zeros, the y map of the inverse's remap (per shape)

    def _tables(self, estimator: NoiseEstimator) -> None:
        if self._table is not None and estimator.table is self._table:
            return
        self._table = estimator.table
        sigma = estimator.variance(torch.arange(256, dtype=torch.float32)).sqrt_()
        transform = torch.cumsum(sigma.reciprocal(), 0).sub_(1 / sigma[0]).numpy()  # T(v), T(0) = 0
        top = max(float(transform[-1]), 1e-6)
        self._forward = transform.astype(np.float32)
        values = np.interp(np.linspace(0, top, INVERSE_ENTRIES), transform, np.arange(256.0))
        self._inverse = values.astype(np.float32)[None]
        self._scale = (INVERSE_ENTRIES - 1) / top

    def __call__(self, mean: torch.Tensor, count: torch.Tensor, estimator: NoiseEstimator, *,
                 out: torch.Tensor) -> torch.Tensor:
        """mean (3, H, W) the running mean, count (1, h, w) its frame count on the half grid, out (3, H, W)
        the guided filter's output, blended in place with the bilateral where count < SPATIAL_FRAMES."""
        weight = (SPATIAL_FRAMES - count[0]).clamp_(0, SPATIAL_FRAMES - 1).div_(SPATIAL_FRAMES - 1)  # (h, w)
        if not bool(weight.any()):
            return out
        self._tables(estimator)
        h, w = out.shape[-2:]
        boxes = _runs(weight > 0, BAND // 2)
        if sum((y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in boxes) > WHOLE * weight.numel():
            boxes = [(0, weight.shape[0], 0, weight.shape[1])]  # most of it: one call, no margins
        for cell_y0, cell_y1, cell_x0, cell_x1 in boxes:  # on the full grid, in pieces OpenCV takes
            for y0, y1, x0, x1 in bilateral_pieces(2 * cell_y0, min(h, 2 * cell_y1), 2 * cell_x0, min(w, 2 * cell_x1)):
                self._filter(mean, full(weight[None, y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2],
                                        (y1 - y0, x1 - x0)), (y0, y1, x0, x1), out)
        return out

    def _filter(self, mean: torch.Tensor, weight: torch.Tensor, box: tuple[int, int, int, int],
                out: torch.Tensor) -> None:
        """out[box] += (bilateral(mean)[box] - out[box]) * weight, weight (1, y1 - y0, x1 - x0)."""
        import cv2

        y0, y1, x0, x1 = box
        h, w = out.shape[-2:]
        r = BILATERAL_DIAMETER // 2
        top, left = max(0, y0 - r), max(0, x0 - r)
        region = mean[:, top:min(h, y1 + r), left:min(w, x1 + r)]
        pixels = region.round().clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
        stable = cv2.LUT(pixels, self._forward)  # (h, w, 3) float32, noise units
        smooth = cv2.bilateralFilter(stable, BILATERAL_DIAMETER, BILATERAL_RANGE * 3**0.5, BILATERAL_SPACE)
        smooth = smooth[y0 - top:y1 - top, x0 - left:x1 - left]
        positions = np.multiply(smooth.reshape(smooth.shape[0], -1), self._scale, dtype=np.float32)
        if self._rows is None or self._rows.shape != positions.shape:
            self._rows = np.zeros(positions.shape, np.float32)
        back = cv2.remap(self._inverse, positions, self._rows, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        back = torch.from_numpy(back.reshape(smooth.shape)).permute(2, 0, 1)
        target = out[:, y0:y1, x0:x1]
        target.add_(back.sub(target).mul_(weight))


def _runs(active: torch.Tensor, band: int, gap: int = 32) -> list[tuple[int, int, int, int]]:
    """Boxes (y0, y1, x0, x1) covering the True cells of ``active`` (h, w): per band of ``band`` rows, the
    runs of columns that hold one, runs closer than ``gap`` columns merged (each box costs a call)."""
    h = active.shape[0]
    boxes = []
    for y0 in range(0, h, band):
        columns = active[y0:y0 + band].any(0).nonzero().flatten().tolist()
        if not columns:
            continue
        start = previous = columns[0]
        for x in columns[1:] + [None]:
            if x is None or x - previous > gap:
                boxes.append((y0, min(h, y0 + band), start, previous + 1))
                if x is not None:
                    start = x
            if x is not None:
                previous = x
    return boxes
