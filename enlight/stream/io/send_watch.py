"""A send to a network output that blocks past its limit, ended from our side by cutting the output's own TCP
connection (``shutdown``: the blocked send fails at once, and so does every later one).

FFmpeg bounds each send where it can (``locations.with_write_timeout``), but its RTSP muxer drops a packet whose
send timed out and goes on with the next, which waits as long again: a receiver that stopped reading held one
frame for (its packets x --timeout), some minutes, and the run never failed. Closing an RTMP or RTSP session
sends its goodbyes (FCUnpublish and deleteStream, TEARDOWN) into the full socket, each waiting the limit again.
And a stop (Ctrl-C, SIGTERM) waited for the blocked send: once the run was stopped, a send gets a second.

The connection is found in /proc (Linux): the TCP sockets of this process that opening the output connected
(``tcp_sockets`` before and after it). Where /proc does not tell, nothing is cut and FFmpeg's limits are all.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
_CONNECTED = "01"  # the kernel's TCP_ESTABLISHED, as /proc/net/tcp writes a socket's state
_STOPS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}


def tcp_sockets() -> dict[str, int]:
    """{socket inode: file descriptor} of this process's connected TCP sockets; empty where /proc does not say."""
    inodes = set()
    try:
        for table in _TABLES:
            with open(table) as rows:
                next(rows, None)  # (the heading)
                inodes.update(row.split()[9] for row in rows if row.split()[3] == _CONNECTED)
        names = os.listdir("/proc/self/fd")
    except OSError:
        return {}
    found = {}
    for name in names:
        inode = _socket_inode(int(name))
        if inode in inodes:
            found[inode] = int(name)
    return found


def _socket_inode(fd: int) -> str | None:
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None
    return target[len("socket:["):-1] if target.startswith("socket:[") else None


class SendWatch:
    """Watches the sends to one output: one that runs ``limit_s`` or more gets the output's connection (``sockets``,
    inode -> fd, those that opening it connected) cut, and ``stalled`` says so (``stopped``: after a stop, which
    ``hurry`` tells it: a stop signal does, ``_StopListener``). ``cut`` cuts at once, ``close`` ends the watch."""

    HURRIED_S = 1.0  # the longest a send may block once the run was stopped

    def __init__(self, sockets: dict[str, int], limit_s: float) -> None:
        self.sockets = dict(sockets)
        self.limit_s = limit_s
        self.stalled = self.stopped = self._hurried = False
        self._since: float | None = None  # when the send under way began (time.monotonic), None between sends
        self._closed = False
        self._changed = threading.Condition()
        threading.Thread(target=self._watch, name="enlight-send-watch", daemon=True).start()
        _StopListener.add(self)

    @classmethod
    def opened(cls, before: dict[str, int], limit_s: float | None) -> SendWatch | None:
        """The watch of the connection that opening an output made (sockets now and not in ``before``); None where
        there is no limit or no such connection (a UDP or SRT output, or no /proc)."""
        new = {inode: fd for inode, fd in tcp_sockets().items() if inode not in before}
        return cls(new, limit_s) if new and limit_s is not None else None

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Around one send (a mux call)."""
        with self._changed:
            self._since = time.monotonic()
            self._changed.notify()
        try:
            yield
        finally:
            with self._changed:
                self._since = None

    def hurry(self) -> None:
        with self._changed:
            self._hurried = True
            self.limit_s = min(self.limit_s, self.HURRIED_S)
            self._changed.notify()

    def _watch(self) -> None:
        with self._changed:
            while not self._closed:
                if self._since is None:
                    self._changed.wait()
                    continue
                left = self._since + self.limit_s - time.monotonic()
                if left > 0:
                    self._changed.wait(left)
                    continue
                self.stalled, self.stopped = True, self._hurried
                self.cut()
                return

    def cut(self) -> None:
        """Shut the connection down (each socket still open as the same one; a later cut does nothing more)."""
        for inode, fd in self.sockets.items():
            if _socket_inode(fd) != inode:  # (FFmpeg closed it, and the number may name another file now)
                continue
            try:
                with socket.socket(fileno=os.dup(fd)) as connection:
                    connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets = {}

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
        _StopListener.remove(self)


class _StopListener:
    """Hurries the watches when a stop signal arrives, also while the main thread waits inside FFmpeg's send (a
    live run sends from it, and Python runs a signal's handler only once that call returns): Python's own handler
    writes the signal's number into a pipe at once (``signal.set_wakeup_fd``), which a thread reads. Installed
    from the main thread while a watch is open, where no other wakeup descriptor is set."""

    current: _StopListener | None = None

    def __init__(self, previous_fd: int, read_fd: int, write_fd: int) -> None:
        self.previous_fd, self.read_fd, self.write_fd = previous_fd, read_fd, write_fd
        self.watches: weakref.WeakSet[SendWatch] = weakref.WeakSet()
        threading.Thread(target=self._listen, name="enlight-stop-listener", daemon=True).start()

    @classmethod
    def add(cls, watch: SendWatch) -> None:
        if cls.current is None and threading.current_thread() is threading.main_thread():
            read_fd, write_fd = os.pipe()
            os.set_blocking(write_fd, False)
            previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
            if previous != -1:  # (another's: left as it was)
                signal.set_wakeup_fd(previous)
                os.close(read_fd)
                os.close(write_fd)
                return
            cls.current = cls(previous, read_fd, write_fd)
        if cls.current is not None:
            cls.current.watches.add(watch)

    @classmethod
    def remove(cls, watch: SendWatch) -> None:
        listener = cls.current
        if listener is None or threading.current_thread() is not threading.main_thread():
            return
        listener.watches.discard(watch)
        if not listener.watches:
            cls.current = None
            signal.set_wakeup_fd(listener.previous_fd)
            os.close(listener.write_fd)  # (the thread reads the end of the pipe, closes it and ends)

    def _listen(self) -> None:
        while data := os.read(self.read_fd, 64):
            if _STOPS.intersection(data):
                for watch in list(self.watches):
                    watch.hurry()
        os.close(self.read_fd)
