"""Many files: a folder (or one long video in segments) as tasks, run here or on Ray, resumable.

    enlight-video IN_DIR -o OUT_DIR [--jobs N] [--segments N] [--ray [ADDRESS]]

``collect`` mirrors the tree (videos and photos, names kept, other files counted and ignored);
``run_batch`` skips what the manifest (``enlight.stream.apps.manifest``) says is done, splits long
videos into keyframe-aligned segments when asked (or when there are fewer files than workers), runs
the tasks (in this process, in a local process pool: ``local_pool``, or as Ray tasks), joins segments, draws one
progress bar for the whole batch and returns the rows of the final table. One bad file never stops
the batch (a full disk does: every file after it would fail too); every output is written under a
temporary name and renamed when complete.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import av

from enlight.errors import EnlightError, is_disk_full
from enlight.stream.apps.interrupts import after_ctrl_c, identity, stops_deferred
from enlight.stream.apps.kept_segments import kept_parts, segments_key
from enlight.stream.apps.local_pool import run_local
from enlight.stream.apps.manifest import Manifest, folder_run, remove_temporaries, segment_folder
from enlight.stream.apps.segments import WARMUP_FRAMES, ClockJumps, join_segments, split_video, warmup_frames
from enlight.stream.apps.tasks import BatchStopped, Outcome, Settings, Task, span_s
from enlight.stream.apps.video_passes import others_work
from enlight.stream.io.checks import STILL_SUFFIXES, UNJOINABLE
from enlight.stream.io.input_streams import enhanced_stream
from enlight.stream.io.netpbm import BITMAP_SUFFIX
from enlight.stream.io.photo_formats import is_photo, is_raw
from enlight.stream.io.raw_photo import RAW_OUTPUT_SUFFIX
from enlight.stream.io.sidecars import copy_sidecars, subtitles_by_video
from enlight.stream.io.video_stream import frame_count, frame_rate
from enlight.text import counted

# what DVRs and IP cameras export as bare streams (no container: no timing, no sound), Dahua's .dav, DVD and MXF
# files, camcorders' raw DV (dvgrab's .dv) and MPEG-2 (JVC's .mod, .tod), a DVD recorder's .vro, and names FFmpeg
# writes no file for (.divx, .qt, RealMedia): written as NAME.EXT.mp4 (a bare stream out would lose the frame rate
# again; FFmpeg writes no .dav; VOB, MXF and DV take no H.264; the name keeps its own extension so that cam.264 and
# cam.mp4 side by side do not meet)
MP4_FOR = frozenset({".264", ".h264", ".265", ".h265", ".hevc", ".mjpeg", ".mjpg", ".dav", ".vob", ".mxf", ".dv",
                     ".mod", ".tod", ".vro", ".divx", ".qt", ".rm", ".rmvb", ".f4v"})
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".m2t", ".flv",
                            ".wmv", ".mpg", ".mpeg", ".3gp", ".3g2", ".gif", ".asf", ".ogv"}) | MP4_FOR
EXIT_FAILED = 2  # some file failed (the table says why); 3 (damaged inputs) as for one file


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def is_media(path: Path) -> bool:
    """Whether a batch enhances the file ``path``: a video or a photo (other files are counted and left alone)."""
    return is_video(path) or is_photo(path)


def _output_name(path: Path, out: Path) -> Path:
    """The output of input ``path`` at ``out`` (its place in the output folder): NAME.EXT.mp4 for ``MP4_FOR``,
    NAME.EXT.tif for a camera RAW (16 bits kept; beside the camera's own NAME.JPG), else ``out``."""
    if path.suffix.lower() in MP4_FOR:
        return out.with_name(out.name + ".mp4")
    if is_raw(path):
        return out.with_name(out.name + RAW_OUTPUT_SUFFIX)
    return out


@dataclass(frozen=True)
class Ignored:
    """What a folder held besides videos and photos. other: files of other kinds; hidden_files, hidden_folders:
    names starting with '.' (such as macOS's '._IMG_0001.jpg' and '.DS_Store'), skipped and not enhanced."""

    other: int = 0
    hidden_files: int = 0
    hidden_folders: int = 0
    pictures: tuple[str, ...] = ()  # the suffixes of the other files that are pictures not read here (.exr, .pbm)

    def other_text(self, *, ignored: bool = False) -> str:
        """'3 other files' and, where some are pictures in a format not read here, which ('1 other file: a picture in
        a format not read here (.exr): convert it to .png first'; a 1-bit bitmap, .pbm, has nothing to enhance): a
        folder of JPEG 2000 pictures, when they were not read, said '1 other files'. ignored: as the report's totals
        say it, '2 other files ignored (1 of them a picture ...: convert it to .png first)' (the hint ran into the
        word: '... convert it to .png first ignored, 4.5 s')."""
        text = counted(self.other, "other file") + (" ignored" if ignored else "")
        if not self.pictures:
            return text
        unread = [kind for kind in self.pictures if kind != BITMAP_SUFFIX]
        bitmaps = len(self.pictures) - len(unread)
        hints = []
        if unread:
            count = len(unread)
            hints.append(f"{'a picture' if count == 1 else 'pictures'} in a format not read here "
                         f"({', '.join(sorted(set(unread)))}): convert {'it' if count == 1 else 'them'} to .png first")
        if bitmaps:  # (converted, they would still hold two levels)
            hints.append(f"{'a 1-bit bitmap' if bitmaps == 1 else '1-bit bitmaps'} ({BITMAP_SUFFIX}), with no shades "
                         "to enhance")
        some = "" if len(self.pictures) == self.other else f"{len(self.pictures)} of them "
        hint = some + "; ".join(hints)
        return f"{text} ({hint})" if ignored else f"{text}: {hint}"

    def hidden_text(self) -> str:
        """'skipped 2 hidden files and 1 hidden folder (names starting with '.')'; '' for none."""
        what = [counted(n, word) for n, word in ((self.hidden_files, "hidden file"),
                                                 (self.hidden_folders, "hidden folder")) if n]
        return f"skipped {' and '.join(what)} (names starting with '.')" if what else ""


def collect(in_dir: Path, out_dir: Path) -> tuple[list[tuple[Path, Path]], Ignored]:
    """(input, output) pairs of the videos and photos under ``in_dir`` (hidden files and folders and
    ``out_dir`` left out), the tree mirrored under ``out_dir``; and how many other files were ignored, with how
    many hidden files and folders were skipped (``Ignored``)."""
    pairs, ignored, hidden_files, hidden_folders, pictures = [], 0, 0, 0, []
    out_resolved = out_dir.resolve()
    for root, dirs, files in os.walk(in_dir):
        hidden_folders += sum(d.startswith(".") for d in dirs)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and Path(root, d).resolve() != out_resolved)
        subtitles = subtitles_by_video(files)
        carried = {sub for name in files if is_video(Path(name)) for sub in subtitles.get(Path(name).stem, ())}
        for name in sorted(files):
            path = Path(root, name)
            if name.startswith("."):
                hidden_files += 1
            elif is_media(path):
                out = out_dir / path.relative_to(in_dir)
                pairs.append((path, _output_name(path, out)))
            elif name not in carried:  # a video's subtitle file goes with it (``copy_sidecars``)
                ignored += 1
                if path.suffix.lower() in STILL_SUFFIXES:
                    pictures.append(path.suffix.lower())
    return pairs, Ignored(ignored, hidden_files, hidden_folders, tuple(pictures))


@dataclass(frozen=True)
class BatchConfig:
    """pairs: (input, output) files; segments: per video (0: automatic, 1 or more when there are fewer
    files than workers); ray: None (local), '' (a local Ray cluster) or a Ray address."""

    pairs: list[tuple[Path, Path]]
    out_dir: Path
    settings: Settings = field(default_factory=Settings)
    jobs: int = 1
    segments: int = 0
    ray: str | None = None
    overwrite: bool = False
    progress: bool = True
    ignored: Ignored = Ignored()  # what the folder held besides videos and photos (``collect``)
    single: bool = False  # one video (``single_video``): runs for other files may write beside it at the same time
    started: float | None = None  # time.perf_counter() where the run's time counts from (before Ray's start); None: now


@dataclass
class Row:
    """One line of the final table: a file, what happened to it, and why (failed) or what was lost."""

    input: Path
    output: Path
    status: str
    frames: int = 0
    wall_s: float = 0.0
    reason: str = ""
    notes: tuple[str, ...] = ()
    segments: int = 1  # the parts a video was enhanced in (``--segments``, or split for idle workers)


@dataclass
class BatchReport:
    rows: list[Row]
    ignored: Ignored
    wall_s: float
    left: int = 0  # files not finished when the run was interrupted (Ctrl-C) or stopped; 0 for a whole run
    stopped: str = ""  # why the batch stopped by itself before them (a full disk); "" for Ctrl-C or a whole run
    remedy: str = "make room there"  # what to do about it before the same command again

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.count("failed") or self.stopped else (3 if self.count("damaged") else 0)

    def table(self, archives: tuple[tuple[Path, str], ...] = ()) -> str:
        """The report, a line a file. archives: (folder, archive name) pairs: the files of an archive unpacked into
        the folder, or written there for a .zip output, are named inside the archive (``export.zip:night/1.jpg``),
        not by the hidden folder they are in."""
        lines = [f"{'status':<8} {'frames':>7} {'time':>7}  file"]

        def named(text) -> str:
            text = str(text)
            for folder, archive in archives:
                text = _in_archive(text, folder, archive)
            return text
        for row in self.rows:
            why = f"  ({named(row.reason)})" if row.reason else ""
            lines.append(f"{row.status:<8} {row.frames:>7} {row.wall_s:>6.1f}s  {named(str(row.input))}{why}")
            lines += [f"{'':<8} note: {named(note)}" for note in row.notes]
        lines.append(f"{self.count('done') + self.count('damaged')} done, {self.count('skipped')} skipped "
                     f"(done before), {self.count('failed')} failed, {self.ignored.other_text(ignored=True)}, "
                     f"{self.wall_s:.1f} s")
        if self.ignored.hidden_text():
            lines.append(self.ignored.hidden_text())
        again = f"the same command again does {'it' if self.left == 1 else 'them'} (what is done is skipped)"
        if self.left and self.stopped:
            lines.append(f"stopped: {self.stopped}; {counted(self.left, 'file')} not finished: {self.remedy}, and "
                         f"{again}")
        elif self.left:
            lines.append(f"interrupted: {counted(self.left, 'file')} not finished; {again}")
        return "\n".join(lines)


def _in_archive(text: str, folder: Path, archive: str) -> str:
    """``text`` (a file's name, a reason, a note) with the paths under ``folder``, where an archive was unpacked,
    named inside the archive (``export.zip:night/1.jpg``)."""
    for prefix in dict.fromkeys((str(folder.resolve()), str(folder))):  # the absolute form first: it holds the other
        text = text.replace(prefix + os.sep, f"{archive}:")
    return text


def _frames_of(path: Path, video_streams: str = "all") -> tuple[int, int]:
    """(the expected frame count of the video stream enhanced first, for the automatic segments; of all the video
    streams enhanced, for the bar: ``video_streams`` 'all' counts a file's other video streams, ``video_passes``),
    from the container's header."""
    if is_photo(path):
        return 1, 1
    try:
        with av.open(str(path)) as container:
            stream = enhanced_stream(container)
            first = frame_count(stream, container, frame_rate(stream) or Fraction(25)) or 1
            others = others_work(container) if video_streams == "all" else ()
            return first, first + sum(n or first for _, _, n in others)
    except (av.error.FFmpegError, AttributeError, ValueError):  # (no video stream: None)
        return 1, 1


def _segment_count(config: BatchConfig, files: int, frames: int) -> int:
    """Explicit --segments; automatic: split when there are fewer files than workers (``--jobs``, or with
    ``--ray`` the tasks the joined cluster runs at once), if long enough."""
    if config.segments:
        return config.segments
    workers = max(config.jobs, 1)
    if config.ray is not None:
        from enlight.stream.apps.cluster import task_slots

        workers = task_slots(config.settings)
    if files >= workers:
        return 1
    return max(1, min(workers, frames // (4 * WARMUP_FRAMES)))


@dataclass
class _File:
    """A file of the batch and, for a segmented video, its segments' tasks and outcomes."""

    input: Path
    output: Path
    tasks: list[Task]
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    folder: Path | None = None  # where its segments are written
    overwrite: bool = False  # its output may replace one from an earlier run (--force, or the manifest's)
    kept: int = 0  # segments an earlier, stopped run had finished (``kept_segments``)
    notes: tuple[str, ...] = ()  # said of the file before it ran (fewer segments than --segments asked for)


def _plan_tasks(config: BatchConfig, manifest: Manifest, rows: list[Row]) -> list[_File]:
    """The tasks still to do; files the manifest says are done become 'skipped' rows (with --force, none:
    everything is done again)."""
    todo = list(config.pairs) if config.overwrite else manifest.to_do(config.pairs)
    doing = set(todo)  # (a list scanned for every pair: 8 s before the first file of a folder of 10,000)
    rows += [Row(src, out, "skipped") for src, out in config.pairs if (src, out) not in doing]
    files, next_id = [], 0
    for src, out in todo:
        overwrite = config.overwrite or manifest.known(src)
        first, frames = _frames_of(src, config.settings.video_streams)
        joinable = is_video(src) and out.suffix.lower() not in UNJOINABLE  # (an .avi output: one piece)
        count = _segment_count(config, len(todo), first) if joinable else 1
        warmup = warmup_frames(config.settings.plan_options.get("denoise", "off"))
        segments, unsplit = _split(src, count, warmup, several=frames > first) if count > 1 else ([], "")
        if len(segments) > 1:
            files.append(_segmented(config, src, out, segments, next_id, overwrite))
        else:
            shutil.rmtree(segment_folder(out), ignore_errors=True)  # an earlier run's, split otherwise
            kind = "video" if is_video(src) else "photo"
            files.append(_File(src, out, [Task(next_id, kind, str(src), str(out), frames, overwrite=overwrite)],
                               overwrite=overwrite))
        if config.segments and segments and len(segments) < config.segments:
            files[-1].notes = (_fewer_segments(config.segments, src, len(segments)),)
        elif unsplit:
            files[-1].notes = (f"--segments: {unsplit}" if config.segments else unsplit,)
        next_id += len(files[-1].tasks)
    return files


def _fewer_segments(asked: int, source: Path, count: int) -> str:
    """The note of a video ``--segments`` could not split as asked: a segment starts at a keyframe, and a phone
    clip or a screen recording may have one every few seconds, or one alone at its start."""
    why = "(a segment starts at a keyframe)"
    if count == 1:
        return f"--segments {asked}: {source.name} has no keyframe after its start to split it at {why}; " \
               "enhanced in one piece"
    return f"--segments {asked}: {source.name} has keyframes to start {count} segments only {why}; enhanced in {count}"


def _segmented(config: BatchConfig, src: Path, out: Path, segments: list, first_id: int, overwrite: bool) -> _File:
    """A video's file of segment tasks, those an earlier run of the same settings finished taken as done."""
    folder = segment_folder(out)
    tasks = [Task(first_id + s.index, "segment", str(src), str(folder / f"{s.index:04d}{out.suffix}"),
                  frames=s.frames, segment=s, overwrite=True) for s in segments]
    kept = kept_parts(folder, segments_key(src, segments, config.settings, out.suffix),
                      [Path(t.output) for t in tasks], fresh=config.overwrite)
    item = _File(src, out, tasks, folder=folder, overwrite=overwrite, kept=len(kept))
    for index in sorted(kept):
        item.outcomes[tasks[index].id] = Outcome(tasks[index], "done", frames=tasks[index].frames)
    return item


def _split(source: Path, count: int, warmup: int, *, several: bool = False) -> tuple[list, str]:
    """(the segments of ``source``, or none; why there are none where that is worth a note). several: it has several
    video streams to enhance (``video_passes``), which are run whole: the segments' join takes one."""
    if several:
        return [], f"{source.name} has several video streams, each enhanced whole, one after another " \
            "(--video-streams first splits the first into segments and copies the others as they are)"
    try:
        return split_video(source, count, warmup), ""
    except ClockJumps as exc:  # (its segments' frames could not be found by their times)
        return [], f"{exc}: enhanced in one piece"
    except EnlightError:
        return [], ""  # unreadable: the single task will fail with its own one-line reason


def _execute(config: BatchConfig, tasks: list[Task], on_frames) -> Iterator[Outcome]:
    if config.ray is not None:
        from enlight.stream.apps.cluster import run_on_ray

        return run_on_ray(tasks, config.settings, address=config.ray or None, on_frames=on_frames)
    return run_local(tasks, config.settings, config.jobs, on_frames)


def _finish_file(item: _File, manifest: Manifest) -> Row:
    """All tasks of a file are in: join its segments (if any), record it, and say how it went."""
    outcomes = [item.outcomes[task.id] for task in item.tasks]
    wall = span_s(outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    frames = sum(o.frames for o in outcomes)
    status, why = ("failed", failed[0].reason) if failed else (
        ("damaged", outcomes[0].reason) if any(o.status == "damaged" for o in outcomes) else ("done", ""))
    joined: tuple[str, ...] = ()
    notes_kept = (f"{item.kept} of {counted(len(item.tasks), 'segment')} kept from the run that stopped",) \
        if item.kept else ()
    if item.folder is not None:
        if not failed:
            try:
                joined = join_segments(item.input, [Path(t.output) for t in item.tasks], item.output,
                                       [t.segment.start_pts for t in item.tasks], overwrite=item.overwrite)
            except EnlightError as exc:
                status, why = "failed", str(exc)
        shutil.rmtree(item.folder, ignore_errors=True)
    manifest.record(item.input, item.output, status, reason=why, frames=frames)
    carried = copy_sidecars(item.input, item.output, overwrite=item.overwrite) \
        if status != "failed" and is_video(item.input) else []
    notes = tuple(dict.fromkeys([*item.notes, *notes_kept, *(note for o in outcomes for note in o.notes), *joined,
                                 *carried]))
    return Row(item.input, item.output, status, frames, wall, why, notes, segments=len(item.tasks))


def run_batch(config: BatchConfig) -> BatchReport:
    """Run the batch; the report's rows say what happened to each file (skipped, done, damaged, failed). A folder's
    run holds its output folder (``folder_run``): one at a time. With ``--ray`` the cluster is joined first: one
    that cannot be reached is an error before anything is written. The report's time counts from ``config.started``
    (the command's, before Ray's start: the table's total left out those seconds), else from here."""
    start = time.perf_counter() if config.started is None else config.started
    with cluster(config.ray):
        config.out_dir.mkdir(parents=True, exist_ok=True)
        with nullcontext() if config.single else folder_run(config.out_dir):
            return _run_batch(config, start)


@contextmanager
def cluster(address: str | None) -> Iterator[str]:
    """Meanwhile this process is on Ray for ``--ray`` (``cluster.ray_session``): address None, no Ray (nothing is
    imported); '' a local cluster; else the cluster there. Yields the note of a cluster joined that ``--ray`` alone
    found running (else '')."""
    if address is None:
        yield ""
        return
    from enlight.stream.apps.cluster import ray_session

    with ray_session(address or None) as joined:
        yield joined


def _run_batch(config: BatchConfig, start: float) -> BatchReport:
    from enlight.progress_bar import progress_bar

    remove_temporaries([out for _, out in config.pairs])  # what a killed run left
    manifest = Manifest(config.out_dir)
    rows: list[Row] = []
    files = _plan_tasks(config, manifest, rows)
    made = _make_folders([item.output.parent for item in files])
    for item in files:
        if item.folder is not None:
            item.folder.mkdir(exist_ok=True)
        manifest.record(item.input, item.output, "started")
    owner = {task.id: item for item in files for task in item.tasks}
    total = sum(t.frames for t in owner_tasks(files))
    bar = progress_bar(total=total, unit="frame", disable=not config.progress or not files)  # (all done before: none)
    finished, left, stopped, remedy = 0, 0, "", BatchReport.remedy
    for item in files:
        if len(item.outcomes) == len(item.tasks):  # every segment kept: stopped while they were joined
            rows.append(_finish_file(item, manifest))
            finished += 1
    bar.set_postfix_str(f"files {finished}/{len(files)}", refresh=False)  # (drawn with the bar's next line: a
    # redraw of its own was a line per file in a log, where the bar draws a line every 30 s)
    outcomes, before = None, {task.id: identity(task) for task in owner_tasks(files)}
    try:
        outcomes = _execute(config, owner_tasks(files), bar.update)
        for outcome in outcomes:
            with stops_deferred():  # (a file's end is never cut in half: its manifest line says done, its row not)
                if _take(outcome, owner, manifest, rows, bar):
                    finished += 1
                    bar.set_postfix_str(f"files {finished}/{len(files)}", refresh=False)
            if outcome.status == "failed" and is_disk_full(outcome.reason):  # so would every file after it
                outcomes.close()  # (the workers stopped)
                stopped, left = outcome.reason.split(";")[0], len(files) - finished
                break
    except KeyboardInterrupt:  # Ctrl-C: the report of what finished, and what is left (the caller exits 130)
        finished += sum(_take(outcome, owner, manifest, rows, bar) for outcome in after_ctrl_c(outcomes))
        finished += sum(_take(outcome, owner, manifest, rows, bar) for outcome in _written_meanwhile(files, before))
        left = len(files) - finished
    except BatchStopped as exc:  # the Ray cluster is gone
        stopped, remedy, left = str(exc), exc.remedy, len(files) - finished
    finally:
        bar.close()  # (a worker stopped mid-segment leaves its temporary beside the segments kept for the next run)
        remove_temporaries([out for _, out in config.pairs] + [Path(t.output) for item in files for t in item.tasks])
        _remove_empty(made)
    rows.sort(key=lambda row: str(row.input))
    return BatchReport(rows, config.ignored, time.perf_counter() - start, left=left, stopped=stopped, remedy=remedy)


def _make_folders(folders: list[Path]) -> list[Path]:
    """Make the output ``folders`` (and their parents) that do not exist yet; the ones made, deepest first."""
    made: set[Path] = set()
    for folder in dict.fromkeys(folders):
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            path.mkdir(exist_ok=True)
            made.add(path)
    return sorted(made, key=lambda path: len(path.parts), reverse=True)


def _remove_empty(made: list[Path]) -> None:
    """Remove the folders this batch made (deepest first) that hold nothing: those of files that failed or were not
    reached (a folder of unreadable photos was left as an empty folder in the output)."""
    for folder in made:
        try:
            folder.rmdir()
        except OSError:  # (not empty)
            pass


def _take(outcome: Outcome, owner: dict[int, _File], manifest: Manifest, rows: list[Row], bar) -> bool:
    """Record a task's outcome with its file (``owner``: task id -> file); True when it was the file's last: the
    file's row is added and the bar's total corrected (its estimated frames, a failure's)."""
    item = owner[outcome.task.id]
    item.outcomes[outcome.task.id] = outcome
    if len(item.outcomes) < len(item.tasks):
        return False
    rows.append(_finish_file(item, manifest))
    bar.total -= sum(t.frames for t in item.tasks) - rows[-1].frames
    return True


def _written_meanwhile(files: list[_File], before: dict[int, tuple | None]) -> Iterator[Outcome]:
    """After Ctrl-C, once the workers stopped: the videos and photos whose task was stopped after it had put its
    complete output in place (an atomic rename, its last step) and before its outcome came back. Their output is
    not the file there before the batch (``before``: task id -> ``identity``): it is done (frames as planned).
    A segment's file is kept for the next run as it is (``kept_segments``)."""
    for item in files:
        task = item.tasks[0]
        if item.folder is None and task.id not in item.outcomes and identity(task) not in (None, before[task.id]):
            yield Outcome(task, "done", frames=task.frames)


def owner_tasks(files: list[_File]) -> list[Task]:
    """The tasks to run: not the segments kept from an earlier run."""
    return [task for item in files for task in item.tasks if task.id not in item.outcomes]


def single_video(source: Path, output: Path, config: BatchConfig) -> BatchConfig:
    """A batch of one long video (--segments / --jobs / --ray on a file): its manifest beside the output."""
    return replace(config, pairs=[(source, output)], out_dir=output.parent, single=True)
