"""The AudioSpecificConfig of AAC read from an MPEG-TS (ADTS): what Matroska needs in its header.

AAC in an MPEG-TS (a broadcast recording, a camera's or a screen recorder's .ts) carries its configuration in
each packet's ADTS header and none in the stream: FFmpeg's Matroska muxer takes it from the first packet, and
into a file it writes it into the header afterwards; into a pipe it cannot, and refused to start ('cannot encode
- with libx264: Invalid argument' for `clip.ts -o - --format matroska`). The two bytes of ISO 14496-3 are made
from the stream's parameters, which the demuxer read from that header. Only for a stream: into a file, Matroska
writes its own afterwards, and one set beforehand came out spoilt (object type 4, LTP, for an LC stream).
"""

from __future__ import annotations

import av

SAMPLE_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
_OBJECT_TYPES = {"Main": 1, "LC": 2, "SSR": 3, "LTP": 4}  # the ADTS profiles (HE-AAC in ADTS is LC with SBR)
_CHANNEL_CONFIGURATIONS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 8: 7}  # channels -> ADTS channel configuration
HEADER_MUXERS = ("matroska", "webm")  # the muxers that need it up front on a pipe


def audio_specific_config(stream: av.stream.Stream) -> bytes | None:
    """The 2-byte AudioSpecificConfig of an AAC ``stream`` that has none (an ADTS one); None for any other stream,
    or one whose rate or channels ADTS cannot say."""
    ctx = stream.codec_context
    if stream.type != "audio" or ctx.name != "aac" or ctx.extradata:
        return None
    channels = _CHANNEL_CONFIGURATIONS.get(ctx.channels)
    if ctx.sample_rate not in SAMPLE_RATES or channels is None:
        return None
    kind = _OBJECT_TYPES.get((ctx.profile or "LC").split()[0], 2)
    return ((kind << 11) | (SAMPLE_RATES.index(ctx.sample_rate) << 7) | (channels << 3)).to_bytes(2, "big")
