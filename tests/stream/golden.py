"""Outputs of every preset and model on a fixed clip, recorded so that refactors can prove they
change nothing: ``python -m tests.stream.golden`` writes tests/data/golden_outputs.npz (run it
again, and say so in the commit, only when the output is meant to change, e.g. new weights).

Each case runs the real command line on a 5-frame 100x76 dark clip (odd sizes exercise the
padding; tests/data/golden_in.mp4, from ``write_input``), encodes losslessly in RGB (FFV1, bgr0, in
Matroska), and keeps the decoded frames: exactly the enhanced RGB.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import av
import numpy as np

from tests.media import make_clip

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden_outputs.npz"
GOLDEN_INPUT = GOLDEN.with_name("golden_in.mp4")
# recorded before --denoise and --detail existed; "best_detail" records the detail step (the last --detail wins)
LOSSLESS = ("--codec", "ffv1", "--pix-fmt", "bgr0", "--denoise", "off", "--detail", "0")
CASES = {
    "best": ("--quality", "best"),
    "best_torch": ("--quality", "best", "--backend", "torch"),
    "best_unsmoothed": ("--quality", "best", "--smoothing", "0"),
    "best_detail": ("--quality", "best", "--detail", "0.35"),
    "balanced": ("--quality", "balanced"),
    "balanced_fp32": ("--quality", "balanced", "--precision", "fp32"),
    "fast": ("--quality", "fast"),
    "fast_batch1": ("--quality", "fast", "--batch-size", "1"),
    "retinexnet": ("--model", "retinexnet"),
    "retinexnet_fast": ("--model", "retinexnet", "--quality", "fast"),
}


def make_input(folder: Path) -> Path:
    """A copy of the recorded input clip, ``GOLDEN_INPUT`` (written once by ``write_input``). It is kept as a
    file: encoded again inside a test process it came out different now and then (2026-12-04: a whole CI run,
    and 4 of 13 tries of tests/stream/test_docs.py then this test, with that day's code and the day before's;
    the cause was not found), and every recorded output with it (max 15-38 levels)."""
    return Path(shutil.copy(GOLDEN_INPUT, folder / "golden_in.mp4"))


def write_input(folder: Path) -> Path:
    """The input clip as first made: 5 frames of ``tests.media.dark_frames``, 100x76, libx264 yuv444p."""
    return make_clip(folder / "golden_in.mp4", width=100, height=76, frames=5, audio=False, pix_fmt="yuv444p")


# balanced runs its int8 model only on CPUs with int8 dot products (core/cpu_kind.py): the recorded
# case is the int8 model's output, whatever CPU replays it
CPU_FLAGS = "avx2 avx512f avx512_vnni"


def run_case(args: tuple[str, ...], source: Path, folder: Path) -> np.ndarray:
    """(frames, H, W, 3) uint8 RGB of the command line's output for ``args``."""
    import os
    from unittest import mock

    from enlight.cli.video import main

    out = folder / f"out_{abs(hash(args))}.mkv"
    with mock.patch.dict(os.environ, {"ENLIGHT_CPU_FLAGS": CPU_FLAGS}):
        code = main([str(source), "-o", str(out), "--quiet", "--force", *LOSSLESS, *args])
    if code != 0:
        raise RuntimeError(f"enlight-video {' '.join(args)} exited {code}")
    with av.open(str(out)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def record() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = make_input(folder)
        outputs = {name: run_case(args, source, folder) for name, args in CASES.items()}
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(GOLDEN, **outputs)
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes): {', '.join(outputs)}", file=sys.stderr)


if __name__ == "__main__":
    record()
