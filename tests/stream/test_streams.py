"""Streams in and out: stdin/stdout pipes, HTTP on 127.0.0.1, a stream that goes away."""

from __future__ import annotations

import functools
import io
import socket
import struct
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np
import pytest

from enlight.errors import EnlightError
from enlight.stream.io.locations import input_location, output_location
from tests.conftest import REPO
from tests.media import make_clip, read_video

FRAMES = 24


def to_mpegts(clip: Path, out: Path) -> Path:
    """Remux a clip into MPEG-TS (what a pipe or a live stream carries)."""
    with av.open(str(clip)) as src, av.open(str(out), "w", format="mpegts") as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.size:
                packet.stream = streams[packet.stream.index]
                dst.mux(packet)
    return out


@pytest.fixture(scope="module")
def ts_clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ts")
    return to_mpegts(make_clip(folder / "c.mp4", width=64, height=48, frames=FRAMES), folder / "clip.ts")


class _Server:
    """An HTTP server on 127.0.0.1 serving one folder from a thread; ``stop()`` takes it down."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server(ts_clip):
    server = _Server(ts_clip.parent)
    yield server
    server.stop()


def enhance_to_stdout(args: list[str], stdin: bytes | None = None, timeout: float = 180):
    return subprocess.run([sys.executable, "-m", "enlight.cli.video", *args], input=stdin, capture_output=True,
                          cwd=REPO, timeout=timeout)


@pytest.mark.parametrize("via", ["pipe", "http"])
def test_stream_in_mpegts_out_on_stdout_frame_for_frame(ts_clip, weights, http_server, via):
    """``... | enlight-video - -o - | ...`` and ``enlight-video http://... -o -``: every frame comes out."""
    source = "-" if via == "pipe" else http_server.url(ts_clip.name)
    stdin = ts_clip.read_bytes() if via == "pipe" else None
    result = enhance_to_stdout([source, "-o", "-", "--weights", str(weights), "--batch-size", "2"], stdin)
    err = result.stderr.decode(errors="replace")
    assert result.returncode == 0, err
    assert result.stdout[:1] == b"\x47" and len(result.stdout) % 188 == 0, "stdout is not pure MPEG-TS"
    assert f"{FRAMES} frames" in err
    with av.open(io.BytesIO(result.stdout), format="mpegts") as received:
        assert [s.type for s in received.streams] == ["video", "audio"]
        frames = list(received.decode(video=0))
    assert len(frames) == FRAMES and (frames[0].width, frames[0].height) == (64, 48)


@pytest.mark.parametrize("muxer", ["mp4", "mov"])
def test_mp4_and_mov_to_a_pipe_are_written_in_fragments(ts_clip, weights, muxer):
    """``-o - --format mp4``: the plain form seeks back to write its index, which a pipe cannot (the run failed,
    with a hint to use another codec); it is written fragmented, as FFmpeg streams it."""
    result = enhance_to_stdout([str(ts_clip), "-o", "-", "--format", muxer, "--weights", str(weights)])
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    with av.open(io.BytesIO(result.stdout)) as received:
        assert [s.type for s in received.streams] == ["video", "audio"]
        assert len(list(received.decode(video=0))) == FRAMES


def test_an_mpegts_aac_into_a_matroska_stream_gets_its_audio_config_in_the_header(ts_clip, weights, tmp_path):
    """`clip.ts -o - --format matroska` failed before the first frame ('cannot encode - with libx264: Invalid
    argument', with a hint of another codec): the TS's AAC has its configuration in each packet, which Matroska
    needs in its header and writes there afterwards only into a file. Into a file it stays the muxer's own."""
    from enlight.stream.io.adts import audio_specific_config

    result = enhance_to_stdout([str(ts_clip), "-o", "-", "--format", "matroska", "--weights", str(weights)])
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    with av.open(str(ts_clip)) as source:
        config = audio_specific_config(source.streams.audio[0])
        samples = sum(frame.samples for frame in source.decode(audio=0))
    assert config == bytes.fromhex("1188")  # AAC LC, 48 kHz, mono: what FFmpeg's own remux writes
    with av.open(io.BytesIO(result.stdout)) as received:
        assert received.streams.audio[0].codec_context.extradata == config
        assert sum(frame.samples for frame in received.decode(audio=0)) == samples
    assert enhance_to_stdout([str(ts_clip), "-o", str(tmp_path / "f.mkv"), "--weights", str(weights)]).returncode == 0
    with av.open(str(tmp_path / "f.mkv")) as written:
        assert written.streams.audio[0].codec_context.extradata == config


def test_a_crf_outside_the_encoders_range_is_one_line(ts_clip, weights, tmp_path):
    result = enhance_to_stdout([str(ts_clip), "-o", str(tmp_path / "o.mp4"), "--crf", "-5", "--weights", str(weights)])
    err = result.stderr.decode(errors="replace").strip()
    assert result.returncode == 2 and err.endswith("--crf -5 is outside libx264's range, 0 (best) to 51 (smallest)")
    assert len(err.splitlines()) == 1 and not list(tmp_path.iterdir())


def test_reader_that_leaves_early_gets_one_line(ts_clip, weights):
    """``enlight-video x -o - | head -c N``: the closed pipe is one clear line and exit 1, no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", str(ts_clip), "-o", "-", "--weights",
                             str(weights)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    proc.stdout.close()  # the reader is gone before the first byte
    err = proc.stderr.read().decode(errors="replace")
    assert proc.wait(timeout=120) == 1, err
    assert err.strip().splitlines()[-1].endswith("the output pipe was closed before the video ended"), err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_video_to_a_terminal_is_refused(ts_clip, weights):
    """-o - with stdout on a terminal: one line, no bytes of video on the screen."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "enlight.cli.video", str(ts_clip), "-o", "-", "--weights",
                           str(weights)], stdout=follower, stderr=subprocess.PIPE, cwd=REPO, timeout=60)
    assert proc.returncode == 2 and b"terminal" in proc.stderr and proc.stderr.count(b"\n") == 1


def test_lost_stream_is_retried_then_the_recording_is_kept(ts_clip, weights, tmp_path, http_server):
    """A live HTTP stream that ends and whose server goes away: retries with backoff, one line each, then a
    one-line error naming the recording, which is complete and playable."""
    record = tmp_path / "r.mp4"
    url = http_server.url(ts_clip.name)
    app = subprocess.Popen(
        [sys.executable, "-m", "enlight.cli.video", "--camera", url, "--no-window", "--record", str(record),
         "--weights", str(weights), "--reconnect-timeout", "1.5", "--timeout", "2"],
        cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    lines = []
    for line in app.stderr:
        lines.append(line.rstrip())
        if "recording to" in line:
            http_server.stop()  # the stream plays to its end; reconnecting then finds nobody
    assert app.wait(60) == 2, lines
    retries = [line for line in lines if "retry" in line]
    assert len(retries) >= 2 and all(line.startswith("enlight-video: source ") for line in retries), lines
    assert "gave up after 1.5 s" in lines[-1] and str(record) in lines[-1] and "Traceback" not in "\n".join(lines)
    assert lines[-1].startswith("enlight-video: error: ")
    assert 0 < len(read_video(record)["times"]) <= FRAMES


def test_locations():
    assert input_location("-").url == "pipe:0" and input_location("-").kind == "pipe"
    assert input_location("3", camera=True, size=(640, 360), fps=30).url == "/dev/video3"
    assert input_location("3", camera=True).format == "v4l2"
    assert input_location("3").kind == "file"  # a file named 3 without --camera
    assert input_location("rtsp://cam/x").options == {"rtsp_transport": "tcp"}
    assert input_location("udp://127.0.0.1:5000").reconnects
    assert output_location("-", stdout_fd=7).url == "pipe:7" and output_location("-").format == "mpegts"
    assert output_location("-", format="matroska").format == "matroska"
    assert output_location("rtmp://host/live").format == "flv"
    assert output_location("udp://127.0.0.1:5000").format == "mpegts"
    assert output_location("out.mkv").is_file and output_location("out.mkv").format is None
    with pytest.raises(EnlightError, match="unknown output format"):
        output_location("-", format="nosuchmuxer")
    with pytest.raises(EnlightError, match="unsupported URL scheme"):
        input_location("gopher://old/video")


def test_a_named_pipe_is_read_once_as_stdin_is(ts_clip, weights, tmp_path):
    """A named pipe (mkfifo, or a shell's <(...), /dev/fd/63) was opened as a file: once to read its header for the
    run's plan, which took the bytes, then again for the run, which waited for a writer that never came (the run hung
    forever). It is read once from the start now, as stdin is."""
    import os

    fifo = tmp_path / "camera.ts"
    os.mkfifo(fifo)

    def feed():
        try:
            with open(fifo, "wb") as pipe:
                pipe.write(ts_clip.read_bytes())
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out = tmp_path / "day.mkv"
    try:
        result = enhance_to_stdout([str(fifo), "-o", str(out), "--weights", str(weights), "-q"], timeout=60)
    finally:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # a writer still waiting for a reader is let go
        writer.join(10)
    assert result.returncode == 0, result.stderr
    assert len(read_video(out)["times"]) == FRAMES
    assert input_location(str(fifo)).kind == "pipe"


def test_a_named_pipe_as_output_is_written_into_not_replaced(weights, tmp_path):
    """-o view.mkv where view.mkv is a named pipe another program reads (a player, a recorder) was refused as
    'output exists', and with --force the pipe was replaced by a file, the reader left waiting forever. The video is
    written into the pipe now, as into stdout (MP4 in fragments), with the muxer its name asks for."""
    import os
    import stat

    clip = make_clip(tmp_path / "night.mp4", frames=FRAMES)
    for name in ("view.mkv", "view.mp4"):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        received = bytearray()

        def drain(path=fifo, into=received):
            with open(path, "rb") as pipe:
                while chunk := pipe.read(65536):
                    into.extend(chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            result = enhance_to_stdout([str(clip), "-o", str(fifo), "--weights", str(weights), "-q"], timeout=60)
        finally:
            if reader.is_alive():  # a reader still waiting for a writer is let go
                os.close(os.open(fifo, os.O_RDWR))
            reader.join(10)
        assert result.returncode == 0, result.stderr
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        with av.open(io.BytesIO(bytes(received))) as container:
            assert container.format.name.startswith({"view.mkv": "matroska", "view.mp4": "mov"}[name])
            assert sum(1 for _ in container.decode(video=0)) == FRAMES


class _HalfThen(SimpleHTTPRequestHandler):
    """Sends the first half of the file (its full length announced), then stalls or closes the connection."""

    stall = threading.Event()  # set: hold the connection open without sending more; clear: close it

    def do_GET(self) -> None:
        data = Path(self.directory, self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[:len(data) // 2])
        self.wfile.flush()
        if self.stall.is_set():
            _HalfThen.released.wait(30)

    def log_message(self, *args) -> None:
        pass


_HalfThen.released = threading.Event()


@pytest.mark.parametrize("stall", [True, False])
def test_a_network_stream_that_stops_says_so_not_that_a_file_is_corrupt(tmp_path, stall):
    """A URL whose server stops sending halfway said "is truncated or corrupt after 35 frames (Immediate exit
    requested)": FFmpeg's words for the read timeout. It now says that the connection stalled, or was lost."""
    from enlight.stream.io.source import VideoSource

    to_mpegts(make_clip(tmp_path / "c.mp4", width=64, height=48, frames=60), tmp_path / "c.ts")
    server = _Server(tmp_path)
    server.httpd.RequestHandlerClass = functools.partial(_HalfThen, directory=str(tmp_path))
    _HalfThen.stall.set() if stall else _HalfThen.stall.clear()
    try:
        with VideoSource(input_location(server.url("c.ts")), timeout_s=1) as source, \
                pytest.raises(EnlightError) as caught:
            for _ in source:
                pass
    finally:
        _HalfThen.released.set()
        server.stop()
        _HalfThen.released.clear()
    message = str(caught.value)
    assert "corrupt" not in message and "Immediate exit" not in message and " after " in message
    assert ("stalled after " in message and "frames: nothing came for 1 s (--timeout)" in message) if stall else \
        ("connection was lost" in message)


def _receiver(behaviour: str) -> tuple[socket.socket, threading.Thread]:
    """A TCP receiver on 127.0.0.1 that takes one connection, then never reads ("stall") or resets it ("close"); or
    ("absent") a port nothing listens on."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server.bind(("127.0.0.1", 0))
    if behaviour == "absent":  # the port is bound, never listened on
        return server, threading.Thread()
    server.listen(1)

    def serve() -> None:
        connection, _ = server.accept()
        if behaviour == "close":
            connection.recv(1000)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not FIN
            connection.close()
        else:
            _HalfThen.released.wait(60)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


@pytest.mark.parametrize("behaviour", ["stall", "close", "absent"])
def test_a_network_output_whose_receiver_fails_is_one_line_and_does_not_hang(tmp_path, behaviour):
    """`-o tcp://...` to a receiver that stopped reading hung the run for ever, Ctrl-C included (the encoder waited
    inside FFmpeg's send; PyAV's timeout guards reads only); one that closed or was never there ended in an internal
    error or in 'cannot encode 127.0.0.1:5055 with libx264 ... (a .1:5055 file takes --codec ...)'. A send now gives
    up after the timeout, and each case is one line that says what the receiver did."""
    from enlight.stream.io.encoder_settings import EncoderConfig
    from enlight.stream.io.locations import with_write_timeout
    from enlight.stream.io.sink import VideoSink
    from enlight.stream.io.source import VideoSource

    with VideoSource(make_clip(tmp_path / "c.mp4", width=640, height=480, frames=2)) as source:
        info = source.info
    server, thread = _receiver(behaviour)
    port = server.getsockname()[1]
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    location = with_write_timeout(output_location(f"tcp://127.0.0.1:{port}"), 1)
    assert location.url.endswith("?timeout=1000000") and location.text == f"tcp://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        with pytest.raises(EnlightError) as caught:
            sink = VideoSink(location, info, encoder=EncoderConfig(codec="libx264", crf=0, preset="ultrafast"))
            for i in range(400):  # lossless noise: about 0.5 MB a frame, far more than the sockets' buffers
                sink.write_frame(np.roll(noise, i, axis=1), i * 512)
            sink.finish()
    finally:
        _HalfThen.released.set()
        if thread.ident is not None:
            thread.join(5)
        server.close()
        _HalfThen.released.clear()
    expected = {"stall": "stopped taking data", "close": "closed the connection", "absent": "nothing is listening"}
    message = str(caught.value)
    assert message.startswith(f"cannot send to tcp://127.0.0.1:{port}: ") and expected[behaviour] in message
    assert time.monotonic() - started < 60


def test_an_output_url_whose_protocol_ffmpeg_lacks_is_named(tmp_path, weights):
    """`-o srt://...` where PyAV's FFmpeg has no SRT said "cannot encode 127.0.0.1:5057 with libx264 (yuv420p):
    Protocol not found (a .1:5057 file takes --codec libvpx-vp9)": the protocol is first opened with the header."""
    clip = make_clip(tmp_path / "c.mp4", width=64, height=48, frames=4)
    result = enhance_to_stdout([str(clip), "-o", "srt://127.0.0.1:9", "--weights", str(weights)], timeout=120)
    err = result.stderr.decode(errors="replace").strip().splitlines()
    assert result.returncode == 2 and len(err) == 1, err
    assert err[0] in ("enlight-video: error: this FFmpeg build cannot write srt:// URLs (srt://127.0.0.1:9)",
                      "enlight-video: error: cannot send to srt://127.0.0.1:9: nothing is listening there (connection "
                      "refused): start the receiver first"), err


def test_a_webm_stream_names_its_kind_in_the_codec_note(ts_clip, weights):
    """``-o - --format webm`` said 'encoded with libvpx-vp9: a stream file cannot hold H.264'."""
    result = enhance_to_stdout([str(ts_clip), "-o", "-", "--format", "webm", "--weights", str(weights),
                                "--quality", "fast"])
    err = result.stderr.decode(errors="replace")
    assert result.returncode == 0, err
    assert "encoded with libvpx-vp9: a webm file cannot hold H.264" in err and "stream file" not in err, err


def test_a_photo_on_stdin_is_told_to_be_given_by_name(tmp_path, weights):
    """`cat photo.jpg | enlight-video - -o out.jpg` said "output out.jpg is a still image; a photo (...) is enhanced
    into a photo", blaming the output: stdin is read as a video stream, and a photo is read from its file."""
    from PIL import Image

    from tests.media import dark_frames

    photo, out = tmp_path / "dusk.jpg", tmp_path / "out.jpg"
    Image.fromarray(dark_frames(1, 48, 32)[0]).save(photo)
    result = enhance_to_stdout(["-", "-o", str(out), "--weights", str(weights)], photo.read_bytes(), timeout=60)
    err = result.stderr.decode(errors="replace").strip().splitlines()
    assert result.returncode == 2 and len(err) == 1, err
    assert err[0] == (f"enlight-video: error: output {out} is a still image, and what a pipe or a URL carries is "
                      "read as a video: a photo is read from its file (give its name, not -)")
    assert not out.exists()
