"""A batch's tasks in a local pool of spawned processes (``--jobs N``): a few at a time, more as they finish.

``run_local`` yields each task's ``Outcome`` as it finishes. The pool is handed at most ``IN_FLIGHT_PER_WORKER``
tasks a worker at once: every task of a folder handed over at its start (50,000 photos: 50,000 futures) made each
wait on them cost the parent in proportion (8 ms at 10,000 pending, 69 ms at 50,000, a wait on every file that
finished), so the parent's time grew with the square of the number of files. A worker that dies breaks the pool:
the tasks it took down run again in a fresh pool, once; those not yet handed over go on there as they were.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from enlight.stream.apps.tasks import IN_FLIGHT_PER_WORKER, Outcome, Settings, Task, run_task
from enlight.stream.core.memory import share_memory
from enlight.warning_lines import one_line

LOCAL_RETRIES = 1  # a task whose worker died runs once more


def _pool_init(progress, workers: int) -> None:
    global _PROGRESS
    _PROGRESS = progress
    share_memory(workers)  # each worker plans for its share of the run's memory, not for all of it
    show = one_line("enlight-video")  # a worker's warnings one line each, as the command's own
    if show is not None:
        warnings.showwarning = show


_PROGRESS = None


def _pool_task(task: Task, settings: Settings) -> Outcome:
    return run_task(task, settings, on_frames=_PROGRESS.put if _PROGRESS is not None else None)


def run_local(tasks: list[Task], settings: Settings, jobs: int,
              on_frames: Callable[[int], None]) -> Iterator[Outcome]:
    """Outcomes as tasks finish: in this process (jobs 1) or a pool of ``jobs`` spawned processes,
    each building its own plan and backend, handed the tasks in their order a few at a time. A worker
    that dies breaks the pool: the tasks it took down with it run again first in a fresh pool, once
    (a task that breaks a pool twice fails), then the tasks not yet handed to the broken pool."""
    if jobs == 1:
        for task in tasks:
            yield run_task(task, settings, on_frames)
        return
    todo, tries = deque(tasks), dict.fromkeys((t.id for t in tasks), 0)
    existed = {t.id: Path(t.output).exists() for t in tasks}  # before any attempt: not this batch's
    while todo:
        broken: list[Task] = []
        for task, outcome in _pool_run(todo, settings, jobs, on_frames):
            if outcome is not None:
                yield outcome
                continue
            tries[task.id] += 1
            if tries[task.id] < LOCAL_RETRIES + 1:
                broken.append(run_again(task, existed=existed[task.id]))
            else:
                yield Outcome(task, "failed", reason=f"its worker process died {tries[task.id]} times")
        todo.extendleft(reversed(broken))


def run_again(task: Task, *, existed: bool) -> Task:
    """The task to run after the pool broke under it. A broken pool takes down every task in it, also
    those that a healthy worker had just finished (output written, result not yet collected): when
    nothing was at the output before the batch began, what is there now is this batch's own, and the
    second attempt may replace it (it refused, 'output exists', before). A file that was there before
    stays protected unless the task could already overwrite it."""
    return task if task.overwrite or existed else replace(task, overwrite=True)


@dataclass
class _InFlight:
    """The tasks handed to one pool and not yet collected (``futures``: future -> task), at most ``limit``;
    ``broken``: the pool broke (a worker died), and is handed nothing more."""

    pool: ProcessPoolExecutor
    settings: Settings
    limit: int
    futures: dict[Future, Task] = field(default_factory=dict)
    broken: bool = False

    def fill(self, todo: deque[Task]) -> None:
        """Hand the pool tasks from the left of ``todo`` up to ``limit`` in flight (none once it broke)."""
        while todo and not self.broken and len(self.futures) < self.limit:
            task = todo.popleft()
            try:
                self.futures[self.pool.submit(_pool_task, task, self.settings)] = task
            except BrokenProcessPool:  # (it stays to do, in the next pool)
                todo.appendleft(task)
                self.broken = True

    def take(self, future: Future) -> tuple[Task, Outcome | None]:
        """A finished future's task and outcome; None: the pool broke under it."""
        task = self.futures.pop(future)
        try:
            return task, future.result()
        except BrokenProcessPool:
            self.broken = True
            return task, None

    def lost(self) -> list[tuple[Task, None]]:
        """Once the pool broke and a wait found nothing more finished: the tasks it will never tell of (it fails
        the tasks it holds as it breaks; one handed over just then may be left out, and would be waited on forever)."""
        lost = [(task, None) for task in self.futures.values()]
        self.futures.clear()
        return lost


def _pool_run(todo: deque[Task], settings: Settings, jobs: int,
              on_frames: Callable[[int], None]) -> Iterator[tuple[Task, Outcome | None]]:
    """(task, outcome) as tasks finish in one process pool, taken from the left of ``todo`` as others finish
    (``IN_FLIGHT_PER_WORKER`` a worker in flight); outcome None: the pool broke under it (the tasks it was not
    handed stay in ``todo``)."""
    # the resource tracker (started with the first queue, from this interpreter's -W options) would warn about
    # the semaphores of workers stopped by Ctrl-C, which it then removes itself
    if "ignore::UserWarning:multiprocessing.resource_tracker" not in sys.warnoptions:
        sys.warnoptions.append("ignore::UserWarning:multiprocessing.resource_tracker")
    context = multiprocessing.get_context("spawn")
    progress = context.Queue()
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_pool_init, initargs=(progress, jobs))
    flight = _InFlight(pool, settings, max(jobs, 1) * IN_FLIGHT_PER_WORKER)
    with _ctrl_c_ignored():  # the workers (spawned by the first ``jobs`` tasks handed over) start so, and this
        flight.fill(todo)  # process stops them
    stopped = False
    try:
        while flight.futures:
            finished, _ = wait(flight.futures, timeout=0.2, return_when=FIRST_COMPLETED)
            while not progress.empty():
                on_frames(progress.get())
            outcomes = [flight.take(future) for future in finished]
            if flight.broken and not finished:
                outcomes = flight.lost()
            flight.fill(todo)  # (before the batch records these: the workers go on meanwhile)
            yield from outcomes
    except (KeyboardInterrupt, GeneratorExit):  # Ctrl-C, or the batch stops (a full disk): stop the workers now
        stopped = True  # (each left only a temporary, cleaned next run)
        for child in multiprocessing.active_children():
            child.terminate()
            child.join(5)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=stopped)  # (after Ctrl-C its workers are gone: it only tidies up)
        progress.close()
        progress.join_thread()


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """SIGINT ignored in this process meanwhile (in its main thread), so that processes it starts inherit
    that: a spawned Python keeps an ignored SIGINT, and a worker then prints no traceback on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
