"""How far a 16-bit or deep photo's colours land from an 8-bit copy's, through ``enlight-video``, where the photo
carries an ICC profile: the mean CIELAB deltaE (CIE76) between the two outputs, each read through its own profile.

    python benchmarks/photo_profiles.py OUT_DIR [--cli "python -m enlight.cli.video"]

The same small, dark, smooth picture is written at 8 bits and at 16 (a 10-bit HEIC for the deep case) with the same
profile: Debian's icc-profiles-free grey (linear, Gray.icc) and Adobe RGB-compatible ones (``make sysdeps``) and the
tests' own CMYK one (``tests/icc.py``). Both go through the command with its shipped weights; the 8-bit copy's
output is the reference (8-bit photos were converted correctly). The model's own 8-bit and 16-bit paths differ a
little: an sRGB-tagged pair lands 0.44 apart. Run from the repository root.
"""

from __future__ import annotations

import argparse
import io
import shlex
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageCms, TiffImagePlugin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.icc import cmyk_profile  # noqa: E402  (the repository's tests folder)

SYSTEM_PROFILES = Path("/usr/share/color/icc")
HEIGHT, WIDTH = 48, 64


def _lab(rgb8: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB 0-255 -> CIELAB (D65)."""
    c = rgb8 / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def _as_srgb8(path: Path) -> np.ndarray:
    """An output's (H, W, 3) float sRGB 0-255 through its own profile (16-bit pixels via FFmpeg, rounded to 8)."""
    with Image.open(path) as image:
        icc = image.info.get("icc_profile")
        picture = image.convert("RGB")
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    if frame.format.name.startswith(("rgb48", "rgba64", "gray16", "ya16")):
        values = frame.to_ndarray(format="rgb48le").astype(np.uint32)
        picture = Image.fromarray(((values + 128) // 257).astype(np.uint8))
    if icc:
        picture = ImageCms.profileToProfile(picture, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                            ImageCms.createProfile("sRGB"), outputMode="RGB")
    return np.asarray(picture).astype(np.float64)


def _tiff16(path: Path, samples: np.ndarray, photometric: int, icc: bytes | None) -> Path:
    """An uncompressed little-endian TIFF of (H, W, S) uint16 samples (2: RGB, 5: CMYK) with an ICC profile."""
    height, width, channels = samples.shape
    ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=b"II*\0\x08\0\0\0")
    ifd[256], ifd[257], ifd[258], ifd[259] = width, height, (16,) * channels, 1
    ifd[262], ifd[277], ifd[278], ifd[284], ifd[273], ifd[279] = photometric, channels, height, 1, 0, samples.size * 2
    if icc:
        ifd[34675], ifd.tagtype[34675] = icc, 7
    path.write_bytes(b"II*\0" + struct.pack("<I", 8) + ifd.tobytes(8) + samples.astype("<u2").tobytes())
    return path


def _picture() -> np.ndarray:
    """(HEIGHT, WIDTH, 3) float 0-1: dark, smooth, coloured."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH] / np.array([HEIGHT - 1, WIDTH - 1])[:, None, None]
    return np.clip(np.stack([0.15 + 0.25 * x, 0.1 + 0.2 * y, 0.3 - 0.2 * x * y], -1), 0, 1)


def _pairs(out: Path) -> dict[str, tuple[Path, Path]]:
    """name -> (8-bit source, 16-bit or deep source) of the same picture with the same profile."""
    import pillow_heif

    picture, pairs = _picture(), {}
    grey, linear = picture.mean(-1), (SYSTEM_PROFILES / "Gray.icc").read_bytes()
    adobe = (SYSTEM_PROFILES / "compatibleWithAdobeRGB1998.icc").read_bytes()
    for suffix in (".png", ".tif"):
        Image.fromarray(np.round(grey * 255).astype(np.uint8)).save(out / f"g8{suffix}", icc_profile=linear)
        Image.fromarray(np.round(grey * 65535).astype(np.uint16)).save(out / f"g16{suffix}", icc_profile=linear)
        pairs[f"grey, linear profile {suffix}"] = out / f"g8{suffix}", out / f"g16{suffix}"
    Image.fromarray(np.round(picture * 255).astype(np.uint8)).save(out / "a8.tif", icc_profile=adobe)
    _tiff16(out / "a16.tif", np.round(picture * 65535), 2, adobe)
    pairs["Adobe RGB .tif"] = out / "a8.tif", out / "a16.tif"
    black = 0.6 * (1 - picture.max(-1))
    inks = np.concatenate([(1 - picture - black[..., None]) / (1 - black[..., None]), black[..., None]], -1)
    for name, icc in (("no profile", None), ("the tests' profile", cmyk_profile())):
        stem = "c" if icc is None else "cp"
        Image.frombytes("CMYK", (WIDTH, HEIGHT), np.round(inks * 255).astype(np.uint8).tobytes()).save(
            out / f"{stem}8.tif", icc_profile=icc)
        _tiff16(out / f"{stem}16.tif", np.round(inks * 65535), 5, icc)
        pairs[f"CMYK, {name} .tif"] = out / f"{stem}8.tif", out / f"{stem}16.tif"
    pillow_heif.from_bytes(mode="L", size=(WIDTH, HEIGHT), data=np.round(grey * 255).astype(np.uint8).tobytes()).save(
        out / "h8.heic", quality=-1, icc_profile=linear)
    pillow_heif.from_bytes(mode="I;16", size=(WIDTH, HEIGHT), data=(np.round(grey * 1023).astype(np.uint16) << 6)
                           .tobytes()).save(out / "h10.heic", quality=-1, icc_profile=linear)
    pairs["10-bit grey HEIC, linear profile"] = out / "h8.heic", out / "h10.heic"
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--cli", default="enlight-video")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, sources in _pairs(args.out).items():
        outputs = []
        for source in sources:
            output = source.with_name(source.stem + "_day" + (".tif" if source.suffix == ".tif" else ".png"))
            done = subprocess.run([*shlex.split(args.cli), str(source), "-o", str(output), "--force"],
                                  capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"{source}: {done.stderr.strip()}")
            outputs.append(output)
        delta = np.linalg.norm(_lab(_as_srgb8(outputs[0])) - _lab(_as_srgb8(outputs[1])), axis=-1)
        print(f"{name}: mean deltaE {delta.mean():.2f} (max {delta.max():.2f})")


if __name__ == "__main__":
    main()
