"""The batch manifest: ``OUT_DIR/.enlight-manifest.jsonl``, one JSON line per event, the last line of an
input deciding. A file whose last line says done (or damaged: done with a warning), with the same size
and mtime, and whose output exists, is skipped by the next run; started without an end, failed, or
changed since, it is done again. Only the batch's driver writes it (workers report to the driver).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

MANIFEST = ".enlight-manifest.jsonl"
# temporary outputs of this program: .<stem>.enlight-<8 hex>.<ext> (VideoSink, photos, joins), segment folders
_TEMP = re.compile(r"^\..+\.enlight-[0-9a-f]{8}\.[A-Za-z0-9]+$")
SEGMENT_DIR = ".enlight-segments"


class Manifest:
    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST
        self.last: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text().splitlines():
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


def remove_temporaries(out_dir: Path) -> int:
    """Delete what a killed run left: this program's temporary files and segment folders. Returns how many."""
    removed = 0
    for root, dirs, files in os.walk(out_dir):
        for name in files:
            if _TEMP.match(name):
                Path(root, name).unlink(missing_ok=True)
                removed += 1
        for name in [d for d in dirs if d.startswith(SEGMENT_DIR)]:
            for leftover in Path(root, name).iterdir():
                leftover.unlink(missing_ok=True)
            Path(root, name).rmdir()
            dirs.remove(name)
            removed += 1
    return removed
