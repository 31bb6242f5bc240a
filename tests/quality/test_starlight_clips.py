"""benchmarks/starlight_clips.py cuts a Starlight-style montage into its five clips (real PyAV files)."""

import subprocess
import sys
from pathlib import Path

import av
import numpy as np

from benchmarks.starlight_clips import LEFT_EDGES, write_lossless

REPO = Path(__file__).resolve().parents[2]


def _grey(k: int, t: int) -> int:
    return 10 + 15 * k if t % 2 == 0 else 245 - 15 * k


def _montage(path: Path) -> list[np.ndarray]:
    """4 frames of 2200x314, frame 2 a copy of frame 1; tile k a flat grey ``_grey(k, t)`` (consecutive frames
    differ by over 100 levels, as new frames of the real montage do)."""
    frames = []
    for t in (0, 1, 1, 2):
        image = np.zeros((314, 2200, 3), np.uint8)
        for k, x in enumerate(LEFT_EDGES):
            image[2:306, x:x + 430] = _grey(k, t)
        frames.append(image)
    write_lossless(frames, path, rate=10)
    return frames


def test_the_five_tiles_come_apart_without_the_repeated_frame(tmp_path):
    _montage(tmp_path / "dataset.mkv")
    out = tmp_path / "clips"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "starlight_clips.py"), str(tmp_path / "dataset.mkv"),
                    str(out)], check=True, capture_output=True)
    for k in range(5):
        with av.open(str(out / f"starlight_clip{k + 1}.mkv")) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert [f.shape for f in frames] == [(304, 430, 3)] * 3  # the repeat dropped
        for t, frame in enumerate(frames):
            assert abs(float(frame.mean()) - _grey(k, t)) < 1.5  # the tile's own grey, no border


def test_something_else_is_refused(tmp_path):
    path = tmp_path / "small.mkv"
    write_lossless([np.zeros((32, 64, 3), np.uint8)], path)
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "starlight_clips.py"), str(path),
                             str(tmp_path / "out")], capture_output=True, text=True)
    assert result.returncode != 0 and "not the 2200x314 Starlight montage" in result.stderr
