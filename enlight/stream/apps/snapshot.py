"""Side-by-side stills of a video and its enhanced version (``enlight-video snapshot``)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from enlight.errors import EnlightError, reason
from enlight.stream.io.chroma_floor import floor_chroma
from enlight.stream.io.frames import ColorInfo, frame_to_rgb
from enlight.stream.io.source import display_matrix
from enlight.stream.io.upright import upright_turn


def frame_at(path: str | Path, time_s: float, *, floor: bool = False) -> np.ndarray:
    """(H, W, 3) uint8 RGB of the first frame shown at or after ``time_s`` (the last one if past the end), turned
    upright as its display matrix says; with ``floor``, its chroma floored as the enhancer takes it
    (``enlight.stream.io.chroma_floor``)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.time is not None and frame.time >= time_s:
                    break
    except (av.error.FFmpegError, IndexError) as exc:
        raise EnlightError(f"cannot read a frame of {path}: {reason(exc)}") from None
    if chosen is None:
        raise EnlightError(f"{path} has no frames")
    rgb = frame_to_rgb(floor_chroma(chosen) if floor else chosen, ColorInfo.from_frame(chosen))
    turn = upright_turn(display_matrix(chosen))  # a phone's portrait clip: shown as players show it
    return rgb if turn is None else turn(rgb)


def side_by_side(left: np.ndarray, right: np.ndarray, *, gap: int = 8) -> np.ndarray:
    """(H, W1 + gap + W2, 3) uint8: ``left`` and ``right`` on a white background, top-aligned."""
    height = max(left.shape[0], right.shape[0])
    canvas = np.full((height, left.shape[1] + gap + right.shape[1], 3), 255, np.uint8)
    canvas[: left.shape[0], : left.shape[1]] = left
    canvas[: right.shape[0], left.shape[1] + gap :] = right
    return canvas


def write_png(path: str | Path, rgb: np.ndarray) -> Path:
    """Write (H, W, 3) uint8 RGB as a PNG with PyAV's encoder (no imaging library needed)."""
    path = Path(path)
    with av.open(str(path), "w", format="image2", options={"update": "1"}) as container:
        stream = container.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], "rgb24"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def snapshot(before: str | Path, after: str | Path, output: str | Path, *, time_s: float = 1.0) -> Path:
    """PNG of the frame at ``time_s`` of ``before`` (left) and ``after`` (right)."""
    return write_png(output, side_by_side(frame_at(before, time_s), frame_at(after, time_s)))
