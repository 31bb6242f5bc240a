"""Long videos in keyframe-aligned segments that run in parallel, joined without re-encoding.

    split_video(path, n, warmup)  -> n Segments, boundaries at the source's keyframes (packet index only)
    run_segment(task, ...)        -> the segment's frames enhanced and encoded into their own file;
                                     it starts ``warmup`` frames early so the temporal state (smoothing,
                                     denoising) is warmed up at the join, and discards those frames
    join_segments(source, parts, output, starts)
                                  -> the segments' video packets remuxed into one file (no re-encoding),
                                     the source's audio, subtitle and data packets and attachments
                                     copied once, the source's container metadata and rotation, each
                                     part's times aligned to the source's (``starts``: its first frame);
                                     temporary file + atomic rename

Every segment is encoded with the same encoder settings and the source's timestamps, so its packets
drop into one stream. The join refuses (one line) segments whose encoder headers differ.
The smoother's state at a join is rebuilt from ``warmup`` frames instead of the whole past: the
difference it leaves decays as strength**warmup (docs/benchmarks.md measures it).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from functools import partial
from itertools import islice
from pathlib import Path

import av
import numpy as np

from enlight.errors import EnlightError, reason
from enlight.stream.apps.compare import Compare, compared_info
from enlight.stream.apps.tasks import Segment, Settings, Task
from enlight.stream.apps.video_passes import FIRST_ONLY
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.io.chroma import GreyDecision
from enlight.stream.io.clock_jumps import BACK, THRESHOLD, jumps, move_packet
from enlight.stream.io.codec_delay import edit_priming
from enlight.stream.io.covers import add_covers, mux_covers, read_covers
from enlight.stream.io.encoder_settings import resolve_preset
from enlight.stream.io.input_streams import PASSTHROUGH_TYPES, VideoChoice, enhanced_stream, passthrough_streams
from enlight.stream.io.muxer_trials import marks_not_kept
from enlight.stream.io.output_muxer import muxer_options
from enlight.stream.io.sink import VideoSink, drop_partial
from enlight.stream.io.source import VideoSource
from enlight.stream.io.source_items import DecodedFrame
from enlight.stream.io.spherical import MP4_MUXERS, add_spherical, read_spherical, spherical_not_kept
from enlight.stream.io.stream_copy import (
    PassedStreams,
    copy_attachments,
    held_streams,
    hidden_by_edit,
    holds_attachments,
    keep_sample_aspect,
)
from enlight.stream.io.temporary import temporary_path
from enlight.stream.io.video_stream import frame_rate

WARMUP_FRAMES = 16  # 0.8**16 = 0.03: what is left of the past the smoother's state would have had
# The denoiser remembers more: its running mean keeps n/(n+1) of the past with n up to 8 (light) or 16
# (strong) frames; after 64 frames (8/9)**64 = 5e-4 and (16/17)**64 = 0.02 of it is left (with 16 frames
# of warm-up, a join differed from the single run by 0.3-0.7 levels on average for the rest of a clip).
DENOISED_WARMUP_FRAMES = 64


def warmup_frames(denoise: str) -> int:
    """Frames each segment starts early, for the temporal state of the stages that run: ``denoise`` is
    the --denoise choice ('off', 'auto', 'light', 'strong')."""
    return WARMUP_FRAMES if denoise == "off" else DENOISED_WARMUP_FRAMES


class ClockJumps(EnlightError):
    """A video whose clock jumps (``clock_jumps``: a tape's next recording), which segments cannot be cut from:
    a segment is found by its frames' times in the file, and the run reads them moved to follow on."""


def video_index(path: Path) -> tuple[list[int], list[int]]:
    """(frame pts in display order, keyframe pts) of a file's video stream, from its packets (no decoding).
    Raises ``ClockJumps`` where the file's clock jumps (an MPEG-TS or -PS: ``clock_jumps.jumps``)."""
    try:
        with av.open(str(path)) as container:
            stream = enhanced_stream(container)
            if stream is None:
                raise EnlightError(f"{path} has no video stream")
            frames, keys, last, decoded = [], [], None, None
            for packet in container.demux(stream):
                if packet.size and packet.pts is not None:
                    back = decoded is not None and packet.dts is not None and \
                        (decoded - packet.dts) * stream.time_base > BACK  # (``clock_jumps.joined``'s rules)
                    if (back or last is not None and abs(packet.pts - last) * stream.time_base > THRESHOLD) and \
                            jumps(container):
                        raise ClockJumps(f"the clock of {path.name} jumps (a tape's next recording)")
                    frames.append(packet.pts)
                    last, decoded = packet.pts, packet.dts if packet.dts is not None else decoded
                    if packet.is_keyframe:
                        keys.append(packet.pts)
    except (av.error.FFmpegError, IndexError) as exc:
        raise EnlightError(f"cannot read {path}: {reason(exc)}") from None
    return sorted(frames), sorted(keys)


def split_video(path: Path, count: int, warmup: int = WARMUP_FRAMES) -> list[Segment]:
    """Up to ``count`` segments of about equal length, each starting at a keyframe (fewer when the
    video has fewer keyframes). One segment: the whole video, no warm-up."""
    frames, keys = video_index(path)
    starts = [0]
    for k in range(1, count):
        target = frames[len(frames) * k // count] if frames else 0
        nearest = min((key for key in keys if key > frames[0]), key=lambda key: abs(key - target), default=None)
        if nearest is not None and frames.index(nearest) > starts[-1]:
            starts.append(frames.index(nearest))
    ends = [*starts[1:], len(frames)]
    return [
        Segment(index=i, count=len(starts), start_pts=frames[s] if i else None,
                end_pts=frames[e] if e < len(frames) else None,
                warm_pts=frames[max(0, s - warmup)] if i else None, frames=e - s)
        for i, (s, e) in enumerate(zip(starts, ends, strict=True))
    ]


def _segment_frames(source: VideoSource, segment: Segment) -> Iterator[tuple[DecodedFrame, bool]]:
    """(frame, keep) for the warm-up frames (keep False) and the segment's own frames (keep True)."""
    first = segment.first_pts
    for item in source:
        if not isinstance(item, DecodedFrame) or (first is not None and item.pts < first):
            continue
        if segment.end_pts is not None and item.pts >= segment.end_pts:
            return
        yield item, segment.start_pts is None or item.pts >= segment.start_pts


def run_segment(task: Task, settings: Settings, plan, backend, on_frames: Callable[[int], None] | None
                ) -> tuple[int, tuple[str, ...]]:
    """Enhance one segment into ``task.output`` (video only; the join adds the audio). Returns the frames written
    and the notes of its source and sink (what the whole file's run would have said)."""
    segment = task.segment
    enhancer = Enhancer.from_plan(plan, backend)
    grey = GreyDecision(settings.grey)
    copied = VideoChoice(why_copied=FIRST_ONLY)  # (a video's other video streams, joined as they are: its note)
    with VideoSource(Path(task.input), hdr=settings.hdr, seek_pts=segment.first_pts, size=settings.size,
                     video=copied) as source:
        encoder = resolve_preset(settings.encoder, speed=plan.quality == "fast")
        compose = Compare(settings.compare, source.info.display_matrix) if settings.compare else None
        sink = VideoSink(Path(task.output), compared_info(source.info, settings.compare), encoder=encoder,
                         metadata=dict(source.container.metadata), captions=source.captions)
        try:
            batch: list[tuple[DecodedFrame, bool]] = []
            for item in _segment_frames(source, segment):
                batch.append(item)
                if len(batch) == settings.batch_size:
                    _enhance_batch(enhancer, grey, batch, (sink, compose), on_frames)
                    batch = []
            if batch:
                _enhance_batch(enhancer, grey, batch, (sink, compose), on_frames)
            sink.finish(overwrite=True)
        except BaseException:
            sink.abort()
            raise
    return sink.frames_written, (*source.notes, *sink.notes)


def _enhance_batch(enhancer: Enhancer, grey: GreyDecision, batch, written: tuple[VideoSink, Compare | None],
                   on_frames) -> None:
    """A batch of (frame, keep) enhanced; the kept frames written (composed with their originals for --compare)."""
    sink, compose = written
    enhancer.grey = grey.update([frame.chroma for frame, _ in batch])
    out = enhancer(np.stack([frame.rgb for frame, _ in batch]))
    kept = 0
    for image, (frame, keep) in zip(out, batch, strict=True):
        if keep:
            if compose is None:
                sink.write_frame(image, frame.pts, frame.alpha, frame.duration)
            else:
                sink.write_frame(compose(frame.rgb, image), frame.pts, compose.alpha(frame.alpha), frame.duration)
            kept += 1
    if on_frames is not None and kept:
        on_frames(kept)


def _packets(path: Path, kinds: tuple[str, ...], indices: list[int] | None = None
             ) -> Iterator[tuple[Fraction, int, av.Packet]]:
    """(time in seconds, stream order, packet) of the non-empty packets of the streams of these kinds (of
    those, only the streams ``indices`` where given). The time is the decoding time; where the demuxer gives
    none (Matroska leaves it unset on a stream's first packets before a B-frame delay is known: its first
    keyframe among them), the stream's time so far, or its presentation time at the start."""
    container = av.open(str(path))
    try:
        streams = [s for s in container.streams if s.type in kinds and (indices is None or s.index in indices)]
        if not streams:
            return  # (demux of no streams would read them all)
        last: dict[int, Fraction] = {}
        for packet in container.demux(streams):
            if not packet.size or (packet.dts is None and packet.pts is None):
                continue
            index = packet.stream.index
            if packet.dts is not None:
                last[index] = packet.dts * packet.time_base
            elif index not in last:
                last[index] = packet.pts * packet.time_base
            yield last[index], index, packet
    finally:
        container.close()


FIRST_PACKETS = 64  # the first shown frame is among a file's first packets (B-frame reordering goes a few deep)


def _first_pts(path: Path) -> tuple[Fraction | None, Fraction]:
    """(the earliest presentation time, seconds, of a file's shown video frames (packets an edit list hides left
    out), from its first FIRST_PACKETS packets, None without any; the video stream's time base)."""
    with av.open(str(path)) as container:
        stream = enhanced_stream(container)
        times = [packet.pts * packet.time_base for packet in islice(container.demux(stream), FIRST_PACKETS)
                 if packet.pts is not None and not packet.is_discard]
        return min(times, default=None), stream.time_base


def part_shifts(source: Path, parts: list[Path], starts: list[int | None]) -> list[Fraction]:
    """Seconds each part's timestamps are ahead of the source's: the muxer of a part that starts at the source's
    beginning moves it later by the encoder's delay where the format holds no negative decoding time (MPEG-TS,
    AVI: part 0's decoding times would start 2 frames before 0), and not the others, which would then overlap
    at the join. ``starts``: each part's first frame, in the source's video time base (None: the beginning)."""
    beginning, base = _first_pts(source)
    beginning = beginning or Fraction(0)
    shifts = []
    for part, start in zip(parts, starts, strict=True):
        first, _ = _first_pts(part)
        shifts.append(Fraction(0) if first is None else first - (beginning if start is None else start * base))
    return shifts


def _leading_dts(items: Iterator[tuple[Fraction, int, av.Packet]]) -> Iterator[tuple[Fraction, int, av.Packet]]:
    """A part's video packets (``_packets``) with the decoding times Matroska leaves unset on the first ones
    filled in: a frame step apart (the step between the first two that have one), ending one step before the
    first that has one. Left unset, the join lost them (its first keyframe among them: nothing decoded), and a
    muxer that made them up from the presentation times had a part's second packet decode after its third."""
    items = iter(items)
    waiting = []
    for item in items:
        if item[2].dts is not None:
            break
        waiting.append(item)
    else:
        yield from waiting  # none has one: nothing to go by
        return
    second = next(items, None)
    if waiting:
        after = None if second is None else second[2].dts
        step = after - item[2].dts if after is not None and after > item[2].dts else 1
        for back, (_, _, packet) in enumerate(reversed(waiting), start=1):
            packet.dts = item[2].dts - back * step
        yield from ((packet.dts * packet.time_base, index, packet) for _, index, packet in waiting)
    yield item
    if second is not None:
        yield second
    yield from items


def _shifted(items: Iterator[tuple[Fraction, int, av.Packet]], shift: Fraction
             ) -> Iterator[tuple[Fraction, int, av.Packet]]:
    """A part's video packets (``_packets``) with their timestamps moved back by ``shift`` seconds."""
    for when, index, packet in items:
        move_packet(packet, -shift)
        yield when - shift, index, packet


def _after(items: Iterator[tuple[Fraction, int, av.Packet]], last: list[int | None]
           ) -> Iterator[tuple[Fraction, int, av.Packet]]:
    """A part's video packets with the decoding times of its first ones moved up past ``last[0]`` (the decoding
    time of the parts' before, time base units; updated as they go out), spread evenly between it and the first
    one past it, and no later than any of them is shown. The encoder starts a part's decoding times its B-frame
    delay before its first frame, and that delay is the part's own frame steps: where the rate drops in the dark
    (a phone's 30 fps, then 15) a part's first decoding times fell before the last ones of the part before (78000
    after 81000 ticks) and the join failed ('Invalid argument') after all the work."""
    waiting = []
    for when, index, packet in items:
        if packet.dts is not None and last[0] is not None and packet.dts <= last[0] and packet.pts is not None:
            waiting.append((when, index, packet))
            continue
        if waiting:
            yield from _spread(waiting, last[0], packet.dts)
            waiting = []
        last[0] = packet.dts if packet.dts is not None else last[0]
        yield when, index, packet
    if waiting:
        yield from _spread(waiting, last[0], None)
        last[0] = waiting[-1][2].dts


def _spread(waiting: list[tuple[Fraction, int, av.Packet]], last: int, following: int | None
            ) -> Iterator[tuple[Fraction, int, av.Packet]]:
    """``waiting`` packets (decoding times at or before ``last``) given decoding times evenly spaced after
    ``last``, before ``following`` (the next packet's) and at or before the earliest of their presentation
    times; where the ticks between are too few, they are left as they are (the muxer then refuses them)."""
    shown = min(packet.pts for _, _, packet in waiting)
    end = shown + 1 if following is None else min(following, shown + 1)
    if end - last <= len(waiting):
        yield from waiting
        return
    for i, (_, index, packet) in enumerate(waiting, start=1):
        packet.dts = last + i * (end - last) // (len(waiting) + 1)
        yield packet.dts * packet.time_base, index, packet


def _merged(source: Path, parts: list[Path], others: list[int], shifts: list[Fraction]
            ) -> Iterator[tuple[str, av.Packet]]:
    """('video', packet) of the parts in order, their timestamps moved back by ``shifts`` (seconds, per part),
    and ('other', packet) of the source's streams ``others``, interleaved by time."""
    def video() -> Iterator:
        last: list[int | None] = [None]  # the decoding time of the last packet of the parts before
        for part, shift in zip(parts, shifts, strict=True):
            for when, _, packet in _after(_shifted(_leading_dts(_packets(part, ("video",))), shift), last):
                yield when, 0, ("video", packet)

    def other() -> Iterator:
        for when, order, packet in _packets(source, (*PASSTHROUGH_TYPES, "video"), others):
            if not hidden_by_edit(packet):  # (as a single run leaves it out: ``VideoSource``)
                yield when, 1 + order, ("other", packet)

    for _, _, item in heapq.merge(video(), other(), key=lambda x: (x[0], x[1])):
        yield item


def _check_headers(parts: list[Path]) -> None:
    headers = set()
    for part in parts:
        with av.open(str(part)) as container:
            headers.add(bytes(container.streams.video[0].codec_context.extradata or b""))
    if len(headers) > 1:
        raise EnlightError("the segments' encoder headers differ; they cannot be joined without re-encoding")


def _spherical(source: Path, joined: Path, muxer: str, kind: str) -> list[str]:
    """The source's 360 projection put into the ``joined`` file where FFmpeg's ``muxer`` wrote an MP4 or MOV
    (``add_spherical``); a note where it did not."""
    spherical = read_spherical(source)
    if spherical is None or (muxer in MP4_MUXERS and add_spherical(joined, spherical)):
        return []
    return [spherical_not_kept(kind)]


def _keep_rate(video: av.video.stream.VideoStream, part: av.video.stream.VideoStream) -> None:
    """Give the join's ``video`` stream the frame rate its ``part`` was written with (``frame_rate``: the sink's),
    as a single run's has it: Matroska and WebM write it as the track's default duration (without it the join's
    .mkv read as 12800 or 30000 fps where a single run's read 25), MP4 and MOV a timecode track's rate from it."""
    rate = frame_rate(part)
    if rate:
        video.codec_context.framerate = rate


def join_segments(source: Path, parts: list[Path], output: Path, starts: list[int | None], *,
                  overwrite: bool = False) -> tuple[str, ...]:
    """Remux the segments' video and the source's other streams (audio, subtitles, data tracks, other video),
    attachments and cover pictures into ``output`` (atomic). ``starts``: each part's first frame in the source's
    video time base (None: the beginning; ``Segment.start_pts``), to undo what a part's muxer moved
    (``part_shifts``). Returns the notes of what ``output`` could not hold (``held_streams``, ``copy_attachments``,
    ``add_covers``)."""
    _check_headers(parts)
    shifts = part_shifts(source, parts, starts)
    tmp = temporary_path(output)
    try:
        with av.open(str(source)) as src, av.open(str(parts[0])) as first:
            options = muxer_options(output, dict(src.metadata))
            with av.open(str(tmp), "w", options=options) as out:
                video = out.add_stream_from_template(first.streams.video[0])  # rotation: in its parameters
                lost = keep_sample_aspect(video, first.streams.video[0].sample_aspect_ratio)  # VP9, AV1: none
                _keep_rate(video, first.streams.video[0])
                if "timecode" in first.streams.video[0].metadata:  # the source's start, as every part has it
                    video.metadata["timecode"] = first.streams.video[0].metadata["timecode"]
                streams, notes = held_streams(out, output, passthrough_streams(src))
                notes = [*lost, *notes]
                priming = {s.index: edit_priming(s) for s in streams}  # (read whole, as a single run's source)
                others = PassedStreams(out, output, streams, priming)  # converted where the output cannot hold them
                notes += others.notes
                notes += copy_attachments(out, output, [s for s in src.streams if s.type == "attachment"])
                covers, lost = add_covers(out, output.suffix, read_covers(source), holds_attachments)
                notes += lost
                muxer = out.format.name
                out.metadata.update({k: v for k, v in first.metadata.items() if k != "encoder"})
                chapters = src.chapters()
                if chapters:
                    out.set_chapters(chapters)  # (the parts' own notes said what of the timecode is lost)
                marks = partial(marks_not_kept, out.format.name, video.codec_context.name, output.suffix,
                                len(chapters), None)
                mux_covers(out, covers)  # (the header is written with the first packet)
                for kind, packet in _merged(source, parts, list(others.streams), shifts):
                    if kind == "video":
                        packet.stream = video
                        out.mux(packet)
                    else:
                        out.mux(others.packets(packet))
                out.mux(others.flush())
        notes += others.flag_notes(tmp) + others.order_notes() + marks(written=tmp)
        notes += _spherical(source, tmp, muxer, output.suffix)
        if output.exists() and not overwrite:
            raise EnlightError(f"{output} appeared while enhancing; kept nothing (use --force)")
        os.replace(tmp, output)
        notes += drop_partial(output)  # (a plain run's, stopped: its note pointed to --segments)
    except (av.error.FFmpegError, ValueError) as exc:
        raise EnlightError(f"cannot join the segments into {output}: {reason(exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return tuple(notes)
