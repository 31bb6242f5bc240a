"""Side-by-side stills of a video and its enhanced version (``enlight-video snapshot``)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from enlight.errors import EnlightError, reason
from enlight.stream.io.chroma_floor import floor_chroma
from enlight.stream.io.frames import ColorInfo, frame_to_rgb
from enlight.stream.io.picture_changes import first_aspect
from enlight.stream.io.temporary import temporary_path
from enlight.stream.io.upright import upright_turn
from enlight.stream.io.video_stream import display_matrix


def frame_at(path: str | Path, time_s: float, *, floor: bool = False) -> np.ndarray:
    """(H, W, 3) uint8 RGB of the first frame shown at or after ``time_s`` (the last one if past the end), at the shape
    players show it: stretched to square pixels where its pixel aspect ratio is not 1 (``display_shaped``), turned
    upright as its display matrix says; with ``floor``, its chroma floored as the enhancer takes it
    (``enlight.stream.io.chroma_floor``)."""
    return shown_at(path, time_s, floor=floor)[0]


def shown_at(path: str | Path, time_s: float, *, floor: bool = False) -> tuple[np.ndarray, float | None]:
    """``frame_at``'s picture and the time it is shown at (seconds; None where the file gives none)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:  # a sound file: 'cannot read a frame of it: tuple index out of range'
                raise EnlightError(f"{path} has no video stream: snapshot takes a video and its enhanced version")
            stream = container.streams.video[0]
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.time is not None and frame.time >= time_s:
                    break
            aspect = first_aspect(stream, chosen)[0] if chosen is not None else None
    except (av.error.FFmpegError, IndexError) as exc:
        raise EnlightError(f"cannot read a frame of {path}: {reason(exc)}") from None
    if chosen is None:
        raise EnlightError(f"{path} has no frames")
    rgb = display_shaped(frame_to_rgb(floor_chroma(chosen) if floor else chosen, ColorInfo.from_frame(chosen)), aspect)
    turn = upright_turn(display_matrix(chosen))  # a phone's portrait clip: shown as players show it
    return (rgb if turn is None else turn(rgb)), chosen.time


def display_shaped(rgb: np.ndarray, aspect) -> np.ndarray:
    """(H, W, 3) uint8 RGB stored with pixels ``aspect`` (a Fraction: a pixel's width / height; None or 1: square) ->
    the picture at the shape players show it, in square pixels: the side the pixels stretch made longer (a 162x98
    clip of 4:3 pixels: 216x98), never shorter, so that no detail is lost; ``rgb`` itself where they are square."""
    if not aspect or aspect == 1:
        return rgb
    height, width = rgb.shape[:2]
    if aspect > 1:
        width = max(1, round(width * aspect))
    else:
        height = max(1, round(height / aspect))
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    return frame.reformat(width=width, height=height, interpolation="BICUBIC").to_ndarray(format="rgb24")


def side_by_side(left: np.ndarray, right: np.ndarray, *, gap: int = 8) -> np.ndarray:
    """(H, W1 + gap + W2, 3) uint8: ``left`` and ``right`` on a white background, top-aligned."""
    height = max(left.shape[0], right.shape[0])
    canvas = np.full((height, left.shape[1] + gap + right.shape[1], 3), 255, np.uint8)
    canvas[: left.shape[0], : left.shape[1]] = left
    canvas[: right.shape[0], left.shape[1] + gap :] = right
    return canvas


def write_png(path: str | Path, rgb: np.ndarray) -> Path:
    """Write (H, W, 3) uint8 RGB as a PNG with PyAV's encoder (no imaging library needed), through a temporary name
    beside it: an error or an interrupt leaves no half-written file."""
    path = Path(path)
    tmp = temporary_path(path)
    try:
        with av.open(str(tmp), "w", format="image2", options={"update": "1"}) as container:
            stream = container.add_stream("png", rate=1)
            stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], "rgb24"
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = 0
            container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        tmp.replace(path)
    except OSError as exc:
        raise EnlightError(f"cannot write {path}: {reason(exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def snapshot(before: str | Path, after: str | Path, output: str | Path, *, time_s: float = 1.0) -> list[str]:
    """Write a PNG of the frame at ``time_s`` of ``before`` (left) and ``after`` (right); notes on where a video
    ended before ``time_s`` (its last frame is the one shown)."""
    pictures, notes = [], []
    for path in (before, after):
        rgb, shown = shown_at(path, time_s)
        pictures.append(rgb)
        if shown is not None and shown < time_s:
            notes.append(f"{Path(path).name} ends before {time_s:g} s: its last frame, at {shown:.2f} s, is shown")
    write_png(output, side_by_side(*pictures))
    return notes
