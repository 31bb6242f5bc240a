"""How long the last frame is shown (a GIF that pauses on its last frame, a video's last frame), kept where the
output can say it.

Each frame reaches the encoder with its duration (the source's packet's: ``DecodedFrame.duration``; FFmpeg's
encoders pass it on to their packets only with ``AV_CODEC_FLAG_FRAME_DURATION``). Every frame but the last is shown
until the next one starts, so it is the last one's that counts; without it the encoder gave the last frame one frame
at the average rate (a 2 s pause on the last frame of a GIF came out 480 ms long, its MP4 0.88 s instead of 2.4 s):

- GIF, Matroska and WebM take the last packet's duration as it is;
- MP4 and MOV (``LastSample``) end the track's samples at the last packet in decoding order, which is an earlier
  frame than the last one shown where the encoder reorders frames (x264's B-frames): the header said 2.4 s, the
  samples 0.5 s, and FFmpeg read 0.5 s. That packet is held back and its duration stretched so that the samples
  end where the last frame shown does, as a steady stream's do (there the last frame shown lasts to the track's
  end, its own sample's duration stays one frame: FFmpeg reads that as the last frame's duration);
- animated PNG and WebP (``set_last_delay``): FFmpeg's APNG muxer gives the last frame the delay of the one before,
  libwebp the average of all; the file's last frame control chunk (fcTL, ANMF) is rewritten once it is written (a
  file, not a stream output).
"""

from __future__ import annotations

import math
import zlib
from fractions import Fraction
from pathlib import Path

import av


class LastSample:
    """Packets on their way to an MP4 or MOV muxer, the last in decoding order held back and stretched at the end;
    each that the encoder gave no length (a live frame's: captured, not read from a file) let go with its length to
    the next in decoding order (a fragmented file's fragment takes its last sample's length from the packet: none put
    the frame after a gap too early)."""

    def __init__(self) -> None:
        self._held: av.Packet | None = None
        self._first_cts: int | None = None  # the first packet's pts - dts: how far the encoder reorders
        self._shown: tuple[int, int] | None = None  # (pts, duration) of the packet shown last

    def packets(self, packets: list[av.Packet], *, end: bool = False) -> list[av.Packet]:
        """What to mux now of the encoder's ``packets`` (one timebase): the one held before and all but the last,
        which is held; with ``end`` (the encoder's last packets), all of them, the last stretched."""
        for packet in packets:
            if packet.pts is None or packet.dts is None:
                continue
            if self._first_cts is None:
                self._first_cts = packet.pts - packet.dts
            if self._shown is None or packet.pts >= self._shown[0]:
                self._shown = (packet.pts, packet.duration)
        out = ([] if self._held is None else [self._held]) + list(packets)
        for packet, after in zip(out[:-1], out[1:], strict=True):  # (each but the last: the one after it)
            if not packet.duration and packet.dts is not None and after.dts is not None and after.dts > packet.dts:
                packet.duration = after.dts - packet.dts
        self._held = None if end or not out else out.pop()
        if end and out:
            self._stretch(out[-1])
        return out

    def _stretch(self, packet: av.Packet) -> None:
        """Lengthen the last packet in decoding order so that the samples end where the last frame shown does (its
        pts + duration) less the first packet's reordering delay, as the muxer's edit list does, and the packet's
        own pts + duration does not pass that end (the muxer's track length). Where its reordering delay is the
        larger (variable frame rates), its dts is first moved up to its pts less the first one's: a later decoding
        time, still before it is shown and after the packet before it. Nothing where the encoder gave the last frame
        shown no duration (the muxer then gives it one frame)."""
        if not (self._shown and self._shown[1]) or self._first_cts is None or packet.pts is None or packet.dts is None:
            return
        end = sum(self._shown)
        packet.dts = max(packet.dts, packet.pts - self._first_cts)
        packet.duration = max(packet.duration, end - self._first_cts - packet.dts)


def set_last_delay(path: Path, muxer: str, time_base: Fraction, first_pts: int, last_pts: int,
                   last_duration: int) -> None:
    """Rewrite the last frame's delay in an animated PNG or WebP file at ``path`` written by FFmpeg's ``muxer``
    ('apng', 'webp'): the frames' pts and the last one's duration in ``time_base`` units. Other files, one with
    a single frame (no frame control chunk), and a last frame of no known duration are left as they are."""
    if muxer not in ("apng", "webp") or last_duration <= 0:
        return
    data = bytearray(path.read_bytes())
    if muxer == "apng":
        changed = _apng_last_delay(data, Fraction(last_duration) * time_base)
    else:
        changed = _webp_last_delay(data, _webp_ms(first_pts, time_base), _webp_ms(last_pts + last_duration, time_base))
    if changed:
        path.write_bytes(data)


def _apng_last_delay(data: bytearray, seconds: Fraction) -> bool:
    """Give the last fcTL chunk of a PNG file's bytes a delay of ``seconds`` (a 16-bit fraction), its CRC again."""
    from enlight.stream.io.photo_writer import png_chunks  # (not at import: a video run need not load the photo module)

    last = None
    for pos, kind, length in png_chunks(data):
        if kind == b"fcTL" and length >= 26:
            last = pos
    if last is None:
        return False
    delay = _u16_fraction(seconds)
    body = last + 8
    data[body + 20:body + 24] = delay.numerator.to_bytes(2, "big") + delay.denominator.to_bytes(2, "big")
    data[body + 26:body + 30] = zlib.crc32(bytes(data[last + 4:body + 26])).to_bytes(4, "big")
    return True


def _u16_fraction(seconds: Fraction) -> Fraction:
    """``seconds`` as the nearest fraction whose numerator and denominator fit 16 bits (an fcTL's delay)."""
    if seconds >= 0xFFFF:
        return Fraction(0xFFFF)
    return seconds.limit_denominator(max(1, 0xFFFF // max(1, math.ceil(seconds))))


def _webp_ms(pts: int, time_base: Fraction) -> int:
    """A frame's timestamp in milliseconds as FFmpeg's libwebp_anim encoder gives it to libwebp (rounded down)."""
    return time_base.numerator * pts * 1000 // time_base.denominator


def _webp_last_delay(data: bytearray, start_ms: int, end_ms: int) -> bool:
    """Give the last ANMF chunk of a WebP file's bytes the duration that makes the frames end at ``end_ms`` (they
    start at ``start_ms``): what is left after the ones before it (libwebp merges identical frames into one)."""
    pos, durations = 12, []
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        if data[pos:pos + 4] == b"ANMF" and size >= 16:
            durations.append((pos + 8 + 12, int.from_bytes(data[pos + 20:pos + 23], "little")))
        pos += 8 + size + (size & 1)
    if not durations:
        return False
    at, _ = durations[-1]
    left = end_ms - start_ms - sum(duration for _, duration in durations[:-1])
    if left <= 0:
        return False
    data[at:at + 3] = min(left, 0xFFFFFF).to_bytes(3, "little")
    return True
