"""Options given where they can do nothing: one note line each, never silence.

Each option in ``RULES`` acts on one kind of thing a run reads or writes (the frames of a video, a picture written
at a quality, a network location, ...). A run says what it reads and writes as a ``Work``; ``unused_notes`` gives,
for the options the user gave (``enlight.cli.common.given_options``) whose thing the run has none of, one line:

    --smoothing and --smooth do nothing here: a still photo is one frame, with nothing to smooth over time

(Options that can only be a mistake in a kind of run, the live mode's in a file run and the other way round, are
refused in one line instead: ``enlight.cli.video``'s ``_check_not_live`` and ``_check_live``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from enlight.errors import EnlightError
from enlight.text import listed

VIDEO = "video"  # Work.inputs: the frames of a video decoded by FFmpeg (a file, a stream, numbered pictures, a camera)
STILL = "still"  # Work.inputs: a still photo, one frame
MOVING = "moving"  # Work.inputs: an animated picture or a motion photo (its frames go through as a clip)
STREAM = "stream"  # Work.outputs: a video written to a pipe or a URL (VIDEO: an encoded video file)


@dataclass(frozen=True)
class Work:
    """What a run reads and writes, as far as an option that acts on one kind of thing cares.
    inputs: VIDEO, STILL, MOVING; outputs: VIDEO, STREAM, or the suffix of the pictures written ('.png', '.jpg');
    network: a URL is read or written; folder: a folder, a list or an archive (its outputs named as its inputs);
    numbered: the pictures are numbered, one a frame (-o f_%04d.png); camera: a live run's source kind ('device',
    'network', 'pipe', 'file'; None: not a live run); hdr: a photo read is HDR, PQ or HLG (``--hdr`` acts on
    it: ``enlight.stream.io.hdr_photo``)."""

    inputs: frozenset[str] = field(default_factory=frozenset)
    outputs: frozenset[str] = field(default_factory=frozenset)
    network: bool = False
    folder: bool = False
    numbered: bool = False
    camera: str | None = None
    hdr: bool = False

    def __or__(self, other: Work) -> Work:
        return Work(self.inputs | other.inputs, self.outputs | other.outputs, self.network or other.network,
                    self.folder or other.folder, self.numbered or other.numbered, self.camera or other.camera,
                    self.hdr or other.hdr)


def location_work(source, output, *, camera: bool = False) -> Work:
    """The ``Work`` of a run of one video, stream or camera: ``source`` and ``output`` are
    ``enlight.stream.io.locations.Location``s (``output`` None: a live run without -o)."""
    if output is None:
        written = VIDEO  # (a live run: the r key records a video file)
    else:
        written = Path(output.text).suffix.lower() if output.kind == "sequence" else \
            VIDEO if output.is_file else STREAM
    network = "network" in (source.kind, output.kind if output is not None else "")
    return Work(frozenset({VIDEO}), frozenset({written}), network=network,
                numbered=output is not None and output.kind == "sequence", camera=source.kind if camera else None)


def photo_work(source: Path, output: Path, *, folder: bool = False) -> Work:
    """The ``Work`` of one photo enhanced into ``output``: a still, or one whose frames go through as a clip (an
    animated picture, or a motion photo whose clip a JPEG output keeps)."""
    from enlight.stream.io.hdr_photo import is_hdr_photo

    return Work(frozenset({MOVING if _moves(source, output) else STILL}), frozenset({output.suffix.lower()}),
                folder=folder, hdr=is_hdr_photo(source))


def pairs_work(pairs: Iterable[tuple[Path, Path]], *, folder: bool) -> Work:
    """The ``Work`` of a batch's (input, output) pairs: videos and photos (a folder, a list, an archive, or one
    video in segments)."""
    from enlight.stream.io.photo_formats import is_photo

    work = Work(folder=folder)
    for source, output in pairs:
        work = work | (photo_work(source, output, folder=folder) if is_photo(source) else
                       Work(frozenset({VIDEO}), frozenset({VIDEO}), folder=folder))
    return work


def _moves(source: Path, output: Path) -> bool:
    from PIL import Image

    from enlight.stream.io.animation import frame_count
    from enlight.stream.io.motion_photo import holds_clip
    from enlight.stream.io.photo_formats import JPEG_SUFFIXES
    from enlight.stream.io.photo_metadata import xmp_packet

    if frame_count(source) > 1:
        return True
    if source.suffix.lower() not in JPEG_SUFFIXES or output.suffix.lower() not in JPEG_SUFFIXES:
        return False
    try:
        with Image.open(source) as image:
            return holds_clip(source, xmp_packet(image))
    except (OSError, ValueError, SyntaxError):  # (the run itself says what is wrong with it)
        return False


def _written(work: Work) -> str:
    """What a run writes, for a note: 'a video', 'a PNG picture', 'numbered JPEG pictures', 'videos and PNG
    pictures' (a folder)."""
    kinds = [("videos" if work.folder else "a video") if kind == VIDEO else "a stream" if kind == STREAM else
             _pictures(kind, work) for kind in sorted(work.outputs)]
    return listed(kinds) or "nothing"


def _pictures(suffix: str, work: Work) -> str:
    from enlight.stream.io.photo_formats import photo_format

    try:
        name = photo_format(Path(f"picture{suffix}"))
    except EnlightError:
        name = suffix.lstrip(".").upper()
    name = {"HEIF": "HEIC", "JXL": "JPEG XL", "PPM": "Netpbm", "JPEG2000": "JPEG 2000"}.get(name, name)
    return f"numbered {name} pictures" if work.numbered else f"{name} pictures" if work.folder else f"a {name} picture"


def _read(work: Work) -> str:
    stills = "still photos" if work.folder else "a still photo"
    return stills if work.inputs <= {STILL} else "photos" if work.folder else "a photo"


def _no_motion(work: Work) -> str | None:
    if work.inputs and work.inputs <= {STILL}:
        return f"{'each photo here' if work.folder else 'a still photo'} is one frame, with nothing to smooth over time"
    return None


def _no_lossy_pictures(work: Work) -> str | None:
    from enlight.stream.io.photo_formats import LOSSY_SUFFIXES

    if work.outputs & LOSSY_SUFFIXES:
        return None
    video = " (a video's quality is --crf)" if work.outputs & {VIDEO, STREAM} else ""
    return f"it sets the quality of JPEG, WebP, AVIF, HEIC, JPEG XL and JPEG 2000 pictures, and this run writes " \
           f"{_written(work)}{video}"


def _no_video_written(work: Work) -> str | None:
    if work.outputs & {VIDEO, STREAM}:
        return None
    return f"this run writes {_written(work)}, not a video (a JPEG's or WebP's quality is --photo-quality)"


def _no_container(work: Work) -> str | None:
    if work.folder and VIDEO in work.outputs:
        return "each video of a folder is written as the kind of file it was (a .mkv as .mkv)"
    if work.outputs & {VIDEO, STREAM}:
        return None
    return f"this run writes {_written(work)}, not a video or a stream"


def _no_video_read(work: Work) -> str | None:
    if VIDEO in work.inputs or not work.inputs:
        return None
    return f"this run reads {_read(work)}, not a video ({'a photo is' if not work.folder else 'photos are'} " \
        "enhanced whole, or in tiles where memory is short)"


def _no_hdr_read(work: Work) -> str | None:
    if VIDEO in work.inputs or work.hdr or not work.inputs:
        return None
    return f"this run reads {_read(work)}, not a video, and {'none is' if work.folder else 'it is not'} HDR (PQ or HLG)"


def _no_network(work: Work) -> str | None:
    return None if work.network else "this run reads and writes no URL (it limits a network open, read or send)"


def _no_file_written(work: Work) -> str | None:
    return "a stream has no file to overwrite" if work.outputs == {STREAM} else None


def _not_a_file(work: Work) -> str | None:
    if work.camera in (None, "file"):
        return None
    return f"this source is a {_source(work)}; --loop plays a file given to --camera again at its end"


def _not_retried(work: Work) -> str | None:
    if work.camera not in ("file", "pipe"):
        return None
    return f"a {_source(work)} is not opened again when it ends, only a camera or a network stream when it is lost"


def _source(work: Work) -> str:
    return {"device": "camera", "network": "network stream", "pipe": "pipe (stdin)"}.get(work.camera or "", "file")


# (options, why they do nothing in a run: a reason, or None where they act on something in it)
RULES: tuple[tuple[tuple[str, ...], Callable[[Work], str | None]], ...] = (
    (("--smoothing", "--smooth"), _no_motion),
    (("--photo-quality",), _no_lossy_pictures),
    (("--codec", "--crf", "--preset", "--pix-fmt"), _no_video_written),
    (("--format",), _no_container),
    (("--hw-decode", "--batch-size", "--segments", "--max-frames", "--video-streams"), _no_video_read),
    (("--hdr",), _no_hdr_read),
    (("--timeout",), _no_network),
    (("--force",), _no_file_written),
    (("--loop",), _not_a_file),
    (("--reconnect-timeout",), _not_retried),
)


def unused_notes(given: Iterable[str], work: Callable[[], Work]) -> list[str]:
    """One line for each rule whose options ``given`` has ('--crf', ...) and which does nothing in the run that
    ``work()`` describes (asked for only where such an option was given)."""
    return [line for _, line in _unused(given, work)]


def _unused(given: Iterable[str], work: Callable[[], Work]) -> list[tuple[list[str], str]]:
    """``unused_notes``'s lines, each with the options it names."""
    asked = [names for names, _ in RULES if set(names) & set(given)]
    if not asked:
        return []
    run = work()
    notes = []
    for names, why in RULES:
        named = [name for name in names if name in given]
        reason = why(run) if named else None
        if reason is not None:
            verb = "does" if len(named) == 1 else "do"
            notes.append((named, f"{listed(named)} {verb} nothing here: {reason}"))
    return notes


def turned_off(given: Iterable[str], smoothing: float | None) -> list[str]:
    """One line for an option that another option's value turns off: ``--smooth`` (what is smoothed over time)
    with ``--smoothing 0`` (nothing is). ``smoothing``: the run's --smoothing (None where it has none)."""
    if "--smooth" in given and smoothing == 0:
        return ["--smooth does nothing here: --smoothing 0 turns the smoothing over time off"]
    return []


def say_unused(args, work: Callable[[], Work]) -> None:
    """Print ``unused_notes`` for the options ``args.given`` names, and ``turned_off``'s where those left --smooth
    alone, as note lines on stderr (none with --quiet)."""
    import sys

    if args.quiet:
        return
    notes = _unused(args.given, work)
    lines = [line for _, line in notes]
    if not any("--smooth" in named for named, _ in notes):  # (one note for --smooth, not two)
        lines += turned_off(args.given, getattr(args, "smoothing", None))
    for line in lines:
        print(f"enlight-video: note: {line}", file=sys.stderr)
