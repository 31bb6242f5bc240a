"""Stop a running ``enlight-video`` with a signal once its progress bar has passed a number of frames."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

from tests.conftest import REPO


def stop_after(args: list[str], *, frames: int, total: int, stop: int = signal.SIGINT,
               then: Callable[[], None] | None = None) -> tuple[int, str]:
    """Run ``enlight-video ARGS``, send ``stop`` once its bar shows ``frames`` of ``total`` done (or instead call
    ``then``: something done to its files meanwhile, the run left to end by itself); (exit code, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "enlight.cli.video", *map(str, args)],
        cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        env={**os.environ, "TQDM_MININTERVAL": "0.1"},  # stderr is a pipe: a progress line every 0.1 s, not 30
        # a test run started in the background (`make test &`) ignores SIGINT, and so would the child:
        # Python only turns SIGINT into KeyboardInterrupt when it starts with the default disposition
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen = bytearray()
    progressed = threading.Event()

    def read():
        while chunk := proc.stderr.read1(4096):
            seen.extend(chunk)
            done = re.findall(rb"\| (\d+)/" + str(total).encode(), bytes(seen))
            if done and int(done[-1]) >= frames:
                progressed.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not progressed.wait(120):
        proc.kill()
        raise AssertionError(seen.decode(errors="replace"))
    if then is None:
        proc.send_signal(stop)
    else:
        then()
    code = proc.wait(60)
    reader.join(10)
    return code, seen.decode(errors="replace")
