"""Why a network output failed while it opened (connected, and for RTMP and RTSP a handshake: answers awaited), as
the words of one line, from what FFmpeg lets a caller see: its error class and errno (PyAV keeps FFmpeg's log off,
so the server's own words never reach us).

    RTSP: FFmpeg turns a refusal of OPTIONS, ANNOUNCE or SETUP into an HTTP error class (400, 401, 403, 404, 429,
          another 4xx, 5xx); a 461 Unsupported Transport to SETUP (TCP refused, the only way we send RTSP) into
          EPROTONOSUPPORT; any refusal of RECORD, a connection closed, and a wait past the muxer's ``timeout`` all
          into invalid data, which only the time it took tells apart.
    RTMP: a server's ``_error`` answer to connect is FFmpeg's unknown error (EPERM where it was about
          credentials), an ``onStatus`` of level error (publish refused: NetStream.Publish.BadName) EPERM; a
          connection closed before the server took the stream (as a server may turn a publisher away) is an end
          of file, an I/O error, or a reset or broken pipe (where the client was writing); no answer within
          ``rw_timeout`` is ETIMEDOUT.
"""

from __future__ import annotations

import errno

import av

_RTSP_ANSWERS = (  # (FFmpeg's error class, the RTSP answer it stands for)
    (av.error.HTTPBadRequestError, "400 Bad Request"),
    (av.error.HTTPUnauthorizedError, "401 Unauthorized: the user name and password in the URL "
                                     "(rtsp://USER:PASSWORD@HOST/...) are missing or wrong"),
    (av.error.HTTPForbiddenError, "403 Forbidden"),
    (av.error.HTTPNotFoundError, "404 Not Found: check the path after the host"),
    (av.error.HTTPTooManyRequestsError, "429 Too Many Requests"),
    (av.error.HTTPOtherClientError, "a 4xx answer; FFmpeg does not say which"),
    (av.error.HTTPServerError, "a 5xx answer: the server failed; FFmpeg does not say how"),
)
# errno of an RTMP connection the server closed while the client wrote or read its handshake: which one FFmpeg
# meets depends on where the client was (EIO, or a reset or a broken pipe where it was writing; once seen on CI)
_CLOSED = (errno.EIO, errno.ECONNRESET, errno.EPIPE)
_WAITED = 0.9  # an opening that failed after this share of the limit or more waited for an answer that never came


def opening_fault(scheme: str, exc: BaseException, took_s: float, limit_s: float | None) -> str | None:
    """What went wrong where opening an output of ``scheme`` ('rtsp', 'rtmp', ...) failed with ``exc`` after
    ``took_s`` seconds under a limit of ``limit_s`` (--timeout; None: none) on each answer awaited; None where
    ``exc`` says nothing of the server (a socket fault, said by errno elsewhere)."""
    code = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    waited = limit_s is not None and took_s >= _WAITED * limit_s
    rtsp, rtmp = scheme in ("rtsp", "rtsps"), scheme in ("rtmp", "rtmps")
    if code == errno.ETIMEDOUT or (rtsp and isinstance(exc, av.error.InvalidDataError) and waited):
        server = f"an {scheme.upper().removesuffix('S')} server" if rtsp or rtmp else "the receiver"
        return f"no answer came{f' for {limit_s:g} s (--timeout)' if limit_s else ''}: is {server} running there?"
    if rtsp:
        return _rtsp_refusal(exc, code)
    if rtmp and (isinstance(exc, av.error.UnknownError) or code == errno.EPERM):
        return "the server refused the stream (an RTMP error answer: check the application name, the stream key " \
               "and any credentials in the URL)"
    if rtmp and (isinstance(exc, av.error.EOFError) or code in _CLOSED):
        return "the server closed the connection before it took the stream (a server may turn a publisher away so: " \
               "check the application name, the stream key and any credentials in the URL)"
    return None


def _rtsp_refusal(exc: BaseException, code: int | None) -> str | None:
    for kind, answer in _RTSP_ANSWERS:
        if isinstance(exc, kind):
            return f"the server refused the stream (RTSP {answer})"
    if code == errno.EPROTONOSUPPORT:  # (FFmpeg's answer to a 461 once no other transport is left to try)
        return "the server refused the stream over TCP (RTSP 461 Unsupported Transport), the only way it is sent"
    if isinstance(exc, av.error.InvalidDataError):  # (and it came before the limit: ``opening_fault``)
        return "the server did not take the stream: it refused to record it or closed the connection (FFmpeg " \
               "does not say which)"
    return None
