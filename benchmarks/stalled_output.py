"""How `enlight-video` ends when the RTMP or RTSP server it streams to stalls (docs/live.md, "A stream out that
stalls"): FFmpeg's own server in a child process (``tests.stream.stream_receivers``) reads a few packets, then stops
reading but keeps the connection; or a TCP port takes the connection and never answers. Prints how long the run
took after the server stalled, or after the stop signal, its exit code and its last line.

    python benchmarks/stalled_output.py                       # this tree, every case, --timeout 3
    python benchmarks/stalled_output.py --repo /path/to/main  # another checkout's enlight (the same cases)
    python benchmarks/stalled_output.py --live --stop SIGTERM --delay 8 --timeout 30 rtmp rtsp

Runs the CLI as ``python -m enlight.cli.video`` in --repo, with its bundled weights, on 64 frames of 640x480 noise
encoded lossless (about 0.3 MB a frame: far more than the sockets' buffers hold). A run still going after --limit
seconds gets SIGINT, then SIGTERM, 10 s each, then SIGKILL.
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
CASES = ("rtmp", "rtsp", "silent-rtmp", "silent-rtsp")


def noise_clip(path: Path, frames: int = 64) -> Path:
    """``frames`` frames of 640x480 noise at 25 fps (H.264, crf 12), about 0.3 MB a frame once enhanced lossless."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"crf": "12", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray((rng.random((480, 640, 3)) * 60).astype(np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


class Server:
    """The stalling server of ``case``; ``stalled_at``: when it stopped reading (time.monotonic), once it has."""

    def __init__(self, case: str) -> None:
        self.kind = case.removeprefix("silent-")
        self.stalled_at: float | None = None
        self._silent = self._process = None
        if case.startswith("silent-"):
            self._silent = socket.socket()
            self._silent.bind(("127.0.0.1", 0))
            self._silent.listen(1)  # (the kernel takes the connection; nothing answers it)
            self.port = self._silent.getsockname()[1]
            self.stalled_at = time.monotonic()
            return
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._process = subprocess.Popen([sys.executable, "-m", "tests.stream.stream_receivers", self.kind,
                                          str(self.port), "3"], cwd=REPO, stdout=subprocess.PIPE, text=True)
        self._process.stdout.readline()
        threading.Thread(target=self._follow, daemon=True).start()
        time.sleep(0.5)

    def _follow(self) -> None:
        for line in self._process.stdout:
            if line.startswith("stalled"):
                self.stalled_at = time.monotonic()

    @property
    def url(self) -> str:
        return f"{self.kind}://127.0.0.1:{self.port}/live/x"

    def close(self) -> None:
        if self._silent is not None:
            self._silent.close()
        if self._process is not None:
            self._process.kill()
            self._process.wait()


def run_case(case: str, clip: Path, args: argparse.Namespace) -> str:
    server = Server(case)
    source = ["--camera", str(clip), "--loop", "--no-window"] if args.live else [str(clip)]
    command = [args.python, "-m", "enlight.cli.video", *source, "-o", server.url, "--timeout", str(args.timeout),
               "--crf", "0", "--denoise", "off", "--quality", "fast"]
    proc = subprocess.Popen(command, cwd=args.repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        return _outcome(proc, server, args)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.close()


def _outcome(proc: subprocess.Popen, server: Server, args: argparse.Namespace) -> str:
    started, sent = time.monotonic(), None
    if args.stop:
        while server.stalled_at is None and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(args.delay)
        sent = time.monotonic()
        proc.send_signal(getattr(signal, args.stop))
    try:
        proc.wait(args.limit)
        ended = time.monotonic()
        told = [f"ended {ended - started:.1f} s after it started"]
        told += [f"{ended - server.stalled_at:.1f} s after the server stalled"] if server.stalled_at else []
        told += [f"{ended - sent:.1f} s after {args.stop}"] if sent else []
    except subprocess.TimeoutExpired:
        told = [f"still running {args.limit:g} s after it started"] + _stopped(proc)
    lines = [line for line in proc.stderr.read().replace("\r", "\n").splitlines() if line.strip()]
    return f"{', '.join(told)}; exit {proc.returncode}; {lines[-1] if lines else '(nothing on stderr)'}"


def _stopped(proc: subprocess.Popen) -> list[str]:
    for name in ("SIGINT", "SIGTERM"):
        sent = time.monotonic()
        proc.send_signal(getattr(signal, name))
        try:
            proc.wait(10)
            return [f"{name} ended it {time.monotonic() - sent:.1f} s later"]
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    proc.wait()
    return ["deaf to SIGINT and SIGTERM (10 s each): SIGKILL"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", choices=[*CASES, []], help=f"of {', '.join(CASES)} (default: all)")
    parser.add_argument("--repo", default=str(REPO), help="the checkout whose enlight runs (default: this one)")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--timeout", type=float, default=3.0, help="the run's --timeout")
    parser.add_argument("--live", action="store_true", help="a live run (--camera CLIP --loop --no-window)")
    parser.add_argument("--stop", choices=("SIGINT", "SIGTERM"), help="send it this --delay s after the stall")
    parser.add_argument("--delay", type=float, default=8.0)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before the run is stopped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clip = noise_clip(Path(folder) / "noise.mkv")
        for case in args.cases or CASES:
            print(f"{case}: {run_case(case, clip, args)}", flush=True)


if __name__ == "__main__":
    main()
