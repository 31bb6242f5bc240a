"""An RTSP or RTMP server that turns the stream away while it opens (``refusing_servers``), the CLI in another
process: one line that says the server refused it, and how, exit 2, without waiting for --timeout."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from tests.media import make_clip
from tests.stream.refusing_servers import RtmpRefuser, RtspRefuser
from tests.stream.stream_receivers import can_write

REFUSED = "the server refused the stream"
RTSP_CASES = [
    ("ANNOUNCE", "401 Unauthorized", f"{REFUSED} (RTSP 401 Unauthorized: the user name and password in the URL "
                                     "(rtsp://USER:PASSWORD@HOST/...) are missing or wrong)"),
    ("ANNOUNCE", "404 Not Found", f"{REFUSED} (RTSP 404 Not Found: check the path after the host)"),
    ("ANNOUNCE", "455 Method Not Valid in This State", f"{REFUSED} (RTSP a 4xx answer; FFmpeg does not say which)"),
    ("ANNOUNCE", "503 Service Unavailable", f"{REFUSED} (RTSP a 5xx answer: the server failed; FFmpeg does not say "
                                            "how)"),
    ("SETUP", "461 Unsupported Transport", f"{REFUSED} over TCP (RTSP 461 Unsupported Transport), the only way it "
                                           "is sent"),
    ("RECORD", "455 Method Not Valid in This State", "the server did not take the stream: it refused to record it or "
                                                     "closed the connection (FFmpeg does not say which)"),
    ("ANNOUNCE", "close", "the server did not take the stream: it refused to record it or closed the connection "
                          "(FFmpeg does not say which)"),
]
TO_CHECK = "check the application name, the stream key and any credentials in the URL"
RTMP_CASES = [
    ("error", f"{REFUSED} (an RTMP error answer: {TO_CHECK})"),
    ("bad-name", f"{REFUSED} (an RTMP error answer: {TO_CHECK})"),
    ("close", f"the server closed the connection before it took the stream (a server may turn a publisher away so: "
              f"{TO_CHECK})"),
    ("close-after-handshake", f"the server closed the connection before it took the stream (a server may turn a "
                              f"publisher away so: {TO_CHECK})"),
    # (a reset: FFmpeg says ECONNRESET, once seen on CI for 'close' too, which said 'the receiver closed the
    # connection')
    ("reset", f"the server closed the connection before it took the stream (a server may turn a publisher away so: "
              f"{TO_CHECK})"),
]


def _send(url: str, clip, weights) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "enlight.cli.video", str(clip), "-o", url, "--timeout", "30",
                             "--weights", str(weights)], capture_output=True, text=True, cwd=REPO, timeout=60)
    return result, time.monotonic() - started


@pytest.mark.skipif(not can_write("rtsp"), reason="this FFmpeg cannot write rtsp")
@pytest.mark.parametrize(("method", "status", "fault"), RTSP_CASES,
                         ids=[f"{method}-{status.split()[0]}" for method, status, _ in RTSP_CASES])
def test_an_rtsp_server_that_refuses_the_stream_is_named_in_one_line(tmp_path, weights, method, status, fault):
    """A 401 to ANNOUNCE said 'this output cannot hold audio stream #1 (aac): Server returned 401 Unauthorized
    (authorization failed); try a .mkv or .mov or .mp4 output' (the clip's sound blamed; a 461 to SETUP likewise,
    '...: Protocol not supported; ...'); a refused RECORD, or a connection closed, said 'no answer came for 30 s
    (--timeout)' at once."""
    server = RtspRefuser(method, status)
    try:
        result, took = _send(server.url, make_clip(tmp_path / "c.mp4", frames=2), weights)
    finally:
        server.close()
    err = result.stderr.strip().splitlines()
    assert method in server.heard, server.heard
    assert result.returncode == 2 and len(err) == 1, result.stderr
    assert err[0] == f"enlight-video: error: cannot send to {server.url}: {fault}", err
    assert took < 25, took  # (far under --timeout 30: the answer was not waited for)


@pytest.mark.skipif(not can_write("rtmp"), reason="this FFmpeg cannot write rtmp")
@pytest.mark.parametrize(("mode", "fault"), RTMP_CASES, ids=[mode for mode, _ in RTMP_CASES])
def test_an_rtmp_server_that_refuses_the_stream_is_named_in_one_line(tmp_path, weights, mode, fault):
    """An `_error` answer to connect said 'cannot encode rtmp://... with libx264 (yuv420p): Unknown error occurred
    (a flv output takes --codec libvpx-vp9)', a refused publish '...: Operation not permitted (...)', a connection
    closed at once '...: End of file (...)', and one closed after the handshake '...: Input/output error (...)'."""
    server = RtmpRefuser(mode)
    try:
        result, _ = _send(server.url, make_clip(tmp_path / "c.mp4", frames=2), weights)
    finally:
        server.close()
    err = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(err) == 1, result.stderr
    assert err[0] == f"enlight-video: error: cannot send to {server.url}: {fault}", err
