"""RTSP and RTMP servers on 127.0.0.1 that turn a publisher away, from a thread of the test (the CLI runs in another
process: PyAV holds the GIL while an output opens). ``RtspRefuser(method, status)`` answers every request with
200 OK (a session and an interleaved TCP transport to SETUP) but ``method``'s, which gets ``status`` ('401
Unauthorized') or, for 'close', the connection closed. ``RtmpRefuser(mode)`` closes the connection at once
('close'), or with a reset after C0 and C1 ('reset'), or after the handshake ('close-after-handshake'), answers
connect with an ``_error`` ('error'), or takes connect and createStream and refuses publish with an ``onStatus``
error, NetStream.Publish.BadName ('bad-name')."""

from __future__ import annotations

import socket
import struct
import threading


class _Server:
    def __init__(self, scheme: str) -> None:
        self._listening = socket.socket()
        self._listening.bind(("127.0.0.1", 0))
        self._listening.listen(1)
        self.url = f"{scheme}://127.0.0.1:{self._listening.getsockname()[1]}/live/x"
        self.heard: list[str] = []  # what was asked, in order (RTSP: each request's first line)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        try:
            connection, _ = self._listening.accept()
        except OSError:  # (closed before anyone came)
            return
        with connection:
            try:
                self.serve(connection)
            except OSError:
                pass

    def serve(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._listening.close()
        self._thread.join(5)


class RtspRefuser(_Server):
    def __init__(self, method: str, status: str) -> None:
        self.method, self.status = method, status
        super().__init__("rtsp")

    def serve(self, connection: socket.socket) -> None:
        pending = b""
        while data := connection.recv(65536):
            pending += data
            while b"\r\n\r\n" in pending:
                head, pending = pending.split(b"\r\n\r\n", 1)
                lines = head.decode().split("\r\n")
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                while len(pending) < int(headers.get("Content-Length", 0)):  # (ANNOUNCE's SDP)
                    pending += connection.recv(65536)
                pending = pending[int(headers.get("Content-Length", 0)):]
                method = lines[0].split()[0]
                self.heard.append(method)
                if method == self.method and self.status == "close":
                    return
                status = self.status if method == self.method else "200 OK"
                extra = ("Session: 1234\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n"
                         if method == "SETUP" and status == "200 OK" else "")
                connection.sendall(f"RTSP/1.0 {status}\r\nCSeq: {headers.get('CSeq', '0')}\r\n{extra}\r\n".encode())


def _amf_string(text: str) -> bytes:
    return b"\x02" + struct.pack(">H", len(text)) + text.encode()


def _amf_number(value: float) -> bytes:
    return b"\x00" + struct.pack(">d", value)


def _command(name: str, transaction: int, *values: bytes, stream: int = 0) -> bytes:
    """An RTMP command message (AMF0, one chunk at RTMP's first chunk size, chunk stream 3): ``name``, its
    ``transaction``, a null, then ``values``."""
    body = _amf_string(name) + _amf_number(transaction) + b"\x05" + b"".join(values)
    assert len(body) <= 128
    return b"\x03" + bytes(3) + struct.pack(">I", len(body))[1:] + b"\x14" + struct.pack("<I", stream) + body


def _status(level: str, code: str, description: str) -> bytes:
    fields = (("level", level), ("code", code), ("description", description))
    return b"\x03" + b"".join(struct.pack(">H", len(k)) + k.encode() + _amf_string(v) for k, v in fields) + b"\0\0\x09"


class RtmpRefuser(_Server):
    def __init__(self, mode: str) -> None:
        self.mode = mode
        super().__init__("rtmp")

    def serve(self, connection: socket.socket) -> None:
        if self.mode == "close":
            return
        hello = _read(connection, 1 + 1536)  # C0, C1
        if self.mode == "reset":  # (the connection ended with a reset while the client waits for S0, S1: ECONNRESET)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        connection.sendall(b"\x03" + bytes(1536) + hello[1:])  # S0, S1 (version 0: the plain handshake), S2
        _read(connection, 1536 + 1)  # C2, and the start of connect
        self.heard.append("connect")
        if self.mode == "close-after-handshake":
            return
        if self.mode == "error":
            connection.sendall(_command("_error", 1, _status("error", "NetConnection.Connect.Rejected", "No")))
        if self.mode == "bad-name":  # connect taken, then createStream (FFmpeg's 4th call), then publish refused
            connection.sendall(_command("_result", 1, _status("status", "NetConnection.Connect.Success", "")))
            _read_until(connection, b"createStream")
            connection.sendall(_command("_result", 4, _amf_number(1)))
            _read_until(connection, b"\x02\x00\x07publish")
            connection.sendall(_command("onStatus", 0, _status("error", "NetStream.Publish.BadName", "Taken"),
                                        stream=1))
        connection.recv(65536)  # (until the client closes)


def _read_until(connection: socket.socket, mark: bytes) -> None:
    data = b""
    while mark not in data:
        more = connection.recv(65536)
        if not more:
            raise ConnectionError(f"closed before {mark!r} came")
        data += more


def _read(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = connection.recv(65536)
        if not more:
            break
        data += more
    return data
