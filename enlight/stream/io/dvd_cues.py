"""A DVD subtitle's time on screen, given to its copied packet as the packet's duration.

A DVD's subtitle (a VOB's or an MPEG program stream's 'dvdsub') says how long it stays on screen inside its own
bytes, its stop command, and FFmpeg's demuxer gives its packet no duration. FFmpeg's MP4 muxer then gives the
last cue a sample of no time, and the track's edit list, which ends where the last sample does, left that cue
out: the film's last subtitle was gone from an MP4 output, with no word of it.
"""

from __future__ import annotations

from fractions import Fraction

import av

DECODER = "dvdsub"  # FFmpeg's decoder of DVD subtitles, the one codec whose packets carry their time on screen
LONGEST = 24 * 3600 * 1000  # ms: beyond it, a cue without a stop command (FFmpeg's end time is then unsigned -1)


class DvdCueTimes:
    """Fills in the duration of a copied DVD subtitle packet that has none: the end of its display time, read by
    FFmpeg's own decoder of the stream's codec, in the packet's time base."""

    def __init__(self) -> None:
        self._decoder = av.CodecContext.create(DECODER, "r")

    def __call__(self, packet: av.Packet) -> None:
        """Sets ``packet.duration`` where it is 0 or unknown, the packet has a time base and its cue a stop time."""
        if packet.duration or not packet.size or packet.time_base is None:
            return
        try:
            cue = self._decoder.decode2(packet)
        except (av.error.FFmpegError, ValueError):  # a damaged packet: copied as it came
            return
        if cue is not None and 0 < cue.end_display_time < LONGEST:
            packet.duration = round(Fraction(cue.end_display_time, 1000) / packet.time_base)


def cue_times(stream: av.stream.Stream) -> DvdCueTimes | None:
    """A ``DvdCueTimes`` for a source's DVD subtitle stream, None for any other stream."""
    return DvdCueTimes() if stream.type == "subtitle" and stream.codec_context.name == DECODER else None
