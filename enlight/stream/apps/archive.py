"""An archive of footage and photos (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz: a phone's or a DVR's export, a
cloud download) enhanced as the folder it packs: ``enlight-video export.zip -o day/`` or ``-o day.zip``.

The archive is unpacked into a hidden folder (``.enlight-unpacked``) in the output folder, or for a .zip output in a
work folder beside it (``.NAME.zip.enlight-work``), which the batch then runs over as over any folder: the same
names in the output, the same manifest. The unpacked folder keeps the archive's modification times and is named
the same for the same output, so an interrupted run started again reuses it and skips what was done. A .zip output
is packed from the enhanced files at the end (hidden files left out; videos and compressed pictures stored as
they are, the rest deflated), through a temporary name. The unpacked files are deleted once nothing is left to do.

Members that would land outside the folder (absolute paths, ``..``, links out of it, devices) are skipped and
counted, as Python's ``data`` filter for tar judges them; an archive that needs more space than the disk has
free is refused before anything is unpacked.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from enlight.errors import EnlightError, reason
from enlight.stream.io.images import atomic_write
from enlight.text import counted

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
UNPACKED = ".enlight-unpacked"
_SOURCE_MARK = ".enlight-unpacked.json"  # beside it: which archive (size, mtime) it holds, once complete
# kept as they are in a .zip output: they are compressed already
STORED_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".m4v", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg",
                             ".jpg", ".jpeg", ".png", ".webp", ".avif", ".heic", ".heif", ".gif", ".mxf", ".ogv"})


def is_archive(path: Path) -> bool:
    """Whether ``path`` names an archive file (by its name: .zip, .tar, .tar.gz, ...)."""
    return path.name.lower().endswith(ARCHIVE_SUFFIXES) and path.is_file()


def _members(archive: Path) -> list[tuple[str, int]]:
    """(name, size) of the archive's regular files; a one-line error for a damaged archive."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as packed:
                return [(i.filename, i.file_size) for i in packed.infolist() if not i.is_dir()]
        with tarfile.open(archive) as packed:
            return [(m.name, m.size) for m in packed.getmembers() if m.isfile()]
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        raise EnlightError(f"cannot read the archive {archive}: {reason(exc)}") from None


def member_names(archive: Path) -> list[Path]:
    """The archive's files as relative paths (for a dry run: nothing is unpacked)."""
    return [Path(name) for name, _ in _members(archive)]


def _extract_zip(archive: Path, into: Path) -> int:
    """Unpack a .zip into ``into`` with each file's modification time; the members skipped as unsafe."""
    skipped = 0
    with zipfile.ZipFile(archive) as packed:
        for info in packed.infolist():
            target = (into / info.filename).resolve()
            if info.is_dir() or not target.is_relative_to(into.resolve()) or Path(info.filename).is_absolute():
                skipped += 0 if info.is_dir() else 1
                continue
            packed.extract(info, into)
            stamp = time.mktime((*info.date_time, 0, 0, -1))
            os.utime(target, (stamp, stamp))
    return skipped


def _extract_tar(archive: Path, into: Path) -> int:
    """Unpack a tar (any compression) into ``into`` through Python's ``data`` filter; the members it refused."""
    skipped = 0
    with tarfile.open(archive) as packed:
        for member in packed:
            try:
                packed.extract(member, into, filter="data")
            except tarfile.FilterError:
                skipped += 1
    return skipped


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

    def check(self, *, overwrite: bool) -> None:
        """Refuse, before any work, an output that is the archive, an existing .zip (without ``overwrite``), a file
        where a folder is asked for, or a missing parent folder."""
        if self.output.resolve() == self.archive.resolve():
            raise EnlightError(f"output {self.output} is the input archive; choose another name")
        if not self.output.parent.is_dir():
            raise EnlightError(f"output folder does not exist: {self.output.parent}")
        if self.zipped and self.output.exists() and not overwrite:
            raise EnlightError(f"output exists: {self.output} (use --force to overwrite)")
        if not self.zipped and self.output.exists() and not self.output.is_dir():
            raise EnlightError(f"the input is an archive, so the output is a folder or a .zip: {self.output} is a "
                               "file")

    def _mark(self) -> dict:
        stat = self.archive.stat()
        return {"archive": str(self.archive.resolve()), "size": stat.st_size, "mtime": stat.st_mtime}

    def unpack(self, *, say: bool) -> list[str]:
        """Unpack the archive (or reuse what an earlier run of it unpacked); notes on the members skipped."""
        mark = self.work / _SOURCE_MARK
        try:
            if mark.is_file() and json.loads(mark.read_text()) == self._mark():
                return []
        except (OSError, ValueError):
            pass
        members = _members(self.archive)
        needed = sum(size for _, size in members)
        self.work.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.work).free
        if needed > 0.95 * free:
            raise EnlightError(f"unpacking {self.archive.name} needs {needed / 1e9:.1f} GB; {free / 1e9:.1f} GB is "
                               f"free in {self.work}")
        shutil.rmtree(self.unpacked, ignore_errors=True)
        mark.unlink(missing_ok=True)
        self.unpacked.mkdir()
        if say:
            print(f"enlight-video: unpacking {self.archive.name} ({counted(len(members), 'file')}, "
                  f"{needed / 1e6:.0f} MB) into {self.unpacked}", file=sys.stderr)
        try:
            zipped = zipfile.is_zipfile(self.archive)
            skipped = _extract_zip(self.archive, self.unpacked) if zipped else _extract_tar(self.archive, self.unpacked)
        except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
            shutil.rmtree(self.unpacked, ignore_errors=True)
            raise EnlightError(f"cannot unpack {self.archive}: {reason(exc)}") from None
        mark.write_text(json.dumps(self._mark()))
        return [f"{counted(skipped, 'member')} of {self.archive.name} skipped: each would have been written outside "
                "the folder (an absolute path, '..', or a link out of it)"] if skipped else []

    def finish(self, *, left: int, failed: int, overwrite: bool) -> list[str]:
        """After the batch: a .zip output packed from what was enhanced (unless the run was interrupted); the
        unpacked files (and a .zip's work folder) deleted once nothing is left to do. Notes on what was kept."""
        if left:
            return [f"the unpacked archive is kept in {self.work} for the next run to go on from"]
        if self.zipped:
            _pack(self.out_dir, self.output, overwrite=overwrite)
        if failed:
            return [f"the unpacked archive is kept in {self.unpacked} for another try at the failed files"]
        if self.zipped:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            shutil.rmtree(self.unpacked, ignore_errors=True)
            (self.work / _SOURCE_MARK).unlink(missing_ok=True)
        return []


def _pack(folder: Path, output: Path, *, overwrite: bool) -> None:
    """``folder``'s files (hidden ones left out) into the .zip ``output`` under their relative names, through a
    temporary file and a rename (``atomic_write``)."""

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as packed:
            for root, dirs, files in os.walk(folder):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(f for f in files if not f.startswith(".")):
                    path = Path(root, name)
                    how = zipfile.ZIP_STORED if path.suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
                    packed.write(path, path.relative_to(folder).as_posix(), compress_type=how)

    atomic_write(output, write, overwrite=overwrite)
