"""The channel layout of audio encoded again (``enlight.stream.io.audio_convert``): the source's own where the
output's encoder and kind of file hold it, else the nearest one they hold, so that a film's 5.1 AC-3 or a camera's
7.1 PCM keeps its channels, each on the same speaker, and is mixed to stereo only where the output holds no more.
Every source of more than two channels was mixed to stereo.

The layouts each encoder writes so that a player reads them back as they were (checked by decoding what FFmpeg
wrote, PyAV's FFmpeg 8 and FFmpeg 9's ffmpeg):

- AAC: the standard channel configurations (mono, stereo, 3.0, 4.0, 5.0, 5.1, 7.1). FFmpeg's encoder takes any
  other layout (5.1(side), 6.1, quad) but writes it with a program config element, which FFmpeg reads back as
  '6 channels' with no order, and many players not at all.
- Opus (mapping family 1, the Vorbis order, in WebM, Ogg and Matroska): mono, stereo, 3.0, quad, 5.1, 7.1.
  libopus takes 5.0 and 6.1 too, but their centre and surround channels come back swapped.
- MP3, MPEG audio layer 2: mono and stereo. FLV's header holds mono or stereo (PyAV's FFmpeg fails to decode
  the 5.1 AAC FFmpeg writes into one).
- PCM (MXF): any.

A source layout that is not one of them becomes the smallest that has all of its channels (a side pair counts as a
back pair where the source has none: 5.1(side) is 5.1, quad(side) 5.0 with a silent centre in AAC), else the
smallest with as many channels besides the LFE and an LFE where the source has one (6.1 is 7.1, its back centre on
both back channels); FFmpeg's resampler moves each channel to its place (a side channel to the back one of the
same side) and mixes only what has no place. A stream whose channels name no layout (a WAV or AVI without a
channel mask, PCM in Matroska: '6 channels') is taken in FFmpeg's order for that many, as FFmpeg takes it.
"""

from __future__ import annotations

import av

# the layouts each encoder writes so that players read them back as they were; None: any
WRITTEN = {"aac": ("mono", "stereo", "3.0", "4.0", "5.0", "5.1", "7.1"),
           "libopus": ("mono", "stereo", "3.0", "quad", "5.1", "7.1"),
           "libmp3lame": ("mono", "stereo"), "mp2": ("mono", "stereo")}
# muxers that hold fewer channels than their encoder writes
MUXER_WRITTEN = {"flv": ("mono", "stereo")}
# muxers that write no channel layout for PCM (FFmpeg reads an MXF's or a Matroska file's back as '6 channels'):
# the channels in the layout's order
NAMELESS_PCM_MUXERS = ("mxf", "matroska")
_SIDE_AS_BACK = {"SL": "BL", "SR": "BR"}


def unordered(layout: av.AudioLayout) -> bool:
    """Whether ``layout``'s channels name no speaker ('6 channels'; one of no channels too)."""
    return not layout.nb_channels or any(channel.name == "NONE" for channel in layout.channels)


def source_layout(layout: av.AudioLayout) -> av.AudioLayout:
    """``layout``, or where its channels have no order ('6 channels'), FFmpeg's layout for that many ('6c': 5.1;
    mono for none)."""
    if unordered(layout):
        return av.AudioLayout(f"{max(1, layout.nb_channels)}c")
    return layout


def named_layout(layout: av.AudioLayout) -> str:
    """For a note on a stream copied with ``layout``: what its channels were named where they named no layout
    of more than two channels (an MP4 copy is given FFmpeg's), else nothing."""
    if not unordered(layout) or layout.nb_channels <= 2:
        return ""
    return f" (its {layout.nb_channels} channels name no layout: taken as FFmpeg's {source_layout(layout).name})"


def _names(layout: av.AudioLayout) -> set[str]:
    """``layout``'s channel names, a side pair named as the back one where ``layout`` has no back pair."""
    names = {channel.name for channel in layout.channels}
    if names & {"BL", "BR"}:
        return names
    return {_SIDE_AS_BACK.get(name, name) for name in names}


def output_layout(encoder: str, muxer: str, layout: av.AudioLayout) -> av.AudioLayout:
    """The layout ``encoder`` writes a source of ``layout`` (ordered: ``source_layout``) with into FFmpeg's
    ``muxer``: ``layout`` where both hold it; else of those they hold with an LFE where it has one and as many
    channels besides (else their largest), the one that has most of its channels, the smallest of them."""
    held = MUXER_WRITTEN.get(muxer) or WRITTEN.get(encoder)
    if held is None or layout.name in held:
        return layout
    options = [av.AudioLayout(name) for name in held]  # (smallest first)
    names = _names(layout)
    fits = [option for option in options if "LFE" in _names(option) or "LFE" not in names] or options
    fits = [option for option in fits if len(_names(option) - {"LFE"}) >= len(names - {"LFE"})] or fits[-1:]
    return min(fits, key=lambda option: (len(names - _names(option)), option.nb_channels))
