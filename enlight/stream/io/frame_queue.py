"""The decode thread's queue (``FrameQueue``): a ``VideoSource``'s items in order, of which at most a set number of
decoded frames wait for the consumer.
"""

from __future__ import annotations

import queue
import threading
from collections import deque

from enlight.stream.io.source_items import DecodedFrame


class FrameQueue:
    """The decode thread's queue: items in order, of which at most ``limit`` decoded frames (``put`` of a
    frame waits while that many wait; the packets of the other streams in between never do, so a file with
    much audio per frame still gets its frames' worth of read-ahead). ``put`` raises ``queue.Full`` after
    ``timeout``; ``get_nowait`` raises ``queue.Empty``."""

    def __init__(self, limit: int) -> None:
        self._items: deque = deque()
        self._frames = 0
        self._limit = max(1, limit)
        self._changed = threading.Condition()

    def set_limit(self, frames: int) -> None:
        with self._changed:
            self._limit = max(1, frames)
            self._changed.notify_all()

    def put(self, item, timeout: float) -> None:
        frame = isinstance(item, DecodedFrame)
        with self._changed:
            if frame and not self._changed.wait_for(lambda: self._frames < self._limit, timeout):
                raise queue.Full
            self._items.append(item)
            self._frames += frame
            self._changed.notify_all()

    def get(self):
        with self._changed:
            self._changed.wait_for(lambda: self._items)
            return self._take()

    def get_nowait(self):
        with self._changed:
            if not self._items:
                raise queue.Empty
            return self._take()

    def _take(self):
        item = self._items.popleft()
        self._frames -= isinstance(item, DecodedFrame)
        self._changed.notify_all()
        return item

    def frames(self) -> int:
        """Decoded frames waiting now."""
        with self._changed:
            return self._frames

