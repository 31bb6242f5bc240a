"""How far a live run's recorded sound is from its picture (docs/live.md, "The source's sound"): clips that flash
white and beep at the same moments (``tests.stream.beeps``) played as the camera, the recordings read back with PyAV.
Each beep is placed against the recorded frame nearest it, which carries its number in the source; the error is how
much later the beep starts than that frame puts it (ms; a frame is 40 ms at 25 fps, 10 ms at 100).

    python benchmarks/live_sound.py                       # this tree, every case
    python benchmarks/live_sound.py --repo /path/to/main  # another checkout's enlight (the same cases)
    python benchmarks/live_sound.py drops reconnect

Runs the CLI as ``python -m enlight.cli.video`` in --repo with random tiny weights, ``--quality fast --denoise off``
(``drops``: 100 fps at 640x384 with --denoise light, slower than the source on a small CPU).
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.media import tiny_weights  # noqa: E402
from tests.stream.beeps import beep_clip, recorded_frames, sound_seconds, sync_errors  # noqa: E402
from tests.stream.udp_sender import UdpClip, free_udp_port  # noqa: E402

LIVE = ("--no-window", "--quality", "fast")
FLASHES = (0.6, 1.8, 3.0)
CASES = ("aac", "g711", "split", "drops", "pipe", "reconnect")


def run(repo: Path, args: list[str], **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "enlight.cli.video", *map(str, args)], cwd=repo, text=True,
                          stderr=subprocess.PIPE, timeout=300, **popen)


def case(name: str, repo: Path, folder: Path, weights: Path) -> tuple[list[Path], int, tuple, str]:
    """Run one case: (the files it wrote, its frame rate, its flashes, the run's last line)."""
    common = [*LIVE, "--weights", weights]
    if name in ("aac", "g711"):
        clip = beep_clip(folder / ("clip.mov" if name == "g711" else "clip.mp4"), seconds=4, flashes=FLASHES,
                         **({"codec": "pcm_mulaw", "sample_rate": 8000} if name == "g711" else {}))
        outs = [folder / "r.mov", folder / "o.mp4"] if name == "g711" else [folder / "r.mp4", folder / "o.ts"]
        done = run(repo, ["--camera", clip, *common, "--denoise", "off", "--record", outs[0], "-o", outs[1]])
        return outs, 25, FLASHES, done.stderr
    if name == "split":
        flashes = (0.3, 1.4, 2.5, 3.6, 4.7)
        clip = beep_clip(folder / "clip.mp4", seconds=6, flashes=flashes)
        done = run(repo, ["--camera", clip, *common, "--denoise", "off", "--record", folder / "r.mp4",
                          "--record-every", "1", "-o", folder / "whole.mkv"])
        files = sorted(folder.glob("r*.mp4"), key=lambda path: path.stat().st_mtime)
        return [*files, folder / "whole.mkv"], 25, flashes, done.stderr
    if name == "drops":
        clip = beep_clip(folder / "clip.mp4", seconds=4, flashes=FLASHES, rate=100)
        done = run(repo, ["--camera", clip, *common, "--denoise", "light", "--size", "640x384", "--record",
                          folder / "r.mp4"])
        return [folder / "r.mp4"], 100, FLASHES, done.stderr
    if name == "pipe":
        clip = beep_clip(folder / "clip.ts", seconds=4, flashes=FLASHES, fmt="mpegts")
        with open(clip, "rb") as source, open(folder / "o.mkv", "wb") as sink:
            done = run(repo, ["--camera", "-", *common, "--denoise", "off", "-o", "-", "--format", "matroska",
                              "--record", folder / "r.mp4"], stdin=source, stdout=sink)
        return [folder / "o.mkv", folder / "r.mp4"], 25, FLASHES, done.stderr
    return reconnect(repo, folder, common)


def reconnect(repo: Path, folder: Path, common: list) -> tuple[list[Path], int, tuple, str]:
    """An MPEG-TS over UDP (H.264, AAC) silent for 2.5 s 5 s in: the run reconnects, stopped by SIGINT at its end."""
    flashes = (3.0, 4.2, 6.6, 7.8)
    clip = beep_clip(folder / "clip.ts", seconds=9, flashes=flashes, fmt="mpegts", gop=12)
    port = free_udp_port()
    sender = UdpClip(port, clip, gap_at=5.0, gap_s=2.5)
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", "--camera", f"udp://127.0.0.1:{port}",
                             *map(str, common), "--denoise", "off", "--record", str(folder / "r.mkv"), "--timeout",
                             "1"], cwd=repo, text=True, stderr=subprocess.PIPE)
    sender.done.wait(60)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    sender.close()
    return [folder / "r.mkv"], 25, flashes, err


def report(name: str, outputs: list[Path], rate: int, flashes: tuple, err: str) -> None:
    dropped = re.search(r"(\d+ of \d+) captured frames dropped.*?(\d+) reconnect", err)
    print(f"{name}: " + (f"{dropped[1]} frames dropped, {dropped[2]} reconnects" if dropped else err.strip()[-300:]))
    for path in outputs:
        if not path.exists():
            print(f"  {path.name}: not written")
            continue
        with av.open(str(path)) as container:
            sound = container.streams.audio[0].codec_context.name if container.streams.audio else None
        if sound is None:
            print(f"  {path.name}: {len(recorded_frames(path))} frames, no sound")
            continue
        errors = sync_errors(path, rate, flashes)
        shown = ", ".join(f"{flash:g} s: {error * 1000:+.1f}" for flash, error in errors)
        print(f"  {path.name}: {len(recorded_frames(path))} frames, {sound} {sound_seconds(path):.3f} s; "
              f"beep - picture (ms) {shown or 'no beep'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", choices=[*CASES, []], default=[])
    parser.add_argument("--repo", type=Path, default=REPO)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        weights = tiny_weights(Path(scratch) / "tiny.safetensors")
        for name in args.cases or CASES:
            folder = Path(scratch) / name
            folder.mkdir()
            report(name, *case(name, args.repo.resolve(), folder, weights))


if __name__ == "__main__":
    main()
