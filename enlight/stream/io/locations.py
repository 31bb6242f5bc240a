"""Where media lives: a file, a camera device, a network URL, or a pipe (stdin/stdout).

``input_location`` and ``output_location`` turn what the user typed into what ``av.open`` takes:
the URL, the FFmpeg (de)muxer to force, and the options that keep network reads and sends from hanging.

    night.mp4                 file     (the file pipeline's atomic temp-and-rename applies)
    0, /dev/video2            device   (with --camera: Video4Linux2)
    rtsp:// http(s):// udp:// tcp:// srt:// rtmp://    network (srt only where FFmpeg has it)
    -, pipe:                  pipe     (stdin in, stdout out; MPEG-TS by default on output; a named pipe
                              in or out, or a shell's <(...) in)
    night_%04d.jpg            sequence (input: numbered images read as one video, FFmpeg's image2; output:
                              one numbered picture a frame, ``enlight.stream.io.sequence_sink``)
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import av

from enlight.errors import EnlightError, reason
from enlight.stream.io.opening_faults import opening_fault
from enlight.stream.io.sequence_patterns import other_padding, refuse_glob

NETWORK_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt", "rtp")
# muxer for an output URL whose format is not named; MPEG-TS is what a plain byte stream carries
OUTPUT_FORMATS = {"rtsp": "rtsp", "rtsps": "rtsp", "rtmp": "flv", "rtmps": "flv"}
DEFAULT_STREAM_FORMAT = "mpegts"
_PIPE_NAMES = ("-", "pipe:", "pipe:0", "pipe:1")
_TEE = "tee:"  # FFmpeg's tee protocol: the options in brackets before its one output go to that output's protocol
_URL = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


@dataclass(frozen=True)
class Location:
    """text: as typed; url: what FFmpeg opens; kind: 'file', 'device', 'network', 'pipe' or 'sequence';
    format: the (de)muxer to force, or None to let FFmpeg guess; options: its AVOptions; send_timeout_s: the longest
    one send to a network output may block (``with_write_timeout``), None for no limit."""

    text: str
    url: str
    kind: str
    format: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    send_timeout_s: float | None = None

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def reconnects(self) -> bool:
        """Whether losing it is worth retrying (a camera or a network stream, not a file or a pipe)."""
        return self.kind in ("device", "network")

    def open(self, mode: str = "r", *, timeout_s: float | None = None, **kwargs):
        """``av.open`` on this location; FFmpeg failures become one-line ``EnlightError``s.

        timeout_s: the longest a network open or read may block (PyAV's interrupt callback); a stalled stream then
        fails instead of hanging. It guards no send: an output's is ``with_write_timeout``.
        """
        timeout = timeout_s if self.kind == "network" else None
        try:
            return av.open(self.url, mode, format=self.format, options=dict(self.options), timeout=timeout, **kwargs)
        except av.error.ProtocolNotFoundError:
            scheme = self.url.split(":", 1)[0]
            raise EnlightError(f"this FFmpeg build cannot open {scheme}:// URLs ({self.text})") from None
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            what = "read" if mode == "r" else "write"
            name = f"camera {self.text} ({self.url})" if self.kind == "device" and self.text != self.url else self.text
            if isinstance(exc, av.error.ExitError) and timeout is not None:  # FFmpeg's "Immediate exit requested"
                raise EnlightError(f"cannot {what} {name}: {silent_for(timeout)}; {SILENT_HINT}") from None
            raise EnlightError(f"cannot {what} {name}: {reason(exc)}") from None


SILENT_HINT = "check that it is sending (to this address and port), or give a longer --timeout"


def silent_for(timeout_s: float) -> str:
    """Why a network read that waited ``timeout_s`` failed (PyAV's interrupt: FFmpeg's "Immediate exit requested")."""
    return f"nothing came for {timeout_s:g} s (--timeout)"


def is_stream(text: str) -> bool:
    """Whether ``text`` names a URL or a pipe rather than a file."""
    return text in _PIPE_NAMES or bool(_URL.match(text))


def cannot_seek(url: str) -> bool:
    """Whether what a ``Location``'s ``url`` names is written as a stream, never sought back in: a pipe, a URL, a
    named pipe."""
    # (stdout is pipe:N, N its duplicate; an RTMP output is opened through tee:, ``with_write_timeout``)
    return url.startswith(("pipe:", _TEE)) or is_stream(url) or _is_fifo(url)


_TIMED_WRITERS = ("tcp", "srt")  # protocols whose URL takes the socket timeout (microseconds) of its sends
_TEE_QUOTED = re.compile(r"([\\'|])")  # what the tee protocol would read as quoting or as a second output


def with_write_timeout(location: Location, timeout_s: float | None) -> Location:
    """``location`` with FFmpeg's limit of ``timeout_s`` on a send that blocks (and on an answer awaited while it
    opens) where it is a network output, and ``send_timeout_s`` saying it (``send_watch``):

    tcp://, srt://  the socket ``timeout`` (microseconds) in the URL, unless it names its own;
    rtmp://         the generic ``rw_timeout`` of the RTMP protocol, which its TCP connection inherits. PyAV opens an
                    output with no protocol options, so it goes through FFmpeg's tee protocol:
                    ``tee:[rw_timeout=N]rtmp://...`` (RTMP's own ``timeout`` is a listen timeout: a server's);
    rtsp(s)://      the muxer's ``timeout``, which it puts into the URL of its TCP connection.

    Without it a receiver that stopped reading (but kept the connection) held the run forever, Ctrl-C included, as
    the encoder waited inside FFmpeg (PyAV's own ``timeout`` guards reads only), and an RTMP or RTSP server that
    accepted the connection but never answered froze the whole process while it opened. UDP never blocks. rtmps://
    gets no FFmpeg limit: the tee protocol opens only what its whitelist names, which has tls but not rtmps."""
    parts = urlsplit(location.url)
    scheme = parts.scheme.lower()
    if location.kind != "network" or timeout_s is None or location.url.startswith(_TEE):
        return location
    microseconds = round(timeout_s * 1e6)
    limited = replace(location, send_timeout_s=timeout_s)
    if scheme == "rtmp":
        quoted = _TEE_QUOTED.sub(r"\\\1", location.url)
        return replace(limited, url=f"{_TEE}[rw_timeout={microseconds}]{quoted}")
    if scheme in ("rtsp", "rtsps"):
        return replace(limited, options={"timeout": str(microseconds), **location.options})
    if scheme not in _TIMED_WRITERS or re.search(r"(^|&)timeout=", parts.query):
        return limited
    joined = "&" if parts.query else ("" if location.url.endswith("?") else "?")
    return replace(limited, url=f"{location.url}{joined}timeout={microseconds}")


_SOCKET_FAULTS = {  # what a failed send to a network output means, by errno
    errno.ECONNREFUSED: "nothing is listening there (connection refused): start the receiver first",
    errno.ETIMEDOUT: "the receiver stopped taking data (a send waited the whole --timeout)",
    errno.ECONNRESET: "the receiver closed the connection",
    errno.EPIPE: "the receiver closed the connection",
    errno.EHOSTUNREACH: "the host cannot be reached",
    errno.ENETUNREACH: "the network cannot be reached",
}


def sent_failure(location: Location, exc: BaseException, *, opening_s: float | None = None) -> str | None:
    """The one line for a network output whose socket failed (FFmpeg's protocol, not its muxer or encoder), whose
    server did not take it, or whose protocol this FFmpeg lacks; None where ``location`` is not a network output
    or ``exc`` is none of these. opening_s: how long the output's opening ran before it failed (connected, and for
    RTMP and RTSP a handshake: answers awaited, ``opening_faults``); None for a send."""
    if location.kind != "network":
        return None
    scheme = urlsplit(location.text).scheme.lower()  # (the url of an RTMP output is tee:...)
    if isinstance(exc, av.error.ProtocolNotFoundError):  # (an output's protocol is first opened with its header)
        return f"this FFmpeg build cannot write {scheme}:// URLs ({location.text})"
    fault = _SOCKET_FAULTS.get(getattr(exc, "errno", None) if isinstance(exc, OSError) else None)
    if opening_s is not None:
        fault = opening_fault(scheme, exc, opening_s, location.send_timeout_s) or fault
    return None if fault is None else f"cannot send to {location.text}: {fault}"


def _network(text: str) -> Location:
    """A URL as FFmpeg opens it: its scheme in lower case (FFmpeg looks a protocol up by its exact name, so
    ``RTMP://`` was 'protocol not found'); ``text`` keeps the user's spelling for messages."""
    typed = _URL.match(text).group(1)
    scheme = typed.lower()
    if scheme not in NETWORK_SCHEMES and scheme != "file":
        raise EnlightError(f"unsupported URL scheme {scheme}:// (use {', '.join(NETWORK_SCHEMES)})")
    options = {"rtsp_transport": "tcp"} if scheme.startswith("rtsp") else {}
    return Location(text, scheme + text[len(typed):], "network", options=options)


def input_location(text: str, *, camera: bool = False, size: tuple[int, int] | None = None,
                   fps: float | None = None) -> Location:
    """Where to read from. camera: a bare number N means /dev/videoN and /dev/... paths are
    Video4Linux2 devices, asked for ``size`` (width, height) and ``fps`` where given. A name with a frame number
    pattern (``night_%04d.jpg``) is an image sequence (``sequence_location``), played at ``fps``."""
    if text in _PIPE_NAMES:
        return Location(text, "pipe:0", "pipe")
    if _is_fifo(text):  # a named pipe, a shell's <(...) (/dev/fd/63): read once from the start, as stdin is
        return Location(text, text, "pipe")
    if not camera and is_sequence(text):
        return sequence_location(text, fps)
    if _URL.match(text):
        return _network(text)
    if not camera:
        refuse_glob(text)
    if camera and (text.isdigit() or text.startswith("/dev/")):
        options = {}
        if size:
            options["video_size"] = f"{size[0]}x{size[1]}"
        if fps:
            options["framerate"] = f"{fps:g}"
        return Location(text, f"/dev/video{text}" if text.isdigit() else text, "device", "v4l2", options)
    return Location(text, text, "file")


def _is_fifo(text: str) -> bool:
    """Whether ``text`` names a pipe: its bytes can be read once (a second open waits for a writer that never comes),
    so it is not probed before the run, and it cannot be sought in."""
    try:
        return stat.S_ISFIFO(os.stat(text).st_mode)
    except (OSError, ValueError):
        return False


def muxer_for(name: str, format: str | None = None) -> str | None:
    """The muxer FFmpeg writes a file named ``name`` with (``format``: the one asked for), as it guesses it from the
    name when it opens the output; None for a name it cannot place."""
    named = io.BytesIO()
    named.name = Path(name).name  # (read by FFmpeg's guess; nothing is written)
    try:
        with av.open(named, "w", format=format) as probe:
            return probe.format.name.split(",")[0]
    except (ValueError, av.error.FFmpegError):
        return None


def _muxer_named(text: str) -> str:
    """The muxer FFmpeg writes a file named like ``text`` with (MPEG-TS for a name without an extension); a one-line
    error for a name it cannot place."""
    suffix = Path(text).suffix
    if not suffix:
        return DEFAULT_STREAM_FORMAT
    muxer = muxer_for(f"probe{suffix}")
    if muxer is None:
        raise EnlightError(f"unknown output container '{suffix}' for the pipe {text} (name it .ts, .mkv, .mp4, "
                           "..., or give --format)")
    return muxer


_NUMBERED = re.compile(r"%0?(\d*)d")  # printf's frame number, as FFmpeg's image2 reads it: %d, %04d
SEQUENCE_FPS = 25.0  # an image sequence's frame rate unless --fps says (FFmpeg's image2 default)


def is_sequence(text: str) -> bool:
    """Whether ``text`` names an image sequence: a frame number pattern in its file name (``night_%04d.jpg``)."""
    return not is_stream(text) and bool(_NUMBERED.search(Path(text).name))


def sequence_files(text: str) -> list[tuple[int, Path]]:
    """(number, file) of each file that the frame number pattern ``text`` names, in number order."""
    path = Path(text)
    match = _NUMBERED.search(path.name)
    # printf's number: %04d pads to 4 digits (and writes 10000 whole), %d does not pad
    digits = f"\\d{{{match[1]}}}|[1-9]\\d{{{match[1]},}}" if match[1] else "0|[1-9]\\d*"
    name = re.compile(re.escape(path.name[:match.start()]) + f"({digits})" + re.escape(path.name[match.end():]))
    folder = path.parent if str(path.parent) else Path(".")
    found = [(int(m[1]), folder / entry) for entry in (os.listdir(folder) if folder.is_dir() else ())
             if (m := name.fullmatch(entry))]
    return sorted(found)


def sequence_name(text: str, number: int) -> Path:
    """The file that frame ``number`` of the pattern ``text`` names: ``f_%04d.png``, 7 -> ``f_0007.png``."""
    path = Path(text)
    match = _NUMBERED.search(path.name)
    digits = f"{number:0{match[1]}d}" if match[1] else str(number)
    return path.with_name(path.name[:match.start()] + digits + path.name[match.end():])


def sequence_location(text: str, fps: float | None) -> Location:
    """An image sequence (a timelapse's frames, ``night_%04d.jpg``) read as one video by FFmpeg's image2 demuxer,
    from its first number on, at ``fps`` frames a second (``SEQUENCE_FPS`` unless given): the frames then go
    through the temporal smoothing a video gets, which a folder of photos does not. One-line error when no file
    matches."""
    files = sequence_files(text)
    if not files:
        raise EnlightError(f"no files match the image sequence {text}"
                           f"{other_padding(text, _NUMBERED) or ' (a frame number pattern such as %04d)'}")
    rate = fps or SEQUENCE_FPS
    if rate <= 0:
        raise EnlightError(f"--fps must be above 0, got {rate:g}")
    framerate = {"framerate": f"{rate:g}"}
    gap = next((a for (a, _), (b, _) in zip(files, files[1:], strict=False) if b != a + 1), None)
    if gap is None:
        return Location(text, text, "sequence", "image2", framerate | {"start_number": str(files[0][0])})
    width = _NUMBERED.search(Path(text).name)[1]
    if not width:  # image2 reads a numbered sequence up to its first gap, and a glob would sort 10 before 9
        raise EnlightError(f"the image sequence {text} has a gap after frame {gap} (FFmpeg would stop there): "
                           "number the frames without gaps, or with zero-padded numbers (%04d) to read them all")
    wide = next((file for number, file in files if len(str(number)) > int(width)), None)
    if wide is not None:  # (a glob of `width` digits leaves it out, and one of any width puts 10000 before 9999)
        raise EnlightError(f"the image sequence {text} has a gap after frame {gap} and frames numbered past "
                           f"{'9' * int(width)} ({wide.name}), which FFmpeg cannot read in order past a gap: number "
                           f"the frames without gaps, or with {int(width) + 1} digits (%0{int(width) + 1}d)")
    glob = _NUMBERED.sub("[0-9]" * int(width), text.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]"))
    return Location(text, glob, "sequence", "image2", framerate | {"pattern_type": "glob"})


def output_location(text: str, *, format: str | None = None, stdout_fd: int = 1) -> Location:
    """Where to write to: ``-`` is stdout (file descriptor ``stdout_fd``), MPEG-TS unless ``format``
    names another muxer; URLs get a muxer from their scheme (MPEG-TS for udp/tcp/srt/http); a name with a frame
    number pattern (``day_%04d.png``) is an image sequence, one picture a frame."""
    if format is not None:
        try:
            opens_own = av.format.ContainerFormat(format, "w").no_file
        except ValueError:
            raise EnlightError(f"unknown output format '{format}' (e.g. mpegts, matroska, flv)") from None
        if opens_own and not _URL.match(text) and text not in _PIPE_NAMES:  # (image2, segment, hls: not a file)
            raise EnlightError(f"--format {format} writes files of its own naming, not one file: numbered pictures are "
                               "-o day_%04d.png, a video one file (-o day.mkv)")
    if text in _PIPE_NAMES:
        return Location(text, f"pipe:{stdout_fd}", "pipe", format or DEFAULT_STREAM_FORMAT)
    if _is_fifo(text):  # a named pipe another program reads: written into as a stream, never replaced by a file
        return Location(text, text, "pipe", format or _muxer_named(text))
    if format is None and is_sequence(text):
        return Location(text, text, "sequence")
    if _URL.match(text):
        location = _network(text)
        muxer = format or OUTPUT_FORMATS.get(urlsplit(location.url).scheme, DEFAULT_STREAM_FORMAT)
        return replace(location, format=muxer)
    return Location(text, text, "file", format)
