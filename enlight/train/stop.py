"""A stop (Ctrl-C, SIGTERM, SIGHUP) held to the end of the training step under way.

Raised where it lands, a stop left a step half done: the generator updated and the discriminators not, some of
Adam's parameters stepped and others not, BatchNorm statistics moved, the step counter not. The checkpoint saved
then held that state under the previous step's number, and ``--resume`` did that step again on top of it. Held
here, the step ends, a whole checkpoint is saved, and the stop is raised as it would have been; a second stop is
acted on at once (the half-done step is then not saved). ``HeldStop`` is ``enlight.held_stop``'s.

The DataLoader's worker processes leave SIGTERM and SIGHUP to the main process (``ignore_stops_in_worker``).
"""

from __future__ import annotations

import signal

from enlight.held_stop import STOP_SIGNALS, HeldStop


def ignore_stops_in_worker(worker_id: int) -> None:
    """A DataLoader worker's ``worker_init_fn``: SIGTERM and SIGHUP are ignored there, left to the main process.

    Sent to the whole process group (systemd's stop, a closed terminal's SIGHUP, ``kill -- -PGID``), they killed
    the workers, and the main process ended on torch's 'DataLoader worker (pid N) is killed by signal: Terminated'
    (an internal error) with no checkpoint saved. The workers end with the main process (the DataLoader shuts them
    down: ``shut_down_workers``; its watchdog ends them if the main process is killed outright). Ctrl-C they
    already leave to it."""
    for name in STOP_SIGNALS[1:]:
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_IGN)


def shut_down_workers(batches) -> None:
    """End a DataLoader iterator's workers now, by torch's own orderly shutdown (what the iterator's ``__del__``
    does), not at the interpreter's exit: a stopped run's iterator is still referenced then, and multiprocessing
    ends leftover workers with SIGTERM, which ``ignore_stops_in_worker`` has them ignore (the run hung)."""
    shutdown = getattr(batches, "_shutdown_workers", None)  # absent without workers
    if shutdown is not None:
        shutdown()


__all__ = ["HeldStop", "ignore_stops_in_worker", "shut_down_workers"]
