"""A DVD's VOB (MPEG-2 video and its bitmap subtitles, 'dvdsub') into an MP4: every subtitle kept, at its time."""

from __future__ import annotations

import struct
from fractions import Fraction

import av
import numpy as np

FRAMES, RATE = 20, 25


def _subpicture(shown_s: float, x: int = 8, y: int = 30, width: int = 32, height: int = 8) -> bytes:
    """One DVD subtitle (an SPU, as a DVD's authoring tool writes it): a ``width`` x ``height`` bar of colour 1 at
    (``x``, ``y``), its run-length lines (top field, then bottom), and the two control sequences: show it at once
    (palette, alpha, area, where the fields' lines start), stop showing it ``shown_s`` seconds later."""
    line = bytes([0x08, 0x10])  # one run of 32 pixels of colour 1 (nibbles 0, 8, 1), padded to a byte
    assert width == 32
    fields = line * height
    first = 4 + len(fields)  # where the first control sequence starts
    right, bottom = x + width - 1, y + height - 1
    show = bytes([0x03, 0x32, 0x10, 0x04, 0xFF, 0xF0,
                  0x05, x >> 4, (x & 0xF) << 4 | right >> 8, right & 0xFF, y >> 4, (y & 0xF) << 4 | bottom >> 8,
                  bottom & 0xFF, 0x06]) + struct.pack(">HH", 4, 4 + len(line) * height // 2) + bytes([0x01, 0xFF])
    second = first + 4 + len(show)
    body = fields + struct.pack(">HH", 0, second) + show
    body += struct.pack(">HH", round(shown_s * 90000 / 1024), second) + bytes([0x02, 0xFF])
    return struct.pack(">HH", 4 + len(body), first) + body


def _vob(path, cues: list[int]):
    """A VOB of 20 dark 64x48 MPEG-2 frames at 25 fps and a DVD subtitle at each of the frames ``cues``, 0.2 s on
    screen; the demuxer gives the subtitles' packets no duration, as it does a DVD's."""
    with av.open(str(path), "w", format="vob") as out:
        video = out.add_stream("mpeg2video", rate=RATE)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.bit_rate = 8_000_000  # a DVD's (at FFmpeg's 200 kb/s the muxer's packs left out the subtitles)
        subtitles = out.add_stream("dvd_subtitle")
        rng = np.random.default_rng(0)
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray((rng.random((48, 64, 3)) * 40).astype(np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
            if i in cues:
                packet = av.Packet(_subpicture(0.2))
                packet.stream, packet.time_base = subtitles, Fraction(1, 90000)
                packet.pts = packet.dts = i * 90000 // RATE
                out.mux(packet)
        out.mux(video.encode())
    return path


def _cues(path) -> list[Fraction]:
    """The start times (s) of the subtitles a reader finds in ``path``, relative to its first video frame."""
    with av.open(str(path)) as c:
        video, subtitles = c.streams.video[0], c.streams.subtitles[0]
        start = next(c.decode(video)).pts * video.time_base
        c.seek(0)
        return [p.pts * subtitles.time_base - start for p in c.demux(subtitles) if p.size]


def test_a_vobs_last_subtitle_is_kept_in_an_mp4(tmp_path, weights, cli):
    """The demuxer gives a DVD subtitle's packet no duration (its stop time is in its own bytes): MP4's muxer gave
    the last cue a sample of no time, and the edit list that ends with the last sample left it out. The VOB's
    last subtitle was gone from the MP4 (1 of 2 cues read back), with no word of it."""
    cues = [5, 12]
    src = _vob(tmp_path / "dvd.vob", cues)
    assert _cues(src) == [Fraction(i, RATE) for i in cues]
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", weights, "-q")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    kept = _cues(out)
    assert len(kept) == len(cues)
    assert all(abs(t - Fraction(i, RATE)) <= Fraction(1, 1000) for t, i in zip(kept, cues, strict=True))  # (MP4's
    # edit list counts in ms)
