"""What ``--quality auto`` reads of an input before a run: its size, frame count and frame rate, from its header
(torch-free, for the command line's first line; and for a motion photo's clip, ``motion_clip``)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path


def probe_workload(source, max_frames: int | None = None, output: Path | None = None, *, span=None,
                   size: tuple[int, int] | None = None, video_streams: str = "all", written=None):
    """What ``--quality auto`` needs of a video file, from its header (no frame is decoded): size,
    frame count (at most ``max_frames``) and frame rate; a stream (URL, stdin): size unknown. A photo's: its size,
    and whether its result is made at 16 bits (a 16-bit photo or a HEIF or AVIF of 10 or 12 bits, written to an
    ``output`` that holds more than 8 bits; None: to its own kind of file, a camera RAW's .tif). span: the part of a
    video read (``--start``/``--end``); size: the size its frames are scaled to (``--size``, as stored: a display
    turn is not counted). video_streams: --video-streams ('all': a file's other video streams are counted too, each
    at its own size, ``Workload.others``, unless ``written``, the output's ``Location`` where known, gets the first
    only: ``video_passes.first_only``)."""
    from enlight.stream.apps.video_passes import first_only, others_work
    from enlight.stream.core.auto_quality import Workload
    from enlight.stream.io.animation import frame_count
    from enlight.stream.io.checks import check_decodable
    from enlight.stream.io.input_open import open_input
    from enlight.stream.io.input_streams import enhanced_stream
    from enlight.stream.io.photo_formats import holds_deep, is_photo, is_raw, photo_size, written_as_photo, written_bits
    from enlight.stream.io.video_stream import frame_count as stream_frames
    from enlight.stream.io.video_stream import frame_rate

    if not source.is_file and source.kind != "sequence":
        return Workload("stream")
    if source.is_file and (is_photo(source.url) or (output is not None and written_as_photo(source.url, output))):
        path = Path(source.url)
        size = photo_size(path) or (None, None)
        count = frame_count(path)  # an animated WebP or PNG is a clip: chosen as a video is
        if count > 1:
            return Workload("video", *size, count)
        written = output if output is not None and written_as_photo(path, output) else None
        deep = written_bits(written or path, True) > 8 or (written is None and is_raw(path))
        return Workload("photo", *size, sixteen_bit=deep and holds_deep(path))
    with open_input(source) as container:  # (an image sequence: FFmpeg counts its frames from the files)
        stream = enhanced_stream(container)  # not a cover picture (an .mp3's or .m4a's album art)
        if stream is None:
            return Workload("stream")  # refused by the run, with its own message
        check_decodable(container, stream, source.text)
        stated = frame_rate(stream)
        frames = stream_frames(stream, container, stated) if stated else (stream.frames or None)
        rate = float(stated or 0) or None
        duration = Fraction(container.duration, 1_000_000) if container.duration else None
        every = video_streams == "all" and source.is_file and (written is None or first_only(source, written, "all")
                                                                is None)
        others = others_work(container, span, max_frames) if every else ()
    if span is not None:  # the part of it read (``enlight.stream.io.span.Span``)
        span.check_start(duration, source.text)
        frames = span.frames(Fraction(rate or 30).limit_denominator(100000), frames)
    if max_frames is not None:
        frames = min(frames, max_frames) if frames else max_frames
    width, height = stream.codec_context.width, stream.codec_context.height
    if size is not None and width and height:
        from enlight.stream.io.resize import fit_size

        width, height = fit_size(size, width, height)
        others = tuple((*fit_size(size, w, h), n) if w and h else (w, h, n) for w, h, n in others)
    return Workload("video", width or None, height or None, frames, rate, others=others)


__all__ = ["probe_workload"]
