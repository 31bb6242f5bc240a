"""``enlight.stream.backends.stoppable``: a call on its helper thread gives back its result and its error, and a
forked child (which has no copy of the helper thread) still gets its calls run."""

from __future__ import annotations

import os
import time

import pytest

from enlight.stream.backends.stoppable import stoppable


def test_a_call_gives_back_its_result_and_its_error():
    assert stoppable(lambda: 42, lambda: None) == 42
    with pytest.raises(ZeroDivisionError):
        stoppable(lambda: 1 / 0, lambda: None)


def test_a_forked_child_runs_its_calls_without_waiting_for_the_parents_helper_thread():
    stoppable(lambda: None, lambda: None)  # the parent's helper thread is started
    child = os.fork()
    if child == 0:
        os._exit(0 if stoppable(lambda: 7, lambda: None) == 7 else 1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(child, 9)
    raise AssertionError("the child's call never ran: it waited for a helper thread the fork did not copy")
