"""A video's alpha channel (its transparency: overlays, titles, keyed footage): found in the decoded frames,
carried past the enhancer unchanged (the network lifts the colour; what is transparent stays so), and
written with an encoder and pixel format that hold it.

Where the alpha lives:

- in the picture's own pixel format: PNG and QuickTime Animation (RGBA), ProRes 4444, FFV1, UT Video,
  HuffYUV (``yuva...``, ``gbrap``, ``rgba``, ``bgra``, ``argb``): FFmpeg's decoders give it as a plane;
- beside it, for VP8 and VP9 in Matroska and WebM (``alpha_mode`` 1 on the track): a second bitstream in
  each block's BlockAdditional, which only libvpx's decoders read (FFmpeg's own ``vp9`` decoder ignores it),
  and which only a Matroska or WebM file can hold on the way out.

``--codec auto`` keeps the alpha where the output can hold it (``alpha_encoders``): the source's own kind of
encoder first, else VP9 (.webm, .mkv) or ProRes 4444 (.mov); where none fits (.mp4's H.264 has no alpha)
the summary says the alpha was not kept and which output keeps it.
"""

from __future__ import annotations

import av
import numpy as np

# the encoder that writes what a decoder of this name reads, where that encoder has an alpha pixel format
SOURCE_ENCODERS = {"png": "png", "qtrle": "qtrle", "prores": "prores_ks", "ffv1": "ffv1", "utvideo": "utvideo",
                   "huffyuv": "huffyuv", "ffvhuff": "ffvhuff", "vp9": "libvpx-vp9", "libvpx-vp9": "libvpx-vp9",
                   "vp8": "libvpx", "libvpx": "libvpx"}
# tried after the source's own, in this order: lossy and widely played where the container takes them
FALLBACK_ENCODERS = ("libvpx-vp9", "prores_ks")
# outputs asked for where they must play everywhere: H.264 stays (with a note) rather than a codec with alpha
# that few players read in them (FFmpeg's MP4 muxer would take PNG or FFV1)
PLAYABLE_MUXERS = ("mp4",)
# encoders whose alpha is a side bitstream: kept only by these muxers (Matroska's BlockAdditional)
SIDE_ALPHA = {"libvpx-vp9": ("matroska", "webm"), "libvpx": ("matroska", "webm")}
# decoders that read a side-bitstream alpha, by the codec FFmpeg's demuxer names
SIDE_ALPHA_DECODERS = {"vp9": "libvpx-vp9", "vp8": "libvpx"}
# alpha pixel formats to try, in order, after the source's own: same kind (RGB or YUV) first
_RGB_ALPHA = ("rgba", "bgra", "argb")  # (not gbrap: libvpx-vp9 lists it but its encoder refuses it)
_YUV_ALPHA = ("yuva420p", "yuva444p", "yuva422p", "yuva444p10le")


def has_alpha(pix_fmt: str) -> bool:
    """Whether FFmpeg's pixel format ``pix_fmt`` carries an alpha component (a palette's is not counted)."""
    try:
        return any(component.is_alpha for component in av.VideoFormat(pix_fmt).components)
    except ValueError:
        return False


def alpha_formats(codec: av.Codec) -> list[str]:
    """The pixel formats with alpha that encoder ``codec`` takes, in its own order."""
    return [f.name for f in codec.video_formats or () if has_alpha(f.name)]


def holds_alpha(encoder: str, muxer: str) -> bool:
    """Whether ``encoder`` writes an alpha that FFmpeg's ``muxer`` keeps (its formats have one; a side-bitstream
    alpha only in Matroska and WebM)."""
    try:
        codec = av.Codec(encoder, "w")
    except (av.error.FFmpegError, ValueError):
        return False
    return bool(alpha_formats(codec)) and muxer in SIDE_ALPHA.get(encoder, (muxer,))


def alpha_encoders(source_codec: str, muxer: str) -> list[str]:
    """Encoders to try, in order, for ``--codec auto`` on a source with alpha whose decoder is ``source_codec``,
    into FFmpeg's ``muxer``: those of the source's kind and ``FALLBACK_ENCODERS`` whose alpha that muxer holds;
    none for ``PLAYABLE_MUXERS``."""
    if muxer in PLAYABLE_MUXERS:
        return []
    own = SOURCE_ENCODERS.get(source_codec)
    names = dict.fromkeys([own, *FALLBACK_ENCODERS] if own else FALLBACK_ENCODERS)
    return [name for name in names if holds_alpha(name, muxer)]


def alpha_candidates(source_pix_fmt: str) -> list[str]:
    """Alpha pixel formats to try for a source in ``source_pix_fmt``: its own, then others of its kind (RGB or
    YUV), then the rest."""
    rgb = source_pix_fmt in _RGB_ALPHA or source_pix_fmt.startswith(("gbr", "rgb", "bgr", "argb", "abgr"))
    order = (*_RGB_ALPHA, *_YUV_ALPHA) if rgb else (*_YUV_ALPHA, *_RGB_ALPHA)
    return [f for f in dict.fromkeys((source_pix_fmt, *order)) if has_alpha(f)]


def side_alpha_decoder(stream) -> av.CodecContext | None:
    """A libvpx decoder for a VP8/VP9 ``stream`` whose track says it carries alpha (``alpha_mode`` 1), which
    FFmpeg's own decoder would drop; None for every other stream."""
    name = SIDE_ALPHA_DECODERS.get(stream.codec_context.name)
    if name is None or str(stream.metadata.get("alpha_mode", stream.metadata.get("ALPHA_MODE", ""))) != "1":
        return None
    try:
        decoder = av.CodecContext.create(name, "r")
    except (av.error.FFmpegError, ValueError):
        return None
    decoder.extradata = stream.codec_context.extradata
    decoder.thread_type = "AUTO"
    return decoder


def frame_alpha(frame: av.VideoFrame) -> np.ndarray:
    """(H, W) uint8 alpha of a decoded frame with an alpha component (255: opaque)."""
    return np.ascontiguousarray(frame.to_ndarray(format="rgba")[..., 3])
