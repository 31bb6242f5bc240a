"""A run whose output is a stream (an RTMP or RTSP server, stdout), stopped by Ctrl-C or SIGTERM: what was sent
is with its receiver already, so the last line says how many frames went and how the stream ended, not what a
file's run says ('nothing was kept; ... left untouched')."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import threading
import time

import av
import pytest

from benchmarks.stalled_output import noise_clip
from tests.conftest import REPO
from tests.media import make_clip
from tests.stream.stream_receivers import Receiver, can_write

FRAMES = 500


def _skip_unless(kind: str):
    return pytest.mark.skipif(not can_write(kind), reason=f"this FFmpeg cannot write {kind}")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("stops") / "c.mp4", width=160, height=120, frames=FRAMES)


class _Run:
    """The CLI in a child process, its stderr (and stdout) read as they come."""

    def __init__(self, *args, weights) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", *map(str, args), "--weights",
                                      str(weights)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
        self.err, self.out = bytearray(), bytearray()
        self._readers = [threading.Thread(target=self._read, args=(pipe, into), daemon=True)
                         for pipe, into in ((self.proc.stderr, self.err), (self.proc.stdout, self.out))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(pipe, into: bytearray) -> None:
        while chunk := pipe.read1(65536):
            into += chunk

    def stop_once(self, sent: threading.Event | None, stop: signal.Signals) -> None:
        """``stop`` sent once frames go out: ``sent`` is set (a server's first frame came) or, with None, stdout
        carried 50 kB."""
        deadline = time.monotonic() + 60
        while not (sent.is_set() if sent is not None else len(self.out) > 50_000):
            assert self.proc.poll() is None and time.monotonic() < deadline, bytes(self.err).decode()
            time.sleep(0.05)
        self.proc.send_signal(stop)

    def finish(self) -> list[str]:
        self.proc.wait(60)
        for reader in self._readers:
            reader.join(10)
        return bytes(self.err).decode().replace("\r", "\n").strip().splitlines()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()


@pytest.mark.parametrize(("kind", "stop"), [pytest.param("rtmp", signal.SIGINT, marks=_skip_unless("rtmp")),
                                            pytest.param("rtsp", signal.SIGTERM, marks=_skip_unless("rtsp"))])
def test_a_stopped_run_to_a_server_says_how_many_frames_it_sent(clip, weights, kind, stop):
    """It said 'interrupted; nothing was kept; rtmp://... left untouched (with --segments N a second run goes on from
    the segments a stopped one finished)', though the server had the frames sent, and --segments cannot write a
    stream."""
    receiver = Receiver(kind)
    run = _Run(clip, "-o", receiver.url, weights=weights)
    try:
        run.stop_once(receiver.receiving, stop)
        err = run.finish()
        packets = receiver.packets()
    finally:
        run.kill()
        receiver.close()
    assert run.proc.returncode == 128 + stop, err
    assert 0 < packets < FRAMES, (packets, err)
    assert err[-1] == f"enlight-video: interrupted; sent {packets} frames; the stream to {receiver.url} was ended", err


def test_a_stopped_run_to_stdout_says_how_many_frames_it_sent(clip, weights):
    """`-o -` said 'interrupted; nothing was kept; - left untouched (...)'."""
    run = _Run(clip, "-o", "-", weights=weights)
    try:
        run.stop_once(None, signal.SIGINT)
        err = run.finish()
    finally:
        run.kill()
    with av.open(io.BytesIO(bytes(run.out)), format="mpegts") as sent:
        frames = sum(1 for _ in sent.decode(video=0))
    assert run.proc.returncode == 130 and 0 < frames < FRAMES, (frames, err)
    assert err[-1] == f"enlight-video: interrupted; sent {frames} frames; the stream to stdout was ended", err


@_skip_unless("rtsp")
def test_a_stop_that_cuts_a_blocked_send_says_the_stream_was_cut_off(tmp_path, weights):
    """A stop while a send waited on a server that stopped reading: the connection is cut, so the stream was not
    ended and not all of its frames went out (it said 'interrupted; nothing was kept; ... left untouched')."""
    noise = noise_clip(tmp_path / "noise.mkv")
    receiver = Receiver("rtsp", stall_after=3)
    run = _Run(noise, "-o", receiver.url, "--timeout", 60, "--crf", 0, "--denoise", "off", "--quality", "fast",
               weights=weights)
    try:
        assert receiver.stalled.wait(60)
        time.sleep(3)  # (the sockets' buffers full: the send waits)
        run.proc.send_signal(signal.SIGINT)
        err = run.finish()
    finally:
        run.kill()
        receiver.close()
    assert run.proc.returncode == 130, err
    assert re.fullmatch(rf"enlight-video: interrupted; the stream to {re.escape(receiver.url)} was cut off, not ended "
                        r"\(a send blocked or failed\): at most [1-9]\d* frames went out", err[-1]), err
