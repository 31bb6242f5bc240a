"""The batch's tasks as Ray tasks (``--ray`` for a local cluster, ``--ray ADDRESS`` to join one).

The only module that imports ``ray`` (an optional extra: ``pip install enlight-video[cluster]``).
Ray does the scheduling, the retries and the data movement; this module only submits
``enlight.stream.apps.tasks.run_task`` for each task and hands back the outcomes as they finish:

- on a cluster with GPUs each task takes one (``num_gpus=1``) and runs on it; on CPUs each task takes
  ``settings.threads`` cores (the driver splits them), so tasks never fight over cores;
- a worker that dies (killed, out of memory, its machine gone) is retried by Ray (``max_retries``);
  what it had written is under a temporary name, removed by the batch when it ends;
- the tasks are submitted in their order, ``IN_FLIGHT_PER_SLOT`` a task slot of the cluster at a time (``_Window``),
  more as their outcomes come in: a folder of 20,000 photos is never 20,000 tasks waited on at once;
- errors in a file (a corrupt input) are not retried: ``run_task`` returns them as a failed outcome;
- a cluster whose head stops answering (stopped, or its machine gone) stops the batch (``BatchStopped``) within
  seconds, with the report of what finished, before Ray's own minute of waiting ends the process.

Inputs and outputs must be paths every node sees (a shared filesystem).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import ray

from enlight.errors import EnlightError, reason
from enlight.stream.apps.tasks import IN_FLIGHT_PER_WORKER, BatchStopped, Outcome, Settings, Task, run_task

MAX_RETRIES = 3


def _ray_task(task: Task, settings: Settings, counter=None) -> Outcome:
    """One task on a worker; its frames told to ``counter`` (a ``FrameCounter`` actor) as they are written."""
    tell = None if counter is None else lambda frames: counter.add.remote(task.id, frames)
    return run_task(task, settings, on_frames=tell)


@ray.remote(num_cpus=0)
class FrameCounter:
    """The frames the running tasks wrote since the driver last asked: {task id: frames}. Without it the batch's
    bar stood still until a whole file (or segment) was done: an hour-long video, an hour at 0%."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}

    def add(self, task_id: int, frames: int) -> None:
        self.counts[task_id] = self.counts.get(task_id, 0) + frames

    def take(self) -> dict[int, int]:
        counts, self.counts = self.counts, {}
        return counts


class _Progress:
    """The frames told to the batch's bar (``on_frames``), live from the tasks (``counter``) and corrected when a
    task's outcome comes in (a retried task told its first attempt's frames too)."""

    def __init__(self, on_frames: Callable[[int], None] | None) -> None:
        self.on_frames = on_frames
        self.counter = FrameCounter.remote() if on_frames is not None else None
        self.told: dict[int, int] = {}
        self.ended: set[int] = set()
        self.polled_at = 0.0

    def poll(self) -> None:
        """The frames told since the last poll to ``on_frames``; at most once a POLL_S (it was once an outcome: a
        call to the counter and a wait on its answer for every photo of a folder)."""
        if self.counter is None or time.monotonic() - self.polled_at < POLL_S:
            return
        self.polled_at = time.monotonic()
        try:
            counts = ray.get(self.counter.take.remote(), timeout=POLL_S)
        except ray.exceptions.RayError:  # (slow to answer, or gone: the outcomes still count)
            return
        for task_id, frames in counts.items():
            if task_id not in self.ended:  # (a late count of a task already corrected)
                self.told[task_id] = self.told.get(task_id, 0) + frames
                self.on_frames(frames)

    def ended_with(self, outcome: Outcome) -> None:
        self.ended.add(outcome.task.id)
        change = outcome.frames - self.told.pop(outcome.task.id, 0)
        if self.on_frames is not None and change:
            self.on_frames(change)


REACH_TIMEOUT_S = 10  # an address nothing answers at: Ray itself retries for minutes, printing its own warnings
_TOKEN_SETUP_LOGGER = "ray._private.authentication.authentication_token_setup"  # Ray's token-auth notices


CLIENT_DEFAULT_PORT = 443  # what Ray Client dials for ray://HOST without a port (gRPC's default), not its 10001


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of a ``host:port``, ``ray://host:port`` or ``ray://host`` address; None for other forms
    ('auto')."""
    where = address.split("://", 1)[-1]
    host, _, port = where.rpartition(":")
    if host and port.isdigit():
        return host.strip("[]"), int(port)
    return (where.strip("[]"), CLIENT_DEFAULT_PORT) if address.startswith("ray://") and where else None


def _reachable(address: str) -> None:
    """One line, at once, for a ``host:port`` (or ``ray://host:port``) address that does not resolve or where
    nothing accepts a connection within REACH_TIMEOUT_S; other forms ('auto') are left to Ray."""
    head = _host_port(address)
    if head is None:
        return
    try:
        with socket.create_connection(head, timeout=REACH_TIMEOUT_S):
            pass
    except OSError as exc:
        hint = f"; a Ray Client server listens at port 10001 unless told otherwise: {address}:10001" \
            if address.startswith("ray://") and not address.rstrip("/").split(":")[-1].isdigit() else ""
        raise EnlightError(f"cannot reach the Ray cluster at {address}: nothing answers at {head[0]}:{head[1]} "
                           f"({reason(exc)}){hint}") from None


def _refuses_token(address: str) -> bool:
    """Whether the cluster at ``address`` (its GCS's ``host:port``, or a Ray Client server's ``ray://host:port``)
    refuses this process's token (none is sent without RAY_AUTH_MODE=token), asked with one call over the channel
    Ray itself opens (its token added). ``ray.init`` takes such a refusal for a cluster not ready yet and tries again:
    20 s for a GCS, 30 s for a Ray Client server (then it said only 'ray client connection timeout')."""
    try:  # (Ray's own modules, private: another Ray may lack them, and ray.init then says what it says)
        import grpc
        from ray._private.grpc_utils import init_grpc_channel
        from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc, ray_client_pb2, ray_client_pb2_grpc
    except ImportError:
        return False

    with init_grpc_channel(address.split("://", 1)[-1]) as channel:
        try:
            if address.startswith("ray://"):  # (the ping Ray's client starts with)
                ray_client_pb2_grpc.RayletDriverStub(channel).ClusterInfo(
                    ray_client_pb2.ClusterInfoRequest(type=ray_client_pb2.ClusterInfoType.PING),
                    timeout=REACH_TIMEOUT_S)
            else:
                gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel).GetClusterId(
                    gcs_service_pb2.GetClusterIdRequest(), timeout=REACH_TIMEOUT_S)
        except grpc.RpcError as exc:
            return exc.code() == grpc.StatusCode.UNAUTHENTICATED
    return False


def _connect(address: str | None, *, joins: bool) -> bool:
    """Start (or join) Ray unless this process already did; True when this call started it. Ray's own stop
    handlers are undone (``_stop_signals_kept``) and, joining a cluster, its retry lines are kept from the terminal
    (``_ray_lines``): a refusal is one line that says why. joins: a cluster running already is joined (address
    given, or one ``--ray`` alone found): this process's Ray core writes no log lines of its own (``_core_quiet``)."""
    if ray.is_initialized():
        return False
    if address:
        _reachable(address)
        if _host_port(address) is not None and _refuses_token(address):
            raise EnlightError(_token_refused(f"cannot reach the Ray cluster at {address}"))
    else:  # the local cluster this run starts is token-protected, as Ray now makes it: its warning says only that
        logging.getLogger(_TOKEN_SETUP_LOGGER).setLevel(logging.ERROR)
    lines: list[str] = []
    try:
        with _stop_signals_kept(), _ray_lines(lines, joins), _core_quiet(joins):
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise EnlightError(_refused(address, exc, "\n".join(lines))) from None
    return True


def _refused(address: str | None, exc: Exception, said: str) -> str:
    """The one line for a cluster Ray could not join: a token it asks for or refused named, with what to do."""
    where = f"cannot reach the Ray cluster at {address or 'local'}"
    if "Could not find any running Ray instance" in str(exc):  # ('auto'; Ray's line named flags of its own CLI)
        return (f"{where}: no Ray cluster runs on this machine: give the address of one (--ray HOST:PORT), start one "
                "(`ray start --head`), or give --ray alone for one of this run's own")
    if "Invalid address format" in str(exc):  # ('--ray foo': Ray's line said only that)
        return (f"--ray {address} is not an address: give --ray HOST:PORT (the head node's, port 6379 unless "
                "`ray start` was told otherwise), ray://HOST:10001 for its Ray Client server, or --ray alone")
    if "InvalidAuthToken" not in said and "Unauthenticated" not in said:
        return f"{where}: {reason(exc)}"
    return _token_refused(where)


def _token_refused(where: str) -> str:
    """The one line for a cluster that asks for a token this process did not send, or refused the one it sent."""
    if os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
        return (f"{where}: it asks for a token (Ray's token authentication): set RAY_AUTH_MODE=token and give the "
                "cluster's token (`ray get-auth-token` on its head node) in RAY_AUTH_TOKEN or ~/.ray/auth_token")
    return (f"{where}: it refused the token given: RAY_AUTH_TOKEN or ~/.ray/auth_token must hold the cluster's "
            "(`ray get-auth-token` on its head node)")


CORE_LOG_LEVEL = "RAY_BACKEND_LOG_LEVEL"  # what Ray's core (C++) in a process logs, read as ray.init starts it


@contextmanager
def _core_quiet(quiet: bool) -> Iterator[None]:
    """Meanwhile (``ray.init``) Ray's core in this process starts with only its crash reports (FATAL) to write: when a
    cluster's head stops mid-run it wrote dated ERROR lines between the progress lines ('[2026-12-07 01:45:09,222 E
    6127 6145] task_manager.cc:1545: Failed to push error to driver for task ...') before the run's own one-line
    stop. Only where no process of Ray's is started meanwhile (they would inherit it: a local cluster's own logs), and
    never over a level the user set."""
    if not quiet or CORE_LOG_LEVEL in os.environ:
        yield
        return
    os.environ[CORE_LOG_LEVEL] = "fatal"
    try:
        yield
    finally:
        del os.environ[CORE_LOG_LEVEL]


@contextmanager
def _ray_lines(lines: list[str], capture: bool) -> Iterator[None]:
    """Meanwhile what Ray's core writes to this process's stderr (a line a second while a cluster refuses it) goes
    into ``lines`` instead of the terminal. Only while joining a cluster: a local one's processes would inherit it."""
    if not capture:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines += sink.read().decode(errors="replace").splitlines()


@contextmanager
def _stop_signals_kept() -> Iterator[None]:
    """``ray.init`` makes SIGTERM end the process at once (its handler exits, its core prints a crash report):
    the handlers this process had set for SIGTERM and SIGHUP (the CLI's, which stop a run as Ctrl-C does, with its
    report and its temporaries removed) are put back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    before = {number: signal.getsignal(number) for number in names}
    try:
        yield
    finally:
        for number, handler in before.items():
            if callable(handler):  # (one of ours; Ray's own exit stays where nothing else was set)
                signal.signal(number, handler)


@contextmanager
def ray_session(address: str | None) -> Iterator[str]:
    """Ray started (``address`` None: a local cluster) or joined for a run, and left when it ends; where this process
    is already connected, that connection is used and kept. Entered before anything is written, so that a cluster
    that cannot be reached leaves nothing behind. Yields a note where ``--ray`` alone joined a cluster running
    already (``ray start`` on this machine, or RAY_ADDRESS), as Ray does, instead of starting one; else ''."""
    running = _running_cluster() if address is None and not ray.is_initialized() else None
    started = _connect(address, joins=address is not None or running is not None)
    try:
        yield _joined(running) if running and started else ""
    finally:
        if started:
            ray.shutdown()


def _running_cluster() -> str | None:
    """The address of the cluster ``ray.init()`` joins rather than starting one (RAY_ADDRESS, or the one
    `ray start` runs on this machine); None where it starts its own."""
    try:
        from ray._private.services import canonicalize_bootstrap_address  # (what ray.init itself asks; private)

        return canonicalize_bootstrap_address(None)
    except (ImportError, ConnectionError, RuntimeError, ValueError):
        return None


def _joined(address: str) -> str:
    if os.environ.get("RAY_ADDRESS"):
        return f"--ray: the tasks run on the Ray cluster RAY_ADDRESS names ({address}), not on one of this run's own"
    return (f"--ray: the tasks run on the Ray cluster already running on this machine ({address}: `ray start`), "
            "not on one of this run's own")


def _task_options(settings: Settings) -> tuple[dict, Settings]:
    """Ray resources per task, and the settings the workers get (their device and threads)."""
    if ray.cluster_resources().get("GPU", 0) >= 1 and settings.plan_options.get("device", "auto") != "cpu":
        options = {**settings.plan_options, "device": "cuda"}
        return {"num_gpus": 1, "num_cpus": 1}, replace(settings, plan_options=options)
    threads = max(1, settings.threads)
    largest = _largest_node_cpus()
    if largest:  # (split from the cores of the machine the run started on: more than a node has, never scheduled)
        threads = min(threads, largest)
    return {"num_cpus": threads}, replace(settings, threads=threads)


def task_slots(settings: Settings) -> int:
    """How many of the run's tasks the joined cluster runs at once (at least 1): one per GPU where tasks get one,
    else on each live node as many tasks of ``_task_options``'s cores as its CPUs hold."""
    return _slots(_task_options(settings)[0])


def _slots(resources: dict) -> int:
    """How many tasks of ``resources`` (``_task_options``'s) the joined cluster runs at once now (at least 1)."""
    if "num_gpus" in resources:
        return max(1, int(ray.cluster_resources().get("GPU", 0)))
    cores = resources["num_cpus"]
    return max(1, sum(int(cpus // cores) for cpus in _live_node_cpus()))


def _largest_node_cpus() -> int:
    """The CPUs of the cluster's largest live node; 0 while it has none (an autoscaler adds them as tasks wait)."""
    return int(max(_live_node_cpus(), default=0))


def _live_node_cpus() -> list[float]:
    """The CPUs of each live node of the cluster."""
    return [node.get("Resources", {}).get("CPU", 0) for node in ray.nodes() if node.get("Alive")]


def run_on_ray(tasks: list[Task], settings: Settings, *, address: str | None = None,
               on_frames: Callable[[int], None] | None = None, max_retries: int = MAX_RETRIES) -> Iterator[Outcome]:
    """Outcomes of ``tasks`` run as Ray tasks, in the order they finish; they are submitted in their order, a
    ``_Window`` at a time (more as outcomes come in). address None: a local cluster (or the one this process already
    joined). Ctrl-C (KeyboardInterrupt, raised here or thrown in at a yield) stops the tasks still running, then
    yields the outcomes of those that had finished (their outputs are complete) before it goes on; the tasks never
    submitted are never yielded (the batch counts them not finished)."""
    with ray_session(address):
        resources, settings = _task_options(settings)
        remote = ray.remote(max_retries=max_retries, retry_exceptions=False, **resources)(_ray_task)
        progress = _Progress(on_frames)
        head = _host_port(address or ray.get_runtime_context().gcs_address)
        window = _Window(tasks, lambda task: remote.remote(task, settings, progress.counter), resources, head)
        refs = window.refs
        try:
            window.fill()
            while refs:
                for ref in _ready(list(refs), head, address, progress.poll):
                    task = refs.pop(ref)
                    window.fill()  # (before the batch records this one: the cluster goes on meanwhile)
                    outcome = _outcome(ref, task, max_retries, head, address)
                    progress.ended_with(outcome)
                    yield outcome
        except KeyboardInterrupt:
            if head is None or _answers(head):
                yield from _finished(refs)
            raise
        finally:  # Ctrl-C, or the batch stopped (a full disk, the cluster gone: its workers went with it)
            if head is None or _answers(head):
                _cancel(list(refs))


IN_FLIGHT_PER_SLOT = IN_FLIGHT_PER_WORKER  # tasks submitted a slot of the cluster (``_slots``) at once, as the pool's
RESIZE_S = 10.0  # how often the window follows the cluster's size (an autoscaler's nodes come as tasks wait)


class _Window:
    """The tasks submitted to Ray and not yet collected (``refs``: ObjectRef -> task), at most ``limit``
    (``IN_FLIGHT_PER_SLOT`` a slot of the cluster, followed every RESIZE_S); the rest wait in ``todo``, in their
    order. Every task submitted at once (a folder of 20,000 photos: 20,000) made each ``ray.wait`` on them cost
    this process in proportion, once a file: its CPU time grew with the square of the number of files."""

    def __init__(self, tasks: list[Task], submit: Callable[[Task], object], resources: dict,
                 head: tuple[str, int] | None) -> None:
        self.todo = deque(tasks)
        self.submit, self.resources, self.head = submit, resources, head
        self.refs: dict = {}
        self.limit, self.sized_at = IN_FLIGHT_PER_SLOT * _slots(resources), time.monotonic()

    def fill(self) -> None:
        """Submit tasks from the left of ``todo`` until ``limit`` are in flight."""
        if self.todo and time.monotonic() - self.sized_at >= RESIZE_S:
            self._resize()
        while self.todo and len(self.refs) < self.limit:
            task = self.todo.popleft()
            self.refs[self.submit(task)] = task

    def _resize(self) -> None:
        """``limit`` for the cluster as it is now; kept where its head does not answer (the wait says so)."""
        self.sized_at = time.monotonic()
        if self.head is not None and not _answers(self.head):
            return
        try:
            self.limit = IN_FLIGHT_PER_SLOT * _slots(self.resources)
        except (ray.exceptions.RayError, ConnectionError):
            return


def _finished(refs: dict) -> Iterator[Outcome]:
    """After Ctrl-C: the tasks of ``refs`` still running stopped (``_cancel``), and the outcomes of those that had
    finished: a task whose output was complete before its result was collected is done, not 'not finished' (the
    next run would do it again). ``refs`` is emptied."""
    if not refs:
        return
    _cancel(list(refs))
    ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=0)
    refs.clear()  # (what did not stop within CANCEL_WAIT_S is not waited for again)
    for ref in ready:
        try:
            yield ray.get(ref, timeout=0)
        except ray.exceptions.RayError:  # stopped by the cancel (or its worker died)
            continue


POLL_S = 1.0
LOST_AFTER_S = 5  # the head refusing connections this long: the cluster is gone (Ray ends this process after 60 s)


def _ready(refs: list, head: tuple[str, int] | None, address: str | None,
           meanwhile: Callable[[], None] = lambda: None) -> list:
    """Those of ``refs`` that finished, once one has, ``meanwhile`` called every POLL_S until then;
    ``BatchStopped`` once the cluster's head (``head``: its host and port, None: not watched) has not answered for
    LOST_AFTER_S: Ray itself waits for it a minute, then ends this process without a word of what was done."""
    silent_since = None
    while True:
        try:
            ready, _ = ray.wait(refs, num_returns=1, timeout=POLL_S)
            meanwhile()
        except ConnectionError:  # a Ray Client (ray://) whose server went, after its own 30 s of trying again
            raise _lost(address) from None
        if ready:
            return ready
        if head is None or _answers(head):
            silent_since = None
            continue
        silent_since = time.monotonic() if silent_since is None else silent_since
        if time.monotonic() - silent_since >= LOST_AFTER_S:
            raise _lost(address)


def _answers(head: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(head, timeout=POLL_S):
            return True
    except OSError:
        return False


def _lost(address: str | None) -> BatchStopped:
    where = f"at {address}" if address else "this run started"
    return BatchStopped(f"the Ray cluster {where} stopped answering (its head node was stopped, or is out of reach)",
                        "start it again")


def _outcome(ref, task: Task, max_retries: int, head: tuple[str, int] | None, address: str | None) -> Outcome:
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:  # retries used up: the worker kept dying
        if isinstance(exc, ray.exceptions.LocalRayletDiedError) or (head is not None and not _answers(head)):
            raise _lost(address) from None  # (this process's node, or the cluster, went: not the file's fault)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return Outcome(task, "failed", reason=f"Ray task failed after {max_retries} retries: {first}")


CANCEL_WAIT_S = 10


def _cancel(refs: list) -> None:
    """Stop the tasks still running, their workers killed, and wait (up to CANCEL_WAIT_S) until they are: a task
    left running on a cluster would write its temporary file after the batch removed those of the tasks stopped."""
    if not refs:
        return
    for ref in refs:
        ray.cancel(ref, force=True)
    ray.wait(refs, num_returns=len(refs), timeout=CANCEL_WAIT_S)
