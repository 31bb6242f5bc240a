"""The one error type the command line turns into a one-line message and exit code 2."""

import errno
import os

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)  # out of disk space or over a quota, while writing an output
DISK_FULL_TEXT = "no space left for the output"


class EnlightError(Exception):
    """A problem the user can fix (bad input, bad path, bad weights), stated in one line."""


def reason(exc: BaseException) -> str:
    """The first line of an exception's message (FFmpeg's strerror where it has one), for one-line errors."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__


def disk_full(exc: BaseException, folder: str | os.PathLike | None = None) -> str | None:
    """The one line for an output that ran out of disk space (where: the folder of the temporary file that
    could not grow, which is deleted, or ``folder`` where the error does not name the file: Pillow's); None for any
    other error."""
    if not isinstance(exc, OSError) or exc.errno not in DISK_FULL:
        return None
    place = os.path.dirname(os.path.abspath(exc.filename)) if exc.filename else folder
    where = f" in {place}" if place else ""
    return f"{DISK_FULL_TEXT}{where} ({os.strerror(exc.errno)}); the partial file was deleted"


def is_disk_full(message: str) -> bool:
    """Whether a one-line error (a batch's reason for a failed file) is ``disk_full``'s."""
    return message.startswith(DISK_FULL_TEXT)
