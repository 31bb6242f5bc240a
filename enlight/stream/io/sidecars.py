"""Subtitle files that travel beside a video: a drone's flight log (DJI writes ``DJI_0001.SRT`` next to
``DJI_0001.MP4``: height, speed, GPS and camera settings for every frame), a download's ``film.en.srt``, a
fan's ``episode.ass``. Players load them by name, so a video enhanced into ``day.mp4`` left its subtitles behind
under the old name. The enhanced video keeps every frame's time, so they fit it unchanged: they are copied beside
it under its name (``copy_sidecars``), and a folder run counts them with their video, not as other files.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from enlight.stream.io.temporary import temporary_path

SUBTITLE_SUFFIXES = (".srt", ".ass", ".ssa", ".vtt", ".sub", ".idx", ".sup", ".smi")
# what may stand between a video's name and a subtitle suffix: a language or a tag ('en', 'pt-BR', 'forced', 'sdh')
_TAG = re.compile(r"[A-Za-z0-9_-]{1,16}")


def sidecars(video: Path, names: list[str] | None = None) -> list[Path]:
    """The subtitle files beside ``video`` that players load with it: its name with a subtitle suffix (in any
    case), or with one or two tags between (``clip.en.srt``, ``clip.en.forced.srt``), unless that tagged name is
    another file's own name (``clip.part2.srt`` belongs to ``clip.part2.mp4``). names: the folder's file names
    (None: read it)."""
    names = sorted(os.listdir(video.parent)) if names is None else names
    stems = {Path(name).stem for name in names if Path(name).suffix.lower() not in SUBTITLE_SUFFIXES}
    found = []
    for name in names:
        path = Path(name)
        if path.suffix.lower() not in SUBTITLE_SUFFIXES or not name.startswith(video.stem + "."):
            continue
        tags = path.stem[len(video.stem):].split(".")[1:]  # [] or ['en'] or ['en', 'forced']
        if not tags or (len(tags) <= 2 and all(_TAG.fullmatch(tag) for tag in tags) and path.stem not in stems):
            found.append(video.parent / name)
    return found


def copy_sidecars(video: Path, output: Path, *, overwrite: bool = False) -> list[str]:
    """Copy ``video``'s subtitle files (``sidecars``) beside ``output`` under its name (``day.en.srt``); a note
    naming what was copied, and what was left as it was because a file of that name exists (``overwrite``:
    replaced). Nothing where there are none or the output is beside them under the same name."""
    copied, kept, failed = [], [], []
    for sidecar in sidecars(video):
        target = output.with_name(output.stem + sidecar.name[len(video.stem):])
        if target.resolve() == sidecar.resolve():
            continue
        if target.exists() and not overwrite:
            kept.append(target.name)
            continue
        tmp = temporary_path(target)
        try:
            shutil.copyfile(sidecar, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            failed.append(f"{sidecar.name} ({exc.strerror or exc})")
            continue
        finally:
            tmp.unlink(missing_ok=True)
        copied.append(target.name)
    notes = [f"copied its subtitle file{'s' if len(copied) > 1 else ''} beside it: {', '.join(copied)}"] if copied \
        else []
    if kept:
        notes.append(f"left {', '.join(kept)} as it was: a file of that name exists (--force replaces it)")
    if failed:
        notes.append(f"could not copy its subtitle file {', '.join(failed)}")
    return notes


__all__ = ["SUBTITLE_SUFFIXES", "copy_sidecars", "sidecars"]
