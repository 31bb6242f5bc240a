"""The one error type the command line turns into a one-line message and exit code 2."""


class EnlightError(Exception):
    """A problem the user can fix (bad input, bad path, bad weights), stated in one line."""


def reason(exc: BaseException) -> str:
    """The first line of an exception's message (FFmpeg's strerror where it has one), for one-line errors."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__
