"""Live mode on a network camera: an MPEG-TS stream over UDP sent by the test (``udp_sender``), through the CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from tests.media import read_video
from tests.stream.udp_sender import UdpCamera, free_udp_port


@pytest.fixture
def camera():
    port = free_udp_port()
    sender = UdpCamera(port)
    yield sender
    sender.close()


def live(camera: UdpCamera, weights, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "enlight.cli.video", "--camera", f"udp://127.0.0.1:{camera.port}",
                             "--no-window", "--weights", str(weights), *map(str, args)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=REPO, text=True)


def read_until(proc: subprocess.Popen, text: str) -> str:
    err = ""
    for line in proc.stderr:
        err += line
        if text in line:
            return err
    raise AssertionError(f"no {text!r} line: {err}")


def test_sigterm_while_the_stream_stalls_is_honoured_at_once(camera, weights, tmp_path):
    """A network camera that stopped sending: the decode thread waits in FFmpeg's read for --timeout, and SIGTERM
    (or Ctrl-C) waited with it (the whole --timeout and a second more: `docker stop` kills after 10 s, the default
    --timeout, so the recording was never finalised). Now the run stops at once and keeps the recording."""
    record = tmp_path / "r.mp4"
    proc = live(camera, weights, "--record", record, "--timeout", "30")
    try:
        err = read_until(proc, "recording to")
        time.sleep(1)
        camera.silence()
        time.sleep(1.5)  # (the read is waiting)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        err += proc.communicate(timeout=10)[1]
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert took < 4, (took, err)
    assert "; stopped (SIGTERM); wrote" in err.strip().splitlines()[-1], err
    assert len(read_video(record)["times"]) > 0


def test_a_camera_that_sends_nothing_is_named_in_words_not_ffmpegs(weights, tmp_path, cli):
    """A network camera that sends nothing said "cannot read udp://...: Immediate exit requested" (FFmpeg's words
    for the read timeout), whether live or not; now it says how long nothing came and what to check."""
    url = f"udp://127.0.0.1:{free_udp_port()}"
    for args in (("--camera", url, "--no-window"), (url, "-o", tmp_path / "out.mkv")):
        result = cli(*args, "--timeout", "1", "--weights", weights, timeout=60)
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        line = result.stderr_lines[0]
        assert "Immediate exit" not in line and f"cannot read {url}: nothing came for 1 s (--timeout)" in line, line
        assert "longer --timeout" in line
    assert not list(tmp_path.iterdir())


def test_a_stream_that_stalls_is_retried_in_words_and_its_recording_kept(camera, weights, tmp_path):
    """The retry lines and the last line said "lost (Immediate exit requested)" and "unavailable (cannot read
    udp://...: Immediate exit requested)" for a camera that stopped sending."""
    record = tmp_path / "r.mkv"
    proc = live(camera, weights, "--record", record, "--timeout", "1", "--reconnect-timeout", "1.5")
    try:
        err = read_until(proc, "recording to")
        time.sleep(0.5)
        camera.silence()
        err += proc.communicate(timeout=30)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = err.strip().splitlines()
    assert proc.returncode == 2 and "Immediate exit" not in err and "Traceback" not in err, err
    retries = [line for line in lines if "; retry " in line]
    assert retries[0].startswith(f"enlight-video: source udp://127.0.0.1:{camera.port} stalled: nothing came for 1 s "
                                 "(--timeout); retry 1 in 0.5 s"), err
    assert "gave up after 1.5 s of retries (--reconnect-timeout" in lines[-1] and str(record) in lines[-1], err
    assert len(read_video(record)["times"]) > 0


def test_a_camera_that_changes_resolution_midway_is_scaled_with_a_note(camera, weights, tmp_path):
    """A camera switched from 64x48 to 96x72 mid-run: the recording (opened at 64x48) took the new frames scaled
    without a word. Now a note says so, once, and every frame shown and recorded is at the first size."""
    record = tmp_path / "r.mkv"
    proc = live(camera, weights, "--record", record, "--max-frames", "36")
    try:
        err = read_until(proc, "recording to")
        time.sleep(0.3)
        camera.resize((96, 72))
        err += proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    notes = [line for line in err.splitlines() if "changed its picture size" in line]
    assert len(notes) == 1 and "from 64x48 to 96x72" in notes[0] and "scaled to 64x48" in notes[0], err
    assert notes[0].startswith("enlight-video: note: ")
    video = read_video(record)
    assert len(video["times"]) == 36 and {image.shape[:2] for image in video["images"]} == {(48, 64)}, err
    assert "36 frames shown" in err.strip().splitlines()[-1], err
