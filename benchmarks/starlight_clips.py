"""Real noisy night clips for the denoising benchmark (issue 15), cut from the Starlight project's montage.

    python benchmarks/starlight_clips.py MONTAGE OUT_DIR

MONTAGE: ``img/dataset.mp4`` of the branch ``gh-pages`` of github.com/monakhova/starlight_denoising
(Monakhova et al., "Dancing under the stars: video denoising in starlight", CVPR 2022; BSD 3-Clause
licence, LICENSE in that repository): five real submillilux captures (people under a moonless sky,
with the sensor's grain, colour noise and vertical banding, brightened for display by the authors)
side by side in one 2200x314 H.264 video of 44 frames at 10 fps. This cuts the five 430x304 tiles
apart, drops the frames that only repeat the one before (the montage's re-timing; what is left
are 31 frames per clip) and writes each tile losslessly (FFV1 in Matroska, 7 fps, about the clips'
own rate) as ``starlight_clip{1..5}.mkv``. The clips stay outside the repository; the benchmark reads
them through ``python -m benchmarks.denoise --real-dir OUT_DIR``.
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import numpy as np

TILE = (430, 304)  # (w, h)
LEFT_EDGES = (7, 446, 884, 1323, 1762)  # the tiles' left columns in the montage, found by matching
TOP = 2
REPEAT = 100  # a frame whose largest change from the one before is under this repeats it (re-encoded copies: 0-41)
RATE = 7


def tiles(montage: Path) -> list[list[np.ndarray]]:
    """The montage's frames cut into the five clips, repeated frames dropped: 5 lists of (304, 430, 3) uint8."""
    import av

    with av.open(str(montage)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    if not frames or frames[0].shape[:2] != (314, 2200):
        raise SystemExit(f"{montage}: not the 2200x314 Starlight montage")
    kept = [frames[0]] + [b for a, b in zip(frames, frames[1:], strict=False)
                          if np.abs(b.astype(np.int16) - a).max() >= REPEAT]
    w, h = TILE
    return [[np.ascontiguousarray(f[TOP:TOP + h, x:x + w]) for f in kept] for x in LEFT_EDGES]


def write_lossless(frames: list[np.ndarray], path: Path, rate: int = RATE) -> None:
    """(H, W, 3) uint8 RGB frames -> an FFV1 (4:4:4) Matroska file at ``rate`` fps."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=Fraction(rate))
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv444p"
        for t, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = t
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("montage", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for k, clip in enumerate(tiles(args.montage), 1):
        path = args.out_dir / f"starlight_clip{k}.mkv"
        write_lossless(clip, path)
        print(f"{path}: {len(clip)} frames, {TILE[0]}x{TILE[1]}")


if __name__ == "__main__":
    main()
