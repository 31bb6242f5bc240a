"""Build the small training set that travels to a GPU machine (git-ignored ``gpu_data/``).

The device machine gets only the repo (64 MiB in all, carried folders included), so the data is
downscaled and re-encoded:

- ``pairs/{low,high}``: the SICE pairs of ``enlight-train pairs`` at 256x256 (RetinexNet trains on
  96x96 patches);
- ``synthetic``: the normal-light photos (every ``--synthetic-every``-th), short side 256, for
  on-the-fly darkening;
- ``distill``: the dark SICE shots at 320x320 and frames of the low-light clips (surveillance
  night clip every 35th frame at half size; the bundled night sample every 9th frame).

    python benchmarks/gpu_data.py [--data ../shared/data] [--out gpu_data]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def save(image: Image.Image, path: Path, *, short: int | None = None, size: tuple[int, int] | None = None) -> None:
    if size is not None:
        image = image.resize(size, Image.LANCZOS)
    elif short is not None and min(image.size) > short:
        scale = short / min(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    image.convert("RGB").save(path.with_suffix(".jpg"), quality=85)


def clip_frames(video: Path, out: Path, *, every: int, scale: float, prefix: str) -> int:
    import av

    count = 0
    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % every:
                continue
            image = frame.to_image()
            save(image, out / f"{prefix}_{index:05d}", size=(round(image.width * scale), round(image.height * scale)))
            count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "gpu_data")
    parser.add_argument("--synthetic-every", type=int, default=4)
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    train = args.data / "train"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "enlight.cli.train", "pairs", "--low", str(train / "low"),
                        "--normal", str(train / "normal"), "--out", tmp], check=True)
        for sub in ("low", "high"):
            (args.out / "pairs" / sub).mkdir(parents=True)
            for path in sorted((Path(tmp) / sub).iterdir()):
                save(Image.open(path), args.out / "pairs" / sub / path.stem, size=(256, 256))
        shutil.copy(Path(tmp) / "pairs.csv", args.out / "pairs" / "pairs.csv")
    (args.out / "synthetic").mkdir()
    for path in sorted((train / "normal").iterdir())[:: args.synthetic_every]:
        save(Image.open(path), args.out / "synthetic" / path.stem, short=256)
    (args.out / "distill").mkdir()
    for path in sorted((train / "low").iterdir()):
        save(Image.open(path), args.out / "distill" / path.stem, size=(320, 320))
    clips = clip_frames(args.data / "video" / "surveillance_night.mp4", args.out / "distill", every=35, scale=0.5,
                        prefix="surveillance")
    clips += clip_frames(ROOT / "samples" / "night.mp4", args.out / "distill", every=9, scale=1.0, prefix="night")
    print(f"wrote {args.out} ({clips} clip frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
