"""Progress bars that suit where stderr goes: tqdm's bar redrawn in place on a terminal, and on anything else (a log
file, ``docker logs``, systemd's journal, a CI console, a pipe) one plain line every ``LOG_INTERVAL`` seconds and one
at the end. tqdm alone redraws with carriage returns there too, ten times a second, so an hour's run wrote tens of
thousands of redraws into one line of the log, and a warning printed meanwhile landed in the middle of it."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from contextlib import contextmanager

LOG_INTERVAL = 30.0  # seconds between two lines of progress when stderr is not a terminal
_TIMES = re.compile(r"\[[^\]]*\]")  # tqdm's [elapsed<remaining, rate, postfix]


class _Lines:
    """A stream for tqdm that writes each redraw as a line of its own: the carriage return and the padding tqdm uses
    to overwrite the previous redraw are dropped, and so is a redraw that repeats the last line's count (only its
    times and rate differ)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.last = ""

    def write(self, text: str) -> None:
        line = text.replace("\r", "").rstrip()
        key = _TIMES.sub("", line)  # the same count and bar at another moment: closing right after a redraw
        if line and key != self.last:
            self.last = key
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


def is_terminal(stream) -> bool:
    """Whether ``stream`` is a terminal (False for a file, a pipe, a closed stream or one without ``isatty``)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _interval(setting: str | None) -> float:
    """Seconds between two lines in a log: TQDM_MININTERVAL (tqdm's own setting) where it is a number, else
    ``LOG_INTERVAL``."""
    try:
        return max(float(setting), 0.0) if setting else LOG_INTERVAL
    except ValueError:
        return LOG_INTERVAL


def progress_bar(*, file=None, **options):
    """A ``tqdm`` with ``options`` (total, unit, disable, desc, ...), drawn on ``file`` (stderr by default): as tqdm
    draws it on a terminal; elsewhere as plain ASCII lines, at most one per ``LOG_INTERVAL`` seconds (or per
    TQDM_MININTERVAL seconds, tqdm's setting, where the environment sets it)."""
    from tqdm import tqdm

    stream = sys.stderr if file is None else file
    if is_terminal(stream):
        return tqdm(file=stream, dynamic_ncols=True, **options)
    interval = _interval(os.environ.get("TQDM_MININTERVAL"))
    # maxinterval: tqdm's monitor thread redraws a bar not drawn for that long (10 s by default)
    return tqdm(file=_Lines(stream), mininterval=interval, maxinterval=interval, ascii=True, **options)


TICK = 0.5  # seconds between two advances of a bar over the clock (``timed_bar``)


@contextmanager
def timed_bar(seconds: float, *, desc: str, disable: bool = False, file=None):
    """A bar over an estimated duration, for work that reports no progress of its own (one model call on a whole
    photo): it advances with the clock to at most 99% of ``seconds`` and is completed when the block ends without an
    exception. Drawn as ``progress_bar`` draws (plain lines away from a terminal)."""
    bar = progress_bar(total=max(seconds, TICK), desc=desc, disable=disable, file=file,
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed} of about {total:.0f} s")
    stop, start = threading.Event(), time.perf_counter()

    def advance() -> None:
        while not stop.wait(TICK):
            bar.n = min(time.perf_counter() - start, 0.99 * bar.total)
            bar.refresh()

    ticker = threading.Thread(target=advance, name="enlight-timed-bar", daemon=True)
    ticker.start()
    done = False
    try:
        yield bar
        done = True
    finally:
        stop.set()
        ticker.join()
        if done:
            bar.n = bar.total
            bar.refresh()
        bar.close()


__all__ = ["LOG_INTERVAL", "is_terminal", "progress_bar", "timed_bar"]
