"""A library's Python warning as one line: Pillow's 'Corrupt EXIF data' and its like came out as two lines of the
library's own file and source line. ``one_line`` prints ``prog: warning: message`` instead, once per message; the
command line uses it for its run (``enlight.cli.common``), and a batch's worker processes for theirs."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from enlight.progress_bar import is_terminal


def one_line(prog: str) -> Callable | None:
    """A ``warnings.showwarning`` that prints each message once, on one line; None with ENLIGHT_DEBUG=1 (Python's
    own form, with the file and line)."""
    if os.environ.get("ENLIGHT_DEBUG"):
        return None
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = " ".join(str(message).split())
        if text not in seen:
            seen.add(text)
            clear = "\r\x1b[K" if is_terminal(sys.stderr) else ""  # off a progress bar's line (it redraws below)
            print(f"{clear}{prog}: warning: {text}", file=sys.stderr)

    return show


__all__ = ["one_line"]
