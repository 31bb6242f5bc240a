"""Animated pictures (animated WebP and PNG, what messengers and phones' "live" exports make): every frame
read and written with Pillow, with its duration, the loop count and the file's ICC, EXIF and XMP.

    count = frame_count(path)                 # 1 for a still photo (or a file Pillow cannot open)
    animation = read_animation(path)          # frames (N, H, W, 3) uint8, durations, loop
    write_animation(path, frames, animation)  # temporary file + atomic rename

They would otherwise pass for photos and lose every frame but the first. This FFmpeg does not decode
animated WebP, so Pillow reads both kinds; Pillow composites each frame over the ones before it, so the
frames are whole pictures and are written back as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from enlight.errors import EnlightError, reason
from enlight.stream.io.images import atomic_write, metadata_options, xmp_packet

ANIMATED_OUTPUTS = {".webp": "WEBP", ".png": "PNG"}  # the photo outputs that hold frames (APNG for .png)
ANIMATED_FORMATS = frozenset(ANIMATED_OUTPUTS.values())  # Pillow's formats whose several pictures are frames


@dataclass(frozen=True)
class Animation:
    """frames: (N, H, W, 3) uint8 RGB, whole pictures; durations: milliseconds each; loop: times to play
    (0: for ever); icc, exif, xmp: the file's, as bytes or None."""

    frames: np.ndarray
    durations: tuple[int, ...]
    loop: int
    icc: bytes | None = None
    exif: bytes | None = None
    xmp: bytes | None = None


def frame_count(path: Path) -> int:
    """How many frames an animated WebP or PNG at ``path`` holds (Pillow's count); 1 for anything else: a still,
    an unreadable file, and the files whose further pictures are not frames (a JPEG with a second picture, MPO:
    a phone's Ultra HDR gain map or a camera's preview; a HEIC with several images)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return int(getattr(image, "n_frames", 1)) if image.format in ANIMATED_FORMATS else 1
    except (OSError, ValueError, SyntaxError):
        return 1


def read_animation(path: Path) -> Animation:
    """Every frame of an animated picture; one-line EnlightError when it cannot be read."""
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as image:
            info, xmp = dict(image.info), xmp_packet(image)
            frames, durations = [], []
            for frame in ImageSequence.Iterator(image):
                frames.append(np.asarray(frame.convert("RGB")))
                durations.append(int(frame.info.get("duration", info.get("duration", 100)) or 100))
    except (OSError, ValueError, SyntaxError) as exc:
        raise EnlightError(f"cannot read {path}: not an image, or truncated/corrupt ({reason(exc)})") from None
    return Animation(np.stack(frames), tuple(durations), int(info.get("loop", 0) or 0), info.get("icc_profile"),
                     info.get("exif"), xmp)


def write_animation(path: Path, frames: np.ndarray, animation: Animation, *, quality: int = 95,
                    overwrite: bool = False) -> Path:
    """Write (N, H, W, 3) uint8 ``frames`` as an animated WebP or PNG with ``animation``'s durations, loop and
    metadata, through a temporary file and an atomic rename."""
    from PIL import Image

    fmt = ANIMATED_OUTPUTS.get(path.suffix.lower())
    if fmt is None:
        raise EnlightError(f"an animated picture is written as {' or '.join(ANIMATED_OUTPUTS)}, not {path.name}")
    pictures = [Image.fromarray(np.ascontiguousarray(frame), "RGB") for frame in frames]
    options: dict = {"save_all": True, "append_images": pictures[1:], "duration": list(animation.durations),
                     "loop": animation.loop}
    if fmt == "WEBP":
        options["quality"] = quality
    options |= metadata_options(fmt, animation.icc, animation.exif, animation.xmp)
    return atomic_write(path, lambda tmp: pictures[0].save(tmp, format=fmt, **options), overwrite=overwrite)
