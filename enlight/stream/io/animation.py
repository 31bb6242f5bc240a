"""Animated pictures (animated WebP and PNG, what messengers and phones' "live" exports make): every frame
read and written with Pillow, with its duration, the loop count and the file's ICC, EXIF and XMP.

    count = frame_count(path)                 # 1 for a still photo (or a file Pillow cannot open)
    animation = read_animation(path)          # frames (N, H, W, 3) uint8, alpha (N, H, W) or None, durations, loop
    write_animation(path, frames, animation)  # temporary file + atomic rename

They would otherwise pass for photos and lose every frame but the first. This FFmpeg does not decode
animated WebP, so Pillow reads both kinds; Pillow composites each frame over the ones before it, so the
frames are whole pictures and are written back as such. A sticker's transparency is kept beside the RGB
(the model sees RGB only) and written back as it was read.

Pillow's APNG writer merges a frame identical to the one before into it (their durations added); every
frame is kept here (``_disposals``), so the frame count and each duration stay the input's. libwebp merges
them in WebP too and Pillow has no option against it: playback is the same, and the caller counts the
frames written (``frame_count``) rather than claim the input's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from enlight.errors import EnlightError, reason
from enlight.stream.io.annotations import Annotations, annotation_options, read_annotations
from enlight.stream.io.photo_formats import open_image
from enlight.stream.io.photo_metadata import xmp_packet
from enlight.stream.io.photo_writer import atomic_write, metadata_options

ANIMATED_OUTPUTS = {".webp": "WEBP", ".png": "PNG"}  # the photo outputs that hold frames (APNG for .png)
ANIMATED_FORMATS = frozenset(ANIMATED_OUTPUTS.values())  # Pillow's formats whose several pictures are frames


@dataclass(frozen=True)
class Animation:
    """frames: (N, H, W, 3) uint8 RGB, whole pictures; durations: milliseconds each; loop: times to play
    (0: for ever); icc, exif, xmp: the file's, as bytes or None; alpha: (N, H, W) uint8 (255: opaque), None
    when every frame is opaque; annotations: an animated PNG's text chunks (``enlight.stream.io.annotations``)."""

    frames: np.ndarray
    durations: tuple[int, ...]
    loop: int
    icc: bytes | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    alpha: np.ndarray | None = None
    annotations: Annotations = Annotations()


def frame_count(path: Path) -> int:
    """How many frames an animated WebP or PNG at ``path`` holds (Pillow's count); 1 for anything else: a still,
    an unreadable file, and the files whose further pictures are not frames (a JPEG with a second picture, MPO:
    a phone's Ultra HDR gain map or a camera's preview; a HEIC with several images)."""
    try:
        with open_image(path) as image:
            return int(getattr(image, "n_frames", 1)) if image.format in ANIMATED_FORMATS else 1
    except (OSError, ValueError, SyntaxError):
        return 1


def check_animated_output(source: Path, output: Path) -> None:
    """Refuse, in one line, an animated ``source`` (``frame_count`` over 1) written to a still photo ``output``
    (not one of ``ANIMATED_OUTPUTS``): only those keep every frame."""
    if output.suffix.lower() not in ANIMATED_OUTPUTS and (count := frame_count(source)) > 1:
        raise EnlightError(f"{source.name} is animated ({count} frames); write it as "
                           f"{' or '.join(ANIMATED_OUTPUTS)} to keep every frame, not {output.suffix}")


def read_animation(path: Path) -> Animation:
    """Every frame of an animated picture; one-line EnlightError when it cannot be read."""
    from PIL import ImageSequence

    try:
        with open_image(path) as image:
            info, xmp, annotations = dict(image.info), xmp_packet(image), read_annotations(image)
            frames, durations = [], []
            for frame in ImageSequence.Iterator(image):
                frames.append(np.asarray(frame.convert("RGBA")))  # a P or RGB frame's transparency too
                durations.append(int(frame.info.get("duration", info.get("duration", 100)) or 100))
    except (OSError, ValueError, SyntaxError) as exc:
        raise EnlightError(f"cannot read {path}: not an image, or truncated/corrupt ({reason(exc)})") from None
    rgba = np.stack(frames)
    alpha = None if (rgba[..., 3] == 255).all() else np.ascontiguousarray(rgba[..., 3])
    return Animation(np.ascontiguousarray(rgba[..., :3]), tuple(durations), int(info.get("loop", 0) or 0),
                     info.get("icc_profile"), info.get("exif"), xmp, alpha, annotations)


def write_animation(path: Path, frames: np.ndarray, animation: Animation, *, quality: int = 95,
                    overwrite: bool = False) -> Path:
    """Write (N, H, W, 3) uint8 ``frames`` as an animated WebP or PNG with ``animation``'s alpha (RGBA frames
    where it has one), durations, loop and metadata, through a temporary file and an atomic rename. Every
    frame of a PNG is written, identical ones too; WebP's lossy RGB keeps the alpha lossless (alpha_quality
    100, Pillow's default)."""
    from PIL import Image

    fmt = ANIMATED_OUTPUTS.get(path.suffix.lower())
    if fmt is None:
        raise EnlightError(f"an animated picture is written as {' or '.join(ANIMATED_OUTPUTS)}, not {path.name}")
    if animation.alpha is not None:
        frames = np.concatenate([frames, animation.alpha[..., None]], axis=-1)
    pictures = [Image.fromarray(np.ascontiguousarray(frame)) for frame in frames]
    options: dict = {"save_all": True, "append_images": pictures[1:], "duration": list(animation.durations),
                     "loop": animation.loop}
    if fmt == "WEBP":
        options |= {"quality": quality, "alpha_quality": 100}
    else:
        options["disposal"] = _disposals(frames)
    options |= metadata_options(fmt, animation.icc, animation.exif, animation.xmp)
    options = annotation_options(fmt, animation.annotations, options)
    return atomic_write(path, lambda tmp: pictures[0].save(tmp, format=fmt, **options), overwrite=overwrite)


def _disposals(frames: np.ndarray) -> list[int]:
    """APNG dispose ops for (N, H, W, C) ``frames`` that keep every frame: Pillow merges a frame into the one
    before when it is identical and their dispose ops are the same, so such a frame gets OP_PREVIOUS after an
    OP_NONE (and OP_NONE after an OP_PREVIOUS). OP_PREVIOUS restores the canvas as it was before that frame,
    which is that same picture, so what plays is unchanged; the first frame is always OP_NONE."""
    from PIL.PngImagePlugin import Disposal

    ops = [Disposal.OP_NONE]
    for before, frame in zip(frames[:-1], frames[1:], strict=True):
        same = np.array_equal(before, frame) and ops[-1] == Disposal.OP_NONE
        ops.append(Disposal.OP_PREVIOUS if same else Disposal.OP_NONE)
    return [int(op) for op in ops]
