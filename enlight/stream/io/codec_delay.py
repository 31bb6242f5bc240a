"""The start of a copied audio stream that an MP4 or MOV edit list hides, kept hidden in a Matroska or WebM output.

An AAC encoder starts its stream with priming, samples no one is to hear (1024 from FFmpeg's encoder, 2112 from
Apple's), and an MP4 or MOV file hides them with its edit list: FFmpeg gives the priming packets times before 0
and flags them discard. The copy keeps the one just before 0 (``stream_copy.hidden_by_edit``: the decoder primes
on it), and Matroska, which has no edit lists, has its CodecDelay instead: FFmpeg's muxer writes it from the
stream's initial padding and then takes that packet's time before 0 as it is. Without it the muxer moved every
stream on by the packet's time (a video of an AAC source started 21.3 ms late, and the priming was heard at 0,
where FFmpeg's own copy keeps the video at 0 and hides it). PyAV copies a stream's initial padding but cannot set
one, so the copy's template is given it for the moment it is copied (``stream_struct.audio_parameters``).
An Opus stream's pre-skip is its initial padding already (read from the file), and is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import av

from enlight.stream.io.stream_struct import audio_parameters

MATROSKA_MUXERS = frozenset({"matroska", "webm"})


def edit_priming(stream: av.stream.Stream) -> int:
    """The samples of an audio ``stream`` of an MP4 or MOV file that its edit list hides at the start and that a
    copy keeps (``hidden_by_edit``: all of the first packet kept that lies before 0), from its index (no packet is
    read): 1024 for FFmpeg's AAC, 0 where its first packet kept is not hidden or the file has no such index."""
    if stream.type != "audio" or not stream.sample_rate or not stream.time_base:
        return 0
    entries = stream.index_entries
    for i, entry in enumerate(entries):
        if not entry.is_discard or entry.timestamp >= 0:
            return 0
        following = entries[i + 1].timestamp if i + 1 < len(entries) else entry.timestamp
        if entry.timestamp + 2 * (following - entry.timestamp) > 0:  # (the packet kept: ``hidden_by_edit``)
            return round(-entry.timestamp * stream.time_base * stream.sample_rate)
    return 0


@contextmanager
def primed_template(muxer: str, source: av.stream.Stream, samples: int) -> Iterator[str | None]:
    """While ``source`` is copied into a file of FFmpeg's ``muxer``: where that is Matroska or WebM and ``samples``
    (``edit_priming``) are hidden at its start, ``source`` with them as its initial padding (the copy takes it as
    its CodecDelay); given back after. Yields None, or the note where they could not be set."""
    parameters = audio_parameters(source) if muxer in MATROSKA_MUXERS and samples > 0 else None
    if muxer not in MATROSKA_MUXERS or samples <= 0 or (parameters is not None and parameters.initial_padding):
        yield None
        return
    if parameters is None:
        ms = float(Fraction(samples, source.sample_rate) * 1000)
        yield (f"audio stream #{source.index}'s first {samples} samples ({ms:.1f} ms), which the source hides, could "
               "not be hidden in this output: this PyAV cannot set them; every stream starts that much later")
        return
    parameters.initial_padding = samples
    try:
        yield None
    finally:
        parameters.initial_padding = 0
