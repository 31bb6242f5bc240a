"""The batch manifest: ``OUT_DIR/.enlight-manifest.jsonl``, one JSON line per event, the last line of an
input deciding. A file whose last line says done (or damaged: done with a warning), with the same size
and mtime, and whose output exists, is skipped by the next run; started without an end, failed, or
changed since, it is done again. Only the batch's driver writes it (workers report to the driver).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from enlight.errors import EnlightError
from enlight.stream.io.temporary import fitted, temporaries_of

MANIFEST = ".enlight-manifest.jsonl"
# the segments of OUT.mp4 wait in .enlight-segments-OUT.mp4 beside it until they are joined
SEGMENT_DIR = ".enlight-segments"


class Manifest:
    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST
        self.last: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text(errors="replace").splitlines():  # (its lines are ASCII JSON)
                try:
                    record = json.loads(line)
                    self.last[record["input"]] = record
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash

    @staticmethod
    def _stat(path: Path) -> tuple[int, float]:
        stat = path.stat()
        return stat.st_size, stat.st_mtime

    def is_done(self, source: Path, output: Path) -> bool:
        record = self.last.get(str(source))
        if record is None or record.get("status") not in ("done", "damaged") or not output.exists():
            return False
        size, mtime = self._stat(source)
        return record.get("size") == size and record.get("mtime") == mtime

    def to_do(self, pairs: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
        """The (input, output) ``pairs`` this manifest does not have as done (``is_done``), in their order: what a
        run into its folder does (and what ``--quality auto``'s estimate is for)."""
        return [(source, output) for source, output in pairs if not self.is_done(source, output)]

    def known(self, source: Path) -> bool:
        """Whether an earlier run of this manifest wrote (or started) this input's output."""
        return str(source) in self.last

    def record(self, source: Path, output: Path, status: str, *, reason: str = "", frames: int = 0) -> None:
        size, mtime = self._stat(source) if source.exists() else (None, None)
        record = {"input": str(source), "size": size, "mtime": mtime, "status": status, "output": str(output),
                  "frames": frames, "reason": reason, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        self.last[str(source)] = record
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())


FOLDER_LOCK = ".enlight-folder.lock"  # held by the folder run writing into OUT_DIR, removed when it ends


@contextmanager
def folder_run(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir`` for one folder run: a second one into it at the same time is refused in one line. Each run
    removes its outputs' temporaries as it starts and ends (``remove_temporaries``), which were the other run's
    files being written: both failed ('cannot finish writing v1.mp4: No such file or directory'). A run killed
    outright leaves the lock file, which holds nothing (the kernel lets go of a dead process's lock)."""
    try:
        import fcntl
    except ImportError:  # (Windows: no lock; the runs are not held apart)
        yield
        return
    path = out_dir / FOLDER_LOCK
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EnlightError(f"another enlight-video run is enhancing into {out_dir} now: wait for it to end, or "
                               "give another output folder") from None
        try:
            yield
        finally:
            path.unlink(missing_ok=True)


def remove_temporaries(outputs: list[Path]) -> int:
    """Delete what a killed run left for these outputs (and only them: another run may be writing
    beside them): their temporary files (``enlight.stream.io.temporary``). Their segment folders stay: the
    next run takes the finished segments there as done (``enlight.stream.apps.kept_segments``)."""
    found = temporaries_of(outputs)
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)


def segment_folder(output: Path) -> Path:
    """Where the segments of ``output`` are written before they are joined."""
    return output.parent / f"{SEGMENT_DIR}-{fitted(output.stem, f'{SEGMENT_DIR}-{output.suffix}')}{output.suffix}"
