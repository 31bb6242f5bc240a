"""The temporary files outputs are written through: ``.<stem>.enlight-<8 hex><suffix>`` beside the output,
renamed onto it when complete, deleted on an error or an interrupt. A process killed outright (out of
memory, ``kill -9``, power lost) cannot delete its own; the next run for the same output does.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import time
from pathlib import Path

STALE_S = 300.0  # a temporary untouched this long belongs to a dead run (a live one writes as it goes)
NAME_MAX = 255  # bytes in one file name (ext4, XFS, Btrfs, APFS, tmpfs): a longer one is refused (ENAMETOOLONG)


def fitted(stem: str, around: str) -> str:
    """``stem`` shortened (whole characters from its end) so that a name of it and ``around``'s characters still
    fits in ``NAME_MAX`` bytes: the names made from an output's (its temporary ``.NAME.enlight-1a2b3c4d.mp4``, what
    an interrupted run keeps, ``NAME.partial.mp4``) where the output's own name is long (a 250-byte title)."""
    room = NAME_MAX - len(os.fsencode(around))
    while stem and len(os.fsencode(stem)) > room:
        stem = stem[:-1]
    return stem


def _stem(output: Path) -> str:
    """The part of ``output``'s stem its temporaries' names hold."""
    return fitted(output.stem, f"..enlight-12345678{output.suffix}")


def temporary_path(output: Path) -> Path:
    """A fresh temporary name beside ``output``."""
    return output.with_name(f".{_stem(output)}.enlight-{secrets.token_hex(4)}{output.suffix}")


def temporaries(output: Path) -> list[Path]:
    """The temporaries of ``output`` (of any run) that exist now."""
    if not output.parent.is_dir():
        return []
    stem = _stem(output)
    mine = re.compile(rf"\.{re.escape(stem)}\.enlight-[0-9a-f]{{8}}{re.escape(output.suffix)}")
    return [p for p in output.parent.glob(f".{glob.escape(stem)}.enlight-*") if mine.fullmatch(p.name)]


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
