"""Opening an input for reading (a file, device, URL or pipe) and the one line said where it cannot be opened
(``open_error``) or a read fails part way (``read_failure``: a file truncated or corrupt, a network stream that stalled
or was cut).
"""

from __future__ import annotations

from pathlib import Path

import av

from enlight.errors import EnlightError, reason
from enlight.stream.io.locations import Location, silent_for
from enlight.text import counted


def open_error(path: Path | str, exc: BaseException) -> EnlightError:
    return EnlightError(f"cannot read {path}: not a media file, or truncated/corrupt ({reason(exc)})")


def open_input(location: Location, *, timeout_s: float | None = None):
    """``av.open`` for reading a file, device, URL or pipe; one-line ``EnlightError`` when it cannot."""
    if location.is_file:
        path = Path(location.url)
        if not path.exists():
            raise EnlightError(f"input not found: {path}")
        if path.is_dir():
            raise EnlightError(f"input is a folder, not a video file: {path}")
        try:
            return av.open(str(path), "r")
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise open_error(path, exc) from None
    return location.open("r", timeout_s=timeout_s)


def read_failure(location: Location, frames: int, exc: av.error.FFmpegError, timeout_s: float | None) -> str:
    """The one line for a read that failed after ``frames`` decoded frames. A file is truncated or corrupt; a network
    stream may as well be, but more often its server stopped sending (the read waited ``timeout_s``: FFmpeg's
    "Immediate exit requested") or closed the connection."""
    at = f" after {counted(frames, 'frame')}" if frames else ""
    if location.kind != "network":
        return f"{location.text} is truncated or corrupt{at} ({reason(exc)})"
    if isinstance(exc, av.error.ExitError) and timeout_s is not None:
        return f"{location.text} stalled{at}: {silent_for(timeout_s)}"  # (as a live run says it)
    return f"{location.text} stopped{at}: the connection was lost or the stream is cut short ({reason(exc)})"

