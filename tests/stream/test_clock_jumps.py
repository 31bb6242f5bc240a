"""An HDV tape captured over FireWire: two recordings in one MPEG-TS, the second's clock starting before the first's
ended, which FFmpeg's demuxer reads as the 33-bit clock wrapping round."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from tests.media import read_video

FRAMES, RATE = 12, 25  # each recording's


def _recording(path, start_s: int, seed: int):
    """An MPEG-TS recording of 12 dark MPEG-2 frames at 25 fps with 0.48 s of MP2 sound, its clock starting at
    ``start_s`` (as a camcorder's, anywhere)."""
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w", format="mpegts") as out:
        video = out.add_stream("mpeg2video", rate=RATE)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound = out.add_stream("mp2", rate=48000, layout="stereo")
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray((rng.random((48, 64, 3)) * 40).astype(np.uint8), format="rgb24")
            frame.pts = start_s * RATE + i
            out.mux(video.encode(frame))
            chunk = (rng.random((1, 2 * 1920)) * 2000 - 1000).astype(np.int16)
            samples = av.AudioFrame.from_ndarray(chunk, format="s16", layout="stereo")
            samples.sample_rate, samples.pts = 48000, (start_s * RATE + i) * 1920
            out.mux(sound.encode(samples))
        out.mux(video.encode())
        out.mux(sound.encode())
    return path.read_bytes()


def _longest_step(times: list[Fraction]) -> Fraction:
    return max(b - a for a, b in zip(times, times[1:], strict=False))


@pytest.fixture(scope="module")
def tape(tmp_path_factory):
    """The two recordings one after the other, as ``cat`` or a FireWire capture joins them: the first's clock
    at 100 s, the second's at 10 s."""
    folder = tmp_path_factory.mktemp("tape")
    path = folder / "tape.m2t"
    path.write_bytes(_recording(folder / "a.ts", 100, 0) + _recording(folder / "b.ts", 10, 1))
    with av.open(str(path)) as check:  # what the test is about: the demuxer's times jump a day on
        times = [f.pts * f.time_base for f in check.decode(video=0)]
        assert len(times) == 2 * FRAMES and _longest_step(times) > 90_000
    return path


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_tapes_second_recording_follows_on_from_the_first(tape, tmp_path, weights, cli, suffix):
    """An MP4 output refused the 26-hour frame at the join, after the work ('cannot finish writing out.mp4: Not yet
    implemented in FFmpeg, patches welcome', exit 2; on a longer tape an internal error mid-run, exit 1); a Matroska
    output showed the first recording's last picture for 26 hours (95,353 s). Now the second recording follows on
    from the first, its sound in step."""
    out = tmp_path / f"out{suffix}"
    result = cli(tape, "-o", out, "--weights", weights, "-q")
    assert result.returncode == 0, result.stderr
    video = read_video(out)
    times = video["times"]
    assert len(times) == 2 * FRAMES
    assert _longest_step(times) < Fraction(3, RATE)  # no more than a frame's gap at the join
    with av.open(str(out)) as written:
        sound = written.streams.audio[0]
        decoded = list(written.decode(sound))
        assert sum(frame.samples for frame in decoded) >= 2 * FRAMES * 1920 - 1152  # (MP2's last frame)
        last_sound = decoded[-1].pts * decoded[-1].time_base
        assert abs(last_sound - times[-1]) < Fraction(1, 5)  # the second recording's sound with its pictures


def test_a_subtitle_shown_longer_than_the_threshold_is_not_a_jump(tmp_path):
    """A subtitle shown for 15 s (its packet's duration) made the clock seem to have reached 15 s on, so the next
    picture read as a jump back and every packet after it was moved 15 s later. Only sound and pictures tell a
    jump now: a file without one passes as it is."""
    from enlight.stream.io.clock_jumps import joined
    from tests.media import make_clip
    from tests.stream.test_container_fit import _with_text_subtitles

    clip = _with_text_subtitles(make_clip(tmp_path / "a.mp4", frames=48, rate=24), tmp_path / "s.mkv", "subrip")
    with av.open(str(clip)) as container:
        packets = [p for p in container.demux() if p.dts is not None]
        for packet in packets:
            if packet.stream.type == "subtitle":
                packet.duration = round(Fraction(15) / packet.time_base)
        before = [(p.stream.index, p.pts, p.dts) for p in packets]
        assert any(p.stream.type == "subtitle" for p in packets)
        assert [(p.stream.index, p.pts, p.dts) for p in joined(iter(packets))] == before


def test_a_tape_with_a_jump_in_segments_is_enhanced_in_one_piece(tape, tmp_path, weights, cli):
    """--segments 2 on the tape was an internal error (EOFError on a segment's file): a segment is found by its
    frames' times in the file, and the run reads the second recording's moved to follow on. Such a video is now
    enhanced in one piece, with a note."""
    out = tmp_path / "out.mkv"
    result = cli(tape, "-o", out, "--weights", weights, "--segments", "2")
    assert result.returncode == 0, result.stderr
    assert "the clock of tape.m2t jumps (a tape's next recording): enhanced in one piece" in result.stderr
    times = read_video(out)["times"]
    assert len(times) == 2 * FRAMES and _longest_step(times) < Fraction(3, RATE)


@pytest.mark.parametrize("suffix", [".mp4", ".ts"])
def test_clips_whose_clocks_start_alike_follow_on(tmp_path, weights, cli, suffix):
    """Clips joined with ``cat`` whose clocks each start at the same time (FFmpeg's muxer starts every MPEG-TS at
    1.4 s, a recorder each clip at its own 0): the second's clock goes back 0.48 s, under a jump's 10 s. Its frames
    were each moved 1 tick after the first's last (shown as one) and its sound stopped the run (internal error:
    'Invalid argument', exit 1). A stream's own time going back by more than 0.1 s is a jump too now (FFmpeg's
    rule): the second clip follows on from the first, its sound with it."""
    path = tmp_path / "clips.ts"
    path.write_bytes(_recording(tmp_path / "a.ts", 10, 0) + _recording(tmp_path / "b.ts", 10, 1))
    out = tmp_path / f"out{suffix}"
    result = cli(path, "-o", out, "--weights", weights, "-q")
    assert result.returncode == 0, result.stderr
    times = read_video(out)["times"]
    steps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 2 * FRAMES and min(steps) == Fraction(1, RATE) and max(steps) < Fraction(3, RATE)
    with av.open(str(out)) as written:
        decoded = list(written.decode(written.streams.audio[0]))
        assert sum(frame.samples for frame in decoded) >= 2 * FRAMES * 1920 - 1152
        assert abs(decoded[-1].pts * decoded[-1].time_base - times[-1]) < Fraction(1, 5)
