"""The temporary files outputs are written through: ``.<stem>.enlight-<8 hex><suffix>`` beside the output,
renamed onto it when complete, deleted on an error or an interrupt. A process killed outright (out of
memory, ``kill -9``, power lost) cannot delete its own; the next run for the same output does.
"""

from __future__ import annotations

import glob
import re
import secrets
import time
from pathlib import Path

STALE_S = 300.0  # a temporary untouched this long belongs to a dead run (a live one writes as it goes)


def temporary_path(output: Path) -> Path:
    """A fresh temporary name beside ``output``."""
    return output.with_name(f".{output.stem}.enlight-{secrets.token_hex(4)}{output.suffix}")


def temporaries(output: Path) -> list[Path]:
    """The temporaries of ``output`` (of any run) that exist now."""
    if not output.parent.is_dir():
        return []
    mine = re.compile(rf"\.{re.escape(output.stem)}\.enlight-[0-9a-f]{{8}}{re.escape(output.suffix)}")
    return [p for p in output.parent.glob(f".{glob.escape(output.stem)}.enlight-*") if mine.fullmatch(p.name)]


def remove_stale(output: Path, older_than_s: float = STALE_S) -> int:
    """Delete the temporaries of ``output`` not written to for ``older_than_s`` seconds (a killed run's;
    another run writing the same output now keeps its own). Returns how many."""
    now, removed = time.time(), 0
    for path in temporaries(output):
        try:
            if now - path.stat().st_mtime >= older_than_s:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed
