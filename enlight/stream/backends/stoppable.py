"""One long model call that Ctrl-C (or SIGTERM, raised as Ctrl-C by ``enlight.cli.common.stopped_as_ctrl_c``) stops
at once, not when the call returns.

Python runs a signal's handler, which raises KeyboardInterrupt, only in the main thread and only between Python
instructions: while the main thread sits in one C call (ONNX Runtime's ``session.run`` on a whole 3000x2000 photo
at --quality best: over a minute on 2 cores) a Ctrl-C waits for the call to end. Here the call runs on a helper
thread while the main thread waits on it, and a wait is interrupted by a signal; ``stop`` then asks the call to end
early (ONNX Runtime's ``RunOptions.terminate``: it returns with an error before its next node), and the
KeyboardInterrupt goes on once it has.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

STOP_WAIT_S = 10.0  # how long a stopped call is waited for before the KeyboardInterrupt goes on without it


def stoppable(work: Callable[[], T], stop: Callable[[], None]) -> T:
    """``work()``, on a helper thread where this is the main thread (elsewhere no signal reaches this thread, and it
    is called directly). A KeyboardInterrupt meanwhile calls ``stop()`` (from this thread: it must be safe to call
    while ``work`` runs), waits up to STOP_WAIT_S for ``work`` to end, and is raised; ``work``'s own result or
    error is then dropped."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    outcome: list = []

    def call() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the main thread
            outcome.append((False, exc))

    helper = threading.Thread(target=call, name="enlight-model", daemon=True)
    helper.start()
    try:
        helper.join()
    except KeyboardInterrupt:
        stop()
        helper.join(STOP_WAIT_S)  # (a second Ctrl-C meanwhile ends the wait: the KeyboardInterrupt goes on)
        raise
    done, value = outcome[0]
    if not done:
        raise value
    return value


__all__ = ["STOP_WAIT_S", "stoppable"]
