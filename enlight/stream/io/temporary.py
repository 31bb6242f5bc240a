"""The temporary files outputs are written through: ``.<stem>.enlight-<8 hex><suffix>`` beside the output,
renamed onto it when complete, deleted on an error or an interrupt. A process killed outright (out of
memory, ``kill -9``, power lost) cannot delete its own; the next run for the same output does.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterable
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
    return temporaries_of([output])


_MARK = ".enlight-"  # between a temporary's stem and its 8 hex digits


def temporaries_of(outputs: Iterable[Path]) -> list[Path]:
    """The temporaries of every one of ``outputs`` (of any run) that exist now, each folder listed once: a folder
    run's start and end looked for them output by output, a listing of the whole folder each, which made 10,000
    photos in one folder 41 s of listings at the start (and as long at the end) where one listing takes 10 ms."""
    wanted: dict[Path, set[tuple[str, str]]] = {}
    for output in outputs:
        wanted.setdefault(output.parent, set()).add((_stem(output), output.suffix))
    found = []
    for folder, names in wanted.items():
        try:
            with os.scandir(folder) as entries:
                hidden = [entry.name for entry in entries if entry.name.startswith(".")]
        except OSError:  # no such folder (yet): nothing in it
            continue
        found += [folder / name for name in hidden if _temporary_of(name, names)]
    return found


def _temporary_of(name: str, names: set[tuple[str, str]]) -> bool:
    """Whether ``name`` is ``.<stem>.enlight-<8 hex><suffix>`` for one of ``names`` ((stem, suffix) pairs)."""
    at = name.find(_MARK, 1)
    while at >= 0:
        digits, suffix = name[at + len(_MARK):at + len(_MARK) + 8], name[at + len(_MARK) + 8:]
        if _HEX8.fullmatch(digits) and (name[1:at], suffix) in names:
            return True
        at = name.find(_MARK, at + 1)
    return False


_HEX8 = re.compile(r"[0-9a-f]{8}")


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
