"""What an input's video stream says of itself, for ``VideoInfo``: its frame rate (and the rate of its frames'
slots), frame count, pixel aspect ratio, start timecode and tags, and the display matrix its frames carry.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from enlight.stream.io.side_data import frame_side_data
from enlight.stream.io.track_tags import track_tags

RAW_VIDEO_DEMUXERS = ("h264", "hevc", "mpegvideo", "m4v", "vvc", "cavsvideo")  # elementary streams: no timestamps
SLOT_TOLERANCE = 0.01  # how far a stream's average rate may be from its base rate where it has one frame a slot


# Tags that describe one encoding (its encoder, a Matroska muxer's statistics), not the stream: not carried over
_ENCODING_TAGS = ("encoder", "duration", "bps", "number_of_frames", "number_of_bytes", "_statistics", "timecode")


def frame_rate(stream) -> Fraction | None:
    """A video stream's frame rate: its average, unless that is one frame a tick of its time base or faster
    while FFmpeg guesses a slower one from the timestamps, then the guess; None when neither is known. (A Matroska
    track without a default duration can report 30000 fps, which the VP9 encoder refused; a camcorder's raw .dv
    reports 60000 fps in ticks of 1/60000 s for its 25, which put a 600 fps timecode track into an MP4 or MOV
    output, refused when the file was closed, after all the work.) A raw H.264,
    HEVC or MPEG-2 stream (a DVR's .264 export) has no timestamps and FFmpeg assumes 25 fps: the rate its
    bitstream states (H.264's VUI timing, as x264 and cameras write it) is taken where it states one."""
    stated = stream.codec_context.framerate if stream.codec_context is not None else None
    if stream.container.format.name in RAW_VIDEO_DEMUXERS and stated and 1 <= stated <= 1000:
        return Fraction(stated)
    rate = stream.average_rate
    guess = stream.guessed_rate
    if rate and stream.time_base and rate >= 1 / stream.time_base and guess and guess < rate:
        return Fraction(guess)
    return Fraction(rate or stream.guessed_rate) if (rate or stream.guessed_rate) else None


def slot_rate(stream) -> Fraction | None:
    """``VideoInfo.slot_rate`` of a video stream."""
    base, average = stream.base_rate, stream.average_rate
    if not base or not average or abs(average / base - 1) > SLOT_TOLERANCE:
        return None
    return Fraction(base)


def stream_tags(stream) -> tuple[tuple[str, str], ...]:
    """The video stream's own tags that the enhanced stream keeps (its language, title, handler: a dashcam's
    'Front camera'), less those that describe the source's encoding (``_ENCODING_TAGS``; the timecode is
    ``VideoInfo.timecode``)."""
    return tuple((key, value) for key, value in track_tags(stream).items()
                 if not key.lower().startswith(_ENCODING_TAGS))


def frame_count(stream, container, rate: Fraction) -> int | None:
    """The video stream's frame count from the container index (the frames it shows: ``_hidden_packets``), else
    estimated from a duration at ``rate``; None if unknown. An index of more entries than the duration holds
    frames (``PADDED_INDEX`` times as many) counts slots, not frames: an AVI's empty chunks, one for every slot
    without a frame (``ffmpeg -i tape.dv -c copy tape.avi`` writes a 1/600 s slot a chunk, 600 for a DV
    tape's 25 frames a second, and the plan, the progress bar and --quality auto counted 24 times the frames
    there were); the duration's count is taken there."""
    timed = _timed_count(stream, container, rate)
    if stream.frames:
        shown = max(1, stream.frames - _hidden_packets(stream))
        return timed if timed and shown > PADDED_INDEX * timed + 1 else shown
    return timed


PADDED_INDEX = 1.5  # an index of this many times the frames the duration holds, or more, counts slots


def _timed_count(stream, container, rate: Fraction | None) -> int | None:
    """The frames the video stream's duration (else the container's) holds at ``rate``; None if either is
    unknown."""
    if not rate:
        return None
    if stream.duration and stream.time_base:
        return max(1, round(float(stream.duration * stream.time_base * rate)))
    if container.duration:
        return max(1, round(container.duration / av.time_base * float(rate)))
    return None


def _hidden_packets(stream) -> int:
    """The packets of ``stream`` that an MP4 or MOV edit list hides: indexed (the header's frame count includes
    them) and decoded, as the frames after them need them, but not shown. A clip cut without re-encoding
    (``ffmpeg -ss 1.3 -i in.mp4 -c copy``, a phone's trim) starts at the keyframe before its cut and hides the
    frames up to it; FFmpeg flags their index entries as discarded (0.2 us an entry: 11 ms for 60,000)."""
    entries = stream.index_entries
    return sum(1 for i in range(len(entries)) if entries[i].is_discard)


# demuxers whose files hold a pixel aspect ratio of their own (MP4/MOV 'pasp', Matroska's display size, AVI's video
# properties, MXF's aspect ratio); an MPEG-TS's stream ratio is only what FFmpeg's probe decoded (a later picture's,
# where the first ones last less than its read-ahead)
OWN_ASPECT_FORMATS = frozenset({"mov", "matroska", "avi", "mxf"})


def container_aspect(stream, coded: Fraction | None) -> Fraction | None:
    """The pixel aspect ratio the container sets over ``coded``, the one the first picture codes (an MP4's 'pasp' or
    Matroska's display size made by ``ffmpeg -i in.mp4 -c copy -aspect 16:9``, the usual fix for a clip that plays
    squeezed): where both are set and differ by more than 1%, the container's, which players show and FFmpeg reads
    (``av_guess_sample_aspect_ratio``) for every frame; None otherwise (the frames' own count: a broadcast's 4:3
    advert and 16:9 film). The decoder's ratio is no guide: it may be a later frame's, read ahead."""
    container = stream.sample_aspect_ratio
    if not container or not coded or stream.container.format.name.split(",")[0] not in OWN_ASPECT_FORMATS:
        return None
    container = Fraction(container)
    return container if abs(container / coded - 1) > Fraction(1, 100) else None


def sample_aspect(stream) -> Fraction | None:
    """The video's sample (pixel) aspect ratio where its pixels are not square (anamorphic DVD, DV, HDV and
    CCTV recordings: 720x480 for 16:9 is 32/27), from the decoder or else the container; None otherwise."""
    sar = stream.codec_context.sample_aspect_ratio or stream.sample_aspect_ratio
    return Fraction(sar) if sar and sar != 1 else None


def start_timecode(container, video) -> str | None:
    """The start timecode: the video stream's tag, a timecode track's, or the file's (QuickTime and MXF)."""
    for tags in (video.metadata, *(s.metadata for s in container.streams if s.type == "data"), container.metadata):
        if tags.get("timecode"):
            return tags["timecode"]
    return None


def display_matrix(frame: av.VideoFrame) -> tuple[int, ...] | None:
    """FFmpeg's 3x3 int32 display matrix (rotation, mirror) a decoded frame carries, None when it has none."""
    for side_data in frame_side_data(frame):
        if side_data.type == av.sidedata.sidedata.Type.DISPLAYMATRIX:
            values = np.frombuffer(bytes(side_data), dtype="<i4")
            if values.size == 9:
                return tuple(int(v) for v in values)
    return None
