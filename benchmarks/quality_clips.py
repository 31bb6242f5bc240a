"""Test clips for the temporal metrics: lists of (H, W, 3) uint8 RGB frames, made from stills or decoded.

Each synthetic clip isolates one thing the temporal smoother must handle: camera shake with sensor
noise, an object moving over a static scene (ghosting), a scene cut, a light switched on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SHAKE_MARGIN_PX = 12


def _resized(photo: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(photo).resize(size, Image.BICUBIC))


def _sensor(linear: np.ndarray, rng: np.random.Generator, full_well: float = 600, read_noise: float = 0.003):
    """Poisson-Gaussian noise on linear light in [0, 1], back to sRGB-ish gamma 2.2 uint8."""
    noisy = rng.poisson(linear * full_well) / full_well + rng.normal(0, read_noise, linear.shape)
    return np.round(np.clip(noisy, 0, 1) ** (1 / 2.2) * 255).astype(np.uint8)


def shaky_noisy_clip(photo: np.ndarray, frames: int, size: tuple[int, int], seed: int = 0,
                     exposure: float | list[float] = 1.0) -> list[np.ndarray]:
    """A window that wanders a few pixels per frame over a still photo (hand shake, AR(1) with 2 px
    steps), with Poisson-Gaussian sensor noise. ``exposure`` scales the linear light (per frame if a list)."""
    rng = np.random.default_rng(seed)
    w, h = size
    m = SHAKE_MARGIN_PX
    linear = (_resized(photo, (w + 2 * m, h + 2 * m)) / 255.0) ** 2.2
    gains = exposure if isinstance(exposure, list) else [exposure] * frames
    pos = np.zeros(2)
    clip = []
    for gain in gains:
        pos = np.clip(0.7 * pos + rng.normal(0, 2.0, 2), -m, m)
        x, y = int(round(pos[0])) + m, int(round(pos[1])) + m
        clip.append(_sensor(np.clip(linear[y : y + h, x : x + w] * gain, 0, 1), rng))
    return clip


def moving_object_clip(photo: np.ndarray, frames: int, size: tuple[int, int]) -> list[np.ndarray]:
    """A static scene with a lit 40x40 object crossing it from left to right (the ghosting check)."""
    w, h = size
    base = _resized(photo, (w, h))
    clip = []
    for t in range(frames):
        img = base.copy()
        x = int(t * (w - 40) / max(1, frames - 1))
        img[h // 3 : h // 3 + 40, x : x + 40] = [200, 170, 120]
        clip.append(img)
    return clip


def dim_object_box(t: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of ``dim_object_clip``'s object at frame t: w // 7 x h // 2, standing on the bottom
    edge, from x = w // 5 moving right w // 80 px per frame."""
    w, h = size
    ow, oh, step = max(4, w // 7), max(4, h // 2), max(1, w // 80)
    x = min(w - ow, w // 5 + step * t)
    return h - oh, h, x, x + ow


def dim_object_clip(photo: np.ndarray, texture: np.ndarray, frames: int, size: tuple[int, int],
                    contrast: float = 0.8) -> list[np.ndarray]:
    """A static scene crossed slowly by an object carrying another photo's texture at ``contrast`` times its
    brightness (``dim_object_box``): once darkened, its difference from the scene behind is near the noise,
    so a denoiser that cannot tell it from noise lets the scene show through it (the translucency check)."""
    w, h = size
    base = _resized(photo, (w, h))
    y0, y1, x0, x1 = dim_object_box(0, size)
    patch = np.round(_resized(texture, (w, h))[:y1 - y0, :x1 - x0] * contrast).astype(np.uint8)
    clip = []
    for t in range(frames):
        y0, y1, x0, x1 = dim_object_box(t, size)
        img = base.copy()
        img[y0:y1, x0:x1] = patch
        clip.append(img)
    return clip


def scene_cut_clip(first: np.ndarray, second: np.ndarray, frames: int, size: tuple[int, int]) -> list[np.ndarray]:
    """Shaky noisy footage of one photo, then (at frames // 2) of another: a cut."""
    half = frames // 2
    return shaky_noisy_clip(first, half, size, seed=1) + shaky_noisy_clip(second, frames - half, size, seed=2)


def lights_on_clip(photo: np.ndarray, frames: int, size: tuple[int, int], gain: float = 3.0) -> list[np.ndarray]:
    """Shaky noisy footage of one photo whose light is ``gain`` times brighter from frames // 2 on."""
    half = frames // 2
    return shaky_noisy_clip(photo, frames, size, seed=3, exposure=[1.0] * half + [gain] * (frames - half))


def video_frames(path: Path, frames: int, size: tuple[int, int], start: int = 0) -> list[np.ndarray]:
    """``frames`` decoded frames of a video from ``start``, resized to ``size`` (w, h)."""
    from enlight.stream.io.source import VideoSource
    from enlight.stream.io.source_items import DecodedFrame

    out = []
    with VideoSource(path) as source:
        for item in source:
            if isinstance(item, DecodedFrame):
                if start > 0:
                    start -= 1
                    continue
                out.append(np.asarray(Image.fromarray(item.rgb).resize(size, Image.BILINEAR)))
                if len(out) == frames:
                    break
    return out
