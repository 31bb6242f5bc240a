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
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from enlight.stream.io.temporary import temporary_path

SUBTITLE_SUFFIXES = (".srt", ".ass", ".ssa", ".vtt", ".sub", ".idx", ".sup", ".smi")
# what may stand between a video's name and a subtitle suffix: a language or a tag ('en', 'pt-BR', 'forced', 'sdh')
_TAG = re.compile(r"[A-Za-z0-9_-]{1,16}")


def _split(name: str) -> tuple[str, str]:
    """(stem, suffix) of a file name, as ``Path.stem`` and ``Path.suffix`` give them, without making a Path."""
    stem, dot, ext = name.rpartition(".")
    return (stem, dot + ext) if dot and stem else (name, "")


def subtitles_by_video(names: list[str]) -> dict[str, list[str]]:
    """A folder's subtitle files (of ``names``, its file names) by the stem of the video name players load them
    with: a subtitle suffix (in any case) after that stem, or after it and one or two tags (``clip.en.srt``,
    ``clip.en.forced.srt``), unless the tagged name is another file's own (``clip.part2.srt`` belongs to
    ``clip.part2.mp4``). One pass over the folder: a dashcam's card holds thousands of clips."""
    split = sorted((name, *_split(name)) for name in names)
    others = {stem for _, stem, ext in split if ext.lower() not in SUBTITLE_SUFFIXES}
    found: dict[str, list[str]] = defaultdict(list)
    for name, stem, ext in split:
        if ext.lower() not in SUBTITLE_SUFFIXES:
            continue
        found[stem].append(name)
        parts = stem.split(".")
        for count in (1, 2) if stem not in others else ():
            if len(parts) > count and all(_TAG.fullmatch(tag) for tag in parts[-count:]):
                found[".".join(parts[:-count])].append(name)
    return dict(found)


@lru_cache(maxsize=4)
def _folder(folder: str, modified_ns: int) -> dict[str, list[str]]:
    """``subtitles_by_video`` of a folder as it is at ``modified_ns`` (its mtime: a new file changes it)."""
    return subtitles_by_video(os.listdir(folder))


def sidecars(video: Path) -> list[Path]:
    """The subtitle files beside ``video`` that players load with it (``subtitles_by_video``); the folder is read
    once for all its videos while it does not change."""
    found = _folder(str(video.parent), video.parent.stat().st_mtime_ns).get(video.stem, [])
    return [video.parent / name for name in found]


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


__all__ = ["SUBTITLE_SUFFIXES", "copy_sidecars", "sidecars", "subtitles_by_video"]
