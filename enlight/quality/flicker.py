"""Temporal stability of an enhanced clip, measured against its input clip.

All functions take lists (or arrays) of (H, W, 3) uint8 RGB frames, input and output of the same
length and size.

- ``warping_error``: Lai et al. (ECCV 2018). Optical flow is computed on the INPUT frames (OpenCV
  DIS), output frame t+1 is warped back to t, and the mean squared difference (RGB in [0, 1]) is
  taken over non-occluded pixels (forward-backward flow check, flow landing inside the frame),
  then averaged over the clip.
- ``brightness_flicker``: mean absolute change of mean brightness (BT.601 luma, 0-255) between
  consecutive frames; ``flicker_ratio`` divides the output's by the input's.
- ``motion_compensated_flicker``: the same change measured along the input's motion (output t+1
  warped back to t, non-occluded pixels), so a shaking camera's content entering and leaving the
  frame is not counted; equal to ``brightness_flicker`` on a static camera.
- ``static_temporal_std``: temporal standard deviation (0-255) of output pixels whose input barely
  moves (flow under half a pixel in every frame pair), averaged over those pixels.
- ``aligned_temporal_std``: the same std after warping every output frame to the middle one along
  the input's flow; defined for a shaking camera too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LUMA = np.array([0.299, 0.587, 0.114])


def _gray(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


def optical_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W, 2) flow from frame ``a`` to frame ``b`` (DIS, medium preset): a(x) ~ b(x + flow(x))."""
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(_gray(a), _gray(b), None)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` sampled at x + flow(x) (bilinear, edges replicated)."""
    import cv2

    h, w = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def occlusion_free(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose forward flow is undone by the backward flow (Sundaram et al. 2010)."""
    back_at = warp(backward, forward)
    total = forward + back_at
    return (total**2).sum(-1) < 0.01 * ((forward**2).sum(-1) + (back_at**2).sum(-1)) + 0.5


def _check(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray], what: str) -> None:
    if len(inputs) != len(outputs) or len(inputs) < 2:
        raise ValueError(f"{what} needs two clips of equal length, at least 2 frames")


def aligned_pairs(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]):
    """For each t: (output t, output t+1 warped back to t along the input's flow, non-occluded mask)."""
    for t in range(len(inputs) - 1):
        forward = optical_flow(inputs[t], inputs[t + 1])
        mask = occlusion_free(forward, optical_flow(inputs[t + 1], inputs[t])) & inside(forward)
        yield outputs[t], warp(np.ascontiguousarray(outputs[t + 1]), forward), mask


def inside(flow: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose flow lands inside the frame (the rest came from outside: occluded)."""
    h, w = flow.shape[:2]
    grid_y, grid_x = np.mgrid[0:h, 0:w]
    x, y = grid_x + flow[..., 0], grid_y + flow[..., 1]
    return (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)


def luma(frame: np.ndarray) -> np.ndarray:
    """(H, W) float64 BT.601 luma, 0-255, of an (H, W, 3) RGB frame."""
    return frame.astype(np.float64) @ LUMA


def warping_error(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Mean over frame pairs of the masked MSE between output t and warped output t+1 (RGB in [0, 1])."""
    _check(inputs, outputs, "warping error")
    errors = []
    for current, following, mask in aligned_pairs(inputs, outputs):
        warped = following.astype(np.float64) / 255
        diff = ((current.astype(np.float64) / 255 - warped) ** 2).sum(-1)
        if mask.any():
            errors.append(float(diff[mask].sum() / (mask.sum() * 3)))
    return float(np.mean(errors)) if errors else 0.0


def mean_brightness(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Mean BT.601 luma (0-255) of each frame."""
    return np.array([float(luma(f).mean()) for f in frames])


def brightness_flicker(frames: Sequence[np.ndarray]) -> float:
    """Mean |mean brightness(t+1) - mean brightness(t)| in 0-255 units; 0 for a static clip."""
    means = mean_brightness(frames)
    return float(np.abs(np.diff(means)).mean()) if len(means) > 1 else 0.0


def motion_compensated_flicker(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Brightness flicker along the input's motion (0-255): for each frame pair, output t+1 is warped
    back to t and |mean luma(warped t+1) - mean luma(t)| is taken over the non-occluded pixels.

    Equal to ``brightness_flicker`` on a static camera; on a moving one it ignores the content that
    enters and leaves the frame, which changes the plain mean without any flicker.
    """
    _check(inputs, outputs, "motion-compensated flicker")
    changes = [abs(luma(following)[mask].mean() - luma(current)[mask].mean())
               for current, following, mask in aligned_pairs(inputs, outputs) if mask.any()]
    return float(np.mean(changes)) if changes else 0.0


def flicker_ratio(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Output brightness flicker relative to the input's (1 = as steady as the input)."""
    base, ours = brightness_flicker(inputs), brightness_flicker(outputs)
    if base > 0:
        return ours / base
    return float("inf") if ours > 0 else 1.0


def static_mask(inputs: Sequence[np.ndarray], max_motion_px: float = 0.5) -> np.ndarray:
    """(H, W) bool: pixels whose input flow stays under ``max_motion_px`` in every consecutive pair."""
    mask = np.ones(inputs[0].shape[:2], bool)
    for t in range(len(inputs) - 1):
        flow = optical_flow(inputs[t], inputs[t + 1])
        mask &= np.sqrt((flow**2).sum(-1)) < max_motion_px
    return mask


def static_temporal_std(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Temporal std (0-255, luma) of the output on the input's static pixels; 0 for a static clip."""
    mask = static_mask(inputs)
    if not mask.any():
        return float("nan")
    stack = np.stack([luma(f) for f in outputs])
    return float(stack.std(axis=0)[mask].mean())


def aligned_temporal_std(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Temporal std (0-255, luma) of the output along the input's motion: every output frame is warped
    to the middle frame with the input's flow, and the std over time is averaged over the pixels that
    stay visible (forward-backward check, inside the frame) in every frame.

    Equal to ``static_temporal_std`` on a static scene; defined also for a shaking camera, which has
    no static pixels.
    """
    _check(inputs, outputs, "aligned temporal std")
    middle = len(inputs) // 2
    mask = np.ones(inputs[0].shape[:2], bool)
    aligned = []
    for t in range(len(inputs)):
        if t == middle:
            aligned.append(luma(outputs[t]))
            continue
        to_t = optical_flow(inputs[middle], inputs[t])
        mask &= occlusion_free(to_t, optical_flow(inputs[t], inputs[middle])) & inside(to_t)
        aligned.append(warp(luma(outputs[t]).astype(np.float32), to_t).astype(np.float64))
    if not mask.any():
        return float("nan")
    return float(np.stack(aligned).std(axis=0)[mask].mean())
