"""An archive of footage and photos (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz: a phone's or a DVR's export, a
cloud download) enhanced as the folder it packs: ``enlight-video export.zip -o day/`` or ``-o day.zip``.

The archive's index is read first: one without a video or photo is refused before anything is written, and a
damaged one says why in one line. It is then unpacked into a hidden folder (``.enlight-unpacked``) in the output
folder, or for a .zip output in a work folder beside it (``.NAME.zip.enlight-work``), which the batch runs over as
over any folder: the same names in the output, the same manifest. The unpacked folder keeps the archive's
modification times and is named the same for the same output, so an interrupted run started again reuses it and
skips what was done. Once the run has been through every file, the unpacked files are deleted, also when some
failed: the archive still holds them, and the next run unpacks what it needs again.

A .zip output is packed from the enhanced files at the end (hidden files left out; videos and compressed pictures
stored as they are, the rest deflated), through a temporary name; none is written when nothing was enhanced. When
some files failed, the .zip holds the others and the work folder keeps only a note of the failed members
(``.enlight-retry.json``: which archive, which .zip as it was written): the same command again sees that the
.zip is its own, unpacks only those members, and adds what now works to the .zip.

Members that would land outside the folder (absolute paths, ``..``, links out of it, devices) are skipped and
counted, as Python's ``data`` filter for tar judges them; an archive that needs more space than the disk has
free is refused before anything is unpacked.
"""

from __future__ import annotations

import json
import lzma
import os
import shutil
import sys
import tarfile
import time
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from enlight.errors import EnlightError, reason
from enlight.stream.apps.manifest import Manifest
from enlight.stream.apps.zip_names import zip_members
from enlight.stream.io.checks import check_writable
from enlight.stream.io.photo_writer import atomic_write
from enlight.stream.io.sidecars import subtitles_by_video
from enlight.text import counted, size_text

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_TAR_MODES = {".tar": "r:", ".tgz": "r:gz", ".tar.gz": "r:gz", ".tar.bz2": "r:bz2", ".tbz2": "r:bz2",
              ".tar.xz": "r:xz", ".txz": "r:xz"}
UNPACKED = ".enlight-unpacked"
_SOURCE_MARK = ".enlight-unpacked.json"  # beside it: which archive (size, mtime) it holds, once complete
_RETRY = ".enlight-retry.json"  # in a .zip output's work folder: the members its .zip was packed without
# kept as they are in a .zip output: they are compressed already
STORED_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".m4v", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg",
                             ".jpg", ".jpeg", ".png", ".webp", ".avif", ".heic", ".heif", ".jxl", ".gif", ".mxf",
                             ".ogv"})
_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError)


def is_archive(path: Path) -> bool:
    """Whether ``path`` names an archive file (by its name: .zip, .tar, .tar.gz, ...)."""
    return path.name.lower().endswith(ARCHIVE_SUFFIXES) and path.is_file()


def _suffix(archive: Path) -> str:
    return next((s for s in ARCHIVE_SUFFIXES if archive.name.lower().endswith(s)), archive.suffix.lower())


def _members(archive: Path) -> list[tuple[str, int]]:
    """(name, size) of the archive's regular files; a one-line error for a damaged archive."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as packed:
                return [(i.filename, i.file_size) for i in zip_members(packed) if not i.is_dir()]
    except _READ_ERRORS as exc:
        raise EnlightError(f"cannot read the archive {archive}: a damaged zip ({reason(exc)})") from None
    try:
        packed = tarfile.open(archive)
    except _READ_ERRORS as exc:
        raise EnlightError(f"cannot read the archive {archive}: {_why_not(archive, exc)}") from None
    try:
        with packed:
            return [(m.name, m.size) for m in packed.getmembers() if m.isfile()]
    except _READ_ERRORS as exc:
        raise EnlightError(f"cannot read the archive {archive}: damaged or cut short ({reason(exc)})") from None


def _why_not(archive: Path, exc: BaseException) -> str:
    """Why ``archive`` does not open as the kind of archive its name says, in one line (tarfile's own message, for
    every compression it tried, is a list)."""
    if not isinstance(exc, tarfile.TarError):
        return reason(exc)  # not readable at all (permissions, ...)
    suffix = _suffix(archive)
    if suffix == ".zip":
        try:
            zipfile.ZipFile(archive).close()
        except _READ_ERRORS as bad:
            exc = bad
        with open(archive, "rb") as f:
            cut = f.read(2) == b"PK"  # a zip's start without its end (its index)
        return f"{'damaged or cut short: no zip index at its end' if cut else 'not a zip file or damaged'} " \
               f"({reason(exc)})"
    try:
        with tarfile.open(archive, _TAR_MODES.get(suffix, "r:")) as packed:
            packed.getmembers()
    except _READ_ERRORS as specific:
        exc = specific
    return f"not a {suffix} file or damaged ({reason(exc)})"


def member_names(archive: Path) -> list[Path]:
    """The archive's files as relative paths (for a dry run: nothing is unpacked)."""
    return [Path(name) for name, _ in _members(archive)]


def _relative(name: str) -> str:
    """A member's place in the unpacked folder, as it is named there ('./a.jpg' and '/a.jpg' are 'a.jpg')."""
    return PurePosixPath(name.lstrip("/")).as_posix()


def _enhanced(name: str) -> bool | None:
    """Whether the member ``name`` is a video or photo the batch enhances (True), another file it counts or one that
    would land outside the folder (False), or a hidden file, skipped (None)."""
    from enlight.stream.apps.batch import is_media

    parts = PurePosixPath(_relative(name)).parts
    if any(part.startswith(".") and part != ".." for part in parts):
        return None
    return ".." not in parts and is_media(Path(name))


def _chosen(archive: Path, members: list[tuple[str, int]], only: set[str] | None) -> set[str] | None:
    """The members to unpack: all (None), or with ``only`` (the places of the members to try again) those and their
    videos' subtitle files. Refuses, before anything is written, an archive without a video or photo."""
    kinds = [_enhanced(name) for name, _ in members]
    if not any(kinds):
        hidden = kinds.count(None)
        skipped = f"; skipped {counted(hidden, 'hidden file')} (names starting with '.')" if hidden else ""
        raise EnlightError(f"no videos or photos in {archive} ({counted(kinds.count(False), 'other file')}{skipped})")
    if only is None:
        return None
    by_place = {_relative(name): name for name, _ in members}
    folders: dict[PurePosixPath, list[str]] = defaultdict(list)
    for place in by_place:
        folders[PurePosixPath(place).parent].append(PurePosixPath(place).name)
    subtitles: dict[PurePosixPath, dict[str, list[str]]] = {}  # a folder's, by video stem (for the failed only)
    chosen = set()
    for place in sorted(only & by_place.keys()):
        path = PurePosixPath(place)
        if path.parent not in subtitles:
            subtitles[path.parent] = subtitles_by_video(folders[path.parent])
        places = [place, *((path.parent / name).as_posix() for name in subtitles[path.parent].get(path.stem, ()))]
        chosen |= {by_place[p] for p in places if p in by_place}
    if not chosen:
        raise EnlightError(f"the members that failed before are not in {archive}; use --force to do every file again")
    return chosen


def _extract_zip(archive: Path, into: Path, chosen: set[str] | None) -> int:
    """Unpack a .zip (its ``chosen`` members; None: all) into ``into`` with each file's modification time; the
    members skipped as unsafe."""
    skipped = 0
    with zipfile.ZipFile(archive) as packed:
        for info in zip_members(packed):
            if chosen is not None and info.filename not in chosen:
                continue
            target = (into / info.filename).resolve()
            if info.is_dir() or not target.is_relative_to(into.resolve()) or Path(info.filename).is_absolute():
                skipped += 0 if info.is_dir() else 1
                continue
            packed.extract(info, into)
            stamp = time.mktime((*info.date_time, 0, 0, -1))
            os.utime(target, (stamp, stamp))
    return skipped


def _extract_tar(archive: Path, into: Path, chosen: set[str] | None) -> int:
    """Unpack a tar (any compression; its ``chosen`` members, None: all) into ``into`` through Python's ``data``
    filter; the members it refused."""
    skipped = 0
    with tarfile.open(archive) as packed:
        for member in packed:
            if chosen is not None and member.name not in chosen:
                continue
            try:
                packed.extract(member, into, filter="data")
            except tarfile.FilterError:
                skipped += 1
    return skipped


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _first_missing(folder: Path) -> Path | None:
    """The outermost folder of ``folder`` and its parents that does not exist yet (None: it exists)."""
    missing = None
    while not folder.exists():
        missing, folder = folder, folder.parent
    return missing


def _holds_media(folder: Path) -> bool:
    """Whether an unpacked folder holds a video or photo the batch enhances (not hidden)."""
    return any(_enhanced(Path(root, name).relative_to(folder).as_posix())
               for root, _, files in os.walk(folder) for name in files)


def _files(folder: Path) -> list[tuple[Path, str]]:
    """``folder``'s files with their relative names, hidden files and folders left out."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [(Path(root, name), Path(root, name).relative_to(folder).as_posix())
                  for name in sorted(files) if not name.startswith(".")]
    return found


@dataclass(frozen=True)
class ArchiveRun:
    """The folders a run of ``archive`` into ``output`` (a folder, or a .zip file) works in."""

    archive: Path
    output: Path

    @property
    def zipped(self) -> bool:
        return self.output.suffix.lower() == ".zip"

    @property
    def work(self) -> Path:
        """The output folder, or for a .zip output the hidden work folder beside it."""
        return self.output.with_name(f".{self.output.name}.enlight-work") if self.zipped else self.output

    @property
    def out_dir(self) -> Path:
        """Where the batch writes the enhanced files."""
        return self.work / "out" if self.zipped else self.output

    @property
    def unpacked(self) -> Path:
        return self.work / UNPACKED

    def named_folders(self) -> tuple[tuple[Path, str], ...]:
        """The hidden folders a run's messages name files in, each with the archive name that stands for it: the
        unpacked input (``in.zip:a.mp4``) and, for a .zip output, the folder it is packed from (``out.zip:a.mp4``)."""
        zipped = ((self.out_dir, self.output.name),) if self.zipped else ()
        return ((self.unpacked, self.archive.name), *zipped)

    def check(self, *, overwrite: bool) -> None:
        """Refuse, before any work, an output that is the archive, an existing .zip (without ``overwrite``, unless it
        is the one an earlier run of this archive packed without the files that failed: this run completes it), a
        file where a folder is asked for, or a missing parent folder. With ``overwrite``, that earlier run's note of
        its failed files is dropped: every file is done again."""
        if self.output.resolve() == self.archive.resolve():
            raise EnlightError(f"output {self.output} is the input archive; choose another name")
        if not self.output.parent.is_dir():
            raise EnlightError(f"output folder does not exist: {self.output.parent}")
        check_writable(self.output if self.output.is_dir() else self.output.parent)
        if self.zipped and self.output.exists() and overwrite:
            (self.work / _RETRY).unlink(missing_ok=True)
        elif self.zipped and self.output.exists() and self._retry() is None:
            raise EnlightError(f"output exists: {self.output} (use --force to overwrite)")
        if not self.zipped and self.output.exists() and not self.output.is_dir():
            raise EnlightError(f"the input is an archive, so the output is a folder or a .zip: {self.output} is a "
                               "file")

    def _mark(self, only: set[str] | None = None) -> dict:
        """The archive as it is (and, for a retry, the members unpacked): what the unpacked folder holds."""
        stat = self.archive.stat()
        mark = {"archive": str(self.archive.resolve()), "size": stat.st_size, "mtime": stat.st_mtime}
        return mark if only is None else {**mark, "only": sorted(only)}

    def _retry(self) -> set[str] | None:
        """The members (their places in the unpacked folder) an earlier run of this archive could not enhance, when
        the .zip output is still the one it packed without them; None otherwise."""
        record = _read_json(self.work / _RETRY) if self.zipped and self.output.is_file() else None
        if not record or record.get("source") != self._mark():
            return None
        stat = self.output.stat()
        if record.get("zip") != [stat.st_size, stat.st_mtime_ns]:
            return None  # changed since: not (only) this tool's any more
        return set(record.get("failed") or ()) or None

    def unpack(self, *, say: bool) -> list[str]:
        """Unpack the archive, or with a .zip output an earlier run left incomplete, only the members that failed
        then (or reuse what an earlier, interrupted run unpacked); notes on the members skipped and tried again.
        Nothing is written for an archive without a video or photo (a one-line error)."""
        only = self._retry()
        notes = [] if only is None else [f"{self.output.name} holds what an earlier run enhanced; this run tried "
                                         f"again what failed then: {counted(len(only), 'file')} of {self.archive.name}"]
        mark = self.work / _SOURCE_MARK
        if self.unpacked.is_dir() and _read_json(mark) == self._mark(only):
            return notes
        members = _members(self.archive)
        chosen = _chosen(self.archive, members, only)
        needed = sum(size for name, size in members if chosen is None or name in chosen)
        made = _first_missing(self.work)  # removed again if unpacking fails
        there = self.work if made is None else made.parent
        free = shutil.disk_usage(there).free
        if needed > 0.95 * free:
            raise EnlightError(f"unpacking {self.archive.name} needs {size_text(needed)}; {size_text(free)} is free "
                               f"on the disk of {there} (make room there, or give an output on another disk)")
        self.work.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.unpacked, ignore_errors=True)
        mark.unlink(missing_ok=True)
        self.unpacked.mkdir()
        if say:
            what = counted(len(members), "file") if only is None else \
                f"the {counted(len(only), 'file')} that failed before"
            print(f"enlight-video: unpacking {self.archive.name} ({what}, {size_text(needed)}) into {self.unpacked}",
                  file=sys.stderr)
        skipped = self._extract(chosen, made)
        mark.write_text(json.dumps(self._mark(only)))
        return notes + ([f"{counted(skipped, 'member')} of {self.archive.name} skipped: each would have been written "
                         "outside the folder (an absolute path, '..', or a link out of it)"] if skipped else [])

    def _extract(self, chosen: set[str] | None, made: Path | None) -> int:
        """Unpack (``chosen``: None for all) into the unpacked folder; the members skipped as unsafe. On an error,
        and where no video or photo came out, what was written is removed (``made``: the first folder created)."""
        try:
            extract = _extract_zip if zipfile.is_zipfile(self.archive) else _extract_tar
            skipped = extract(self.archive, self.unpacked, chosen)
            if _holds_media(self.unpacked):
                return skipped
            problem = f"no videos or photos in {self.archive} (every one is hidden or would land outside the folder)"
        except _READ_ERRORS as exc:
            problem = f"cannot unpack {self.archive}: {reason(exc)}"
        shutil.rmtree(made or self.unpacked, ignore_errors=True)
        raise EnlightError(problem)

    def finish(self, *, left: int, failed: int, overwrite: bool) -> list[str]:
        """After the batch: everything kept for an interrupted run to go on from; else a .zip output packed (or
        completed) from what was enhanced, and the unpacked files deleted. Notes on what was kept and what the same
        command does again."""
        if left:
            return [f"the unpacked archive is kept in {self.work} for the next run to go on from"]
        if self.zipped:
            return self._finish_zip(overwrite=overwrite)
        shutil.rmtree(self.unpacked, ignore_errors=True)
        (self.work / _SOURCE_MARK).unlink(missing_ok=True)
        return [f"the same command again tries the {counted(failed, 'failed file')} again (it unpacks the archive "
                "again; what is done is skipped)"] if failed else []

    def _finish_zip(self, *, overwrite: bool) -> list[str]:
        """Pack the .zip output, or add to the one an earlier run left without its failed files; the work folder
        deleted, but for a note of the files that failed now (``_RETRY``), which the same command tries again."""
        earlier = self._retry() is not None
        failed, outputs = self._failed(), _files(self.out_dir)
        if outputs:
            _pack(outputs, self.output, base=self.output if earlier else None, overwrite=overwrite or earlier)
        shutil.rmtree(self.work, ignore_errors=True)
        if not outputs and not earlier:
            kept = " (the one there is left as it was)" if self.output.exists() else ""
            return [f"nothing was enhanced, so {self.output.name} was not written{kept}"]
        if not failed:
            return []
        self.work.mkdir()
        stat = self.output.stat()
        (self.work / _RETRY).write_text(json.dumps({"source": self._mark(), "zip": [stat.st_size, stat.st_mtime_ns],
                                                    "failed": sorted(failed)}))
        return [f"{self.output.name} holds the files that were enhanced; the same command again tries the "
                f"{counted(len(failed), 'failed file')} again and adds what works (their names are kept in "
                f"{self.work})"]

    def _failed(self) -> list[str]:
        """The members (their places in the unpacked folder) whose last try in this work folder failed."""
        places = []
        for source, record in Manifest(self.out_dir).last.items():
            path = Path(source)
            if record.get("status") == "failed" and path.is_relative_to(self.unpacked):
                places.append(path.relative_to(self.unpacked).as_posix())
        return places


def _pack(files: list[tuple[Path, str]], output: Path, *, base: Path | None, overwrite: bool) -> None:
    """``files`` (path, name in the .zip) into the .zip ``output``, or added to ``base`` (an earlier run's .zip),
    through a temporary file and a rename (``atomic_write``). Videos and compressed pictures are stored as they
    are, the rest deflated."""

    def write(tmp: Path) -> None:
        if base is not None:
            shutil.copyfile(base, tmp)
        with zipfile.ZipFile(tmp, "w" if base is None else "a", allowZip64=True) as packed:
            there = set(packed.namelist())  # (a retry adds only what the earlier run could not do)
            for path, name in files:
                how = zipfile.ZIP_STORED if path.suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
                if name not in there:
                    packed.write(path, name, compress_type=how)

    atomic_write(output, write, overwrite=overwrite)
