"""How far numbered pictures enhanced from an image sequence land from the same picture enhanced as a photo, where
the pictures carry an ICC profile: the mean CIELAB deltaE (CIE76) between ``enlight-video 'night_%04d.jpg' -o
'day_%04d.png'`` (its first picture) and ``enlight-video night_0001.jpg -o one.png``, and the same against a video
made from the sequence (``-o day.mkv``, lossless 4:4:4), each output read through its own profile.

    python benchmarks/sequence_profiles.py OUT_DIR [--cli "python -m enlight.cli.video"]

Each sequence is three copies of one small, dark picture (the smoothing over time then changes nothing) in one of:
Debian's icc-profiles-free linear grey (Gray.icc) and L* grey (Gray-CIE_L.icc) and Adobe RGB-compatible profiles
(``make sysdeps``), the tests' CMYK and Display P3 ones (``tests/icc.py``), LittleCMS's sRGB, and a CMYK JPEG without
one. A photo's colours were right (``enlight.stream.io.photo_colour``): it is the reference. A picture tagged with a
profile for another colour space than its pixels' cannot be read through it; its pixels are then taken as sRGB, as a
viewer that ignores the tag shows them, and the line says so. A video holds no profile: it is read as sRGB. The
notes of both runs that speak of profiles or of what a video did not keep are printed. Run from the repository root.
"""

from __future__ import annotations

import argparse
import io
import shlex
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageCms

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.photo_profiles import HEIGHT, SYSTEM_PROFILES, WIDTH, _lab, _picture  # noqa: E402
from tests.icc import cmyk_profile, rgb_profile  # noqa: E402  (the repository's tests folder)

FRAMES = 3


def _as_srgb8(path: Path) -> tuple[np.ndarray, str]:
    """An output's (H, W, 3) float sRGB 0-255 through its own profile (a video's first frame as FFmpeg gives it),
    and what its tag was: '' (none), 'RGB ', or the other colour space's signature, unreadable."""
    if path.suffix == ".mkv":
        with av.open(str(path)) as container:
            return next(container.decode(video=0)).to_ndarray(format="rgb24").astype(np.float64), ""
    with Image.open(path) as image:
        icc = image.info.get("icc_profile")
        picture = image.convert("RGB")
    tag = icc[16:20].decode() if icc else ""
    try:
        if icc:
            picture = ImageCms.profileToProfile(picture, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                                ImageCms.createProfile("sRGB"), outputMode="RGB")
    except ImageCms.PyCMSError:
        tag += " (cannot tag RGB: read as sRGB)"
    return np.asarray(picture).astype(np.float64), tag


def _sequences(out: Path) -> dict[str, Path]:
    """name -> the first picture of a three-picture JPEG sequence (``<stem>_0001.jpg`` ...)."""
    picture = _picture()
    grey = Image.fromarray(np.round(picture.mean(-1) * 255).astype(np.uint8))
    black = 0.6 * (1 - picture.max(-1))
    inks = np.concatenate([(1 - picture - black[..., None]) / (1 - black[..., None]), black[..., None]], -1)
    cmyk = Image.frombytes("CMYK", (WIDTH, HEIGHT), np.round(inks * 255).astype(np.uint8).tobytes())
    rgb = Image.fromarray(np.round(picture * 255).astype(np.uint8))
    cases = {"grey, linear profile (Gray.icc)": ("gl", grey, (SYSTEM_PROFILES / "Gray.icc").read_bytes()),
             "grey, L* profile (Gray-CIE_L.icc)": ("gs", grey, (SYSTEM_PROFILES / "Gray-CIE_L.icc").read_bytes()),
             "CMYK, the tests' profile": ("cp", cmyk, cmyk_profile()), "CMYK, no profile": ("cn", cmyk, None),
             "RGB, Adobe RGB profile": ("ar", rgb, (SYSTEM_PROFILES / "compatibleWithAdobeRGB1998.icc").read_bytes()),
             "RGB, Display P3 (the tests' profile)": ("dp", rgb, rgb_profile()),
             "RGB, sRGB profile": ("sr", rgb, ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()),
             "RGB, no profile": ("rn", rgb, None), "grey, no profile": ("gn", grey, None)}
    firsts = {}
    for name, (stem, image, icc) in cases.items():
        for number in range(1, FRAMES + 1):
            image.save(out / f"{stem}_{number:04d}.jpg", quality=95, icc_profile=icc)
        firsts[name] = out / f"{stem}_0001.jpg"
    return firsts


def _run(cli: str, *args: str | Path) -> str:
    done = subprocess.run([*shlex.split(cli), *map(str, args), "--force"], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{args}: {done.stderr.strip()}")
    return done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a folder for the pictures made and enhanced")
    parser.add_argument("--cli", default="enlight-video", help="the command that runs enlight-video")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, first in _sequences(args.out).items():
        stem = first.name[:-len("_0001.jpg")]
        pattern, photo = args.out / f"{stem}_%04d.jpg", args.out / f"{stem}_one.png"
        _run(args.cli, first, "-o", photo)
        said = _run(args.cli, pattern, "-o", args.out / f"{stem}_day_%04d.png")
        said += _run(args.cli, pattern, "-o", args.out / f"{stem}_day.mkv", "--crf", "0", "--pix-fmt", "yuv444p")
        reference = _lab(_as_srgb8(photo)[0])
        pictures, tag = _as_srgb8(args.out / f"{stem}_day_0001.png")
        video = _as_srgb8(args.out / f"{stem}_day.mkv")[0]
        as_pictures = np.linalg.norm(_lab(pictures) - reference, axis=-1)
        as_video = np.linalg.norm(_lab(video) - reference, axis=-1)
        print(f"{name}: pictures {as_pictures.mean():.2f} (max {as_pictures.max():.2f}), tagged "
              f"{tag or 'none'}; video {as_video.mean():.2f} (max {as_video.max():.2f})")
        for line in said.splitlines():
            if "profile" in line or "CMYK" in line or "not kept" in line:
                print("    said:", line.strip()[:200])


if __name__ == "__main__":
    main()
