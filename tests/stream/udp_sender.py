"""A live MPEG-TS stream over UDP on 127.0.0.1, sent from a thread of the test: what a network camera sends.

``UdpCamera(port)`` encodes dim frames (MPEG-2, a keyframe every 12) in real time until ``silence()`` (it stops
sending, as a camera whose network dropped) or ``close()``; ``resize((w, h))`` switches the picture size mid-stream
(a new sequence header, as a camera does when its resolution is changed). ``UdpClip`` sends a clip's packets at their
own pace, ``PipedClip`` the same into a pipe (a camera's stream piped in as it is sent).
"""

from __future__ import annotations

import socket
import threading
import time
from fractions import Fraction

import av

from tests.media import dark_frames


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class UdpCamera:
    """Sends ``size`` frames at ``rate`` fps to udp://127.0.0.1:``port`` from a daemon thread; ``sent`` counts them,
    ``sent_at`` gives each size's first frame number."""

    def __init__(self, port: int, *, size: tuple[int, int] = (64, 48), rate: int = 24) -> None:
        self.port, self.rate, self.size = port, rate, size
        self.sent = 0
        self.sent_at: dict[tuple[int, int], int] = {}
        self._silent = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="udp-camera", daemon=True)
        self._thread.start()

    def resize(self, size: tuple[int, int]) -> None:
        self.size = size

    def silence(self) -> None:
        """Stop sending (the stream stalls; nothing closes: UDP has no connection)."""
        self._silent.set()

    def close(self) -> None:
        self._silent.set()
        self._closed.set()
        self._thread.join(10)

    def _run(self) -> None:
        time_base = Fraction(1, self.rate)
        with av.open(f"udp://127.0.0.1:{self.port}?pkt_size=1316", "w", format="mpegts") as out:
            stream = out.add_stream("mpeg2video", rate=self.rate)
            stream.width, stream.height = self.size
            stream.codec_context.time_base = time_base
            encoder, size, start = stream.codec_context, self.size, time.perf_counter()
            while not self._silent.is_set():
                if self.size != size:
                    size, encoder = self.size, self._encoder(self.size, time_base)
                self.sent_at.setdefault(size, self.sent)
                frame = av.VideoFrame.from_ndarray(dark_frames(1, *size, seed=self.sent)[0], format="rgb24")
                frame.pts, frame.time_base = self.sent, time_base
                for packet in encoder.encode(frame.reformat(format="yuv420p")):
                    packet.stream = stream
                    out.mux(packet)
                self.sent += 1
                self._silent.wait(max(0.0, start + self.sent / self.rate - time.perf_counter()))
            self._closed.wait()

    def _encoder(self, size: tuple[int, int], time_base: Fraction) -> av.VideoCodecContext:
        encoder = av.CodecContext.create("mpeg2video", "w")
        encoder.width, encoder.height, encoder.pix_fmt = *size, "yuv420p"
        encoder.time_base, encoder.framerate = time_base, Fraction(self.rate)
        encoder.open()
        return encoder


# each packet out as it is muxed: flushed, and not held by the interleaver for a stream that sends nothing (FFmpeg
# waits up to max_interleave_delta, 10 s, for a packet of every stream: a declared sound never sent held the picture)
_SEND_AS_MUXED = {"flush_packets": "1", "max_interleave_delta": "1"}


class PipedClip:
    """Sends a clip's packets as ``fmt`` (NUT: it holds G.711, and is read as it comes) into ``target`` at their own
    pace, from a daemon thread: a writable binary file (a subprocess's stdin, closed at the end: the source ends) or a
    URL. It goes silent ``gap_at`` seconds into the clip for ``gap_s``, then sends on from there; ``done`` is set at
    the clip's end (or where the reader went away)."""

    def __init__(self, clip, target, *, fmt: str = "nut", gap_at: float | None = None, gap_s: float = 0.0) -> None:
        self.clip, self.target, self.fmt, self.gap_at, self.gap_s = clip, target, fmt, gap_at, gap_s
        self.done = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="piped-clip", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(10)

    def _run(self) -> None:
        piped = not isinstance(self.target, str)
        try:
            with av.open(str(self.clip)) as clip, \
                    av.open(self.target, "w", format=self.fmt, options=_SEND_AS_MUXED if piped else {}) as out:
                copies = {stream.index: out.add_stream_from_template(stream) for stream in clip.streams}
                start, gap = time.perf_counter(), self.gap_at
                for packet in clip.demux():
                    if packet.dts is None and packet.pts is None:
                        continue  # (the flush packet at each stream's end)
                    at = float((packet.pts if packet.dts is None else packet.dts) * packet.time_base)
                    if gap is not None and at >= gap:
                        start, gap = start + self.gap_s, None
                    if self._closed.wait(max(0.0, start + at - time.perf_counter())):
                        break
                    packet.stream = copies[packet.stream.index]
                    out.mux(packet)
                    if piped:
                        self.target.flush()  # (a subprocess's stdin holds 8 kB: seconds of a small clip)
        except (OSError, av.error.FFmpegError):
            if not piped:
                raise  # (a pipe whose reader went away: the run ended)
        finally:
            if piped:
                try:
                    self.target.close()
                except OSError:
                    pass
            self.done.set()


class UdpClip(PipedClip):
    """A clip's packets sent as MPEG-TS over UDP to 127.0.0.1:``port`` at their own pace (``PipedClip``): an IP camera
    with sound, which may go silent ``gap_at`` seconds in for ``gap_s`` (its network dropped, for longer than the
    receiver's --timeout)."""

    def __init__(self, port: int, clip, *, gap_at: float | None = None, gap_s: float = 0.0) -> None:
        super().__init__(clip, f"udp://127.0.0.1:{port}?pkt_size=1316", fmt="mpegts", gap_at=gap_at, gap_s=gap_s)
