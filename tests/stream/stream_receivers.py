"""RTMP and RTSP receivers on 127.0.0.1: FFmpeg's own servers (PyAV, listen mode) in a child process, as a nginx-rtmp
or MediaMTX server takes a stream. ``Receiver(kind)`` reads everything and counts the video packets;
``Receiver(kind, stall_after=N)`` reads N video packets, then stops reading but keeps the connection open (a
server that stalled). Run as ``python -m tests.stream.stream_receivers KIND PORT STALL_AFTER`` (0: never)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import av

from tests.conftest import REPO

PUBLISHED = {"rtmp": "flv", "rtsp": "rtsp"}  # the muxer a scheme's output is written with


def can_write(scheme: str) -> bool:
    """Whether PyAV's FFmpeg has the protocol (and, for RTMP, the tee protocol the output goes through): tried on
    a port where nothing listens, which refuses the connection where the protocol is there."""
    if scheme == "rtsp" and "rtsp" not in av.formats_available:
        return False
    url = f"{scheme}://127.0.0.1:{free_port()}/live/x"
    for tried in ([url, f"tee:{url}"] if scheme == "rtmp" else [url]):
        out = av.open(tried, "w", format=PUBLISHED[scheme])
        stream = out.add_stream("mpeg4", rate=25)
        stream.width, stream.height = 64, 48
        try:
            out.start_encoding()
        except av.error.ProtocolNotFoundError:
            return False
        except (av.error.FFmpegError, OSError):
            pass
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """A server for ``kind`` ('rtmp', 'rtsp') at ``url``; ``receiving`` is set once a video packet came, ``stalled``
    once it stopped reading, ``packets()`` waits for the stream's end and gives the count of video packets that came
    (None where it stalled)."""

    def __init__(self, kind: str, *, stall_after: int = 0) -> None:
        self.port = free_port()
        self.url = f"{kind}://127.0.0.1:{self.port}/live/x"
        self.stalled = threading.Event()
        self.receiving = threading.Event()
        self._count: list[int] = []
        self._process = subprocess.Popen([sys.executable, "-m", "tests.stream.stream_receivers", kind,
                                          str(self.port), str(stall_after)], cwd=REPO, stdout=subprocess.PIPE,
                                         text=True)
        assert self._process.stdout.readline().strip() == "listening"
        threading.Thread(target=self._follow, daemon=True).start()
        time.sleep(1.0)  # (its socket listening: the line is written just before; a probe would be taken as the client)

    def _follow(self) -> None:
        for line in self._process.stdout:
            if line.startswith("stalled"):
                self.stalled.set()
            elif line.startswith("receiving"):
                self.receiving.set()
            elif line.startswith("received"):
                self._count.append(int(line.split()[1]))

    def packets(self, timeout: float = 30) -> int | None:
        self._process.wait(timeout)
        time.sleep(0.1)  # (the last line read)
        return self._count[0] if self._count else None

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


def keep_receive_buffers_small(size: int = 65536) -> None:
    """Give every socket of this process a fixed receive buffer of ``size`` bytes, from a thread that looks every 2 ms
    (Linux: through /proc/self/fd), so that FFmpeg's listening socket has it before the sender connects and the
    connection inherits it. FFmpeg's RTSP server takes no option for it, and Linux grows a buffer that is not fixed
    towards tcp_rmem's maximum (32 MB on some machines), which can swallow a whole test clip: a server that stopped
    reading went unnoticed (seen once on CI)."""
    def follow() -> None:
        while True:
            fix_receive_buffers(size)
            time.sleep(0.002)
    threading.Thread(target=follow, daemon=True).start()


def fix_receive_buffers(size: int) -> None:
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            with socket.socket(fileno=os.dup(int(name))) as held:
                held.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        except OSError:  # (gone since it was listed, or not a socket that has the option)
            continue


def serve(kind: str, port: int, stall_after: int) -> None:
    url = f"{kind}://127.0.0.1:{port}/live/x"
    if kind == "rtmp":  # (a small receive buffer: a stall shows sooner)
        options = {"listen": "1", "recv_buffer_size": "65536"}
    else:  # (FFmpeg 8's RTSP server refuses an endless listen_timeout: it passes it on as -1000 ms)
        options = {"rtsp_flags": "listen", "listen_timeout": "60"}
    if stall_after:
        keep_receive_buffers_small()
    print("listening", flush=True)
    count = 0
    with av.open(url, "r", format="rtsp" if kind == "rtsp" else None, options=options) as received:
        try:
            for packet in received.demux(video=0):
                count += packet.size > 0
                if count == 1 and packet.size > 0:
                    print("receiving", flush=True)
                if count == stall_after:
                    print("stalled", flush=True)
                    time.sleep(600)
        except av.error.FFmpegError:  # (FFmpeg's RTMP server ends a stream it was sent whole with an I/O error)
            pass
    print(f"received {count}", flush=True)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
