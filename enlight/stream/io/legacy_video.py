"""The older video codecs and containers, as a user who asks for them expects them to come out.

- MPEG-1 and MPEG-2 count one tick per frame, at one of a few frame rates (``codec_time_base``).
- An MPEG program stream (.mpg, .mpeg, .vob) holds MPEG-2 video where players look for it: ``--codec auto``
  writes MPEG-2 there (FFmpeg writes MPEG-1 by default), and H.264 only where MPEG-2 cannot take the video
  (``program_stream_codec``). H.264 in a program stream played in FFmpeg-based players only.
- AVI has one frame rate and no timestamps: a frame stands in a slot of 1/rate s. A fine time base (1/30000 for
  29.97 fps) made FFmpeg's muxer write 600 fps with an empty chunk for every slot without a frame, which editors
  and players that read AVI's header show as 600 fps. A source with one frame a slot now gets one tick a slot, as
  FFmpeg's own command writes AVI; a variable-rate one keeps its timing that way (``codec_time_base``).
- The encoders built on FFmpeg's MPEG video core take no CRF, and their default, 200 kb/s, blocked the picture;
  they are held at one quantiser (``QUANTISER``). VP8 takes a CRF only under a bit rate ceiling (``quality``).
- Motion JPEG takes YUV in the full range only (``FULL_RANGE_ENCODERS``; the sink tags and converts the frames so).
"""

from __future__ import annotations

import io
from fractions import Fraction
from functools import lru_cache

import av

from enlight.errors import EnlightError

MPEG2_RATES = tuple(Fraction(r) for r in ("24000/1001", "24", "25", "30000/1001", "30", "50", "60000/1001", "60"))
_TICK_PER_FRAME_CODECS = ("mpeg1video", "mpeg2video")
_SHORT_TIME_BASE_CODECS = ("mpeg4", "msmpeg4", "msmpeg4v2", "h263", "h263p", "flv")
AVI_MUXERS = ("avi",)
# the muxers that give a video stream the rate of its time base: a constant-rate video gets one tick a frame
SLOT_MUXERS = (*AVI_MUXERS, "ogg", "ogv")
PROGRAM_STREAM_MUXERS = ("mpeg", "vob", "dvd", "svcd")

# the encoders built on FFmpeg's MPEG video core, which take no CRF; their default, 200 kb/s, blocked the picture
# (30.4-31.6 dB PSNR against the lossless enhanced frames of two real night clips, where libx264 at crf 18 gives
# 43.3-44.1). Held at this quantiser (FFmpeg's -q:v 2): MPEG-2 44.7 dB, MPEG-4 part 2 43.9-44.0 dB, at 2.6-5.2
# times H.264's bit rate (``benchmarks/older_codecs.py``, docs/benchmarks.md "Older codecs")
QUANTISER_CODECS = ("mpeg1video", "mpeg2video", "mpeg4", "msmpeg4v2", "msmpeg4", "wmv1", "wmv2", "h261", "h263",
                    "h263p", "flv", "mjpeg", "rv10", "rv20")
QUANTISER = 2
# VP8's crf where it matches libx264 crf 18's PSNR (44.6-45.3 dB); without one VP8 ran at its default 256 kb/s
# (31.3-33.1 dB). Its constant quality needs a bit rate ceiling: one far above what it spends
VP8_CRF = 10
VP8_CEILING = "1000M"
FULL_RANGE_ENCODERS = ("mjpeg",)  # take YUV in the full range only (JPEG's)
# DNxHD's default profile takes only a few broadcast sizes at set bit rates (every other video: 'Invalid argument');
# DNxHR HQ, the editors' high-quality intermediate, takes any size from 256x120 up
DNXHR_PROFILE = "dnxhr_hq"


def quality(codec: str, crf: int | None) -> dict[str, str]:
    """The encoder options that set ``codec``'s quality where its own default is a low bit rate or a fixed size:
    the quantiser of the MPEG video core's encoders, VP8's crf (``crf``, else ``VP8_CRF``) under its ceiling,
    DNxHR's profile for DNxHD; {} otherwise."""
    if codec in QUANTISER_CODECS:
        return {"qmin": str(QUANTISER), "qmax": str(QUANTISER)}
    if codec == "libvpx":
        return {"crf": str(VP8_CRF if crf is None else crf), "b": VP8_CEILING}
    if codec == "dnxhd":
        return {"profile": DNXHR_PROFILE}
    return {}


def _fps(rate: Fraction | None) -> str:
    return f"{float(rate or 0):.3f}".rstrip("0").rstrip(".")


def codec_time_base(codec: str, source: Fraction, rate: Fraction | None = None, *, muxer: str = "",
                    slot_rate: Fraction | None = None) -> Fraction:
    """The encoder's time base: for MPEG-1/2, one tick per frame at the video's ``rate``, which must be one of
    theirs (a one-line error otherwise); into AVI and Ogg (``SLOT_MUXERS``: their readers take the time base for
    the frame rate), one tick per slot of ``slot_rate`` (``VideoInfo.slot_rate``; None, a variable rate, keeps its
    timing in the source's ticks, AVI's empty chunks filling the slots between frames); else the source time base
    ``source``, coarsened for MPEG-4 part 2 / H.263 (their denominators stop at 65535)."""
    if codec in _TICK_PER_FRAME_CODECS:
        if rate not in MPEG2_RATES:
            raise EnlightError(f"{codec} takes only the frame rates {', '.join(map(_fps, MPEG2_RATES))}; this video "
                               f"has {_fps(rate)} fps (use --codec libx264 or mpeg4)")
        return 1 / rate
    if muxer in SLOT_MUXERS and slot_rate:
        return 1 / slot_rate
    if codec not in _SHORT_TIME_BASE_CODECS or source.denominator <= 65535:
        return source
    for divisor in range(2, source.denominator + 1):
        if source.denominator % divisor == 0 and source.denominator // divisor <= 65535:
            return Fraction(source.numerator, source.denominator // divisor)
    return Fraction(1, 65535)


def program_stream_codec(muxer: str, width: int, height: int, rate: Fraction) -> tuple[str, str] | None:
    """``--codec auto``'s encoder and its note for a program stream ``muxer``: MPEG-2 where it takes the video's
    size and ``rate``, else H.264 with why; None for other muxers."""
    if muxer not in PROGRAM_STREAM_MUXERS:
        return None
    if rate not in MPEG2_RATES:
        return "libx264", (f"encoded with libx264: MPEG-2, the video of an MPEG program stream, takes only the frame "
                           f"rates {', '.join(map(_fps, MPEG2_RATES))} and this video has {_fps(rate)} fps (H.264 "
                           "there plays in FFmpeg-based players such as VLC and mpv; a .mp4 output plays everywhere)")
    if not _mpeg2_opens(width, height, rate):
        return "libx264", (f"encoded with libx264: MPEG-2 does not take {width}x{height} (H.264 in an MPEG program "
                           "stream plays in FFmpeg-based players such as VLC and mpv; a .mp4 output plays everywhere)")
    return "mpeg2video", (f"encoded with mpeg2video at quantiser {QUANTISER}, the video players expect in an MPEG "
                          "program stream (--codec libx264 keeps H.264)")


@lru_cache(maxsize=16)
def _mpeg2_opens(width: int, height: int, rate: Fraction) -> bool:
    """Whether FFmpeg's MPEG-2 encoder opens for ``width`` x ``height`` at ``rate`` (it refuses sides that are
    multiples of 4096, and sides over 16383)."""
    trial = av.open(io.BytesIO(), "w", format="mpeg")
    try:
        stream = trial.add_stream("mpeg2video", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = 1 / rate
        stream.codec_context.open()
    except (ValueError, av.error.FFmpegError):
        return False
    finally:
        trial.close()
    return True
