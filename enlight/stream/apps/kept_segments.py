"""The segments of a long video kept between runs: a run of ``--segments N`` stopped by Ctrl-C, a closed laptop
or a crash goes on, when the same command is run again, from the segments it had not finished.

A segment's part is written through a temporary name and renamed when complete (``enlight.stream.io.sink``), so
a part in the segment folder is a whole one. The folder holds a key beside the parts: the source's path, size and
modification time, the segments' boundaries, and every setting that changes the pictures or the encoding (the
plan's options, the encoder, --grey, --hdr, --size, --compare). A later run with the same key takes the parts
there as done; with another key (the file changed, or another preset) the folder is emptied and every segment is
done again. The folder is deleted when the parts are joined.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict
from pathlib import Path

from enlight.stream.apps.tasks import Segment, Settings

KEY_FILE = ".enlight-segments.json"


def segments_key(source: Path, segments: list[Segment], settings: Settings, suffix: str) -> str:
    """A digest of what a segment's part depends on (not the threads, memory or decoder a worker used)."""
    stat = source.stat()
    what = {
        "source": str(source.resolve()), "size": stat.st_size, "mtime": stat.st_mtime, "suffix": suffix,
        "segments": [(s.index, s.count, s.start_pts, s.end_pts, s.warm_pts) for s in segments],
        "plan": repr(sorted(settings.plan_options.items())), "encoder": repr(_video_encoder(settings)),
        "grey": settings.grey, "hdr": settings.hdr, "frame_size": settings.size, "compare": settings.compare,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def _video_encoder(settings: Settings) -> dict:
    """The encoder's settings a segment's video depends on: not the numbered pictures' quality (--photo-quality),
    which no segment is written at (and whose key would otherwise change from the keys of earlier runs)."""
    encoder = asdict(settings.encoder)
    encoder.pop("picture_quality")
    return encoder


def kept_parts(folder: Path, key: str, parts: list[Path], *, fresh: bool = False) -> set[int]:
    """The indices of ``parts`` (the segments' outputs in ``folder``) an earlier run with the same ``key`` finished;
    the folder made ready for this run: emptied where its key differs or ``fresh`` (--force: all done again), its
    unfinished temporaries removed."""
    mark = folder / KEY_FILE
    try:
        same = not fresh and mark.is_file() and json.loads(mark.read_text()).get("key") == key
    except (OSError, ValueError):
        same = False
    if not same:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        mark.write_text(json.dumps({"key": key}))
        return set()
    names = {part.name for part in parts} | {KEY_FILE}
    for entry in folder.iterdir():
        if entry.name not in names:  # a part's temporary file, left when the run stopped
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
    return {index for index, part in enumerate(parts) if part.is_file()}
