"""A count of one reads as one: the README's own `-o frame_%04d.png --max-frames 1` said 'stopped after 1 frames',
'wrote 1 picture, frame_0001.png to frame_0001.png' and 'deband 1 of 1 frames'; a one-frame clip's summary '0 of 1
frames' and 'exposure to 100: 1 of 1 frames lifted'; a live run stopped at one frame 'stopped after 1 frames'."""

from __future__ import annotations

import re

from tests.media import make_clip

PLURAL_OF_ONE = re.compile(r"(?<![\d.])1 (frames|pictures)\b")


def test_one_numbered_picture_is_told_as_one(tmp_path, weights, cli):
    src = make_clip(tmp_path / "cam.mp4", frames=3)
    result = cli(src, "-o", tmp_path / "frame_%04d.png", "--max-frames", "1", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert PLURAL_OF_ONE.findall(result.stderr) == [], result.stderr
    assert "enlight-video: note: wrote 1 picture, frame_0001.png" in result.stderr_lines, result.stderr
    assert "enlight-video: note: stopped after 1 frame (--max-frames)" in result.stderr_lines


def test_a_one_frame_clip_s_summary_counts_one_frame(tmp_path, weights, cli):
    src = make_clip(tmp_path / "snap.mp4", frames=1)
    result = cli(src, "-o", tmp_path / "day.mp4", "--weights", weights, "--exposure", "100")
    assert result.returncode == 0, result.stderr
    assert PLURAL_OF_ONE.findall(result.stderr) == [], result.stderr
    assert "of 1 frame lifted" in result.stderr_lines[-1] and "of 1 frame," in result.stderr_lines[-1]


def test_a_live_run_stopped_at_one_frame_says_one_frame(tmp_path, weights, cli):
    src = make_clip(tmp_path / "cam.mp4", frames=6)
    result = cli("--camera", src, "--no-window", "--max-frames", "1", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "stopped after 1 frame (--max-frames)" in result.stderr_lines[-1], result.stderr
