"""MPEG-TS recordings joined end to end whose sound overlaps by a frame (``enlight.stream.io.packet_order``): each
clip's AAC encoder primes 1024 samples before its first picture, over the end of the clip before."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from tests.media import dark_frames, read_video

FRAMES, RATE, SAMPLES = 12, 24, 2000  # each clip's frames; a frame's sound at 48 kHz


def _clip(path, first: int) -> bytes:
    """An MPEG-TS clip of ``FRAMES`` dark frames from frame ``first`` on, with its AAC sound from the same time (the
    encoder's first packet 1024 samples earlier: from frame 1 on, none before 0, which the muxer would move)."""
    with av.open(str(path), "w", format="mpegts") as out:
        video = out.add_stream("libx264", rate=RATE)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.codec_context.options = {"tune": "zerolatency"}  # (no B-frames: no time before 0 the muxer moves)
        sound = out.add_stream("aac", rate=48000, layout="mono")
        for i, picture in enumerate(dark_frames(FRAMES, 64, 48, seed=first)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = first + i, Fraction(1, RATE)
            out.mux(video.encode(frame))
            tone = (0.2 * np.sin(np.arange(SAMPLES) / 10)).astype(np.float32)[None]
            samples = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            samples.sample_rate, samples.pts, samples.time_base = 48000, (first + i) * SAMPLES, Fraction(1, 48000)
            out.mux(sound.encode(samples))
        out.mux(video.encode())
        out.mux(sound.encode())
    return path.read_bytes()


def _sound(path) -> tuple[int, Fraction]:
    """(the sound's packets, where its last one ends, in seconds after the first picture) of a file."""
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(audio=0) if p.size]
    end = (packets[-1].pts + packets[-1].duration) * packets[-1].time_base
    return len(packets), end - read_video(path)["times"][0]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".ts"])
def test_joined_clips_whose_sound_overlaps_keep_it_in_step(suffix, tmp_path, weights, cli):
    """The second clip's first sound packet went back in time: every muxer refused it and the run stopped at the
    join with an internal error ('ArgumentError: Invalid argument', exit 1). A packet that goes back is left out,
    with a note; the rest of the sound is copied, ending where the source's does."""
    joined = tmp_path / "joined.ts"
    joined.write_bytes(_clip(tmp_path / "a.ts", 1) + _clip(tmp_path / "b.ts", 1 + FRAMES))
    out = tmp_path / f"out{suffix}"
    result = cli(joined, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "audio stream #1: 1 packet that went back in time (recordings joined end to end that overlap: the same " \
           "sound twice) was left out, so that the sound after them stays in step" in result.stderr
    times = read_video(out)["times"]
    steps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 2 * FRAMES and all(abs(step - Fraction(1, RATE)) <= Fraction(1, 1000) for step in steps)
    (source_packets, source_end), (packets, end) = _sound(joined), _sound(out)
    assert packets == source_packets - 1 and abs(end - source_end) <= Fraction(1, 1000)
