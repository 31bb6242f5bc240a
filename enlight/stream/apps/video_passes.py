"""Every video stream of a file enhanced (``--video-streams all``, the default): a dual-camera dashcam's rear camera, a
360 camera's second lens, a DVR's second channel are as dark at night as the first.

The pipeline (``enlight.stream.apps.pipeline``) enhances one video stream a pass. Each other video stream gets a pass
of its own first, over the same input (the same part: ``--start``/``--end``, the same ``--size``, ``--compare``),
which enhances it alone, keeping its own colour, size, rotation, rate, timestamps and pixel aspect ratio, into a
hidden temporary file beside the output (named as the output's temporaries are, ``enlight.stream.io.temporary``:
removed when the run ends, well or not, Ctrl-C included, and by the next run where a killed one left it). Then the
output's pass enhances the first video stream, copies the other streams as a single run does, and copies the other
passes' streams from their files into their places among them (``enlight.stream.io.enhanced_tracks``): the output
keeps the input's stream order, the streams' tags and flags. One progress bar counts the frames of every stream, and
the summary line counts them all, with a part for each stream.

The other video streams are copied as they are, with a note, where no pass of their own can be made: a stream input
(a URL, stdin) is read once, and a stream output is sent as it is made; or where ``--video-streams first`` asks for
it (faster). Numbered pictures and an animated picture hold one picture: their sinks say what they left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from enlight.errors import EnlightError
from enlight.stream.apps.progress import FrameProgress
from enlight.stream.io.enhanced_tracks import MadeVideo
from enlight.stream.io.input_open import open_input
from enlight.stream.io.input_streams import VideoChoice, enhanced_stream, other_videos, passthrough_streams
from enlight.stream.io.locations import Location, muxer_for
from enlight.stream.io.span import EmptySpan, Span
from enlight.stream.io.stream_copy import check_held
from enlight.stream.io.temporary import temporary_path
from enlight.stream.io.upright import PICTURE_MUXERS
from enlight.stream.io.video_stream import frame_count, frame_rate

VIDEO_STREAMS = ("all", "first")  # --video-streams
_PICTURE_SUFFIXES = (".gif", ".webp", ".apng")
FIRST_ONLY = "--video-streams first enhances the first only"  # the note's reason, where it was asked for


@dataclass(frozen=True)
class VideoStreams:
    """What a run does with an input's video streams. main: the first's index; passes: the other video streams
    enhanced, each in a pass of its own, in the input's order (none: a single run); frames: the frames expected of
    all the streams enhanced (the progress bar's total; None: unknown); why_copied: why the other video streams left
    are copied as they are (each one's note; '': no note); span: the part the other streams' passes read (the run's,
    ended where ``--max-frames`` frames of the first stream end)."""

    main: int = 0
    passes: tuple[int, ...] = ()
    frames: int | None = None
    why_copied: str = ""
    span: Span | None = None


@dataclass(frozen=True)
class Pass:
    """One pass of the pipeline over the input: the location it writes, which video stream it enhances and what
    becomes of the others (``VideoChoice``), the run's progress bar where passes share one (None: its own), and the
    other streams' passes' files it copies in (the output's pass)."""

    output_at: Location
    video: VideoChoice = VideoChoice()
    bar: FrameProgress | None = None
    made: tuple[MadeVideo, ...] = ()

    @property
    def alone(self) -> bool:
        """Whether it enhances another video stream alone into a temporary file (not the output's pass)."""
        return self.video.index is not None


def plan_videos(source_at: Location, output_at: Location, choice: str = "all", span: Span | None = None,
                max_frames: int | None = None) -> VideoStreams:
    """The passes a run makes of the input at ``source_at`` into ``output_at`` (``choice``: --video-streams); a
    file's header is read (no frame is decoded)."""
    why = first_only(source_at, output_at, choice)
    if why is not None:
        return VideoStreams(why_copied=why)
    with open_input(source_at) as container:
        main, their_span, counted = _others_counted(container, span, max_frames)
        if not counted:
            return VideoStreams(why_copied="this FFmpeg has no decoder for it" if other_videos(container) else "")
        counts = [_frames(main, container, span, max_frames), *(frames for _, frames in counted)]
        indices = main.index, tuple(s.index for s, _ in counted)  # (read while the file is open)
        undecoded = len(counted) < len(other_videos(container))
        _check_output_holds(output_at, passthrough_streams(container))
    return VideoStreams(*indices, None if None in counts else sum(counts),
                        "this FFmpeg has no decoder for it" if undecoded else "", their_span)


def _check_output_holds(output_at: Location, streams: list) -> None:
    """The one-line refusal of an output that cannot hold one of the input's sound or subtitle streams, made before
    the other video streams' passes (``stream_copy.check_held``) rather than at the output's pass, after them."""
    muxer = muxer_for(output_at.text, output_at.format)
    if muxer is not None:  # (else the output's own opening says what is wrong with it)
        check_held(muxer, Path(output_at.text), streams)


def first_only(source_at: Location, output_at: Location, choice: str) -> str | None:
    """Why only the first video stream is enhanced (the note on each other one copied as it is; '': none), or None
    where every one can be."""
    if output_at.kind == "sequence" or output_at.format in PICTURE_MUXERS or \
            (output_at.is_file and Path(output_at.text).suffix.lower() in _PICTURE_SUFFIXES):
        return ""  # (one picture a frame: what the output leaves out, its sink says)
    if choice == "first":
        return FIRST_ONLY
    if not source_at.is_file:
        return "a stream input is read once, and only its first video stream is enhanced"
    if not output_at.is_file:
        return "a stream output is sent as it is made, with only the first video stream enhanced (a file output " \
               "gets every one enhanced)"
    return None


def others_work(container, span: Span | None = None, max_frames: int | None = None
                ) -> tuple[tuple[int, int, int | None], ...]:
    """(width, height, frames expected) of each other video stream a run enhances in a pass of its own
    (``plan_videos``), from ``container``'s header: what ``--quality auto``'s estimate counts besides the first."""
    return tuple((s.codec_context.width, s.codec_context.height, frames)
                 for s, frames in _others_counted(container, span, max_frames)[2])


def _others_counted(container, span: Span | None, max_frames: int | None) -> tuple:
    """(the first video stream, the part the others' passes read, [(stream, frames expected)] of each other video
    stream this FFmpeg decodes): empty where the first cannot be decoded (no pass is made)."""
    main = enhanced_stream(container)
    if main is None or main.codec_context is None:
        return main, span, []
    their_span = _span_of_others(span, max_frames, frame_rate(main) or Fraction(30))
    return main, their_span, [(s, _frames(s, container, their_span)) for s in other_videos(container)
                              if s.codec_context is not None]


def _span_of_others(span: Span | None, max_frames: int | None, rate: Fraction) -> Span | None:
    """The part of the input the other video streams' passes read: ``span``, ended where ``max_frames`` frames of the
    first stream (at ``rate``) end."""
    if max_frames is None:
        return span
    start = span.start if span is not None else Fraction(0)
    end = start + Fraction(max_frames) / rate
    return Span(start, end if span is None or span.end is None else min(end, span.end))


def _frames(stream, container, span: Span | None, max_frames: int | None = None) -> int | None:
    """The frames a pass is expected to enhance of ``stream``, from the header (as ``VideoSource`` counts them)."""
    rate = frame_rate(stream) or Fraction(30)
    count = frame_count(stream, container, rate)
    if span is not None:
        count = span.frames(rate, count)
    if max_frames is not None:
        count = min(count, max_frames) if count is not None else max_frames
    return count


def enhance_all(config, videos: VideoStreams, output_at: Location, run_pass: Callable) -> object:
    """Run the passes of ``videos`` (``run_pass(config, Pass) -> RunStats``, the pipeline's), the other video streams'
    first, the output's last; the temporary files removed whatever happens. Returns the output pass's ``RunStats``
    with the others' counted in (``parts``)."""
    bar = FrameProgress(videos.frames, enabled=config.progress)
    made: list[Path] = []  # (each listed before its pass starts: removed whatever happens)
    parts, left_out = [], []
    try:
        for index in videos.passes:
            made.append(temporary_path(Path(output_at.text)))
            at = Location(str(made[-1]), str(made[-1]), "file", output_at.format)
            stats = _other_pass(run_pass, replace(config, span=videos.span, max_frames=None),
                                Pass(at, VideoChoice(index), bar))
            if stats is None:  # (no frame of it in the part read)
                left_out.append(f"video stream #{index} has no frame from {videos.span.describe()}: the output has "
                                "none of it")
                continue
            parts.append((index, stats, MadeVideo(index, made[-1], stats.first_s)))
        choice = VideoChoice(elsewhere=videos.passes, why_copied=videos.why_copied)
        final = run_pass(config, Pass(output_at, choice, bar, tuple(video for _, _, video in parts)))
    finally:
        bar.close()
        for path in made:
            path.unlink(missing_ok=True)
    final = replace(final, notes=(*final.notes, *left_out))
    return joined(final, videos.main, [(index, stats) for index, stats, _ in parts]) if parts else final


def _other_pass(run_pass: Callable, config, step: Pass):
    """``run_pass`` of another video stream; its one-line error says which stream, and how to leave it as it is.
    None for a stream with no frame in the part read (a rear camera unplugged before it)."""
    try:
        return run_pass(config, step)
    except EmptySpan:
        return None
    except EnlightError as exc:
        raise EnlightError(f"video stream #{step.video.index}: {exc} (--video-streams first copies it as it is)") \
            from None


def joined(final, main: int, parts: list):
    """The output pass's ``RunStats`` (``final``, of the video stream ``main``) with the other streams' passes
    (``parts``: (index, RunStats)) counted in: their frames and stage times added, their notes and damage said of
    their stream, and a part for each stream in the summary line."""
    notes = list(final.notes)
    for index, part in parts:
        notes += [f"video stream #{index}: {note}" for note in part.notes]
        notes += [f"video stream #{index}: {part.damage}"] if part.damage is not None else []
    damage = final.damage or next((part.damage for _, part in parts if part.damage is not None), None)
    return replace(final, frames=final.frames + sum(part.frames for _, part in parts),
                   decode_s=final.decode_s + sum(part.decode_s for _, part in parts),
                   enhance_s=final.enhance_s + sum(part.enhance_s for _, part in parts),
                   encode_s=final.encode_s + sum(part.encode_s for _, part in parts),
                   notes=tuple(dict.fromkeys(notes)), damage=damage, parts=((main, final), *parts))


__all__ = ["FIRST_ONLY", "VIDEO_STREAMS", "Pass", "VideoStreams", "enhance_all", "first_only", "joined", "others_work",
           "plan_videos"]
