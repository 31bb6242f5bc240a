"""One long model call that Ctrl-C (or SIGTERM, raised as Ctrl-C by ``enlight.cli.common.stopped_as_ctrl_c``) stops
at once, not when the call returns.

Python runs a signal's handler, which raises KeyboardInterrupt, only in the main thread and only between Python
instructions: while the main thread sits in one C call (ONNX Runtime's ``session.run`` on a whole 3000x2000 photo
at --quality best: over a minute on 2 cores) a Ctrl-C waits for the call to end. Here the call runs on a helper
thread while the main thread waits on it, and a wait is interrupted by a signal; ``stop`` then asks the call to end
early (ONNX Runtime's ``RunOptions.terminate``: it returns with an error before its next node), and the
KeyboardInterrupt goes on once it has. The helper is one thread for the whole process, started with the first call
and kept: a runtime keeps state per calling thread (ONNX Runtime's CUDA provider: its cuBLAS and cuDNN handles),
which a thread per call would make again for every call.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

STOP_WAIT_S = 10.0  # how long a stopped call is waited for before the KeyboardInterrupt goes on without it


class _Call:
    """One call handed to the helper thread: its result or error, and whether it has ended."""

    def __init__(self, work: Callable[[], T]) -> None:
        self.work = work
        self.ended = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.value = self.work()
        except BaseException as exc:  # handed to the waiting thread
            self.error = exc
        finally:
            self.ended.set()


_calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
_helper: list[threading.Thread] = []  # the helper thread, once started
_starting = threading.Lock()


def _serve() -> None:
    while True:
        _calls.get().run()


def _start_helper() -> None:
    with _starting:
        if not _helper:
            _helper.append(threading.Thread(target=_serve, name="enlight-model", daemon=True))
            _helper[0].start()


def _forget_helper() -> None:
    """In a forked child, which has no helper thread (a fork copies only the thread that forked): start afresh."""
    global _calls, _starting
    _helper.clear()
    _calls, _starting = queue.SimpleQueue(), threading.Lock()


os.register_at_fork(after_in_child=_forget_helper)


def stoppable(work: Callable[[], T], stop: Callable[[], None]) -> T:
    """``work()``, on the helper thread where this is the main thread (elsewhere no signal reaches this thread, and it
    is called directly). A KeyboardInterrupt meanwhile calls ``stop()`` (from this thread: it must be safe to call
    while ``work`` runs), waits up to STOP_WAIT_S for ``work`` to end, and is raised; ``work``'s own result or
    error is then dropped."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    _start_helper()
    call = _Call(work)
    _calls.put(call)
    try:
        call.ended.wait()
    except KeyboardInterrupt:
        stop()
        call.ended.wait(STOP_WAIT_S)  # (a second Ctrl-C meanwhile ends the wait: the KeyboardInterrupt goes on)
        raise
    if call.error is not None:
        raise call.error
    return call.value


__all__ = ["STOP_WAIT_S", "stoppable"]
