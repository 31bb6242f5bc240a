"""Which encoder and pixel format write a source's video into an output: ``--codec auto``'s choice for the output's
kind of file (H.264 where it is taken, else the container's own codec; an encoder that keeps the source's alpha; HEVC
or AV1 for HDR kept as HDR), a codec named by --codec checked, the pixel format nearest the source's that the
encoder and the picture's size take, and the note on what became of an alpha channel.
"""

from __future__ import annotations

import av

from enlight.errors import EnlightError
from enlight.stream.io import legacy_video
from enlight.stream.io.alpha import alpha_candidates, alpha_encoders, has_alpha, holds_alpha
from enlight.stream.io.encoder_settings import CODEC_AUTO
from enlight.stream.io.format_fit import nearer_formats
from enlight.stream.io.gif_palette import GIF_PIX_FMT
from enlight.stream.io.muxer_trials import VIDEO_CODECS, muxer_fit
from enlight.stream.io.source_items import VideoInfo

# ``--codec auto``'s choice for HDR written as HDR (``choose_codec_keeping_alpha``), the first the output takes:
# this FFmpeg's libvpx has no 10-bit VP9, so a .webm gets AV1
HDR_CODECS = (("libx265", "HEVC"), ("libsvtav1", "AV1"))


def choose_codec(name: str, muxer: str, kind: str) -> tuple[str, str | None]:
    """(encoder, note): ``name`` itself unless it is ``auto``; then libx264 if FFmpeg's ``muxer`` takes it, else
    the first of ``VIDEO_CODECS`` that it takes, with a note saying why (as FFmpeg picks a container's own
    codec: a .webm output is VP9, a .gif one GIF, a .ogv one VP8). kind: the output's, for the note ('.webm')."""
    if name != CODEC_AUTO:
        return name, None
    added = None  # the first that the muxer added, if none also wrote a header with it
    for codec in VIDEO_CODECS:
        fit = muxer_fit(muxer, codec)
        if fit == 2:
            break
        added = added or (codec if fit == 1 else None)
    else:
        codec = added or VIDEO_CODECS[0]
    if codec == VIDEO_CODECS[0]:
        return codec, None
    return codec, f"encoded with {codec}: a {kind} file cannot hold H.264 (--codec names another)"


def encoder_codec(name: str) -> av.Codec:
    try:
        codec = av.Codec(name, "w")
    except (av.error.FFmpegError, ValueError):
        raise EnlightError(f"unknown encoder '{name}' (try libx264, libx265, libvpx-vp9, mpeg4)") from None
    if codec.type != "video":
        raise EnlightError(f"'{name}' is a {codec.type} encoder, not a video encoder")
    return codec


def subsampling_fits(pix_fmt: str, width: int, height: int) -> bool:
    """Whether ``pix_fmt``'s chroma subsampling allows this size (4:2:0 needs even width and height)."""
    reference = av.VideoFormat(pix_fmt, 64, 64)
    for component in reference.components:
        if component.is_chroma and (width % (64 // component.width) or height % (64 // component.height)):
            return False
    return True


def choose_codec_keeping_alpha(name: str, muxer: str, info: VideoInfo, kind: str) -> tuple[str, str | None]:
    """``choose_codec``, except that ``--codec auto`` on a source with alpha takes the first of
    ``alpha_encoders`` that ``muxer`` takes, where one does (``alpha_note`` then says what kept the alpha), and on
    HDR written as HDR (``--hdr keep``) takes the first of ``HDR_CODECS`` that ``muxer`` takes: HEVC (or AV1) is
    how HDR10 and HLG video plays on TVs, phones and browsers, and both encoders carry HDR10's metadata
    (``enlight.stream.io.hdr_static``); 10-bit H.264 plays almost nowhere. (Its note, with the bits written, is
    ``hdr_kept_note``: they are known once the pixel format is chosen.)"""
    if name == CODEC_AUTO and info.alpha:
        for codec in alpha_encoders(info.codec, muxer):
            if muxer_fit(muxer, codec) == 2:
                return codec, None
    for codec, _ in HDR_CODECS if name == CODEC_AUTO and info.color.hdr is not None else ():
        if muxer_fit(muxer, codec) == 2:
            return codec, None  # (the note, with the bits written: ``hdr_kept_note``)
    own = legacy_video.program_stream_codec(muxer, info.width, info.height, info.average_rate) \
        if name == CODEC_AUTO else None  # (a trial of the MPEG-2 encoder: only where it may be chosen)
    if own is not None:
        return own
    return choose_codec(name, muxer, kind)


def alpha_note(codec: str, muxer: str, pix_fmt: str, info: VideoInfo, kind: str) -> str | None:
    """What became of a source's alpha channel: kept (copied, not enhanced) or not, and what would keep it."""
    if not info.alpha:
        return None
    if pix_fmt == GIF_PIX_FMT:
        return "the alpha channel is kept as GIF transparency: pixels under half opacity are transparent"
    if has_alpha(pix_fmt):
        return f"the alpha channel (transparency) is kept as it was, not enhanced: {codec} {pix_fmt}"
    if holds_alpha(codec, muxer):
        return f"the alpha channel (transparency) was not kept: --pix-fmt {pix_fmt} has none"
    return (f"the alpha channel (transparency) was not kept: {codec} in a {kind} file cannot hold it (a .mov or "
            ".webm output keeps it, or --codec with one that can: prores_ks, png, ffv1, libvpx-vp9 in .webm/.mkv)")


def choose_pix_fmt(codec: av.Codec, info: VideoInfo, requested: str | None, *, alpha: bool = False) -> str:
    """The encoder pixel format: the requested one, else (``alpha``: one with alpha, the source's kind first) the
    source's, else its layout with fewer bits (``nearer_formats``), else 4:2:0 (4:4:4 for odd sizes)."""
    supported = [f.name for f in (codec.video_formats or [])]
    size = (info.width, info.height)
    if requested:
        if supported and requested not in supported:
            raise EnlightError(f"{codec.name} cannot encode pixel format {requested}; it takes {', '.join(supported)}")
        try:
            ok = subsampling_fits(requested, *size)
        except ValueError:
            raise EnlightError(f"unknown pixel format '{requested}'") from None
        if not ok:
            raise EnlightError(f"{requested} needs even dimensions; the video is {info.width}x{info.height}")
        return requested
    source = info.pix_fmt.replace("yuvj", "yuv")
    kept = alpha_candidates(source) if alpha else []
    for candidate in (*kept, source, *nearer_formats(source), "yuv420p", "yuv444p", "yuv422p", "rgb24"):
        if (not supported or candidate in supported) and subsampling_fits(candidate, *size):
            return candidate
    if supported:
        return supported[0]
    raise EnlightError(f"{codec.name} has no pixel format for a {info.width}x{info.height} video")


