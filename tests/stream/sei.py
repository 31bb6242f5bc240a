"""SEI NAL units written by hand into the packets of a test clip: metadata that this FFmpeg's encoders cannot
write themselves (HDR10+ from its libx265, closed captions from any encoder PyAV drives)."""

from __future__ import annotations

import struct
from collections.abc import Callable

import av

from enlight.stream.io import nal


def sei_unit(header: bytes, payload_type: int, payload: bytes) -> bytes:
    """One SEI NAL unit (``header``: H.264 ``06``, HEVC prefix ``4e 01``) holding one message (a payload of under
    255 bytes), with emulation prevention (``nal.escaped``, tested on its own in test_captions)."""
    return header + nal.escaped(bytes([payload_type, len(payload)]) + payload + b"\x80")


def with_sei(path, source, unit_for: Callable[[int], bytes | None]):
    """``source`` (an MP4 of length-prefixed H.264 or HEVC) remuxed to ``path`` with ``unit_for(i)`` put first in
    the packet of the i-th frame in presentation order (None: nothing)."""
    with av.open(str(source)) as reader:
        order = sorted(p.pts for p in reader.demux(video=0) if p.size)
    index = {pts: i for i, pts in enumerate(order)}
    with av.open(str(source)) as reader, av.open(str(path), "w") as writer:
        video = reader.streams.video[0]
        out = writer.add_stream_from_template(video)
        for packet in reader.demux(video):
            if packet.size:
                unit = unit_for(index[packet.pts])
                data = (struct.pack(">I", len(unit)) + unit if unit else b"") + bytes(packet)
                writer.mux(packet_with(data, packet, out))
    return path


def packet_with(data: bytes, packet: av.Packet, stream) -> av.Packet:
    """A packet of ``data`` for ``stream`` with ``packet``'s timing and key-frame flag."""
    copy = av.Packet(data)
    copy.pts, copy.dts, copy.time_base = packet.pts, packet.dts, packet.time_base
    copy.is_keyframe, copy.stream = packet.is_keyframe, stream
    return copy
