"""Thread counts of torch and OpenCV, set without importing torch."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch's intra-op (CPU) threads set to ``count`` inside the block and restored after; 0 leaves them, and so
    does a process that has not loaded torch (importing it here would cost 1.2 s).

    A file run on a CPU does the work around the model with one thread (``enlight.stream.apps.pipeline``):
    its decode and encode threads use the other cores, and on 2 cores a second torch thread made every
    small operation wait for a core (fast preset at 854x480: 14 -> 24 fps end to end; issue 17)."""
    torch = sys.modules.get("torch")
    if torch is None:  # nothing of torch runs in a block entered before it is loaded (a CPU run's forms)
        yield
        return
    before = torch.get_num_threads()
    if count <= 0 or count == before:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def limit_threads(count: int) -> None:
    """A worker process's threads (one of several sharing the cores): torch's intra-op threads, where torch is
    loaded, and OpenCV's (the CPU forms of the stages), at most ``count``."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(count)
    try:
        import cv2
    except ImportError:
        return
    cv2.setNumThreads(count)
