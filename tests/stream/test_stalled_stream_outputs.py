"""RTMP and RTSP outputs whose server stalls, never answers, or takes everything: FFmpeg's own servers in a child
process (``stream_receivers``), the CLI in another."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from benchmarks.stalled_output import noise_clip
from tests.conftest import REPO
from tests.media import make_clip, read_video
from tests.stream.stream_receivers import Receiver, can_write

KINDS = [pytest.param(kind, marks=pytest.mark.skipif(not can_write(kind), reason=f"this FFmpeg cannot write {kind}"))
         for kind in ("rtmp", "rtsp")]


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    """160 frames of 640x480 noise: written lossless (``LOSSLESS``), about 0.3 MB a frame, 48 MB: more than the
    sockets' buffers hold, even where the kernel lets a sender's grow to 32 MB (tcp_wmem; the receivers fix theirs
    at 64 KiB: ``stream_receivers``). A run that sees the stall ends long before the clip's end."""
    return noise_clip(tmp_path_factory.mktemp("noise") / "noise.mkv", frames=160)


def enlight(*args, weights) -> list[str]:
    return [sys.executable, "-m", "enlight.cli.video", *map(str, args), "--weights", str(weights)]


LOSSLESS = ("--crf", "0", "--denoise", "off", "--quality", "fast")


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_stops_reading_ends_the_run_in_one_line(noise, weights, kind):
    """`-o rtmp://...` (or rtsp://) to a server that stopped reading but kept the connection hung the run for ever,
    Ctrl-C and SIGTERM included: PyAV gives an output no protocol options, so tcp://'s socket timeout did not reach
    RTMP's connection, and FFmpeg's RTSP muxer drops a send that timed out and goes on. Now the send fails after
    --timeout and the run ends with one line, exit 2."""
    receiver = Receiver(kind, stall_after=3)
    try:
        started = time.monotonic()
        result = subprocess.run(enlight(noise, "-o", receiver.url, "--timeout", 1, *LOSSLESS, weights=weights),
                                capture_output=True, text=True, cwd=REPO, timeout=90)
        took = time.monotonic() - started
    finally:
        receiver.close()
    err = result.stderr.strip().splitlines()
    assert result.returncode == 2 and receiver.stalled.is_set(), result.stderr
    assert err[-1] == (f"enlight-video: error: cannot send to {receiver.url}: the receiver stopped taking data (a "
                       "send waited the whole --timeout)"), result.stderr
    assert took < 30, took


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_never_answers_ends_the_opening_in_one_line(tmp_path, weights, kind):
    """A port that accepts the connection and never answers (not an RTMP or RTSP server, or a hung one) froze the
    whole process while the output opened (PyAV holds the GIL there): no Ctrl-C, no SIGTERM. Now the opening gives
    up after --timeout, and says so."""
    clip = make_clip(tmp_path / "c.mp4", frames=4)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # (the kernel takes the connection; nothing ever reads or answers it)
        url = f"{kind}://127.0.0.1:{silent.getsockname()[1]}/live/x"
        started = time.monotonic()
        result = subprocess.run(enlight(clip, "-o", url, "--timeout", 1, weights=weights), capture_output=True,
                                text=True, cwd=REPO, timeout=60)
        took = time.monotonic() - started
    err = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(err) == 1, result.stderr
    assert err[0] == (f"enlight-video: error: cannot send to {url}: no answer came for 1 s (--timeout): is an "
                      f"{kind.upper()} server running there?"), err
    assert took < 30, took


@pytest.mark.parametrize("kind", KINDS)
def test_sigterm_while_a_live_output_stalls_ends_the_run_at_once(noise, weights, tmp_path, kind):
    """A live run sends from its main thread, where Python runs a signal's handler only once FFmpeg's send returns:
    SIGTERM (`docker stop`) during a send to a stalled server waited for ever, and the recording was never
    finalised. Now a stop cuts the send that blocks (after a second) and the run ends as stopped, its recording
    complete."""
    receiver = Receiver(kind, stall_after=3)
    record = tmp_path / "r.mp4"
    proc = subprocess.Popen(enlight("--camera", noise, "--loop", "--no-window", "-o", receiver.url, "--record",
                                    record, "--timeout", 60, *LOSSLESS, weights=weights),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert receiver.stalled.wait(60)
        time.sleep(5)  # (the sockets' buffers full, in about a second: the send waits)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=30)[1]
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
        receiver.close()
    assert proc.returncode == 0, err
    assert "stopped (SIGTERM)" in err.strip().splitlines()[-1], err
    assert took < 5, (took, err)
    assert len(read_video(record)["times"]) > 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_takes_everything_gets_every_frame(tmp_path, weights, kind):
    """The limit on a send changes nothing for a server that keeps up: every frame arrives, the run ends 0."""
    clip = make_clip(tmp_path / "c.mp4", width=320, height=240, frames=30)
    receiver = Receiver(kind)
    try:
        result = subprocess.run(enlight(clip, "-o", receiver.url, "--timeout", 1, weights=weights),
                                capture_output=True, text=True, cwd=REPO, timeout=120)
        packets = receiver.packets()
    finally:
        receiver.close()
    assert result.returncode == 0, result.stderr
    assert packets == 30, (packets, result.stderr)

