"""Files written whole or not at all: a user's output (weights, an exported model) is never left half-written by a
full disk, Ctrl-C or a crash. Torch-free; used by ``enlight.models`` and ``enlight.train``.

    write_whole(path, data)          # bytes into a hidden file beside ``path``, then renamed onto it
    write_named(handle, data)        # handle.write(data); a full disk's OSError names the file
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_named(handle, data: bytes) -> None:
    """``handle.write(data)``; an OSError (a full disk) carries the file's name, as one from ``open`` does, so that its
    one line says where (Python's write errors name none)."""
    try:
        handle.write(data)
        handle.flush()
    except OSError as exc:
        exc.filename = exc.filename or handle.name
        raise


def write_whole(path: str | os.PathLike, data: bytes, mode: int = 0o644) -> Path:
    """``data`` into the file ``path``: written to a hidden temporary file in the same folder (removed again if it
    cannot be written whole, Ctrl-C included), given ``mode`` (mkstemp's is private), then renamed onto ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as handle:
            write_named(handle, data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


__all__ = ["write_named", "write_whole"]
