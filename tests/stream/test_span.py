"""A part of a video (``--start 1 --end 3``, ``--duration``): the frames shown from the start up to the end, the
sound and chapters with them, everything moved to the part's start. There was no way to enhance part of a long
file but the whole of it (or its first N frames)."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from enlight.errors import EnlightError
from enlight.stream.io.span import Span, parse_time, shifted_timecode, span_from
from tests.media import chaptered_clip, dark_frames

RATE = 25


def _ramped_clip(path, seconds: int = 4, width: int = 64, height: int = 48):
    """A 25 fps clip whose sound's loudness rises with time (0.05 per second), each frame's square where it was."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=RATE)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.gop_size = 30  # keyframes at 0 and 1.2 s: a start at 1 s seeks to the one before
        sound = out.add_stream("aac", rate=48000, layout="mono")
        for i, rgb in enumerate(dark_frames(seconds * RATE, width, height)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            out.mux(video.encode(frame))
        for start in range(0, seconds * 48000, 1024):
            t = (np.arange(1024) + start) / 48000
            chunk = (0.05 * t * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 48000, start
            out.mux(sound.encode(frame))
        out.mux(video.encode())
        out.mux(sound.encode())
    return path


def _decoded(path):
    """(frames (H, W, 3) uint8, their times in seconds, the sound (samples,) float, the sound's start in seconds)."""
    with av.open(str(path)) as container:
        frames, times = [], []
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            times.append(float(frame.time))
    with av.open(str(path)) as container:
        chunks = [f for f in container.decode(audio=0)]
        sound = np.concatenate([f.to_ndarray()[0] for f in chunks])
        return frames, times, sound, float(chunks[0].time)


def _loudness(sound: np.ndarray, at_s: float) -> float:
    """The tone's amplitude over 0.1 s from ``at_s`` (sqrt(2) x RMS)."""
    part = sound[int(at_s * 48000): int((at_s + 0.1) * 48000)]
    return float(np.sqrt(2 * np.mean(part**2)))


def test_times_and_spans():
    assert [parse_time(t, "--start") for t in ("90", "90.5", "1:30", "01:30:00.5", ".5")] == [
        90, Fraction(181, 2), 90, Fraction(10801, 2), Fraction(1, 2)]
    for bad in ("-5", "1:60", "a", "1:2:3:4", "1:75:00"):
        with pytest.raises(EnlightError, match="--start"):
            parse_time(bad, "--start")
    assert span_from(None, None, None) is None
    assert span_from("1:00", None, "30") == Span(Fraction(60), Fraction(90))
    with pytest.raises(EnlightError, match="must come after"):
        span_from("10", "5", None)
    with pytest.raises(EnlightError, match="not both"):
        span_from(None, "5", "3")
    assert Span(Fraction(2), Fraction(3)).frames(Fraction(25), 100) == 25
    assert Span(Fraction(2), None).frames(Fraction(25), 100) == 50
    assert Span(Fraction(2), Fraction(10)).frames(Fraction(25), 100) == 50  # the file ends first


def test_timecodes_move_on_by_the_frames_left_out():
    assert shifted_timecode("01:02:03:04", Fraction(25), Fraction(1)) == "01:02:04:04"
    ntsc = Fraction(30000, 1001)
    assert shifted_timecode("00:00:59;28", ntsc, 2 / ntsc) == "00:01:00;02"  # ;00 and ;01 are skipped
    assert shifted_timecode("00:09:59;29", ntsc, 1 / ntsc) == "00:10:00;00"  # but not at each tenth minute
    assert shifted_timecode("00:00:00;00", ntsc, Fraction(600)) == "00:10:00;00"  # 17982 frames: ten minutes
    assert shifted_timecode("23:59:59:24", Fraction(25), 1 / Fraction(25)) == "00:00:00:00"


def test_a_part_keeps_its_frames_and_its_sound_from_its_start(tmp_path, weights, cli):
    clip = _ramped_clip(tmp_path / "night.mp4")
    same = ("--weights", weights, "--smoothing", "0", "--denoise", "off", "--crf", "0", "--pix-fmt", "yuv444p")
    whole, part = tmp_path / "whole.mkv", tmp_path / "part.mkv"
    assert cli(clip, "-o", whole, *same).returncode == 0
    result = cli(clip, "-o", part, "--start", "1", "--end", "0:03", *same)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr and "Traceback" not in result.stderr
    all_frames, _, _, _ = _decoded(whole)
    frames, times, sound, sound_start = _decoded(part)
    assert len(frames) == 50 and times[0] < 0.05 and abs(times[-1] - 49 / RATE) < 0.05
    for i in (0, 1, 25, 49):  # frame i of the part is frame 25 + i of the whole (the square moves 3 px a frame)
        assert np.abs(frames[i].astype(int) - all_frames[25 + i]).mean() < 1.0
        assert np.abs(frames[i].astype(int) - all_frames[24 + i]).mean() > 1.0
    assert abs(sound_start) < 0.05 and abs(len(sound) / 48000 - 2.0) < 0.1
    assert abs(_loudness(sound, 0.0) - 0.05 * 1.05) < 0.01  # the tone as loud as it was at 1 s, not at 0
    assert abs(_loudness(sound, 1.8) - 0.05 * 2.85) < 0.01


def test_a_part_of_a_clip_with_chapters_and_a_timecode(tmp_path, weights, cli):
    clip = chaptered_clip(tmp_path / "gate.mp4", frames=50, width=64, height=48, gop=10, chapter_ms=1000,
                          timecode="01:02:03:04")
    out = tmp_path / "part.mkv"
    result = cli(clip, "-o", out, "--duration", "1", "--start", "0.6", "--weights", weights)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        chapters = [(float(c["start"] * c["time_base"]), float(c["end"] * c["time_base"]), c["metadata"]["title"])
                    for c in container.chapters()]
        tags = {k.lower(): v for k, v in container.streams.video[0].metadata.items()}
        assert container.streams.video[0].frames in (0, 25) and sum(1 for _ in container.decode(video=0)) == 25
    assert chapters == [(0.0, 0.4, "Gate"), (0.4, 1.0, "Yard")]
    assert tags.get("timecode") == "01:02:03:19"  # 15 frames on


def test_what_a_part_refuses(tmp_path, weights, cli):
    clip = _ramped_clip(tmp_path / "night.mp4", seconds=2)
    (tmp_path / "clips").mkdir()
    cases = [((clip, "--start", "5"), "past the end"),
             ((clip, "--start", "1:5x"), "--start takes seconds"),
             ((clip, "--start", "1", "--end", "0.5"), "must come after"),
             ((clip, "--end", "1", "--duration", "1"), "not both"),
             ((tmp_path / "clips", "--start", "1"), "one video in one plain run"),
             ((clip, "--start", "1", "--segments", "2"), "one video in one plain run")]
    for args, message in cases:
        out = tmp_path / "out.mp4"
        result = cli(args[0], "-o", out, *args[1:], "--weights", weights)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr_lines) == 1 and not out.exists()
    result = cli("--camera", clip, "--no-window", "--start", "1", "--weights", weights)
    assert result.returncode == 2 and "live run" in result.stderr
    result = cli(clip, "-o", tmp_path / "out.mp4", "--start", "5")  # the bundled weights: auto's estimate first
    assert result.returncode == 2 and "past the end" in result.stderr and len(result.stderr_lines) == 1, \
        result.stderr


def test_the_estimate_counts_the_part(tmp_path, weights, cli):
    clip = _ramped_clip(tmp_path / "night.mp4")
    result = cli(clip, "-o", tmp_path / "o.mp4", "--start", "1", "--duration", "2", "--dry-run")
    assert result.returncode == 0 and "for 50 frames" in result.stdout, result.stdout
    assert "part: 1 s to 3 s of the video" in result.stdout


def test_an_mpeg_ts_part_starts_from_a_keyframe_before_it(tmp_path, weights, cli):
    """An MPEG-TS has no index: FFmpeg's seek lands inside a group of pictures, which decodes nothing up to the next
    keyframe (here 4 s in, past the part: 'no frames'). The seek goes further back until it lands on one."""
    from tests.media import make_clip

    clip = make_clip(tmp_path / "cam.ts", frames=120, rate=25, gop=100, width=64, height=48)
    out = tmp_path / "part.mp4"
    result = cli(clip, "-o", out, "--start", "2.5", "--duration", "1", "--weights", weights)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 25


def _srt_clip(path, folder, srt_text: str):
    """``_ramped_clip``'s 4 s (keyframes at 0, 1.2, 2.4 and 3.6 s) with an SRT subtitle stream, in Matroska, every
    packet in time order as a muxer interleaves them."""
    clip = _ramped_clip(folder / "plain.mp4")
    srt = folder / "cues.srt"
    srt.write_text(srt_text)
    with av.open(str(clip)) as src, av.open(str(srt)) as subs, av.open(str(path), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        text = out.add_stream_from_template(subs.streams.subtitles[0])
        packets = []
        for packet in src.demux():
            if packet.size:
                packet.stream = streams[packet.stream.index]
                packets.append(packet)
        for packet in subs.demux():
            if packet.size:
                packet.stream = text
                packets.append(packet)
        packets.sort(key=lambda p: float((p.dts if p.dts is not None else p.pts) * p.time_base))
        for packet in packets:
            out.mux(packet)
    return path


def test_a_cue_on_screen_at_the_start_is_kept_and_one_past_the_end_cut(tmp_path, weights, cli):
    """A subtitle shown where the part starts was dropped (only cues starting inside the part were kept): it is
    kept from the start on, even where it began before the keyframe the read starts from (1.2 s here); a cue still
    shown at the part's end is cut there."""
    from tests.stream.test_subtitles import cues

    source = _srt_clip(tmp_path / "subbed.mkv", tmp_path,
                       "1\n00:00:00,200 --> 00:00:01,600\nBefore the start\n\n"
                       "2\n00:00:01,700 --> 00:00:02,700\nOver the end\n\n"
                       "3\n00:00:02,600 --> 00:00:03,400\nAfter the end\n")
    out = tmp_path / "part.mkv"
    result = cli(source, "-o", out, "--weights", weights, "--start", "1.5", "--end", "2.5")
    assert result.returncode == 0, result.stderr
    got = cues(out)  # (times from the part's first frame, 1.52 s into the file, and the muxer's 21 ms of AAC delay)
    assert [text for text, *_ in got] == ["Before the start", "Over the end"]
    assert [start for _, start, *_ in got] == pytest.approx([0.0, 0.2], abs=0.025)
    assert [length for _, _, length, _ in got] == pytest.approx([0.1, 0.8], abs=0.025)
