"""The one error type the command line turns into a one-line message and exit code 2."""


class EnlightError(Exception):
    """A problem the user can fix (bad input, bad path, bad weights), stated in one line."""
