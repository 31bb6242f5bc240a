"""``enlight-video`` for photos, folders and segment-parallel videos (what is not one plain video run).

    enlight-video photo.jpg -o photo_day.jpg [--photo-quality 95]
    enlight-video IN_DIR -o OUT_DIR [--jobs N] [--segments N] [--ray [ADDRESS]]
    enlight-video long.mp4 -o long_day.mp4 --segments 4 [--jobs 4 | --ray]

Names are checked before torch is imported, as for a video.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from enlight.cli.common import existing_output_line, interrupted_exit, print_text
from enlight.cli.unused import Work, pairs_work, photo_work, say_unused
from enlight.errors import EnlightError
from enlight.text import counted

if TYPE_CHECKING:
    from enlight.stream.apps.archive import ArchiveRun
    from enlight.stream.apps.batch import Ignored

PROG = "enlight-video"


def _settings(args, plan_options: dict):
    from enlight.stream.apps.tasks import Settings
    from enlight.stream.io.encoder_settings import EncoderConfig

    cores = os.cpu_count() or 1
    threads = max(1, cores // args.jobs) if args.jobs > 1 or args.ray is not None else 0
    encoder = EncoderConfig(codec=args.codec, crf=args.crf, preset=args.preset, pix_fmt=args.pix_fmt)
    return Settings(plan_options=plan_options, encoder=encoder, grey=args.grey, hdr=args.hdr,
                    photo_quality=args.photo_quality, size=args.size, compare=args.compare,
                    batch_size=args.batch_size, max_memory_gb=args.max_memory, hw_decode=args.hw_decode,
                    threads=threads, video_streams=args.video_streams)


def _photo(args, plan_options: Callable[[list[Path]], dict]) -> int:
    from enlight.stream.io.checks import check_photo_paths

    check_photo_paths(Path(args.input), Path(args.output), overwrite=args.force)
    say_unused(args, lambda: photo_work(Path(args.input), Path(args.output)))
    from enlight.stream.apps.photo import PhotoConfig, enhance_photo
    from enlight.stream.core.plan import make_plan

    existed = Path(args.output).exists()
    try:
        options = plan_options([Path(args.input)])
        plan = make_plan(**options)
        stats = enhance_photo(PhotoConfig(Path(args.input), Path(args.output), plan=plan, grey=args.grey,
                                          quality=args.photo_quality, overwrite=args.force,
                                          max_memory_gb=args.max_memory, progress=not args.quiet,
                                          plan_options=options, compare=args.compare, hdr=args.hdr))
    except KeyboardInterrupt:  # (Ctrl-C, SIGTERM): the photo is written whole or not at all
        print(f"{PROG}: interrupted; {_photo_left(Path(args.output), existed)}", file=sys.stderr)
        return interrupted_exit()
    if not args.quiet:
        why = f"{plan.auto.why}; " if plan.auto is not None else ""
        print(f"{PROG}: {why}{stats.summary()}", file=sys.stderr)
    return 0


def _photo_left(output: Path, existed: bool) -> str:
    """What a photo run stopped before the end left: nothing written, the output as it was before."""
    return f"the photo was not written; {output} left as it was" if existed else f"nothing was written to {output}"


LIST_SUFFIXES = (".txt", ".lst")


def is_list(path: Path) -> bool:
    """A list of inputs: a .txt/.lst file naming one video or photo per line."""
    return path.suffix.lower() in LIST_SUFFIXES and path.is_file()


def _list_pairs(source: Path, out_dir: Path) -> list:
    """(input, OUT_DIR/name) for each line of a list file: paths relative to the list's folder; blank
    lines and lines starting with # skipped. Missing files and clashing names are one-line errors."""
    pairs, names = [], {}
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        path = (source.parent / text).expanduser()
        if not path.is_file():
            raise EnlightError(f"{source}:{number}: not a file: {text}")
        if path.name in names:
            raise EnlightError(f"{source}:{number}: {path.name} would overwrite the output of line {names[path.name]}")
        names[path.name] = number
        pairs.append((path, out_dir / path.name))
    return pairs


def _folder_pairs(args) -> tuple[list, Ignored, Path]:
    source, out_dir = Path(args.input), Path(args.output)
    kind = "a list" if is_list(source) else "a folder"
    if out_dir.exists() and not out_dir.is_dir():
        raise EnlightError(f"the input is {kind}, so the output must be a folder: {out_dir} is a file")
    if out_dir.resolve() == source.resolve():
        raise EnlightError(f"output folder {out_dir} is the input folder; choose another")
    if not out_dir.parent.is_dir():
        raise EnlightError(f"output folder's parent does not exist: {out_dir.parent}")
    from enlight.stream.io.checks import check_writable

    check_writable(out_dir if out_dir.is_dir() else out_dir.parent)
    from enlight.stream.apps.batch import Ignored, collect  # imports torch: after the checks on the names

    if not is_list(source):
        _check_inner_output(source, out_dir)
    pairs, ignored = (_list_pairs(source, out_dir), Ignored()) if is_list(source) else collect(source, out_dir)
    if not pairs:
        hidden = f"; {ignored.hidden_text()}" if ignored.hidden_text() else ""
        raise EnlightError(f"no videos or photos in {source} ({ignored.other_text()}{hidden})")
    return pairs, ignored, out_dir


def _check_inner_output(source: Path, out_dir: Path) -> None:
    """Refuse an output folder inside the input folder that holds videos or photos of its own: the batch leaves the
    output folder out of its inputs (its outputs are not enhanced again), so they would be passed over without a
    word. What an earlier run wrote there (its manifest's outputs) is not the user's own."""
    if not out_dir.is_dir() or not out_dir.resolve().is_relative_to(source.resolve()):
        return
    from enlight.stream.apps.batch import collect
    from enlight.stream.apps.manifest import Manifest

    written = {Path(record.get("output", "")).resolve() for record in Manifest(out_dir).last.values()}
    own = [path for path, _ in collect(out_dir, out_dir)[0] if path.resolve() not in written]
    if own:
        raise EnlightError(f"output folder {out_dir} is inside the input folder and holds videos or photos of its own "
                           f"({counted(len(own), 'file')}, e.g. {own[0].name}), which would not be enhanced: choose "
                           "an output folder outside the input, or move them")


def _archive_pairs(args, packed: ArchiveRun) -> tuple[list, Ignored, Path, list[str]]:
    """An archive's (input, output) pairs, from the folder it is unpacked into (``enlight.stream.apps.archive``)."""
    from enlight.stream.apps.batch import collect

    notes = packed.unpack(say=not args.quiet)
    pairs, ignored = collect(packed.unpacked, packed.out_dir)
    if not pairs:
        raise EnlightError(f"no videos or photos in {args.input} ({ignored.other_text()})")
    return pairs, ignored, packed.out_dir, notes


def _batch(args, plan_options: Callable[[list[Path]], dict]) -> int:
    """A folder, a list, an archive or one video in segments / on workers, its names checked first; with ``--ray``
    the cluster joined before an archive is unpacked or anything written (one out of reach leaves nothing)."""
    from enlight.stream.apps.archive import ArchiveRun, is_archive

    archive = is_archive(Path(args.input))
    many = Path(args.input).is_dir() or is_list(Path(args.input)) or archive
    packed, notes, pairs, ignored = None, [], [], None
    if archive:
        packed = ArchiveRun(Path(args.input), Path(args.output))
        packed.check(overwrite=args.force)
    elif many:
        pairs, ignored, out_dir = _folder_pairs(args)
    else:
        from enlight.stream.io.checks import check_paths

        check_paths(Path(args.input), Path(args.output), overwrite=args.force)
        pairs, out_dir = [(Path(args.input), Path(args.output))], Path(args.output).parent
    from enlight.stream.apps.batch import BatchConfig, Ignored, cluster, run_batch, single_video
    from enlight.stream.apps.manifest import Manifest

    started = time.perf_counter()  # (the report's time: Ray's start counts)
    with cluster(args.ray) as joined:
        if joined and not args.quiet:  # (said first: a cluster of other machines, or of other resources, than asked)
            print(f"{PROG}: note: {joined}", file=sys.stderr)
        if packed is not None:
            pairs, ignored, out_dir, notes = _archive_pairs(args, packed)
        say_unused(args, lambda: pairs_work(pairs, folder=many))
        # (the estimate is for the files a run does: one that skipped every file gave the first's, and a bar of 0)
        candidates = _candidates(pairs if args.force or not many else Manifest(out_dir).to_do(pairs))
        settings = replace(_settings(args, plan_options(candidates)),
                           photo_plan_options=_photo_options(args, candidates, plan_options))
        config = BatchConfig(pairs=pairs, out_dir=out_dir, settings=settings, jobs=args.jobs,
                             segments=args.segments or 0, ray=args.ray, overwrite=args.force,
                             progress=not args.quiet, ignored=ignored or Ignored(), started=started)
        if not many:
            return _single(single_video(Path(args.input), Path(args.output), config), args.quiet)
        report = run_batch(config)
        if packed is not None:
            notes += packed.finish(left=report.left, failed=report.count("failed"), overwrite=args.force)
    if not args.quiet or report.count("failed") or report.left:
        print(report.table(() if packed is None else packed.named_folders()), file=sys.stderr)
    for note in notes if not args.quiet else ():
        print(f"{PROG}: note: {note}", file=sys.stderr)
    return interrupted_exit() if report.left and not report.stopped else report.exit_code


def _single(config, quiet: bool) -> int:
    """One video in segments or on workers (``--segments``, ``--jobs``, ``--ray`` on a file): run as a batch of one,
    told as a plain run tells it (a summary line, an error line, or what a stop kept), and no batch manifest left
    beside the output unless one was there (a folder's, with other files) or the run was stopped (the next one
    resumes from it)."""
    from enlight.stream.apps.batch import run_batch
    from enlight.stream.apps.manifest import MANIFEST, Manifest

    (source, output), manifest = config.pairs[0], config.out_dir / MANIFEST
    # one there before is kept (a folder's), unless it is what a stopped run of this file left
    kept = manifest.exists() and set(Manifest(config.out_dir).last) != {str(source)}
    report = run_batch(config)
    if not kept and not report.left:
        manifest.unlink(missing_ok=True)
    if report.left and not report.count("failed"):  # stopped: the file has no row
        print(f"{PROG}: {_stop_line(report.stopped, output)}", file=sys.stderr)
    for row in report.rows:
        if row.status == "failed":
            print(f"{PROG}: error: {row.reason}", file=sys.stderr)
            continue
        state = " (damaged: some of it could not be read)" if row.status == "damaged" else ""
        if not quiet or state:
            parts = f" ({row.segments} segments)" if row.segments > 1 else ""
            # (the run's time: the row's adds up its segments' workers, which ran at once)
            print(f"{PROG}: {counted(row.frames, 'frame')}{parts} in {report.wall_s:.1f} s{state} -> {row.output}",
                  file=sys.stderr)
        for note in row.notes if not quiet else ():
            print(f"{PROG}: note: {note}", file=sys.stderr)
    return interrupted_exit() if report.left and not report.stopped else report.exit_code


def _stop_line(stopped: str, output: Path) -> str:
    """What a stopped segmented run of one video says (Ctrl-C: ``stopped`` empty; a full disk: why): the segments it
    finished, which the same command again takes, and the output left as it was."""
    from enlight.stream.apps.manifest import segment_folder

    folder = segment_folder(output)
    done = len([p for p in folder.glob(f"*{output.suffix}") if not p.name.startswith(".")]) if folder.is_dir() else 0
    kept = f"{counted(done, 'segment')} finished, kept in {folder}: the same command again goes on from them" \
        if done else "no segment had finished"
    head = f"error: {stopped}" if stopped else "interrupted"
    return f"{head}; {kept}; {output} left untouched"


def _photo_options(args, candidates: list[Path], plan_options: Callable[[list[Path]], dict]) -> dict | None:
    """A folder of videos and photos under ``--quality auto``: the photos' own choice (``best``, as for one photo,
    where the videos' may be ``fast`` on a CPU), made for its first photo; None where all tasks share one."""
    from enlight.stream.io.photo_formats import is_photo

    photos = [path for path in candidates if is_photo(path)]
    if args.quality != "auto" or not photos or len(photos) == len(candidates):
        return None
    return plan_options(photos)


def _dry_run(args, source: Path, photo: bool, plan_options: Callable[[list[Path]], dict]) -> int:
    """--dry-run: the plan as the run uses it (a still photo's without temporal smoothing); for a folder whose
    photos get their own ``--quality auto`` choice (``_photo_options``), the videos' plan and then the photos'."""
    from enlight.stream.apps.photo import still_plan
    from enlight.stream.core.plan import make_plan
    from enlight.stream.io.animation import frame_count
    from enlight.stream.io.photo_formats import holds_deep, is_photo, photo_size
    from enlight.stream.io.photo_reader import read_photo

    inputs = _inputs(source)
    if not inputs:
        raise EnlightError(f"no videos or photos in {source}")
    if photo and photo_size(source) is None:  # (the run opens it first: a dry run says what the run would)
        read_photo(source)
    photos = _photo_options(args, inputs, plan_options) if len(inputs) > 1 else None
    pictures = sum(is_photo(path) for path in inputs)
    lines = [f"the videos ({len(inputs) - pictures}):"] if photos is not None else []
    plan = make_plan(**plan_options(inputs))
    stills = bool(inputs) and all(is_photo(path) and frame_count(path) == 1 for path in inputs)  # a folder of photos
    if photo and frame_count(source) == 1:
        plan = replace(still_plan(plan), deband=not holds_deep(source))  # (a deep photo is never debanded)
    lines.append((still_plan(plan) if stills else plan).describe())
    if photos is not None:
        lines.append(f"\nthe photos ({pictures}):\n{still_plan(make_plan(**photos)).describe()}")
    lines += existing_output_line(Path(args.output), force=args.force) if photo else []
    print_text("\n".join(lines))
    return 0


def _candidates(pairs: list) -> list[Path]:
    """The inputs ``--quality auto`` may decide for in a batch, in order: its videos, then its photos
    (it decides for the first whose header reads)."""
    from enlight.stream.io.photo_formats import is_photo

    sources = [source for source, _ in pairs]
    return [s for s in sources if not is_photo(s)] + [s for s in sources if is_photo(s)]


def _inputs(source: Path) -> list[Path]:
    """``_candidates`` of a folder, a list or an archive (its members' names), or ``source`` itself."""
    if not (is_list(source) or source.is_dir() or _is_archive(source)):
        return [source]
    return _candidates(_input_pairs(source))


def _is_archive(source: Path) -> bool:
    from enlight.stream.apps.archive import is_archive

    return is_archive(source)


def _input_pairs(source: Path) -> list[tuple[Path, Path]]:
    """(input, output) of each video or photo of a folder, a list or an archive (its members' names, twice), the
    outputs named as a run into ``source``'s own folder names them: for what their kinds are, not to write."""
    from enlight.stream.apps.archive import member_names
    from enlight.stream.apps.batch import collect, is_media

    if _is_archive(source):
        return [(Path(name), Path(name)) for name in member_names(source) if is_media(name)]
    return _list_pairs(source, source.parent) if is_list(source) else collect(source, source)[0]


def _dry_run_work(args, source: Path, *, photo: bool, folder: bool) -> Work:
    """The ``Work`` of the run a --dry-run shows (for its notes on options that do nothing there): a photo, a
    folder, a list or an archive, or one video in segments / on workers."""
    if photo:
        return photo_work(source, Path(args.output))
    return pairs_work(_input_pairs(source) if folder else [(source, Path(args.output))], folder=folder)


def _numbered_refusal(folder: bool, photo: bool) -> str:
    """Why a numbered output (``f_%04d.png``: one picture a frame) does not fit this run."""
    if folder:
        return "a folder is enhanced into a folder (-o FOLDER); numbered pictures come from one video"
    if photo:
        return "a photo is enhanced into one photo (-o NAME.jpg); numbered pictures come from a video"
    return "--segments, --jobs and --ray write video files; numbered pictures are written by one plain run"


def _stream_refusal(output: str, folder: bool, photo: bool) -> str:
    """Why a stream output (a URL, or - for stdout) does not fit this run: one plain run of one video sends it (a
    folder's run made a folder named -, and --segments read rtmp://host/live/x as the folder rtmp:/host/live)."""
    if folder:
        return f"a folder is enhanced into a folder (-o FOLDER), not into the stream {output}"
    if photo:
        return f"a photo is enhanced into a photo file, not into the stream {output}"
    return f"--segments, --jobs and --ray write video files; the stream {output} is sent by one plain run"


def enhance_many(args, plan_options: Callable[[list[Path]], dict]) -> int | None:
    """Run a photo, a folder, or a video in segments / on Ray; None when ``args`` ask for one plain video run.
    plan_options(inputs): ``make_plan``'s keyword arguments, asked for after the names are checked (it imports
    torch); ``--quality auto`` decides for the first of ``inputs`` that reads: the photo, the video, or a folder's
    first video."""
    from enlight.stream.apps.archive import is_archive
    from enlight.stream.io.locations import is_sequence, is_stream
    from enlight.stream.io.photo_formats import written_as_photo

    source = Path(args.input)
    folder = source.is_dir() or is_list(source) or is_archive(source)
    photo = not folder and not is_sequence(args.input) and written_as_photo(source, Path(args.output))
    parallel = (args.segments or 0) > 1 or args.jobs > 1 or args.ray is not None
    if not (folder or photo or parallel):
        return None
    if args.span is not None and (folder or photo or parallel):
        raise EnlightError("--start, --end and --duration cut one video in one plain run (not a folder, a photo, "
                           "--segments, --jobs or --ray)")
    if args.size is not None and photo:
        raise EnlightError("--size scales a video; a photo keeps its size")
    if is_sequence(args.output) and (folder or photo or parallel):
        raise EnlightError(_numbered_refusal(folder, photo))
    if is_stream(args.output) and (folder or photo or parallel):
        raise EnlightError(_stream_refusal(args.output, folder, photo))
    if photo and parallel:
        raise EnlightError("--segments, --jobs and --ray are for videos and folders; a photo is enhanced in one run")
    if parallel and is_sequence(args.input):
        raise EnlightError("--segments, --jobs and --ray are for video files and folders; an image sequence is "
                           "enhanced in one run")
    from enlight.stream.io.checks import UNJOINABLE

    if (args.segments or 0) > 1 and not folder and Path(args.output).suffix.lower() in UNJOINABLE:
        raise EnlightError(f"--segments cannot join parts into {Path(args.output).suffix} (a part there keeps no "
                           "start of its own); write .mkv, .mp4, .mov or .ts, or leave --segments out")
    if args.max_frames is not None and not photo:  # the batch's tasks run whole files and segments
        why = "a folder or a list" if folder else "--segments, --jobs or --ray"
        raise EnlightError(f"--max-frames applies to one plain run of a video, not to {why} (it would be ignored)")
    if args.dry_run:
        say_unused(args, lambda: _dry_run_work(args, source, photo=photo, folder=folder))
        return _dry_run(args, source, photo, plan_options)
    if photo and not parallel:
        return _photo(args, plan_options)
    return _batch(args, plan_options)
