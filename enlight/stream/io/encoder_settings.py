"""The video encoder's settings (``EncoderConfig``: --codec, --crf, --preset, --pix-fmt, --photo-quality) and the
options they give the encoder: each encoder's CRF range and the default CRF, x264's and x265's named presets and
SVT-AV1's numbered ones (``auto`` made concrete by ``resolve_preset``), the note where a named preset does nothing,
and the options that keep an encoder's banner off the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import av

from enlight.errors import EnlightError
from enlight.stream.io import legacy_video
from enlight.stream.io.muxer_trials import QUIET, muxer_fit, quiet_svt

DEFAULT_CRF = 18
_CRF_CODECS = ("libx264", "libx265", "libvpx-vp9", "libaom-av1", "libsvtav1", "libvpx")
# the CRFs each takes (x264 and x265 at 8 bits; more bits widen theirs below 0, which is not offered)
_CRF_RANGES = {"libx264": (0, 51), "libx265": (0, 51), "libvpx-vp9": (0, 63), "libaom-av1": (0, 63),
               "libsvtav1": (1, 63), "libvpx": (4, 63)}
_PRESET_CODECS = ("libx264", "libx265", "libsvtav1")


PRESET_AUTO = "auto"
# x264/x265 preset of a run that asks for speed (``--quality fast``) when the preset is auto. Measured on the
# fast preset's enhanced frames at crf 18 (docs/benchmarks.md, issue 17): veryfast takes 0.43x fast's CPU at
# 1920x1080 (26.6 vs 62.2 ms per frame) and 0.43x at 854x480, writes 19-28% smaller files, 1.3-1.9 dB lower
# PSNR against the lossless frames (42.4 vs 44.3 dB at 1080p); ``--preset fast`` keeps the old setting.
SPEED_PRESET = "veryfast"
_SPEED_PRESET_CODECS = ("libx264", "libx265")


CODEC_AUTO = "auto"


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


