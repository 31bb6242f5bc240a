"""Stop a running ``enlight-video`` with a signal once its progress bar has passed a number of frames, or once its
stderr shows a line (a photo's bar over the clock), and time how long it takes to stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from tests.conftest import REPO


class _Running:
    """``enlight-video ARGS`` in a subprocess whose stderr is read as it comes; ``ready`` is set once ``seen(stderr
    so far)`` is true."""

    def __init__(self, args: list[str], seen: Callable[[bytes], bool]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "enlight.cli.video", *map(str, args)],
            cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
            env={**os.environ, "TQDM_MININTERVAL": "0.1"},  # stderr is a pipe: a progress line every 0.1 s, not 30
            # a test run started in the background (`make test &`) ignores SIGINT, and so would the child:
            # Python only turns SIGINT into KeyboardInterrupt when it starts with the default disposition
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.seen, self.ready = bytearray(), threading.Event()
        self.reader = threading.Thread(target=self._read, args=(seen,), daemon=True)
        self.reader.start()

    def _read(self, seen: Callable[[bytes], bool]) -> None:
        while chunk := self.proc.stderr.read1(4096):
            self.seen.extend(chunk)
            if seen(bytes(self.seen)):
                self.ready.set()

    def wait_ready(self) -> None:
        if not self.ready.wait(120):
            self.proc.kill()
            raise AssertionError(self.text())

    def end(self) -> int:
        try:
            code = self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"still running 120 s after the signal: {self.text()[-2000:]}") from None
        self.reader.join(10)
        return code

    def text(self) -> str:
        return self.seen.decode(errors="replace")


def stop_after(args: list[str], *, frames: int, total: int, stop: int = signal.SIGINT,
               then: Callable[[], None] | None = None) -> tuple[int, str]:
    """Run ``enlight-video ARGS``, send ``stop`` once its bar shows ``frames`` of ``total`` done (or instead call
    ``then``: something done to its files meanwhile, the run left to end by itself); (exit code, stderr)."""

    def passed(text: bytes) -> bool:
        done = re.findall(rb"\| (\d+)/" + str(total).encode(), text)
        return bool(done) and int(done[-1]) >= frames

    run = _Running(args, passed)
    run.wait_ready()
    if then is None:
        run.proc.send_signal(stop)
    else:
        then()
    return run.end(), run.text()


def stop_timed(args: list[str], *, shown: bytes, after_s: float = 0.0,
               stop: int = signal.SIGINT) -> tuple[int, str, float]:
    """Run ``enlight-video ARGS``, send ``stop`` ``after_s`` seconds after its stderr first shows ``shown`` (a
    regular expression); (exit code, stderr, seconds from the signal to the exit)."""
    run = _Running(args, lambda text: re.search(shown, text) is not None)
    run.wait_ready()
    time.sleep(after_s)
    run.proc.send_signal(stop)
    sent = time.monotonic()
    code = run.end()
    return code, run.text(), time.monotonic() - sent
