"""--segments: the joined file holds the same frames at the same times as one run, in every container it writes.

Matroska leaves the decoding time unset on a stream's first packets (its first keyframe among them): the join
dropped them, and a segmented .mkv or .webm decoded to nothing. An MPEG-TS part that starts at the beginning is
moved later by the encoder's delay (it holds no negative decoding time) and the others are not: the join into .ts
failed ('Invalid argument'). AVI parts restart their timing, so --segments into .avi is refused before any work.
"""

from __future__ import annotations

import re
import time

import av
import pytest

from tests.media import clip_with_edit_list, make_clip


def _frames_and_audio(path) -> tuple[list[float], int]:
    """(the video frames' times in seconds, the audio packets) of a file."""
    with av.open(str(path)) as container:
        times = [float(frame.time) for frame in container.decode(video=0)]
    with av.open(str(path)) as container:
        audio = sum(1 for packet in container.demux(audio=0) if packet.size) if container.streams.audio else 0
    return times, audio


@pytest.mark.parametrize("suffix", [".mkv", ".webm", ".ts", ".mp4"])
def test_the_join_has_the_frames_and_times_of_one_run(suffix, tmp_path, weights, cli):
    src = make_clip(tmp_path / "cam.mp4", frames=30, gop=5, audio=suffix != ".webm")  # (WebM holds no AAC)
    one, joined = tmp_path / f"one{suffix}", tmp_path / f"joined{suffix}"
    assert cli(src, "-o", one, "--weights", weights, "-q").returncode == 0
    result = cli(src, "-o", joined, "--weights", weights, "--segments", "3", "-q")
    assert result.returncode == 0, result.stderr
    times, audio = _frames_and_audio(joined)
    assert len(times) == 30 and (audio > 0) == (suffix != ".webm")
    assert (times, audio) == _frames_and_audio(one)


def test_one_video_in_segments_is_told_as_one_run_and_leaves_no_manifest(tmp_path, weights, cli):
    """--segments on one file printed a folder's table, and left the batch's manifest beside the output; a folder's
    manifest already there is kept."""
    src = make_clip(tmp_path / "cam.mp4", frames=30, gop=5)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = cli(src, "-o", out_dir / "day.mp4", "--weights", weights, "--segments", "3", "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert result.stderr_lines[-1] == \
        f"enlight-video: 30 frames (3 segments) in {result.stderr_lines[-1].split(' in ')[1]}"
    assert result.stderr_lines[-1].endswith(f"-> {out_dir / 'day.mp4'}") and "status" not in result.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == ["day.mp4"]
    (out_dir / ".enlight-manifest.jsonl").write_text("")  # a folder's run wrote here before
    result = cli(src, "-o", out_dir / "again.mp4", "--weights", weights, "--segments", "2", "-q")
    assert result.returncode == 0 and result.stderr_lines == [], result.stderr
    assert (out_dir / ".enlight-manifest.jsonl").exists()


def test_a_one_frame_video_in_segments_says_1_frame(tmp_path, weights, cli):
    """The summary of a one-frame clip (a phone's 'live' still, a camera's snapshot as video) said '1 frames'."""
    src = make_clip(tmp_path / "snap.mp4", frames=1)
    result = cli(src, "-o", tmp_path / "day.mp4", "--weights", weights, "--segments", "2", "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("enlight-video: 1 frame in ") for line in result.stderr_lines), result.stderr


def test_segments_into_avi_are_refused_before_any_work(tmp_path, weights, cli):
    src = make_clip(tmp_path / "cam.mp4", frames=30, gop=5)
    result = cli(src, "-o", tmp_path / "out.avi", "--weights", weights, "--segments", "2")
    assert result.returncode == 2 and len(result.stderr_lines) == 1
    assert "--segments cannot join parts into .avi" in result.stderr_lines[0]
    assert not (tmp_path / "out.avi").exists()


def test_a_trimmed_source_joins_to_the_frames_of_one_run_bit_for_bit(tmp_path, weights, cli):
    """An MP4 cut with ``-c copy`` (an edit list hides the packets before the cut; its audio moved with it): the
    parts start where the shown frames do, and with a lossless codec the joined file is one run's, pixel for pixel
    (the later parts' warm-up reaches back to the first shown frame in a clip this short)."""
    src = clip_with_edit_list(tmp_path / "trimmed.mp4", frames=40, hidden=7, gop=6, audio=True)
    one, joined = tmp_path / "one.mkv", tmp_path / "joined.mkv"
    lossless = ["--codec", "ffv1", "-q"]
    assert cli(src, "-o", one, "--weights", weights, *lossless).returncode == 0
    result = cli(src, "-o", joined, "--weights", weights, "--segments", "3", *lossless)
    assert result.returncode == 0, result.stderr
    times, audio = _frames_and_audio(joined)
    assert len(times) == 33 and audio > 0 and (times, audio) == _frames_and_audio(one)
    with av.open(str(one)) as a, av.open(str(joined)) as b:
        for first, second in zip(a.decode(video=0), b.decode(video=0), strict=True):
            assert (first.to_ndarray(format="rgb24") == second.to_ndarray(format="rgb24")).all()


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".ts"])
def test_a_phones_night_video_whose_rate_drops_joins(suffix, tmp_path, weights, cli):
    """A phone drops its rate in the dark (30 fps, then 15): the second part's encoder starts its decoding times
    its B-frame delay (two 15 fps steps) before its first frame, before the first part's last ones (two 30 fps
    steps), and the join failed ('cannot join the segments ...: Invalid argument', exit 2) after all the work."""
    pts = [i * 3000 for i in range(30)] + [90000 + i * 6000 for i in range(30)]
    src = make_clip(tmp_path / "night.mp4", pts=pts, gop=30)
    one, joined = tmp_path / f"one{suffix}", tmp_path / f"joined{suffix}"
    assert cli(src, "-o", one, "--weights", weights, "-q").returncode == 0
    result = cli(src, "-o", joined, "--weights", weights, "--segments", "2", "-q")
    assert result.returncode == 0, result.stderr
    times, audio = _frames_and_audio(joined)
    assert len(times) == 60 and audio > 0 and (times, audio) == _frames_and_audio(one)
    # (an .mkv's or .ts's frames all start a little later, one run's too: the sound's priming, the encoder's delay)
    assert [t - times[0] for t in times] == pytest.approx([p / 90000 for p in pts], abs=1e-3)


def test_a_segment_is_read_from_the_keyframe_before_it_not_from_the_start(tmp_path):
    """A segment decoded the whole file before it and dropped those frames: the last of 8 segments of a long
    recording decoded 7/8 of it. It now seeks to the keyframe before its warm-up (VideoSource's seek_pts)."""
    import numpy as np

    from enlight.stream.io.source import VideoSource
    from enlight.stream.io.source_items import DecodedFrame

    clip = make_clip(tmp_path / "long.mp4", frames=240, gop=24, audio=True)
    with av.open(str(clip)) as container:
        pts = sorted(p.pts for p in container.demux(video=0) if p.size)
    target = pts[200]

    def frames(seek: int | None):
        with VideoSource(clip, seek_pts=seek) as source:
            got = {f.pts: f.rgb for f in source if isinstance(f, DecodedFrame) and f.pts >= target}
            return got, source.frames_decoded, source.damage

    whole, decoded_all, _ = frames(None)
    sought, decoded, damage = frames(target)
    assert sorted(sought) == sorted(whole) and len(sought) == 40 and damage is None
    assert all(np.array_equal(sought[p], whole[p]) for p in whole)
    assert decoded_all == 240 and decoded <= 40 + 24


def test_one_video_in_segments_says_the_time_the_run_took(tmp_path, weights, cli):
    """The summary line of one video in segments gave its workers' times added up: '80 frames (4 segments) in
    244.5 s' for a command that took 87 s (--segments 4 --jobs 4, 2 cores). It gives the run's own time now."""
    src = make_clip(tmp_path / "cam.mp4", frames=24, gop=4)
    started = time.perf_counter()  # (the full generator: the workers' model work outweighs the pool's start-up)
    result = cli(src, "-o", tmp_path / "day.mp4", "--quality", "best", "--segments", "3", "--jobs", "3")
    took = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    said = re.fullmatch(r"enlight-video: 24 frames \(3 segments\) in ([\d.]+) s -> .*", result.stderr_lines[-1])
    assert said and float(said.group(1)) <= took, (result.stderr_lines[-1], took)


@pytest.mark.parametrize("suffix", [".mkv", ".webm", ".mp4"])
def test_the_join_has_the_frame_rate_of_one_run(suffix, tmp_path, weights, cli):
    """A .mkv joined from segments had no default duration on its video track: FFmpeg and PyAV read its rate as
    30000 fps (12800 for a 3 s clip) where a single run's read 25. The join's stream now carries the rate the parts
    were written with, which Matroska writes as the default duration. (.webm and .mp4 read 25 before, and still do.)"""
    src = make_clip(tmp_path / "cam.mp4", frames=30, rate=25, gop=5, audio=False)
    one, joined = tmp_path / f"one{suffix}", tmp_path / f"joined{suffix}"
    assert cli(src, "-o", one, "--weights", weights, "--quality", "fast", "-q").returncode == 0
    result = cli(src, "-o", joined, "--weights", weights, "--quality", "fast", "--segments", "3", "-q")
    assert result.returncode == 0, result.stderr
    rates = []
    for path in (one, joined):
        with av.open(str(path)) as container:
            rates.append(container.streams.video[0].average_rate)
    assert rates == [25, 25]
