"""The inputs of the paper's recipe on a lent GPU (git-ignored ``gpu_data/paper``), and the trip sizes.

What travels to the device machine is the repo's working tree plus carried folders, at most 64
MiB in all, and the tracked files alone are ~35.4 MiB. So the chunked run (docs/training.md, "The
paper's recipe on a lent GPU, in chunks") trains on a smaller copy of the training data:

- ``low/``: every dark shot of ``train/low`` at 320x320 (JPEG quality 85);
- ``normal/``: every ``--normal-every``-th normal-light photo, short side 320;
- ``vgg/``: the VGG16 relu5_1 weights (10.0 M) as an int8 shard set (``enlight-train shard
  --weights int8``, blocks of 128 with a float scale: 9.6 MiB instead of 38 in float32 or 19 in
  fp16); the chunk script rebuilds a float file from it with ``enlight-train unshard``.

    python benchmarks/gpu_paper_data.py [--data ../shared/data] [--out gpu_data/paper]
    python benchmarks/gpu_paper_data.py --sizes      # only print what each trip carries

``--sizes`` prints the working tree (tracked + untracked-not-ignored files), ``gpu_data/paper``
and ``gpu_data/paper_state`` (the shards of the last chunk), and each trip's total against 64 MiB.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from gpu_data import save
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
LIMIT = 64 * MIB


def tree_bytes() -> int:
    """Bytes of what the device tool sends besides carried folders: tracked + untracked-not-ignored files."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.split(b"\0")
    return sum((ROOT / name.decode()).stat().st_size for name in names if name and (ROOT / name.decode()).is_file())


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def print_sizes(paper: Path, state: Path) -> None:
    tree = tree_bytes()
    print(f"working tree (tracked + untracked, not ignored): {tree / MIB:6.2f} MiB")
    for name, folder in (("paper inputs", paper), ("chunk state", state)):
        size = folder_bytes(folder)
        verdict = "fits" if tree + size <= LIMIT else "DOES NOT FIT"
        print(f"{name:>13} {folder}: {size / MIB:6.2f} MiB; trip total {(tree + size) / MIB:6.2f} of 64 MiB: {verdict}")
    both = tree + folder_bytes(paper) + folder_bytes(state)
    print(f"both in one trip: {both / MIB:.2f} MiB ({'fits' if both <= LIMIT else 'two trips needed'})")


def write_images(args: argparse.Namespace) -> None:
    train = args.data / "train"
    for sub in ("low", "normal"):
        (args.out / sub).mkdir(parents=True)
    for path in sorted((train / "low").iterdir()):
        save(Image.open(path), args.out / "low" / path.stem, size=(args.size, args.size))
    for path in sorted((train / "normal").iterdir())[:: args.normal_every]:
        save(Image.open(path), args.out / "normal" / path.stem, short=args.size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "gpu_data" / "paper")
    parser.add_argument("--state", type=Path, default=ROOT / "gpu_data" / "paper_state")
    parser.add_argument("--vgg", type=Path, default=None, help="VGG16 weights (default: the cache, `make vgg`)")
    parser.add_argument("--size", type=int, default=320, help="low images' side, normal images' short side (320)")
    parser.add_argument("--normal-every", type=int, default=4, help="take every Nth normal-light photo (4)")
    parser.add_argument("--sizes", action="store_true", help="only print the trip sizes")
    args = parser.parse_args()
    if not args.sizes:
        from enlight.models.vgg import cache_dir, load_vgg16_relu5_1
        from enlight.train.shards import ShardPolicy, write_shards

        load_vgg16_relu5_1(args.vgg)  # converts to the safetensors cache where needed
        vgg = args.vgg if args.vgg is not None and args.vgg.suffix == ".safetensors" else (
            cache_dir() / "vgg16_relu5_1.safetensors")
        if args.out.exists():
            shutil.rmtree(args.out)
        write_images(args)
        write_shards(vgg, args.out / "vgg", ShardPolicy(weights="int8"))
        print(f"wrote {args.out}: {len(list((args.out / 'low').iterdir()))} low, "
              f"{len(list((args.out / 'normal').iterdir()))} normal images, VGG16 in int8")
    print_sizes(args.out, args.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
