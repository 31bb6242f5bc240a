"""Frames of a video picked as stills (``enlight-train distill --clips``): each as the file command's reader
converts it, so that a student is distilled on the pictures the product will give it.

``VideoSource`` converts by the clip's colour matrix and range tags (a BT.709 or full-range clip read with the
BT.601 limited-range default is darker or washed out, its colours shifted), floors the chroma, takes an HDR clip
to SDR; the stills are then turned upright as the display matrix says (a phone's portrait clip is stored on its
side). PyAV's ``frame.to_ndarray(format='rgb24')`` did none of that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from enlight.stream.io.source import VideoSource
from enlight.stream.io.source_items import DecodedFrame
from enlight.stream.io.upright import upright_turn


def sampled_frames(path: str | Path, *, every: int, limit: int) -> list[np.ndarray]:
    """Every ``every``-th frame of the video at ``path`` (the first, then every ``every``-th after it), at most
    ``limit``, each (H, W, 3) uint8 full-range RGB as ``VideoSource`` gives it to the enhancer, turned upright."""
    frames: list[np.ndarray] = []
    with VideoSource(path) as source:
        turn = upright_turn(source.info.display_matrix)
        index = 0
        for item in source:
            if not isinstance(item, DecodedFrame):
                continue
            if index % every == 0:
                frames.append(item.rgb if turn is None else np.ascontiguousarray(turn(item.rgb)))
                if len(frames) >= limit:
                    break
            index += 1
    return frames
