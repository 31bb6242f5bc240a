"""A stop (Ctrl-C, SIGTERM, SIGHUP) held until a piece of work is done, then raised as it would have been.

Used by training (the step under way ends and a whole checkpoint is saved: ``enlight.train.stop``) and by a batch
(a file's end is never cut in half: ``enlight.stream.apps.interrupts.stops_deferred``).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class HeldStop:
    """Use as a context manager around the work to finish first; ``pending`` says a stop arrived, ``act()`` raises
    it. A second stop is acted on at once, or, with ``second_at_once`` False, dropped (the first is raised by
    ``act``).

    Only signals whose handler is Python code are held (Python's Ctrl-C, the command line's SIGTERM and SIGHUP,
    which raise KeyboardInterrupt); an ignored or default-disposition signal stays as it was. In a thread other
    than the main one nothing is held (signals reach only the main thread)."""

    def __init__(self, *, second_at_once: bool = True) -> None:
        self.second_at_once = second_at_once
        self.pending: tuple[int, FrameType | None] | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> HeldStop:
        if threading.current_thread() is threading.main_thread():
            for name in STOP_SIGNALS:
                number = getattr(signal, name, None)
                handler = signal.getsignal(number) if number is not None else None
                if callable(handler):
                    self._previous[number] = handler
                    signal.signal(number, self._hold)
        return self

    def _hold(self, number: int, frame: FrameType | None) -> None:
        if self.pending is None:
            self.pending = (number, frame)
        elif self.second_at_once:
            self._restore()
            self._previous[number](number, frame)

    def act(self) -> None:
        """Raise the held stop (its own handler: KeyboardInterrupt, the signal recorded), if one arrived."""
        if self.pending is not None:
            number, frame = self.pending
            handler = self._previous[number]
            self._restore()
            handler(number, frame)

    def _restore(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def __exit__(self, *exc) -> None:
        self._restore()


__all__ = ["STOP_SIGNALS", "HeldStop"]
