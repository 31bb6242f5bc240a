"""An image sequence (a night timelapse's frames, ``night_%04d.png``) is read as one video: every frame, in number
order from the first, at --fps (25 by default), through the temporal smoothing a video gets. It was refused as
'input not found'."""

from __future__ import annotations

import av
import numpy as np
from PIL import Image

from tests.media import dark_frames


def _frames(folder, name: str, numbers) -> None:
    for number, rgb in zip(numbers, dark_frames(len(numbers), 64, 48), strict=True):
        Image.fromarray(rgb).save(folder / name.replace("%04d", f"{number:04d}").replace("%d", str(number)))


def _read(path) -> tuple[int, float, float]:
    """(frames, frame rate, mean level) of a video."""
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        return len(frames), float(container.streams.video[0].average_rate), float(np.mean(frames))


def test_a_numbered_sequence_is_one_video(tmp_path, weights, cli):
    _frames(tmp_path, "night_%04d.png", range(7, 19))  # a timelapse's numbers need not start at 0
    out = tmp_path / "timelapse.mp4"
    result = cli(str(tmp_path / "night_%04d.png"), "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    frames, rate, level = _read(out)
    assert (frames, rate) == (12, 25.0)
    assert level > np.mean(dark_frames(12, 64, 48)) + 10
    slow = tmp_path / "slow.mkv"
    result = cli(str(tmp_path / "night_%04d.png"), "-o", slow, "--weights", weights, "--fps", "12")
    assert result.returncode == 0, result.stderr
    assert _read(slow)[:2] == (12, 12.0)


def test_a_gap_is_read_past_with_zero_padded_numbers_and_refused_without(tmp_path, weights, cli):
    _frames(tmp_path, "night_%04d.png", [1, 2, 3, 6, 7])  # two frames deleted from the card
    out = tmp_path / "padded.mp4"
    result = cli(str(tmp_path / "night_%04d.png"), "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _read(out)[0] == 5  # FFmpeg's numbered read stopped at the gap: 3
    _frames(tmp_path, "plain_%d.png", [1, 2, 4])
    bare = tmp_path / "bare.mp4"
    result = cli(str(tmp_path / "plain_%d.png"), "-o", bare, "--weights", weights)
    assert result.returncode == 2 and "gap after frame 2" in result.stderr and "%04d" in result.stderr
    assert "Traceback" not in result.stderr and not bare.exists()


def test_what_a_sequence_cannot_be(tmp_path, weights, cli):
    _frames(tmp_path, "night_%04d.png", range(1, 4))
    pattern = str(tmp_path / "night_%04d.png")
    cases = [((str(tmp_path / "none_%04d.png"), "-o", tmp_path / "a.mp4"), "no files match"),
             ((pattern, "-o", tmp_path / "day_%04d.png"), "written as a video"),
             ((pattern, "-o", tmp_path / "b.mp4", "--segments", "2"), "enhanced in one run")]
    for args, message in cases:
        result = cli(*args, "--weights", weights)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr_lines) == 1
