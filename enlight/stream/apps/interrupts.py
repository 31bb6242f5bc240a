"""Ctrl-C in a batch: what the runner still hands over, a file's end recorded whole, and an output told from the
file that was there before (``batch._run_batch``)."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager

from enlight.held_stop import HeldStop
from enlight.stream.apps.tasks import Outcome, Task


def after_ctrl_c(outcomes: Generator[Outcome, None, None] | None) -> Iterator[Outcome]:
    """What the runner still hands over after Ctrl-C, told of it where it waits to be asked for its next outcome
    (KeyboardInterrupt thrown in there): on Ray, the tasks that had finished while the batch took another's outcome
    (``run_on_ray``); a runner that stops at once, or that Ctrl-C already stopped, hands over nothing."""
    if outcomes is None:
        return
    try:
        outcome = outcomes.throw(KeyboardInterrupt)
        while True:
            yield outcome
            outcome = next(outcomes)
    except (KeyboardInterrupt, StopIteration):
        return
    finally:
        outcomes.close()  # (its workers stopped: nothing is written after this)


@contextmanager
def stops_deferred() -> Iterator[None]:
    """Meanwhile Ctrl-C (and SIGTERM or SIGHUP, where the run set them to stop it as Ctrl-C does) waits until the
    block is done, then stops the run as it would have (in the main thread; elsewhere nothing changes); a second
    stop meanwhile is the same stop."""
    with HeldStop(second_at_once=False) as held:
        try:
            yield
        finally:
            held.act()


def identity(task: Task) -> tuple[int, int, int] | None:
    """What tells the file at a task's output from another: (inode, size, mtime in ns); None where there is none."""
    try:
        stat = os.stat(task.output)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns
