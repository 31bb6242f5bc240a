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

FFmpeg's GIF decoder gives every GIF as ``bgra``, opaque or not: a GIF has an alpha channel only where some pixel
of it is transparent (``uses_alpha``), found before the output's encoder is chosen. Its first frame is decoded
again for that; a later frame can only turn transparent where a frame before it is cleared to the background
(disposal method 2), so such a GIF, and one whose blocks cannot be read, is decoded to its end (or to its first
transparent pixel): the answer is exact. A GIF read from a stream (stdin, a URL) cannot be read twice: its first
frame decides, and a later frame's transparent pixels come out as their colour. Every other source keeps the
alpha its format was given (an RGBA PNG or ProRes 4444 is written that way on purpose). A GIF's transparent
pixels, which that decoder gives as white, take the colour of the picture near them before the model
(``transparent_fill``).
"""

from __future__ import annotations

import mmap
from pathlib import Path

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
# decoders that give every file an alpha pixel format, whether a pixel of it is transparent or not
ALWAYS_ALPHA_DECODERS = ("gif",)
_OPAQUE_FORMATS = {"bgra": "rgb24", "rgba": "rgb24", "argb": "rgb24", "abgr": "rgb24"}  # their pixels, less alpha
_GIF_CLEARED = 2  # a GIF frame's disposal method: its area cleared to the background once it has been shown


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


def uses_alpha(first: av.VideoFrame, codec: str, path: Path | None) -> bool:
    """Whether a source's frames carry an alpha channel: the pixel format of its ``first`` decoded frame has one
    and, where its decoder (``codec``) gives one to every file (``ALWAYS_ALPHA_DECODERS``), some pixel of the file
    at ``path`` is transparent (``gif_transparent``), or of its ``first`` frame for a stream (``path`` None)."""
    if not has_alpha(first.format.name):
        return False
    if codec not in ALWAYS_ALPHA_DECODERS:
        return True
    return _transparent(first) if path is None else gif_transparent(path)


def opaque_format(pix_fmt: str) -> str:
    """The pixel format that describes frames decoded as ``pix_fmt`` whose alpha is not used (``rgb24`` for bgra)."""
    return _OPAQUE_FORMATS.get(pix_fmt, pix_fmt)


def gif_transparent(path: Path) -> bool:
    """Whether FFmpeg's decoder gives any transparent pixel of the GIF at ``path``: its first frame is decoded, and
    the rest only where a frame is cleared to the background before another (``gif_disposals``: only then can a
    later frame gain transparent pixels), up to the first transparent pixel. A damaged GIF: what decodes decides."""
    disposals = gif_disposals(path)
    cleared = disposals is None or _GIF_CLEARED in disposals[:-1]
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                if _transparent(frame):
                    return True
                if not cleared:
                    break
    except av.error.FFmpegError:
        pass
    return False


def gif_disposals(path: Path) -> list[int] | None:
    """Each image's disposal method in the GIF at ``path`` (its Graphic Control Extension's; 0 without one), read
    from the file's blocks without decoding them; None where they cannot be read (not a GIF, cut short)."""
    try:
        with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _walk_gif(data)
    except (OSError, ValueError, IndexError):
        return None


def _walk_gif(data) -> list[int] | None:
    """``gif_disposals`` of a GIF file's bytes (IndexError where they end too soon)."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    pos = 13 + _colour_table(data[10])  # the header, the logical screen and its colour table
    disposals, disposal = [], 0
    while data[pos] != 0x3B:  # the trailer
        if data[pos] == 0x21:  # an extension: its label, then data sub-blocks
            if data[pos + 1] == 0xF9 and data[pos + 2] == 4:  # a Graphic Control Extension
                disposal = (data[pos + 3] >> 2) & 7
            pos = _after_sub_blocks(data, pos + 2)
        elif data[pos] == 0x2C:  # an image: its descriptor, colour table, LZW code size, data sub-blocks
            pos = _after_sub_blocks(data, pos + 10 + _colour_table(data[pos + 9]) + 1)
            disposals.append(disposal)
            disposal = 0
        else:
            return None
    return disposals


def _colour_table(flags: int) -> int:
    """Bytes of the colour table that a logical screen's or an image's ``flags`` announce."""
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _after_sub_blocks(data, pos: int) -> int:
    """Where a run of GIF data sub-blocks that starts at ``pos`` ends (after its empty block)."""
    while data[pos]:
        pos += data[pos] + 1
    return pos + 1


def _transparent(frame: av.VideoFrame) -> bool:
    return bool((frame_alpha(frame) < 255).any())
