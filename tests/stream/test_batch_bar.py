"""A folder's bar ends at the frames written: an animated WebP's frames were counted as one, so a folder of a
3-frame sticker and a photo ended its bar at 2/4 (50%), with every file done."""

from __future__ import annotations

import re

from PIL import Image

from tests.media import dark_frames


def test_a_folders_bar_counts_every_frame_of_an_animated_photo(tmp_path, weights, cli):
    root = tmp_path / "in"
    root.mkdir()
    frames = [Image.fromarray(rgb) for rgb in dark_frames(3, 32, 24)]
    frames[0].save(root / "sticker.webp", save_all=True, append_images=frames[1:], duration=100, loop=0,
                   lossless=True)
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(root / "dusk.png")
    result = cli(root, "-o", tmp_path / "out", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert re.search(r"done +3 .*sticker\.webp", result.stderr), result.stderr
    bars = [line for line in result.stderr_lines if "frame/s" in line]
    counts = [tuple(map(int, m)) for line in bars for m in re.findall(r"\| *(\d+)/(\d+) \[", line)]
    assert counts and counts[-1] == (4, 4), bars
