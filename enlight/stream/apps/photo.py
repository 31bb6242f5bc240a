"""``enhance_photo(config)``: one photo in, the enhanced photo out, through the same model path as video.

The plan's Enhancer runs with temporal smoothing off (one frame has no past). Grey is decided from
the photo's own chroma (``--grey auto``: a one-channel file, or an RGB file whose chroma carries
nothing, stays grey). 16-bit PNG/TIFF: the model sees the photo rounded to 8 bits, and its
correction (enhanced - input, in 8-bit steps) is added to the 16-bit pixels, so the input's fine
gradations are kept and the output is written 16-bit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from enlight.stream.backends.base import Backend
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.plan import InferencePlan, build_backend, make_plan
from enlight.stream.io.checks import check_photo_paths
from enlight.stream.io.chroma import carries_chroma
from enlight.stream.io.images import SIXTEEN_BIT_SUFFIXES, Photo, read_photo, write_photo

DEFAULT_PHOTO_QUALITY = 95


@dataclass(frozen=True)
class PhotoConfig:
    """input/output: photo paths (the format comes from the extension); quality: JPEG/WebP 1..100;
    grey: auto, on or off (as for video)."""

    input: Path
    output: Path
    plan: InferencePlan | None = None  # None: make_plan()'s defaults
    grey: str = "auto"
    quality: int = DEFAULT_PHOTO_QUALITY
    overwrite: bool = False


@dataclass(frozen=True)
class PhotoStats:
    width: int
    height: int
    bits: int
    wall_s: float
    output: Path
    backend: str
    colour: str

    @property
    def frames(self) -> int:
        return 1

    def summary(self) -> str:
        return (f"{self.width}x{self.height} {self.bits}-bit photo in {self.wall_s:.1f} s ({self.backend}, "
                f"{self.colour}) -> {self.output}")


def still_plan(plan: InferencePlan) -> InferencePlan:
    """The plan for one still frame: temporal smoothing off (the presets and the model are kept)."""
    return replace(plan, smoothing=replace(plan.smoothing, strength=0.0))


def is_grey(photo: Photo, mode: str) -> bool:
    """--grey for a photo: on/off as asked; auto: grey when the file has one channel or no chroma."""
    if mode != "auto":
        return mode == "on"
    return photo.grey or not carries_chroma(av.VideoFrame.from_ndarray(photo.rgb, format="rgb24"))


def apply_to_16bit(rgb16: np.ndarray, rgb8: np.ndarray, enhanced8: np.ndarray) -> np.ndarray:
    """The 8-bit correction (enhanced8 - rgb8) added to the 16-bit pixels (1 step of 8 bits = 257);
    where the 8-bit result is black or white, so is the 16-bit one."""
    delta = (enhanced8.astype(np.int32) - rgb8.astype(np.int32)) * 257
    out = np.clip(rgb16.astype(np.int32) + delta, 0, 65535)
    out[enhanced8 == 255] = 65535
    out[enhanced8 == 0] = 0
    return out.astype(np.uint16)


def enhance_photo(config: PhotoConfig, *, backend: Backend | None = None) -> PhotoStats:
    """Enhance ``config.input`` into ``config.output`` (temporary file + atomic rename)."""
    start = time.perf_counter()
    check_photo_paths(Path(config.input), Path(config.output), overwrite=config.overwrite)
    photo = read_photo(Path(config.input))
    plan = still_plan(config.plan or make_plan())
    label = backend.name if backend is not None else plan.label
    enhancer = Enhancer.from_plan(plan, backend or build_backend(plan), grey=is_grey(photo, config.grey))
    enhanced = enhancer(photo.rgb[None])[0]
    rgb16 = apply_to_16bit(photo.rgb16, photo.rgb, enhanced) if photo.rgb16 is not None else None
    write_photo(Path(config.output), enhanced, photo, rgb16=rgb16, quality=config.quality,
                overwrite=config.overwrite)
    height, width = enhanced.shape[:2]
    deep = rgb16 is not None and Path(config.output).suffix.lower() in SIXTEEN_BIT_SUFFIXES
    return PhotoStats(width=width, height=height, bits=16 if deep else 8,
                      wall_s=time.perf_counter() - start, output=Path(config.output), backend=label,
                      colour="grey" if enhancer.grey else "colour")
