"""A URL whose scheme is typed in capitals (RTMP://, RTSP://, HTTP://) opens as in lower case: FFmpeg looks a
protocol up by its exact name. Messages keep the URL as it was typed."""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from enlight.stream.io.locations import input_location, output_location, with_write_timeout
from tests.conftest import REPO
from tests.media import make_clip, read_video
from tests.stream.stream_receivers import Receiver, can_write

KINDS = [pytest.param(kind, marks=pytest.mark.skipif(not can_write(kind), reason=f"this FFmpeg cannot write {kind}"))
         for kind in ("rtmp", "rtsp")]


def enlight(*args, weights) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "enlight.cli.video", *map(str, args), "--weights", str(weights)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def test_the_scheme_is_handed_to_ffmpeg_in_lower_case_and_shown_as_typed():
    camera = input_location("RTSP://cam.local/Live/A")
    assert (camera.url, camera.text, camera.options) == ("rtsp://cam.local/Live/A", "RTSP://cam.local/Live/A",
                                                         {"rtsp_transport": "tcp"})
    assert input_location("Http://host/Clip.ts").url == "http://host/Clip.ts"
    out = with_write_timeout(output_location("RTMP://host:1935/Live/Key"), 2)
    assert (out.url, out.text, out.format) == ("tee:[rw_timeout=2000000]rtmp://host:1935/Live/Key",
                                               "RTMP://host:1935/Live/Key", "flv")
    assert output_location("Udp://127.0.0.1:5000").url == "udp://127.0.0.1:5000"


@pytest.mark.parametrize("kind", KINDS)
def test_an_upper_case_stream_output_reaches_its_server(tmp_path, weights, kind):
    """`-o RTMP://...` said 'this FFmpeg build cannot write rtmp:// URLs (RTMP://...)', and `-o RTSP://...` 'no
    answer came for 10 s (--timeout): is an RTSP server running there?' to a server that was there."""
    clip = make_clip(tmp_path / "c.mp4", width=160, height=120, frames=10)
    receiver = Receiver(kind)
    typed = receiver.url.replace(f"{kind}://", f"{kind.upper()}://")
    try:
        result = enlight(clip, "-o", typed, weights=weights)
        packets = receiver.packets() if result.returncode == 0 else None  # (a server never sent to is waited for 30 s)
    finally:
        receiver.close()
    assert result.returncode == 0, result.stderr
    assert packets == 10, (packets, result.stderr)
    assert result.stderr.strip().splitlines()[-1].endswith(f"-> {typed}"), result.stderr


def test_an_upper_case_stream_input_is_read(tmp_path, weights):
    """`enlight-video HTTP://...` said 'this FFmpeg build cannot open HTTP:// URLs'."""
    folder = tmp_path / "served"
    folder.mkdir()
    make_clip(folder / "c.mp4", frames=8)
    handler = functools.partial(_Quiet, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            result = enlight(f"HTTP://127.0.0.1:{server.server_address[1]}/c.mp4", "-o", tmp_path / "out.mkv",
                             weights=weights)
        finally:
            server.shutdown()
    assert result.returncode == 0, result.stderr
    assert len(read_video(tmp_path / "out.mkv")["times"]) == 8


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass
