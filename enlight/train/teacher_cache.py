"""The teacher's outputs that ``distill --cache-teacher`` keeps in the run folder (``teacher_cache.npz``), with what
they were made from, written whole or not at all.

Before, the file was taken whenever it held as many pictures as the run had: a run resumed with another --teacher, or
other images of the same count, trained towards the old teacher's outputs (or failed on their sizes), and a file cut
short by a stop or a full disk was an internal error (BadZipFile) at every later start."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

NAME = "teacher_cache.npz"


def source_key(teacher: Path, images: list[Path], clips: tuple[Path, ...], clip_every: int, clip_frames: int) -> str:
    """What the outputs depend on, as JSON: the teacher's file, each image's, each clip's (path, size, mtime) and the
    frames taken from the clips."""

    def stat(path: Path) -> list:
        info = Path(path).stat()
        return [str(Path(path).resolve()), info.st_size, info.st_mtime_ns]

    read = {"clips_read": "as the file command reads them, upright"} if clips else {}  # (outputs of rgb24 frames: new)
    return json.dumps({"teacher": stat(teacher), "images": [stat(p) for p in images],
                       "clips": [stat(p) for p in clips], "clip_every": clip_every, "clip_frames": clip_frames, **read})


def read_cache(path: Path, key: str, count: int) -> list[np.ndarray] | None:
    """The ``count`` stored outputs, each (H, W, 3) uint8, when ``path`` holds them for ``key``; None otherwise (no
    file, another key, an unreadable or cut-short file: they are then made again)."""
    try:
        with np.load(path) as stored:
            if str(stored["key"]) != key:
                return None
            return [stored[f"t{i}"] for i in range(count)]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def write_cache(path: Path, key: str, outputs: list[np.ndarray]) -> None:
    """Store ``outputs`` for ``key`` through a temporary file renamed when complete (deleted if it cannot be)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            np.savez(handle, key=np.array(key), **{f"t{i}": o for i, o in enumerate(outputs)})
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


__all__ = ["NAME", "read_cache", "source_key", "write_cache"]
