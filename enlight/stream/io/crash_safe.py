"""A live recording that a crash leaves playable: the muxer's options that put it on the disk as it goes, and the
syncs that keep it there through a power cut.

A live recording cannot be run again, so a process that dies without a clean stop (``kill -9``, the OOM killer, a
power cut, the disk filling) must leave the night it recorded, at the name the user gave. A plain MP4 or MOV keeps
its index (the moov) in memory until the file is closed: 20 s of a killed recording was 3.4 MB that no player
opens ('moov atom not found'). A Matroska file wrote a cluster each 5 s (at a keyframe), and FFmpeg kept up to
32 KiB besides: 8.6 s of 20 s were lost. So a recording is written

- as an MP4 or MOV of fragments of at most ``FRAGMENT_S`` each (``frag_duration``, a new one at each keyframe too),
  each carrying its own index; ``delay_moov`` writes the header with the first fragment, so the edit list that
  starts an H.264 stream with B-frames at 0 is kept (with ``empty_moov`` the frames started 2 frames late, at
  0.08 s). A cleanly closed one reads back with the same duration, frames and seeks as the plain form;
- as Matroska with a cluster each ``FRAGMENT_S`` (``cluster_time_limit``); a killed one has no duration in its
  header and no cues: players (FFmpeg, mpv, VLC) scan it;
- and every packet handed to the kernel as it is muxed (``flush_packets``): a SIGKILL then loses only what the
  encoder holds (about 20 frames of x264's look-ahead) and the fragment under way.

The kernel's copy reaches the disk within ``SYNC_S`` (``Syncs``): without it a power cut could lose the 30 s the
kernel may keep written pages in memory.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from enlight.stream.io.output_muxer import FRAGMENTED, MP4_SUFFIXES
from enlight.stream.io.spherical import MP4_MUXERS

FRAGMENT_S = 1.0  # the longest stretch of a recording kept in memory by the muxer
SYNC_S = 5.0  # the longest a recording's written bytes wait for the disk

_MATROSKA = ("matroska", "webm")
_MATROSKA_SUFFIXES = (".mkv", ".webm", ".mka")
FRAGMENTED_FILE = FRAGMENTED + "+delay_moov"  # (a stream's fragments, the header written with the first)


def recording_options(path: Path, muxer: str | None) -> dict[str, str]:
    """The muxer's options for a live recording into the file ``path`` (``muxer``: the one forced, or None for the
    one its name gives): every packet written out as it comes, MP4/MOV in fragments, Matroska in short clusters."""
    options = {"flush_packets": "1"}
    if fragmented(path, muxer):
        options |= {"movflags": FRAGMENTED_FILE, "frag_duration": str(round(FRAGMENT_S * 1_000_000))}
    elif muxer in _MATROSKA or (muxer is None and path.suffix.lower() in _MATROSKA_SUFFIXES):
        options["cluster_time_limit"] = str(round(FRAGMENT_S * 1000))
    return options


def fragmented(path: Path, muxer: str | None) -> bool:
    """Whether a recording into ``path`` (by ``muxer``, or the one its name gives) is a fragmented MP4 or MOV."""
    return muxer in MP4_MUXERS or (muxer is None and path.suffix.lower() in MP4_SUFFIXES)


def trim_torn_fragment(path: Path) -> None:
    """Cut a fragmented MP4 or MOV at ``path`` back to its last whole fragment, where its end was torn (the disk
    filled in the middle of a write): FFmpeg refuses to open a file whose last moof box is cut short ('trun sample
    count 25 exceeds the 6 samples the input can hold'), which made a whole night unplayable for want of its
    last second. A fragment whose moof is whole and only its media (mdat) cut goes too: its frames would not
    decode. Nothing where the boxes end at the end of the file, or the file cannot be read."""
    try:
        with open(path, "r+b") as file:
            size = os.fstat(file.fileno()).st_size
            cut = _torn_at(file, size)
            if cut is not None:
                file.truncate(cut)
    except OSError:
        return


def _torn_at(file, size: int) -> int | None:
    """The offset of the fragment (moof) or box cut short by the end of ``file`` (``size`` bytes), or None."""
    at, moof = 0, None
    while at < size:
        file.seek(at)
        head = file.read(16)
        if len(head) < 8:
            return moof if moof is not None else at
        length, kind = int.from_bytes(head[:4], "big"), head[4:8]
        if length == 1 and len(head) == 16:
            length = int.from_bytes(head[8:16], "big")  # (a 64-bit size)
        elif length == 0:
            return None  # (a box that runs to the end of the file)
        if length < 8 or at + length > size:
            return moof if kind == b"mdat" and moof is not None else at
        moof = at if kind == b"moof" else None
        at += length
    return None


class Syncs:
    """Asks the kernel to put a file's written bytes on the disk (``fsync``) at most each ``every_s`` seconds, and
    its folder's entry for it once (a power cut must not lose the name either). Failures are ignored: a file system
    that cannot sync has nothing better to offer."""

    def __init__(self, path: Path, every_s: float = SYNC_S) -> None:
        self.path, self.every_s = path, every_s
        self._last = time.monotonic()
        _sync(path.parent)

    def tick(self) -> None:
        """Sync the file if ``every_s`` have passed since the last time."""
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self._last = now
            _sync(self.path)


def _sync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
