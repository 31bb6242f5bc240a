"""Writing the enhanced video: PyAV encode plus packet-for-packet copy of the other streams.

A file is written under a temporary name in the target folder and renamed when complete, so
the target path holds either the finished video or nothing new. An interrupted run can keep
what was encoded as ``<name>.partial.<ext>`` (a valid, playable file). A stream (a URL, or
stdout) is written directly: there is nothing to rename.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Colorspace

from enlight.errors import EnlightError, disk_full, reason
from enlight.stream.io import legacy_video
from enlight.stream.io.alpha import alpha_candidates, alpha_encoders, has_alpha, holds_alpha
from enlight.stream.io.captions import CaptionTrack, CaptionWriter
from enlight.stream.io.colour_fit import Found, colour_notes, fitted_colour
from enlight.stream.io.container_tags import tags_not_kept, tags_note
from enlight.stream.io.covers import Cover, add_covers, mux_covers
from enlight.stream.io.fields import INTERLACED_ENCODERS, FieldMarker, describe
from enlight.stream.io.format_fit import loses_detail, lost_detail_note, nearer_formats
from enlight.stream.io.frames import (
    MATRIX_BT709,
    MATRIX_RGB,
    MATRIX_SMPTE170M,
    RANGE_LIMITED,
    ColorInfo,
    rgb_to_frame,
)
from enlight.stream.io.gif_palette import GIF_PIX_FMT, GifPalette
from enlight.stream.io.hdr_depth import check_hdr_depth, hdr_kept_note
from enlight.stream.io.hdr_static import with_static
from enlight.stream.io.last_frame import LastSample, set_last_delay
from enlight.stream.io.locations import Location, sent_failure
from enlight.stream.io.muxer_trials import (
    QUIET,
    VIDEO_CODECS,
    codecs_taken,
    colour_found,
    marks_not_kept,
    muxer_fit,
    quiet_svt,
    read_back,
    trial_of_muxer,
)
from enlight.stream.io.source_items import VideoInfo
from enlight.stream.io.spherical import MP4_MUXERS, Spherical, add_spherical, spherical_not_kept
from enlight.stream.io.stream_copy import (
    PassedStreams,
    cannot_hold,
    copy_attachments,
    held_streams,
    holds_attachments,
    holds_copy,
    keep_sample_aspect,
)
from enlight.stream.io.temporary import fitted, remove_stale, temporary_path
from enlight.stream.io.upright import PICTURE_MUXERS, ROTATION_MUXERS, Turn, Widen, display_steps

DEFAULT_CRF = 18
_CRF_CODECS = ("libx264", "libx265", "libvpx-vp9", "libaom-av1", "libsvtav1", "libvpx")
# the CRFs each takes (x264 and x265 at 8 bits; more bits widen theirs below 0, which is not offered)
_CRF_RANGES = {"libx264": (0, 51), "libx265": (0, 51), "libvpx-vp9": (0, 63), "libaom-av1": (0, 63),
               "libsvtav1": (1, 63), "libvpx": (4, 63)}
_PRESET_CODECS = ("libx264", "libx265", "libsvtav1")
_COPIED_CONTAINER_KEYS_SKIPPED = ("encoder", "major_brand", "minor_version", "compatible_brands")


PRESET_AUTO = "auto"
# x264/x265 preset of a run that asks for speed (``--quality fast``) when the preset is auto. Measured on the
# fast preset's enhanced frames at crf 18 (docs/benchmarks.md, issue 17): veryfast takes 0.43x fast's CPU at
# 1920x1080 (26.6 vs 62.2 ms per frame) and 0.43x at 854x480, writes 19-28% smaller files, 1.3-1.9 dB lower
# PSNR against the lossless frames (42.4 vs 44.3 dB at 1080p); ``--preset fast`` keeps the old setting.
SPEED_PRESET = "veryfast"
_SPEED_PRESET_CODECS = ("libx264", "libx265")


CODEC_AUTO = "auto"
# FFmpeg muxers that keep no reordering of frames: with B-frames (x264's and x265's default) the frames of an .mxf
# or .wmv/.asf output came back out of order when read (0, 0.12, 0.08, 0.16, 0.04 s ...), as with FFmpeg's own
# An AVI keeps no presentation times at all: its H.264 frames decoded with their neighbours' times (1, 4, 3, 5, 2 ...
# ticks), the first one a frame late
NO_REORDER_MUXERS = ("mxf", "mxf_d10", "mxf_opatom", "asf", "asf_stream", "avi")
# ``--codec auto``'s choice for HDR written as HDR (``choose_codec_keeping_alpha``), the first the output takes:
# this FFmpeg's libvpx has no 10-bit VP9, so a .webm gets AV1
HDR_CODECS = (("libx265", "HEVC"), ("libsvtav1", "AV1"))


@dataclass(frozen=True)
class EncoderConfig:
    """Video encoder settings. pix_fmt None picks one that fits the source (see ``choose_pix_fmt``).
    codec: an FFmpeg encoder, or ``auto``: libx264 where the output's kind of file takes it, else the first of
    ``VIDEO_CODECS`` that it takes (``choose_codec``: VP9 for .webm, GIF for .gif).
    preset: the encoder's speed preset; ``auto`` is resolved by ``resolve_preset`` (``fast`` where unresolved).
    auto_preset: ``preset`` was chosen by ``resolve_preset`` for ``auto``, not named (``--preset``): where the
    encoder has no speed preset, only a named one gets a note (``preset_unused``).
    picture_quality: numbered pictures' JPEG and WebP quality, 1..100 (``--photo-quality``; ``SequenceSink``)."""

    codec: str = CODEC_AUTO
    crf: int | None = None  # None: 18 for encoders that take a CRF, their own default otherwise
    preset: str | None = PRESET_AUTO
    pix_fmt: str | None = None
    picture_quality: int = 95
    auto_preset: bool = False


def resolve_preset(encoder: EncoderConfig, *, speed: bool) -> EncoderConfig:
    """``encoder`` with an ``auto`` preset made concrete: ``SPEED_PRESET`` (x264/x265) for a run that asks for
    speed (``--quality fast``), ``fast`` otherwise; a named preset (or None) is kept."""
    if encoder.preset != PRESET_AUTO:
        return encoder
    if encoder.codec == "libsvtav1":  # numbered presets: its own default (x264's names made it fail)
        return replace(encoder, preset=None, auto_preset=True)
    fast = speed and encoder.codec in (*_SPEED_PRESET_CODECS, CODEC_AUTO)  # auto: libx264 where it is taken
    return replace(encoder, preset=SPEED_PRESET if fast else "fast", auto_preset=True)


def preset_unused(codec: str, encoder: EncoderConfig, muxer: str, kind: str) -> str | None:
    """The note for a named ``--preset`` (``encoder.preset``, not ``auto_preset``) that ``codec``, written by FFmpeg's
    ``muxer`` into a ``kind`` file ('.webm'), does not use: it has no speed preset (VP9, FFV1, ProRes, MPEG-2: their
    packets were the same for ultrafast and veryslow), or it is SVT-AV1, chosen by ``--codec auto`` for HDR, whose
    presets are numbers. None where the preset is used, or was not named."""
    if encoder.auto_preset or encoder.preset in (None, PRESET_AUTO) or codec in ("libx264", "libx265"):
        return None
    if codec == "libsvtav1":
        if encoder.preset.lstrip("-").isdigit():
            return None
        return (f"--preset {encoder.preset} does nothing here: the HDR kept in a {kind} file is encoded with "
                "libsvtav1, whose presets are numbers, 0 (slowest, best) to 13 (fastest)")
    keepers = [name for name in _PRESET_CODECS if muxer_fit(muxer, name) == 2]
    hint = f" (--codec {' or '.join(keepers)} has one)" if keepers else ""
    return f"--preset does nothing here: {codec} has no speed preset{hint}"


def _svtav1_preset(preset: str | None) -> str | None:
    """SVT-AV1's preset: a number, 0 (slowest) to 13, or None (its own default: ``auto``,
    ``resolve_preset``); a name (x264's) is a one-line error, where SVT-AV1 said only 'Invalid argument'."""
    if preset is not None and not preset.lstrip("-").isdigit():
        raise EnlightError(f"--preset {preset} is not an SVT-AV1 preset; libsvtav1 takes a number, 0 (slowest, "
                           "best) to 13 (fastest)")
    return preset


def encoder_threads() -> int:
    """The encoder's threads; 0: its own choice (libx264: 1.5 per core plus lookahead threads). Half the
    cores was tried in issue 17 and not kept (see ``enlight.stream.io.source.decoder_threads``)."""
    return 0


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


# encoders a note suggests where the chosen one cannot keep the source's bits or colour samples, in this order
_DETAIL_KEEPERS = ("libx264", "libx265", "prores_ks", "ffv1")


WEBP_QUALITY = "90"  # libwebp's quality (0-100) for an animated WebP from a video; its default, 75, blurs noise


_LOOPING = {".webp": ("loop", "0"), ".apng": ("plays", "0")}  # the muxer's option for 'loop for ever'


def muxer_options(path: Path, metadata: dict[str, str]) -> dict[str, str]:
    """The muxer's options for an output file: for MP4/MOV, the index first (``faststart``: the file plays while
    it streams from the web) and, where the source's tags include reverse-DNS keys (a phone's
    com.apple.quicktime.location.ISO6709, .creationdate, .make, .model: where and when it was filmed, and with
    what), ``use_metadata_tags``, without which the muxer drops every such key. An animated WebP or APNG loops
    for ever, as a GIF does (their muxers play once by default)."""
    if path.suffix.lower() in _LOOPING:
        return dict([_LOOPING[path.suffix.lower()]])
    if path.suffix.lower() not in (".mp4", ".mov", ".m4v"):
        return {}
    reverse_dns = any("." in key for key in metadata)
    return {"movflags": "+faststart+use_metadata_tags" if reverse_dns else "+faststart"}


# an MP4 or MOV written to a pipe or a URL: fragments, each from a keyframe, as FFmpeg streams them; the plain form
# seeks back to write its index at the end. (Not ``empty_moov``: its header, written before the first packet, has
# no AAC configuration where the source's AAC is ADTS, as an MPEG-TS carries it, and the muxer refused it.)
FRAGMENTED = "+frag_keyframe+default_base_moof"


def _stream_location(location: Location) -> Location:
    """``location`` (a pipe or a URL) with the muxer options it needs to be written without seeking back."""
    if location.format not in MP4_MUXERS or "movflags" in location.options:
        return location
    return replace(location, options={**location.options, "movflags": FRAGMENTED})


def partial_path(path: Path) -> Path:
    """``clip.mp4`` -> ``clip.partial.mp4``: where an interrupted run keeps its frames."""
    return path.with_name(f"{fitted(path.stem, f'.partial{path.suffix}')}.partial{path.suffix}")


X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
                "placebo")


def _x26x_preset(codec: str, preset: str | None) -> str | None:
    """x264's and x265's preset: one of their names; another is a one-line error (they said only 'Invalid argument',
    and the hint named another codec)."""
    if preset is not None and preset not in X26X_PRESETS:
        raise EnlightError(f"--preset {preset} is not a {codec} preset; it takes {', '.join(X26X_PRESETS)}")
    return preset


def encoder_options(codec: av.Codec, encoder: EncoderConfig) -> dict[str, str]:
    """The encoder's options for ``encoder``'s --crf and --preset (refused where ``codec`` has no CRF), and quiet."""
    options = {}
    if encoder.crf is not None and codec.name not in _CRF_CODECS:
        raise EnlightError(f"--crf is not supported by {codec.name}; it works with {', '.join(_CRF_CODECS)}")
    low, high = _CRF_RANGES.get(codec.name, (0, 63))
    if encoder.crf is not None and not low <= encoder.crf <= high:
        raise EnlightError(f"--crf {encoder.crf} is outside {codec.name}'s range, {low} (best) to {high} (smallest)")
    if codec.name in _CRF_CODECS:
        options["crf"] = str(DEFAULT_CRF if encoder.crf is None else encoder.crf)
        if codec.name == "libvpx-vp9":
            options["b"] = "0"
    options |= legacy_video.quality(codec.name, encoder.crf)
    preset = resolve_preset(encoder, speed=False).preset
    if codec.name == "libsvtav1" and encoder.codec == CODEC_AUTO and preset in X26X_PRESETS:
        preset = None  # --codec auto chose SVT-AV1 (HDR into .webm): x264's preset name is not its own
    if codec.name == "libsvtav1":
        preset = _svtav1_preset(preset)
    elif codec.name in _PRESET_CODECS:
        preset = _x26x_preset(codec.name, preset)
    if preset and codec.name in _PRESET_CODECS:
        options["preset"] = preset
    options |= QUIET.get(codec.name, {})
    quiet_svt(codec.name)
    return options


class VideoSink:
    """Encodes enhanced frames and copies passthrough packets into a new file.

    ``write_frame`` takes (H, W, 3) uint8 RGB with the source pts; ``write_packet`` takes a
    demuxed packet of one of the ``passthrough`` streams, which is muxed without re-encoding.
    Finish with exactly one of ``finish()`` (rename to the target), ``keep_partial()`` or
    ``abort()`` (delete); the target path is touched only by ``finish()``. ``path`` may be a
    stream ``Location`` (URL or stdout), written directly and only closed by all three. ``metadata`` (the
    source's container tags), ``chapters`` (as ``InputContainer.chapters()`` gives them), ``attachments``
    (``copy_attachments``), ``covers`` (``enlight.stream.io.covers``) and a 360 projection (``spherical``,
    MP4 and MOV; ``enlight.stream.io.spherical``) are copied; a data stream the output
    cannot hold is left out with a note, and so are chapters and the start timecode where the output's kind of
    file drops them (``marks_not_kept``: .ts, .avi). ``time_offset_us``: microseconds every stream's packets are
    moved on by (a source that starts before 0: ``VideoSource.negative_start_us``).
    """

    def __init__(
        self,
        path: str | Path | Location,
        info: VideoInfo,
        *,
        encoder: EncoderConfig = EncoderConfig(),
        passthrough: Sequence[av.stream.Stream] = (),
        metadata: dict[str, str] | None = None,
        chapters: Sequence[dict] = (),
        attachments: Sequence[av.stream.Stream] = (),
        covers: Sequence[Cover] = (),
        spherical: Spherical | None = None,
        captions: CaptionTrack | None = None,
        time_offset_us: int = 0,
    ) -> None:
        self.location = path if isinstance(path, Location) else Location(str(path), str(path), "file")
        self.path = Path(self.location.url) if self.location.is_file else Path(self.location.text)
        self.info = info
        self.encode_s = 0.0
        self.frames_written = 0
        self.notes: list[str] = []  # things the user should hear about once, at the end
        self._full_range_only = False  # the encoder takes full-range YUV only (``_encoder``)
        if encoder.codec != CODEC_AUTO:
            encoder_codec(encoder.codec)  # an unknown encoder is refused before the output is created
        self._tmp: Path | None = None
        if not self.location.is_file:
            self.container = _stream_location(self.location).open("w")
        else:
            remove_stale(self.path)  # what a run killed outright left for this output
            self._tmp = temporary_path(self.path)
            try:
                options = muxer_options(self.path, metadata or {})
                if time_offset_us > 0:  # (FFmpeg's -output_ts_offset: the muxer moves each packet on)
                    options["output_ts_offset"] = f"{time_offset_us}us"
                self.container = av.open(str(self._tmp), "w", format=self.location.format, options=options)
            except (av.error.FFmpegError, ValueError) as exc:
                self._tmp.unlink(missing_ok=True)
                raise EnlightError(f"cannot write {self.path}: {reason(exc)}") from None
        try:
            self._to_display = self._upright()
            self._setup(self._encoder(encoder), encoder, passthrough, metadata or {}, chapters, (attachments, covers))
        except BaseException:
            self.abort()
            raise
        self._last_pts: int | None = None
        self._origin: tuple[int, int] | None = None  # the first frame's pts in the source's and the encoder's ticks
        self._shown: tuple[int, int, int] | None = None  # (encoder's ticks) first frame's pts, last's, last's duration
        self._captions = None if captions is None else CaptionWriter(
            captions, self.video_stream.codec_context.codec.canonical_name)
        self._spherical = spherical if self.container.format.name in MP4_MUXERS else None
        if spherical is not None and self._spherical is None:
            self.notes.append(spherical_not_kept(self._kind))

    def _upright(self) -> list[Turn | Widen]:
        """What makes the frames look as players show them where the output cannot say how (``upright``): the turn
        upright where it has no rotation tag, the widening to square pixels in an animated picture. ``info`` then
        describes the frames written (size, pixel aspect, no matrix); a note says what was done."""
        muxer = self.container.format.name
        where = f"a {self.path.suffix or muxer} file"
        self.info, steps, notes = display_steps(self.info, turn=muxer not in ROTATION_MUXERS,
                                                widen=muxer in PICTURE_MUXERS, where=where)
        self.notes += notes
        return steps

    def _encoder(self, encoder: EncoderConfig) -> av.Codec:
        """The video encoder (``choose_codec`` for the output's muxer) and its pixel format (``self.pix_fmt``)."""
        muxer, kind = self.container.format.name, self._kind
        name, note = choose_codec_keeping_alpha(encoder.codec, muxer, self.info, kind)
        codec = encoder_codec(name)
        self._full_range_only = codec.name in legacy_video.FULL_RANGE_ENCODERS
        if codec.name == "gif" and encoder.pix_fmt in (None, GIF_PIX_FMT):  # a palette per frame (gif_palette)
            self.pix_fmt, self.keeps_alpha = GIF_PIX_FMT, self.info.alpha
        else:
            self.pix_fmt = choose_pix_fmt(codec, self.info, encoder.pix_fmt,
                                          alpha=self.info.alpha and holds_alpha(codec.name, muxer))
            self.keeps_alpha = self.info.alpha and has_alpha(self.pix_fmt)
        hdr = dict(HDR_CODECS).get(codec.name) if encoder.codec == CODEC_AUTO and self.info.color.hdr else None
        for line in (note, alpha_note(codec.name, muxer, self.pix_fmt, self.info, kind),
                     hdr and hdr_kept_note(codec.name, hdr, self.pix_fmt),
                     preset_unused(codec.name, encoder, muxer, kind),
                     self._lost_detail(codec.name, encoder.pix_fmt)):
            if line:
                self.notes.append(line)
        if codec.name == "libx264" and encoder.pix_fmt is None and av.VideoFormat(self.pix_fmt).components[0].bits > 8:
            self.notes.append(f"encoded as {self.pix_fmt} to match the input: H.264 above 8 bits plays in VLC and mpv "
                              "but not in browsers or QuickTime (--pix-fmt yuv420p for 8 bits, or --codec libx265)")
        return codec

    def _lost_detail(self, codec: str, requested: str | None) -> str | None:
        """``lost_detail_note`` where the pixel format chosen for the source (not ``requested``: --pix-fmt) loses
        detail, naming the encoders of ``_DETAIL_KEEPERS`` that the output takes and that would keep the source's."""
        source = self.info.pix_fmt.replace("yuvj", "yuv")
        if requested is not None or not loses_detail(source, self.pix_fmt):
            return None
        muxer = self.container.format.name
        keepers = [name for name in _DETAIL_KEEPERS if name != codec and muxer_fit(muxer, name) == 2
                   and source in [f.name for f in encoder_codec(name).video_formats or ()]]
        return lost_detail_note(codec, source, self.pix_fmt, keepers[:2])

    def _setup(self, codec: av.Codec, encoder: EncoderConfig, passthrough, metadata: dict[str, str],
               chapters: Sequence[dict], attached: tuple[Sequence, Sequence[Cover]]) -> None:
        info = self.info
        out = self.container
        stream = self._added_stream(codec.name)
        stream.width, stream.height = info.width, info.height
        stream.pix_fmt = self.pix_fmt
        ctx = stream.codec_context
        self.time_base = legacy_video.codec_time_base(codec.name, info.time_base, info.average_rate,
                                                      muxer=out.format.name, slot_rate=info.slot_rate)
        ctx.time_base = self.time_base
        stream.time_base = self.time_base
        ctx.framerate = info.average_rate
        ctx.thread_type = "AUTO"
        ctx.thread_count = encoder_threads()
        ctx.flags |= av.codec.context.Flags.frame_duration  # the frames' durations reach the packets (``last_frame``)
        self._last_sample = LastSample() if out.format.name in MP4_MUXERS else None
        color = self.output_color = self._fitted_colour(codec.name)  # (refuses HDR that cannot be tagged so)
        check_hdr_depth(color.hdr, self.info.pix_fmt, self.pix_fmt, codec=codec.name, requested=encoder.pix_fmt)
        ctx.colorspace, ctx.color_range = color.matrix, color.color_range
        ctx.color_primaries, ctx.color_trc = color.primaries, color.transfer
        options, lost = with_static(codec.name, encoder_options(codec, encoder), info.hdr_static)
        self.notes += lost
        if codec.name == "libwebp_anim":
            options["quality"] = WEBP_QUALITY
        if codec.name == "libvpx" and has_alpha(self.pix_fmt):
            options["auto-alt-ref"] = "0"  # libvpx's VP8 refuses to open for an alpha plane with alt-ref frames on
        if codec.canonical_name == "hevc" and self.path.suffix.lower() in (".mp4", ".mov", ".m4v"):
            ctx.codec_tag = "hvc1"  # FFmpeg's default, hev1, does not play in QuickTime or Safari
        if out.format.name in NO_REORDER_MUXERS:
            ctx.max_b_frames = 0  # (x264 and x265 take it as their --bframes)
        ctx.options = options
        if info.display_matrix is not None:
            stream.set_display_matrix(info.display_matrix)
        self.notes += keep_sample_aspect(stream, info.sample_aspect_ratio)
        stream.metadata.update(dict(info.tags))  # language, title, handler
        stream.disposition = av.stream.Disposition(info.disposition)
        if info.timecode is not None:
            stream.metadata["timecode"] = info.timecode  # MOV/MP4: a timecode track again; others: the tag
        self._fields = self._interlace(ctx, codec.name)
        self._palette = (GifPalette(info.width, info.height, alpha=self.keeps_alpha, time_base=self.time_base)
                         if self.pix_fmt == GIF_PIX_FMT else None)
        self.video_stream = stream
        self._copy_side_streams(passthrough, *attached)
        tags = {key: value for key, value in metadata.items() if key.lower() not in _COPIED_CONTAINER_KEYS_SKIPPED}
        out.metadata.update(tags)
        trial = partial(trial_of_muxer, out.format.name, codec.name, options=muxer_options(self.path, tags))
        self.notes += tags_note(tags_not_kept(tags, trial), self._kind)
        if chapters:
            out.set_chapters(list(chapters))
        self._marks = partial(marks_not_kept, out.format.name, codec.name, self._kind, len(chapters), info.timecode)
        self._write_header(codec, passthrough)
        mux_covers(out, self._covers)

    def _added_stream(self, codec: str) -> av.video.stream.VideoStream:
        """The output's video stream of ``codec``; a one-line error, naming a codec it holds, where the container
        does not take it (.webm and H.264) or would write it so that no player shows it (.ts and FFV1)."""
        muxer = self.container.format.name
        why = ""
        try:
            stream = self.container.add_stream(codec, rate=self.info.average_rate)
        except ValueError:
            stream = None
        if stream is not None and read_back(muxer, codec):
            return stream
        if stream is not None:
            why = " (FFmpeg would write it so that no player shows it)"
        fits = codecs_taken(muxer, other_than=codec)
        hint = f": use --codec {fits[0]}" if fits else ""
        raise EnlightError(f"a {self._kind} output cannot hold {codec} video{why}{hint}")

    def _write_header(self, codec: av.Codec, passthrough: Sequence[av.stream.Stream]) -> None:
        """Start the output; a muxer that refuses a copied stream or the encoder only here (MPEG-PS and AAC,
        Ogg and H.264) is a one-line error that names what would be taken."""
        out = self.container
        try:
            out.start_encoding()
        except (av.error.FFmpegError, ValueError) as exc:
            if (failure := sent_failure(self.location, exc)) is not None:
                raise EnlightError(failure) from None
            for stream in passthrough:
                if stream.index in self._passed.streams and not holds_copy(out.format.name, stream):
                    raise cannot_hold(self.path, stream, reason(exc)) from None
            fits = codecs_taken(out.format.name, other_than=codec.name)
            hint = f" (a {self._kind} output takes --codec {fits[0]})" if fits else ""
            name = self.path.name if self.location.is_file else self.location.text
            raise EnlightError(f"cannot encode {name} with {codec.name} ({self.pix_fmt}): {reason(exc)}"
                               f"{hint}") from None

    def _interlace(self, ctx: av.video.codeccontext.VideoCodecContext, codec: str) -> FieldMarker | None:
        """For an interlaced source, the encoder set to code fields in its order and the marker of the frames
        (``enlight.stream.io.fields``); None for progressive ones, or with a note where the encoder cannot."""
        order = self.info.field_order
        if order is None:
            return None
        if codec not in INTERLACED_ENCODERS:
            self.notes.append(f"the input is interlaced ({describe(order)}); {codec} writes it as progressive frames "
                              f"(the fields stay woven: deinterlace on playback, or use {INTERLACED_ENCODERS[0]})")
            return None
        ctx.field_order = order
        ctx.flags |= av.codec.context.Flags.interlaced_dct | av.codec.context.Flags.interlaced_me
        return FieldMarker(order, self.info.width, self.info.height, self.pix_fmt, self.time_base)

    def _copy_side_streams(self, passthrough: Sequence[av.stream.Stream], attachments: Sequence,
                           covers: Sequence[Cover]) -> None:
        """The output's copies of the passthrough streams it can hold, the attachments and the cover pictures;
        notes for the rest."""
        held, left_out = held_streams(self.container, self.path, passthrough)
        self.notes += left_out
        self._passed = PassedStreams(self.container, self.path, held)
        self.notes += self._passed.notes
        for source in held:  # copied PCM into MP4: a note where players may not play it
            name = source.codec_context.name if source.codec_context else ""
            if source.index not in self._passed.converters and name.startswith("pcm_") and \
                    self.path.suffix.lower() in (".mp4", ".m4v"):
                self.notes.append(f"audio stream #{source.index} ({name}) was copied into MP4 as 'ipcm', a recent "
                                  "form many players (browsers, QuickTime) do not play yet; a .mov or .mkv output "
                                  "keeps it in the form players expect")
        self.notes += copy_attachments(self.container, self.path, attachments)
        self._covers, notes = add_covers(self.container, self._kind, covers, holds_attachments)
        self.notes += notes

    @property
    def _kind(self) -> str:
        """The output's kind of file, for notes: its extension ('.ts'), or its muxer for a stream."""
        return self.path.suffix if self.location.is_file and self.path.suffix else self.container.format.name

    def _fitted_colour(self, codec: str) -> ColorInfo:
        """The colour the frames are written in: ``_wanted_colour``, or what the output's readers will read it as
        where it cannot be tagged so (``enlight.stream.io.colour_fit``), with notes on what changed."""
        wanted = self._wanted_colour
        if self.pix_fmt == GIF_PIX_FMT:  # (the palette's frames are RGB: a trial's are of what the encoder takes)
            found = Found(2, 0, 2, 2)
        else:
            found = colour_found(self.container.format.name, codec, self.pix_fmt,
                                 (wanted.matrix, wanted.color_range, wanted.primaries, wanted.transfer))
        written = fitted_colour(wanted, found, pix_fmt=self.pix_fmt, width=self.info.width, height=self.info.height)
        self.notes += colour_notes(wanted, written, found, codec=codec, kind=self._kind)
        return written

    @property
    def _wanted_colour(self) -> ColorInfo:
        """The source's colour, with yuvj's implied full range made explicit for plain yuv output."""
        color = self.info.color
        if color.matrix == MATRIX_RGB and self.pix_fmt.startswith("yuv"):
            # an RGB source (PNG, QuickTime Animation, FFV1 or UT Video RGB) written as YUV: tagged with the matrix
            # the conversion uses, in the limited range players expect of YUV, not as RGB (a player that believes
            # the tag shows the Y, Cb and Cr planes as green, blue and red; libvpx refuses the frames)
            matrix = MATRIX_BT709 if color.sws_matrix == Colorspace.ITU709 else MATRIX_SMPTE170M
            return ColorInfo(matrix, RANGE_LIMITED, color.primaries, color.transfer, color.sws_matrix, False)
        # yuvj's implied full range made explicit; and full range for an encoder that takes no other (FFmpeg's Motion
        # JPEG, as JPEG has it: it refused the frames)
        implied = color.full_range and color.color_range == 0
        if self.pix_fmt.startswith("yuv") and (implied or (self._full_range_only and not color.full_range)):
            return ColorInfo(color.matrix, 2, color.primaries, color.transfer, color.sws_matrix, True)
        return color

    def write_frame(self, rgb: np.ndarray, pts: int, alpha: np.ndarray | None = None,
                    duration: int | None = None) -> None:
        """Encode one (H, W, 3) uint8 RGB frame at ``pts`` (source time base), with its (H, W) uint8 ``alpha``
        where the source had one (written where ``keeps_alpha``) and its ``duration`` (source time base; None: one
        frame at the average rate), which the last frame is shown for (``enlight.stream.io.last_frame``)."""
        start = time.perf_counter()
        source_pts = pts
        if self.time_base != self.info.time_base:
            pts = self._coarse_pts(pts)
        if self._last_pts is not None and pts <= self._last_pts:
            note = "some frames had repeated or decreasing timestamps; they were moved 1 tick later"
            if note not in self.notes:
                self.notes.append(note)
            pts = self._last_pts + 1  # encoders need strictly increasing timestamps
        self._last_pts = pts
        for step in self._to_display:  # (``_upright``)
            rgb, alpha = step(rgb), None if alpha is None else step(alpha)
        frame = self.convert(rgb, alpha if self.keeps_alpha else None)
        frame.pts = pts
        frame.time_base = self.time_base
        if duration:
            frame.duration = max(1, round(duration * self.info.time_base / self.time_base))
        self._shown = (pts if self._shown is None else self._shown[0], pts, frame.duration)
        if self._palette is not None:
            frame = self._palette(frame)
        if self._captions is not None:
            self._captions.sent(source_pts, pts, self.time_base)
        self._mux(self._encoded(frame))
        self.frames_written += 1
        self.encode_s += time.perf_counter() - start

    def _coarse_pts(self, pts: int) -> int:
        """``pts`` (source ticks) in the encoder's coarser ticks, counted from the first frame: a constant-rate
        source whose first frame lies between two of them (a DVD's MPEG-2 at 48600/90000 s, 13.5 frames of 25 fps)
        keeps one tick a frame, where rounding each frame alone sent every other one to its neighbour's tick."""
        if self._origin is None:
            self._origin = pts, round(pts * self.info.time_base / self.time_base)
        first, first_coarse = self._origin
        return first_coarse + round((pts - first) * self.info.time_base / self.time_base)

    def _encoded(self, frame: av.VideoFrame | None) -> list[av.Packet]:
        """What the encoder hands out for ``frame`` (None: flush), with the source's closed captions put back."""
        packets = self.video_stream.encode(frame)
        packets = packets if self._captions is None else self._captions.packets(packets)
        return packets if self._last_sample is None else self._last_sample.packets(packets, end=frame is None)

    def convert(self, rgb: np.ndarray, alpha: np.ndarray | None = None) -> av.VideoFrame:
        """(H, W, 3) uint8 RGB (and (H, W) uint8 alpha) -> a frame in the encoder's pixel format, with the output's
        colour tags."""
        pix_fmt = self.pix_fmt if self._palette is None else "rgba" if alpha is not None else "rgb24"
        frame = rgb_to_frame(rgb, pix_fmt, self.output_color, alpha)
        return self._fields(frame) if self._fields is not None else frame

    def write_packet(self, packet: av.Packet) -> None:
        """Mux a packet of a passthrough stream unchanged (its bytes are not touched)."""
        if packet.stream.index not in self._passed.streams or packet.size == 0:
            return
        self._mux(self._passed.packets(packet))

    def _mux(self, packets: list[av.Packet]) -> None:
        """Write ``packets``; a network output whose socket failed (the receiver gone, stalled or never there) is a
        one-line error that says so (``locations.sent_failure``)."""
        try:
            self.container.mux(packets)
        except OSError as exc:
            failure = sent_failure(self.location, exc)
            if failure is None:
                raise
            raise EnlightError(failure) from None

    def _close(self) -> None:
        start = time.perf_counter()
        try:
            self._mux(self._encoded(None))
            self._mux(self._passed.flush())
            self.notes += [] if self._captions is None else self._captions.notes()
        finally:
            self.container.close()
            self.encode_s += time.perf_counter() - start

    def finish(self, *, overwrite: bool = False) -> Path:
        """Flush and close, then move the file to the target path."""
        if self._tmp is None:
            self._close()
            self.notes += self._passed.flag_notes(None) + self._marks()
            return self.path
        try:
            try:
                self._close()
            except av.error.FFmpegError as exc:  # the disk filled, or the muxer refused something only at the end
                raise EnlightError(disk_full(exc) or f"cannot finish writing {self.path.name}: {reason(exc)}; a "
                                   ".mkv output takes more kinds of streams") from None
            self.notes += self._passed.flag_notes(self._tmp) + self._marks(written=self._tmp)
            if self._spherical is not None:
                add_spherical(self._tmp, self._spherical)  # PyAV cannot give the encoded stream its side data
            if self._shown is not None:
                set_last_delay(self._tmp, self.container.format.name, self.time_base, *self._shown)
            if self.path.exists() and not overwrite:
                raise EnlightError(f"{self.path} appeared while encoding; kept nothing (use --force)")
            os.replace(self._tmp, self.path)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise
        return self.path

    def keep_partial(self) -> Path | None:
        """Flush and close what was encoded as ``<name>.partial.<ext>``; None if nothing was."""
        if self._tmp is None:  # a stream: what was sent is out there already
            try:
                self._close()
            except Exception:
                pass
            return None
        target = partial_path(self.path)
        try:
            self._close()
        except Exception:
            self._tmp.unlink(missing_ok=True)
            return None
        if self.frames_written == 0:
            self._tmp.unlink(missing_ok=True)
            return None
        os.replace(self._tmp, target)
        return target

    def abort(self) -> None:
        """Close without flushing and delete the temporary file."""
        try:
            self.container.close()
        except Exception:
            pass
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)

