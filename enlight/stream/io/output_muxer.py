"""The output file's muxer settings: its options (an MP4's or MOV's index first and its reverse-DNS tags kept, an
animated WebP or APNG that loops, fragments for an MP4 or MOV written to a pipe or a URL) and the muxers that keep
no reordering of frames (their encoder gets no B-frames).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from enlight.stream.io.locations import Location
from enlight.stream.io.spherical import MP4_MUXERS

# FFmpeg muxers that keep no reordering of frames: with B-frames (x264's and x265's default) the frames of an .mxf
# or .wmv/.asf output came back out of order when read (0, 0.12, 0.08, 0.16, 0.04 s ...), as with FFmpeg's own
# An AVI keeps no presentation times at all: its H.264 frames decoded with their neighbours' times (1, 4, 3, 5, 2 ...
# ticks), the first one a frame late
NO_REORDER_MUXERS = ("mxf", "mxf_d10", "mxf_opatom", "asf", "asf_stream", "avi")


_LOOPING = {".webp": ("loop", "0"), ".apng": ("plays", "0")}  # the muxer's option for 'loop for ever'
MP4_SUFFIXES = (".mp4", ".mov", ".m4v")  # the names FFmpeg writes as ISO media (``spherical.MP4_MUXERS``)


def muxer_options(path: Path, metadata: dict[str, str]) -> dict[str, str]:
    """The muxer's options for an output file: for MP4/MOV, the index first (``faststart``: the file plays while
    it streams from the web) and, where the source's tags include reverse-DNS keys (a phone's
    com.apple.quicktime.location.ISO6709, .creationdate, .make, .model: where and when it was filmed, and with
    what), ``use_metadata_tags``, without which the muxer drops every such key. An animated WebP or APNG loops
    for ever, as a GIF does (their muxers play once by default)."""
    if path.suffix.lower() in _LOOPING:
        return dict([_LOOPING[path.suffix.lower()]])
    if path.suffix.lower() not in MP4_SUFFIXES:
        return {}
    reverse_dns = any("." in key for key in metadata)
    return {"movflags": "+faststart+use_metadata_tags" if reverse_dns else "+faststart"}


# an MP4 or MOV written to a pipe or a URL: fragments, each from a keyframe, as FFmpeg streams them; the plain form
# seeks back to write its index at the end. (Not ``empty_moov``: its header, written before the first packet, has
# no AAC configuration where the source's AAC is ADTS, as an MPEG-TS carries it, and the muxer refused it.)
FRAGMENTED = "+frag_keyframe+default_base_moof"


def stream_location(location: Location) -> Location:
    """``location`` (a pipe or a URL) with the muxer options it needs to be written without seeking back."""
    if location.format not in MP4_MUXERS or "movflags" in location.options:
        return location
    return replace(location, options={**location.options, "movflags": FRAGMENTED})


