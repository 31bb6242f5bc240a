"""Writing the enhanced video: PyAV encode plus packet-for-packet copy of the other streams.

A file is written under a temporary name in the target folder and renamed when complete, so
the target path holds either the finished video or nothing new. An interrupted run can keep
what was encoded as ``<name>.partial.<ext>`` (a valid, playable file). A stream (a URL, or
stdout) is written directly: there is nothing to rename.

The encoder's settings are ``enlight.stream.io.encoder_settings``, the choice of encoder and pixel format
``codec_choice``, the muxer's options ``output_muxer``, what a muxer does with a stream ``muxer_trials``, the
copies of the other streams ``stream_copy``, and a network output's sends that block too long ``send_watch``.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Sequence
from contextlib import nullcontext
from fractions import Fraction
from functools import partial
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Colorspace

from enlight.errors import EnlightError, disk_full, reason
from enlight.stream.io import legacy_video
from enlight.stream.io.alpha import has_alpha, holds_alpha
from enlight.stream.io.audio_layouts import named_layout
from enlight.stream.io.avi_start import StreamStarts, set_starts
from enlight.stream.io.captions import CaptionTrack, CaptionWriter
from enlight.stream.io.codec_choice import (
    HDR_CODECS,
    alpha_note,
    choose_codec_keeping_alpha,
    choose_pix_fmt,
    encoder_codec,
)
from enlight.stream.io.colour_fit import Found, colour_notes, fitted_colour
from enlight.stream.io.container_tags import tags_not_kept, tags_note
from enlight.stream.io.covers import Cover, add_covers, mux_covers
from enlight.stream.io.encoder_settings import CODEC_AUTO, EncoderConfig, encoder_options, preset_unused
from enlight.stream.io.enhanced_tracks import EnhancedTrack
from enlight.stream.io.fields import INTERLACED_ENCODERS, FieldMarker, describe
from enlight.stream.io.format_fit import loses_detail, lost_detail_note
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
    codecs_taken,
    colour_found,
    marks_not_kept,
    muxer_fit,
    read_back,
    trial_of_muxer,
)
from enlight.stream.io.output_muxer import NO_REORDER_MUXERS, muxer_options, stream_location
from enlight.stream.io.send_watch import SendWatch, tcp_sockets
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
from enlight.stream.io.track_tags import spelt_for
from enlight.stream.io.upright import PICTURE_MUXERS, ROTATION_MUXERS, Turn, Widen, display_steps

_COPIED_CONTAINER_KEYS_SKIPPED = ("encoder", "major_brand", "minor_version", "compatible_brands")


def encoder_threads() -> int:
    """The encoder's threads; 0: its own choice (libx264: 1.5 per core plus lookahead threads). Half the
    cores was tried in issue 17 and not kept (see ``enlight.stream.io.source.decoder_threads``)."""
    return 0


# encoders a note suggests where the chosen one cannot keep the source's bits or colour samples, in this order
_DETAIL_KEEPERS = ("libx264", "libx265", "prores_ks", "ffv1")


WEBP_QUALITY = "90"  # libwebp's quality (0-100) for an animated WebP from a video; its default, 75, blurs noise


def partial_path(path: Path) -> Path:
    """``clip.mp4`` -> ``clip.partial.mp4``: where an interrupted run keeps its frames."""
    return path.with_name(f"{fitted(path.stem, f'.partial{path.suffix}')}.partial{path.suffix}")


def drop_partial(path: Path) -> list[str]:
    """What an earlier, interrupted run of the file output ``path`` kept (``NAME.partial.EXT``) deleted, now that the
    whole output replaces it (a plain run's or segments joined); the note that says so (none where there was none)."""
    stale = partial_path(path)
    if not stale.is_file():
        return []
    stale.unlink()
    return [f"removed {stale.name}, the part an interrupted run had kept"]


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
    moved on by (a source that starts before 0: ``VideoSource.negative_start_us``). ``priming``: the samples an
    audio stream's edit list hides at its start, by source index (``VideoSource.priming``), hidden in a Matroska
    output as they were (``codec_delay``). ``muxer``: options for a file's muxer over its own (a live recording's:
    ``crash_safe``), which ``write_at_target`` may then move onto its name before it ends. ``enhanced``: the
    input's other video streams, enhanced in passes of their own (``enhanced_tracks``), copied in their places among
    the passthrough streams; their packets come through ``write_packet`` too.
    """

    _at_target = False  # the file is written at its name (``write_at_target``)

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
        priming: dict[int, int] | None = None,
        muxer: dict[str, str] | None = None,
        enhanced: Sequence[EnhancedTrack] = (),
    ) -> None:
        self.location = path if isinstance(path, Location) else Location(str(path), str(path), "file")
        self.path = Path(self.location.url) if self.location.is_file else Path(self.location.text)
        self.info = info
        self.encode_s, self.frames_written = 0.0, 0
        self.notes: list[str] = []  # things the user should hear about once, at the end
        self._full_range_only = False  # the encoder takes full-range YUV only (``_encoder``)
        if encoder.codec != CODEC_AUTO:
            encoder_codec(encoder.codec)  # an unknown encoder is refused before the output is created
        self._tmp: Path | None = None
        self._watch: SendWatch | None = None  # a network output's sends (``send_watch``), from its opening on
        self._send_failed = False
        self.stream_cut = False  # a stream output whose end was cut off (``keep_partial``): a send blocked or failed
        if not self.location.is_file:
            self.container = stream_location(self.location).open("w")
        else:
            remove_stale(self.path)  # what a run killed outright left for this output
            self._tmp = temporary_path(self.path)
            try:
                options = muxer_options(self.path, metadata or {}) | (muxer or {})
                if time_offset_us > 0:  # (FFmpeg's -output_ts_offset: the muxer moves each packet on)
                    options["output_ts_offset"] = f"{time_offset_us}us"
                self.container = av.open(str(self._tmp), "w", format=self.location.format, options=options)
            except (av.error.FFmpegError, ValueError) as exc:
                self._tmp.unlink(missing_ok=True)
                raise EnlightError(f"cannot write {self.path}: {reason(exc)}") from None
        try:
            self._to_display = self._upright()
            self._priming, self._enhanced = priming or {}, enhanced
            self._setup(self._encoder(encoder), encoder, passthrough, metadata or {}, chapters, (attachments, covers))
        except BaseException:
            self.abort()
            raise
        self._last_pts: int | None = None
        self._starts = (StreamStarts(Fraction(max(0, time_offset_us), 1_000_000))
                        if self.container.format.name in legacy_video.AVI_MUXERS else None)  # (``avi_start``)
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
        stream.metadata.update(spelt_for(dict(info.tags), out.format.name))  # language, title, handler
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
        before = tcp_sockets() if self.location.kind == "network" else None
        started = time.monotonic()
        try:
            out.start_encoding()
        except (av.error.FFmpegError, ValueError) as exc:
            if (failure := sent_failure(self.location, exc, opening_s=time.monotonic() - started)) is not None:
                raise EnlightError(failure) from None
            for stream in passthrough:
                if stream.index in self._passed.streams and not holds_copy(out.format.name, stream):
                    raise cannot_hold(self.path, stream, reason(exc)) from None
            fits = codecs_taken(out.format.name, other_than=codec.name)
            hint = f" (a {self._kind} output takes --codec {fits[0]})" if fits else ""
            name = self.path.name if self.location.is_file else self.location.text
            raise EnlightError(f"cannot encode {name} with {codec.name} ({self.pix_fmt}): {reason(exc)}"
                               f"{hint}") from None
        if before is not None:
            self._watch = SendWatch.opened(before, self.location.send_timeout_s)

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
        notes for the rest (those of the streams also in ``copy_notes``)."""
        before = len(self.notes)
        held, left_out = held_streams(self.container, self.path, passthrough)
        self.notes += left_out
        self._passed = PassedStreams(self.container, self.path, held, self._priming, self._enhanced)
        self.notes += self._passed.notes
        for source in held:  # copied PCM into MP4: a note where players may not play it
            name = source.codec_context.name if source.codec_context else ""
            if source.index not in self._passed.converters and name.startswith("pcm_") and \
                    self.path.suffix.lower() in (".mp4", ".m4v"):
                self.notes.append(f"audio stream #{source.index} ({name}) was copied into MP4 as 'ipcm'"
                                  f"{named_layout(source.codec_context.layout)}, a recent form many players "
                                  "(browsers, QuickTime) do not play yet; a .mov or .mkv output keeps it in the form "
                                  "players expect")
        self.copy_notes = self.notes[before:]
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

    @property
    def first_time(self) -> Fraction | None:
        """The first frame's time as it was encoded (seconds), before the muxer moves it; None before a frame."""
        return None if self._shown is None else self._shown[0] * self.time_base

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
        if not self._passed.takes(packet) or packet.size == 0:
            return
        self._mux(self._passed.packets(packet))

    def _mux(self, packets: list[av.Packet]) -> None:
        """Write ``packets``; a network output whose socket failed (the receiver gone, stalled or never there) is a
        one-line error that says so (``locations.sent_failure``), as is one whose send blocked past its limit
        (``send_watch``: FFmpeg's RTSP muxer drops such a packet and goes on). A stop that had to cut a blocked send
        is raised (KeyboardInterrupt) where it did, and the stream ends there: what is left is dropped."""
        watch, failure = self._watch, None
        if watch is not None and watch.stopped:
            return
        if self._starts is not None:
            self._starts.seen(packets)
        try:
            with watch.sending() if watch is not None else nullcontext():
                self.container.mux(packets)
        except OSError as exc:
            failure = sent_failure(self.location, exc)
            if failure is None:
                raise
        if watch is not None and watch.stalled:  # (cut by the watch: FFmpeg says EPIPE, or for RTSP nothing)
            self._send_failed = True
            if watch.stopped:  # (the stop's own KeyboardInterrupt, PyAV can lose while it makes its error)
                raise KeyboardInterrupt
            failure = sent_failure(self.location, TimeoutError(errno.ETIMEDOUT, "cut"))
        if failure is not None:
            self._send_failed = True
            raise EnlightError(failure) from None

    def hurry(self) -> None:
        """The run was stopped: a send to a network output that has blocked for a second is cut (now, or then)."""
        if self._watch is not None:
            self._watch.hurry()

    def _close_container(self) -> None:
        """Close the container. After a failed send the output's connection is cut first (the goodbyes of RTMP and
        RTSP would each wait the whole limit on a receiver that stopped reading), and what closing it fails with
        is not said: the failed send was."""
        if self._watch is not None:
            if self._send_failed:
                self._watch.cut()
            self._watch.close()
        try:
            self.container.close()
        except (av.error.FFmpegError, OSError):
            if not self._send_failed:
                raise

    def _close(self) -> None:
        start = time.perf_counter()
        try:
            self._mux(self._encoded(None))
            self._mux(self._passed.flush())
            self.notes += [] if self._captions is None else self._captions.notes()
        finally:
            self._close_container()
            self.encode_s += time.perf_counter() - start

    def finish(self, *, overwrite: bool = False) -> Path:
        """Flush and close, then move the file to the target path."""
        if self._tmp is None:
            self._close()
            self.notes += self._passed.flag_notes(None) + self._passed.order_notes() + self._marks()
            return self.path
        try:
            try:
                self._close()
            except av.error.FFmpegError as exc:  # the disk filled, or the muxer refused something only at the end
                raise EnlightError(disk_full(exc) or f"cannot finish writing {self.path.name}: {reason(exc)}; a "
                                   ".mkv output takes more kinds of streams") from None
            self.notes += self._passed.flag_notes(self._tmp) + self._passed.order_notes() + \
                self._marks(written=self._tmp)
            if self._spherical is not None:
                add_spherical(self._tmp, self._spherical)  # PyAV cannot give the encoded stream its side data
            if self._shown is not None:
                set_last_delay(self._tmp, self.container.format.name, self.time_base, *self._shown)
            self._set_starts(self._tmp)
            if self.path.exists() and not overwrite and not self._at_target:
                raise EnlightError(f"{self.path} appeared while encoding; kept nothing (use --force)")
            os.replace(self._tmp, self.path)
        except BaseException:
            if not self._at_target:  # (a recording keeps what it wrote: ``write_at_target``)
                self._tmp.unlink(missing_ok=True)
            raise
        return self.path

    def write_at_target(self, *, overwrite: bool = False) -> None:
        """Move the file under way onto its name now and write it there to its end: a live recording, which a crash
        (``kill -9``, the OOM killer, a power cut) must leave where the user looks, not as a temporary that the next
        run deletes as stale. ``finish`` then closes it there, and keeps it where it fails (the disk filled); ``abort``
        and ``keep_partial`` with no frames still delete it. A file that appeared at the name since the checks is
        refused without ``overwrite``."""
        if self._tmp is None or self._at_target:
            return
        if self.path.exists() and not overwrite:
            self.abort()
            raise EnlightError(f"{self.path} appeared before the recording started; kept nothing (use --force)")
        os.replace(self._tmp, self.path)
        self._tmp, self._at_target = self.path, True

    def _set_starts(self, path: Path) -> None:
        """An AVI file's sound that starts after its picture's first frame started there (``avi_start``)."""
        if self._starts is not None:
            set_starts(path, self._starts.audio_starts())

    def keep_partial(self) -> Path | None:
        """Flush and close what was encoded as ``<name>.partial.<ext>``; None if nothing was. A stream is flushed
        and ended (None), and ``stream_cut`` says where it could not be: the receiver then has at most
        ``frames_written`` frames."""
        if self._tmp is None:  # a stream: what was sent is out there already
            try:
                self._close()
            except Exception:
                self.stream_cut = True
            self.stream_cut = self.stream_cut or self._send_failed
            return None
        target = self.path if self._at_target else partial_path(self.path)
        try:
            self._close()
        except Exception:
            if self._at_target and self.frames_written:  # (a recording keeps what reached the disk)
                return target
            self._tmp.unlink(missing_ok=True)
            return None
        if self.frames_written == 0:
            self._tmp.unlink(missing_ok=True)
            return None
        self._set_starts(self._tmp)
        os.replace(self._tmp, target)
        return target

    def abort(self) -> None:
        """Close without flushing and delete the temporary file."""
        try:
            self._close_container()
        except Exception:
            pass
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)

