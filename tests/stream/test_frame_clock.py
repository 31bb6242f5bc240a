"""Decoded frames' times where the container's are out of order (enlight.stream.io.frame_clock)."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import av

from tests.media import make_clip, read_video


def _frame_times(path) -> list:
    with av.open(str(path)) as container:
        return [frame.pts for frame in container.decode(video=0)]


def test_an_avi_with_b_frames_keeps_its_frames_evenly_spaced(tmp_path, weights, cli):
    """H.264 with B-frames in an AVI (IP cameras, DVRs, screen recorders): AVI holds no presentation times, and
    the frames decoded from FFmpeg's guesses came out 1, 4, 3, 5, 2, ... slots. The output had them bunched and
    gapped (the first frame shown for three, then repeated times moved a tick on, with a note), at 625/29 fps
    for 25. Each frame now takes the time of the packet that completed it, as FFmpeg's command reads them."""
    source = make_clip(tmp_path / "camera.avi", frames=20, rate=25, time_base=Fraction(1, 25), audio=False)
    times = _frame_times(source)
    assert times != sorted(times)  # the input is what the test is about: its frames' own times out of order
    out = tmp_path / "day.mp4"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "moved 1 tick later" not in result.stderr
    video = read_video(out)
    assert len(video["times"]) == 20
    steps = {b - a for a, b in pairwise(video["times"])}
    assert steps == {Fraction(1, 25)}, steps
    assert video["times"][0] == Fraction(1, 25)  # the keyframe's own time, as the demuxer gave it


def test_frames_whose_times_rise_keep_them(tmp_path, weights, cli):
    """A variable rate's own times (an MP4 whose decode times differ from them) are kept as they were."""
    pts = [0, 3000, 6000, 15000, 18000, 30000, 33000, 36000, 39000, 60000]
    source = make_clip(tmp_path / "phone.mp4", pts=pts, audio=False)
    out = tmp_path / "day.mp4"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert read_video(out)["times"] == [Fraction(p, 90000) for p in pts]
