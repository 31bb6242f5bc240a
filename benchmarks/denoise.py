"""Denoising benchmark (issue 15): prints tables, writes JSON; never asserts (and never on time).

    .venv/bin/python -m benchmarks.denoise [--frames 24] [--size 320x192] [--json docs/img/denoise.json]

1. Synthetic truth: clean clips (real ones from ../shared/data/video, photos held still and panned,
   an object moving over a still photo) darkened in linear light with the physical noise model
   (Poisson shot noise + Gaussian read noise, as enlight.train.pairs.darken) at two noise levels.
   PSNR of enhance(denoise(noisy)) against enhance(clean dark), for: off, ours (light, strong, and light
   without the CPU refinements, as the fast preset runs it on a CPU: ``LIGHT_FAST``), and
   FFmpeg's hqdn3d and nlmeans (through PyAV's filter graphs) placed at the same point, before the
   enhancer, each at its default and at a stronger setting.
2. Ghosting, on the moving-object clips (a lit object, and a dim one carrying another photo's texture
   slowly over a background of about its brightness: the translucency check): warping error of the output
   (flow taken on the clean clip) and PSNR inside the object's box.
3. Real night footage (../shared/data/video/surveillance_night.mp4, real_night/*.mp4, and with ``--real-dir``
   more clips, e.g. the Starlight clips with real sensor noise, ``benchmarks/starlight_clips.py``; skipped when
   absent): the whole frames enhanced (as the command does: the denoiser measures the noise on the whole
   picture), then Immerkaer's no-reference noise estimate on the output's luma on centre crops at the
   native resolution (downscaling would average the noise away), denoise off vs on, and NIQE. With
   ``--truth-dir``, a real noisy sequence with its ground truth (ViDeNN's low-light test layout): PSNR of
   every method, as in 1.
4. Cost: the fast preset's end-to-end fps at 854x480 (pipeline.run on an encoded clip), off vs on;
   run it alone under ``quiet`` (``--skip synthetic real png``): it is a speed measurement.

The enhancer is the `fast` quality (the scaled student) with the default smoothing throughout.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
# (exposure gain in linear light, full-well photo-electrons at linear 1, read noise sigma)
NOISE = {"moderate": (0.12, 1000.0, 0.002), "heavy": (0.05, 300.0, 0.004)}
LIGHT_FAST = "light, fast on a CPU"  # light without the optical flow and the bilateral, as fast on a CPU runs
#                                      it over plan.FAST_REFINE_MEGAPIXELS (the label kept for the JSON's keys)
LIGHT_FAST_SMALL = "light, fast on a CPU up to 0.25 MP"  # with the optical flow, without the bilateral (as fast
#                                                           on a CPU runs it between the two plan limits)
OURS = {"light": ("light", True), "strong": ("strong", True), LIGHT_FAST: ("light", False),
        LIGHT_FAST_SMALL: ("light", True, False)}  # (level, refine[, bilateral])
BASELINES = {"hqdn3d": ("hqdn3d", ""), "hqdn3d x2": ("hqdn3d", "8:6:12:9"),
             "nlmeans": ("nlmeans", ""), "nlmeans s4": ("nlmeans", "s=4")}
OBJECT = 40  # the moving object's box side (benchmarks.quality_clips.moving_object_clip)


# --- clips ---------------------------------------------------------------------------------------------

def _photo(name: str, size: tuple[int, int]) -> np.ndarray:
    path = next(iter(sorted((SHARED / "train" / "normal").glob(name))))
    return np.asarray(Image.open(path).convert("RGB").resize(size, Image.BICUBIC))


def _pan(photo: np.ndarray, frames: int, size: tuple[int, int], step: tuple[float, float]) -> list[np.ndarray]:
    """A window moving ``step`` (dx, dy) px per frame over a photo (whole-pixel positions)."""
    w, h = size
    return [np.ascontiguousarray(photo[int(round(t * step[1])):int(round(t * step[1])) + h,
                                       int(round(t * step[0])):int(round(t * step[0])) + w])
            for t in range(frames)]


def _whole(path: Path, frames: int, size: tuple[int, int], start: int = 0) -> list[np.ndarray]:
    """Whole frames at the native resolution (resized up when the video is smaller than ``size``)."""
    import av

    from benchmarks.quality_clips import video_frames

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        native = (stream.codec_context.width, stream.codec_context.height)
    w, h = size
    scale = max(w / native[0], h / native[1], 1.0)
    full = (int(math.ceil(native[0] * scale)), int(math.ceil(native[1] * scale)))
    return list(video_frames(path, frames, full, start=start))


def _centre(frames: list[np.ndarray], size: tuple[int, int]) -> list[np.ndarray]:
    """Centre crops of ``size`` (w, h)."""
    w, h = size
    y, x = (frames[0].shape[0] - h) // 2, (frames[0].shape[1] - w) // 2
    return [np.ascontiguousarray(f[y:y + h, x:x + w]) for f in frames]


def _crop(path: Path, frames: int, size: tuple[int, int], start: int = 0) -> list[np.ndarray]:
    """Centre crops of ``size`` (w, h) at the native resolution (resized up when the video is smaller)."""
    return _centre(_whole(path, frames, size, start), size)


def clean_clips(frames: int, size: tuple[int, int]) -> dict[str, tuple[str, list[np.ndarray]]]:
    """name -> (camera 'static' or 'moving', clean bright frames)."""
    from benchmarks.quality_clips import dim_object_clip, moving_object_clip

    w, h = size
    clips = {"photo still": ("static", [_photo("kodak_*04*", size)] * frames)}
    big = _photo("kodak_*19*", (w + 3 * frames, h + 2 * frames))
    clips["photo panned"] = ("moving", _pan(big, frames, size, (2.5, 1.5)))
    still = _photo("kodak_*07*", size)
    clips["moving object"] = ("static", moving_object_clip(still, frames, size))
    clips["dim object"] = ("static", dim_object_clip(still, _photo("kodak_*19*", size), frames, size))
    for name, camera in (("carphone_pristine.mp4", "static"), ("bikes.mp4", "moving")):
        if (SHARED / "video" / name).is_file():
            clips[name.removesuffix(".mp4")] = (camera, _crop(SHARED / "video" / name, frames, size))
    return clips


def darken(frames: list[np.ndarray], level: str, seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(clean dark, noisy dark) uint8 frames: linear light x gain, Poisson + read noise, gamma 1/2.2."""
    gain, peak, read = NOISE[level]
    rng = np.random.default_rng(seed)
    clean, noisy = [], []
    for frame in frames:
        linear = (frame.astype(np.float64) / 255.0) ** 2.2 * gain
        clean.append(np.round(linear ** (1 / 2.2) * 255).astype(np.uint8))
        shot = rng.poisson(linear * peak) / peak + rng.normal(0.0, read, linear.shape)
        noisy.append(np.round(np.clip(shot, 0, 1) ** (1 / 2.2) * 255).astype(np.uint8))
    return clean, noisy


# --- methods -------------------------------------------------------------------------------------------

def ffmpeg_filter(frames: list[np.ndarray], name: str, args: str) -> list[np.ndarray]:
    """``frames`` through one FFmpeg video filter, in planar RGB (gbrp: no colour conversion), in order:
    PyAV's filter graph when its FFmpeg has the filter (nlmeans), else an ``ffmpeg`` program's
    (hqdn3d is GPL and not in PyAV's LGPL wheels; ``ffmpeg_program``)."""
    import av

    if name not in av.filter.filters_available:
        return _ffmpeg_program_filter(frames, f"{name}={args}" if args else name)
    h, w = frames[0].shape[:2]
    graph = av.filter.Graph()
    chain = [graph.add_buffer(width=w, height=h, format="rgb24", time_base=Fraction(1, 25)),
             graph.add("format", "gbrp"), graph.add(name, args), graph.add("format", "rgb24"),
             graph.add("buffersink")]
    for before, after in zip(chain, chain[1:], strict=False):
        before.link_to(after)
    graph.configure()
    out = []
    for t, image in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = t
        graph.push(frame)
        out.append(graph.pull().to_ndarray(format="rgb24"))
    return out


def ffmpeg_program() -> str | None:
    """An ffmpeg executable with hqdn3d: $FFMPEG, imageio-ffmpeg's, or the one on PATH."""
    import os
    import shutil

    if os.environ.get("FFMPEG"):
        return os.environ["FFMPEG"]
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except ImportError:
        return shutil.which("ffmpeg")


def _ffmpeg_program_filter(frames: list[np.ndarray], spec: str) -> list[np.ndarray]:
    import subprocess

    program = ffmpeg_program()
    if program is None:
        raise RuntimeError(f"{spec}: not in PyAV's FFmpeg and no ffmpeg program found (set FFMPEG=...)")
    h, w = frames[0].shape[:2]
    command = [program, "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{w}x{h}", "-r", "25", "-i", "-", "-vf", f"format=gbrp,{spec},format=rgb24",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(command, input=np.stack(frames).tobytes(), capture_output=True, check=True).stdout
    return list(np.frombuffer(raw, np.uint8).reshape(len(frames), h, w, 3))


class Enhance:
    """The fast preset's Enhancer (default smoothing), fresh per clip; denoise: a key of OURS or 'off'."""

    def __init__(self) -> None:
        from enlight.stream.core.plan import build_backend, make_plan

        self.plan = make_plan(quality="fast", device="cpu")
        self.backend = build_backend(self.plan)

    def __call__(self, frames: list[np.ndarray], denoise: str = "off", batch: int = 4) -> list[np.ndarray]:
        from enlight.stream.core.denoise_config import DenoiseConfig
        from enlight.stream.core.enhancer import Enhancer

        plan = self.plan
        enhancer = Enhancer(self.backend, plan.smoothing, scale=plan.scale, upsample=plan.upsample,
                            denoise=DenoiseConfig(*OURS.get(denoise, (denoise,))), detail=plan.detail)
        out = []
        for start in range(0, len(frames), batch):
            out += list(enhancer(np.stack(frames[start:start + batch])))
        return out


def psnr(a: list[np.ndarray], b: list[np.ndarray], box=None) -> float:
    """PSNR (dB, 8-bit) over a whole clip (one MSE); box(t) -> (y0, y1, x0, x1) restricts it per frame."""
    errors = []
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        if box is not None:
            y0, y1, x0, x1 = box(t)
            x, y = x[y0:y1, x0:x1], y[y0:y1, x0:x1]
        errors.append(((x.astype(np.float64) - y) ** 2).ravel())
    mse = float(np.concatenate(errors).mean())
    return 10 * math.log10(255**2 / max(mse, 1e-12))


def _object_box(name: str, frames: int, size: tuple[int, int]):
    """t -> (y0, y1, x0, x1) of the moving object of clip ``name`` at frame t; None for clips without one."""
    from benchmarks.quality_clips import dim_object_box

    w, h = size
    if name == "dim object":
        return lambda t: dim_object_box(t, size)
    if name != "moving object":
        return None
    return lambda t: (h // 3, h // 3 + OBJECT, int(t * (w - OBJECT) / max(1, frames - 1)),
                      int(t * (w - OBJECT) / max(1, frames - 1)) + OBJECT)


def _methods(noisy: list[np.ndarray], enhance: Enhance) -> dict[str, list[np.ndarray]]:
    outputs = {"off": enhance(noisy)}
    for level in OURS:
        outputs[f"ours {level}"] = enhance(noisy, level)
    for label, (name, args) in BASELINES.items():
        outputs[label] = enhance(ffmpeg_filter(noisy, name, args))
    return outputs


def synthetic(frames: int, size: tuple[int, int], enhance: Enhance) -> list[dict]:
    from enlight.quality.flicker import warping_error

    rows = []
    for name, (camera, bright) in clean_clips(frames, size).items():
        for index, level in enumerate(NOISE):
            clean, noisy = darken(bright, level, seed=index)
            reference = enhance(clean)
            outputs = _methods(noisy, enhance)
            row = {"clip": name, "camera": camera, "noise": level,
                   "psnr": {m: round(psnr(out, reference), 2) for m, out in outputs.items()}}
            box = _object_box(name, frames, size)
            if box is not None:
                row["object_psnr"] = {m: round(psnr(out, reference, box), 2) for m, out in outputs.items()}
                row["warping_error"] = {m: round(warping_error(bright, out) * 1e3, 3) for m, out in outputs.items()}
                row["warping_error"]["clean"] = round(warping_error(bright, reference) * 1e3, 3)
            rows.append(row)
            print(f"  {name} / {level}: " + ", ".join(f"{m} {v:.2f}" for m, v in row["psnr"].items()), flush=True)
    return rows


# --- real footage ----------------------------------------------------------------------------------------

def immerkaer(rgb: np.ndarray) -> float:
    """Immerkaer's (1996) noise standard deviation of an image's BT.601 luma, 0-255 units."""
    from scipy.signal import convolve2d

    from enlight.quality.flicker import luma

    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)
    image = luma(rgb)
    h, w = image.shape
    residual = np.abs(convolve2d(image, kernel, mode="valid")).sum()
    return float(math.sqrt(math.pi / 2) * residual / (6 * (w - 2) * (h - 2)))


def wavelet_mad(rgb: np.ndarray) -> float:
    """Donoho's wavelet noise estimate of an image's BT.601 luma (0-255 units): the median |HH| of the
    finest Haar level / 0.6745 (robust: edges and texture are the tail, not the median)."""
    from enlight.quality.flicker import luma

    image = luma(rgb)
    image = image[:image.shape[0] // 2 * 2, :image.shape[1] // 2 * 2]
    hh = (image[0::2, 0::2] - image[0::2, 1::2] - image[1::2, 0::2] + image[1::2, 1::2]) / 2
    return float(np.median(np.abs(hh)) / 0.6745)


def boiling(frames: list[np.ndarray]) -> float:
    """Mean |change of BT.601 luma| between consecutive frames (0-255): issue 15's 'boiling' measure."""
    from enlight.quality.flicker import luma

    return float(np.mean([np.abs(luma(b) - luma(a)).mean() for a, b in zip(frames, frames[1:], strict=False)]))


def _shared_clips() -> list[tuple[Path, int]]:
    """(clip, first frame) of the shared real night footage that is present, each from frame 30."""
    shared = [SHARED / "video" / "surveillance_night.mp4", *sorted((SHARED / "video" / "real_night").glob("*.mp4"))]
    return [(p, 30) for p in shared if p.is_file()]


def _extra_clips(real_dir: Path | None) -> list[tuple[Path, int]]:
    """(clip, first frame) of every video in ``real_dir`` (``--real-dir``: e.g. the Starlight clips of
    ``benchmarks/starlight_clips.py``, real sensor noise), each from its first frame; none without one."""
    return [(p, 0) for p in sorted(real_dir.iterdir()) if p.suffix in (".mkv", ".mp4")] if real_dir else []


def real_footage(frames: int, size: tuple[int, int], enhance: Enhance, real_dir: Path | None = None) -> list[dict]:
    from enlight.quality.niqe import niqe

    rows = []
    for path, start in _shared_clips() + _extra_clips(real_dir):
        whole = _whole(path, frames, size, start=start)  # enhanced whole, as the command does; measured on a crop
        clip = _centre(whole, size)
        row = {"clip": path.name, "input_noise": round(float(np.mean([immerkaer(f) for f in clip])), 3),
               "input_mad": round(float(np.mean([wavelet_mad(f) for f in clip])), 3),
               "input_boiling": round(boiling(clip), 3), "noise": {}, "mad": {}, "boiling": {}, "niqe": {},
               "niqe_whole": {}}
        for level in ("off", *OURS):
            enhanced = enhance(whole, level)
            out = _centre(enhanced, size)
            row["noise"][level] = round(float(np.mean([immerkaer(f) for f in out])), 3)
            row["mad"][level] = round(float(np.mean([wavelet_mad(f) for f in out])), 3)
            row["boiling"][level] = round(boiling(out), 3)
            row["niqe"][level] = round(float(np.mean([niqe(f) for f in out[-4:]])), 3)
            # the whole frames after the denoiser's first 8 (its running mean filled): fewer crops' chance
            row["niqe_whole"][level] = round(float(np.mean([niqe(f) for f in enhanced[8:]])), 3)
        rows.append(row)
        print(f"  {path.name}: input {row['input_noise']}, output noise {row['noise']}, NIQE {row['niqe']}",
              flush=True)
    return rows


def real_truth(folder: Path, enhance: Enhance) -> dict:
    """Real noise with a truth: a ViDeNN-style sequence folder (``noisy/NAME.png`` and
    ``ground_truth/NAME_GT.png``, consecutive frames of a static low-light scene, e.g. ViDeNN's
    ``lowlight_dataset/test/mountains``, MIT licence): PSNR of enhance(method(noisy)) against
    enhance(ground truth) over the noisy frames that have one, and over the last of them alone (the
    temporal average has had the most frames there)."""
    pairs = [(n, folder / "ground_truth" / f"{n.stem}_GT.png") for n in sorted((folder / "noisy").glob("*.png"))]
    pairs = [(n, g) for n, g in pairs if g.is_file()]
    if not pairs:
        print(f"  --truth-dir {folder}: no noisy/NAME.png with a ground_truth/NAME_GT.png, skipped", flush=True)
        return {}
    noisy = [np.asarray(Image.open(n).convert("RGB")) for n, _ in pairs]
    reference = enhance([np.asarray(Image.open(g).convert("RGB")) for _, g in pairs])
    outputs = _methods(noisy, enhance)
    row = {"clip": folder.name, "frames": [n.name for n, _ in pairs],
           "psnr": {m: round(psnr(out, reference), 2) for m, out in outputs.items()},
           "psnr_last": {m: round(psnr(out[-1:], reference[-1:]), 2) for m, out in outputs.items()}}
    print(f"  {folder.name} ({len(pairs)} frames): " + ", ".join(f"{m} {v:.2f}" for m, v in row["psnr"].items()),
          flush=True)
    return row


def snapshot(rows_of_frames: list[list[np.ndarray]], path: Path) -> None:
    """A grid PNG: one row per clip, one column per frame given."""
    grid = np.concatenate([np.concatenate(row, axis=1) for row in rows_of_frames], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path, **({"quality": 90} if path.suffix == ".jpg" else {}))


def night_snapshot(frames: int, size: tuple[int, int], enhance: Enhance, path: Path,
                   clips: list[tuple[Path, int]]) -> None:
    """input | denoise off | each of OURS, the last frame of each real night clip's centre crop."""
    rows = []
    for clip_path, start in clips:
        whole = _whole(clip_path, frames, size, start=start)
        rows.append(_centre([whole[-1]] + [enhance(whole, level)[-1] for level in ("off", *OURS)], size))
    if rows:
        snapshot(rows, path)
        print(f"  wrote {path}", flush=True)


# --- cost --------------------------------------------------------------------------------------------------

def _clip_854(folder: Path, frames: int) -> Path:
    import av

    w, h = 854, 480
    big = _photo("kodak_*19*", (w + 2 * frames, h + frames))
    _, noisy = darken(_pan(big, frames, (w, h), (2.0, 1.0)), "heavy", seed=7)
    path = folder / "noisy_854x480.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"crf": "16", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for t, image in enumerate(noisy):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = t
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def cost(frames: int, repeats: int = 2) -> dict:
    """The fast preset's end-to-end fps (pipeline.run, file to file) at 854x480, off vs each level,
    interleaved ``repeats`` times (this machine is shared: medians)."""
    from enlight.stream.apps.pipeline import PipelineConfig, run
    from enlight.stream.core.denoise_config import DenoiseConfig
    from enlight.stream.core.plan import make_plan

    fps: dict[str, list[float]] = {"off": [], **{level: [] for level in OURS}}
    with tempfile.TemporaryDirectory() as tmp:
        source = _clip_854(Path(tmp), frames)
        for _ in range(repeats):
            for level in fps:
                denoise = DenoiseConfig(*OURS.get(level, (level,)))
                plan = make_plan(quality="fast", device="cpu", denoise=denoise)
                stats = run(PipelineConfig(input=source, output=Path(tmp) / f"{level}.mp4", plan=plan,
                                           progress=False, overwrite=True))
                fps[level].append(stats.fps)
    result = {level: round(float(np.median(values)), 2) for level, values in fps.items()}
    result["loss_percent"] = {level: round(100 * (1 - result[level] / result["off"]), 1) for level in OURS}
    print(f"  fps at 854x480 (fast, end to end): {result}", flush=True)
    return result


# --- report ------------------------------------------------------------------------------------------------

def _table(rows: list[dict], key: str, title: str) -> None:
    methods = list(rows[0][key])
    print(f"\n{title}\n| clip | camera | noise | " + " | ".join(methods) + " |")
    print("|---|---|---|" + "---|" * len(methods))
    for row in rows:
        print(f"| {row['clip']} | {row['camera']} | {row['noise']} | "
              + " | ".join(f"{row[key][m]:.2f}" for m in methods) + " |")


def _synthetic_report(rows: list[dict]) -> None:
    _table(rows, "psnr", "PSNR (dB) of enhance(x) against enhance(clean dark), fast preset")
    ours = [f"ours {label}" for label in OURS]
    print("\n| clip | noise | " + " | ".join(f"{m} - off" for m in ours) + " | best baseline | beats it ("
          + " / ".join(OURS) + ") |")
    print("|---|---|" + "---|" * len(ours) + "---|---|")
    for row in rows:
        p = row["psnr"]
        best = max(BASELINES, key=lambda m: p[m])
        print(f"| {row['clip']} | {row['noise']} | " + " | ".join(f"{p[m] - p['off']:+.2f}" for m in ours)
              + f" | {best} {p[best]:.2f} | " + "/".join(str(p[m] > p[best]) for m in ours) + " |")
    ghost = [r for r in rows if "object_psnr" in r]
    if ghost:
        _table(ghost, "object_psnr", "PSNR (dB) inside the moving object's box")
        _table(ghost, "warping_error", "Warping error (x1e-3; flow on the clean clip)")


def report(result: dict) -> None:
    if result["synthetic"]:
        _synthetic_report(result["synthetic"])
    if result["real"]:
        print("\n| clip | measure | input | off | " + " | ".join(OURS) + " |\n|---|---|---|---|" + "---|" * len(OURS))
        for r in result["real"]:
            for key, label, given in (("noise", "Immerkaer noise", r["input_noise"]),
                                      ("mad", "wavelet MAD noise", r["input_mad"]),
                                      ("boiling", "boiling", r["input_boiling"]), ("niqe", "NIQE", None),
                                      ("niqe_whole", "NIQE, whole frames from the 9th", None)):
                first = "" if given is None else f"{given:.2f}"
                print(f"| {r['clip']} | {label} | {first} | " + " | ".join(f"{r[key][m]:.2f}" for m in r[key]) + " |")
    if result.get("real_truth"):
        row = result["real_truth"]
        print(f"\n{row['clip']} (real noise, {len(row['frames'])} frames with a truth), PSNR dB:\n")
        print("| | " + " | ".join(row["psnr"]) + " |\n|---|" + "---|" * len(row["psnr"]))
        print("| all frames | " + " | ".join(f"{v:.2f}" for v in row["psnr"].values()) + " |")
        print("| the last frame | " + " | ".join(f"{v:.2f}" for v in row["psnr_last"].values()) + " |")
    if result.get("cost"):
        print(f"\nfast preset end to end at 854x480: {result['cost']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--size", default="320x192")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "img" / "denoise.json")
    parser.add_argument("--png", type=Path, default=ROOT / "docs" / "img" / "denoise_night.png")
    parser.add_argument("--real-dir", type=Path, help="more real night clips (.mkv, .mp4), e.g. the Starlight "
                        "clips of benchmarks/starlight_clips.py; the snapshot of these goes to --real-png")
    parser.add_argument("--truth-dir", type=Path, help="a real noisy sequence with its ground truth (ViDeNN's "
                        "lowlight_dataset/test/mountains layout: noisy/*.png, ground_truth/*_GT.png)")
    parser.add_argument("--real-png", type=Path, default=ROOT / "docs" / "img" / "denoise_real_noise.jpg")
    parser.add_argument("--skip", nargs="*", default=(), choices=("synthetic", "real", "cost", "png"))
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    if args.real_dir is not None and not args.real_dir.is_dir():
        print(f"  --real-dir {args.real_dir}: not a folder, skipped", flush=True)
        args.real_dir = None
    enhance = Enhance()
    result = {"frames": args.frames, "size": args.size, "noise_levels": NOISE, "baselines": BASELINES,
              "synthetic": [], "real": [], "cost": None}
    started = time.perf_counter()
    if "synthetic" not in args.skip:
        result["synthetic"] = synthetic(args.frames, size, enhance)
    if "real" not in args.skip:
        result["real"] = real_footage(args.frames, size, enhance, args.real_dir)
        if args.truth_dir:
            result["real_truth"] = real_truth(args.truth_dir, enhance)
    if "png" not in args.skip:
        night_snapshot(args.frames, size, enhance, args.png, _shared_clips())
        if args.real_dir:
            night_snapshot(args.frames, size, enhance, args.real_png, _extra_clips(args.real_dir))
    if "cost" not in args.skip:
        result["cost"] = cost(120, repeats=3)
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1))
    report(result)
    print(f"\nwrote {args.json} ({result['seconds']} s)")


if __name__ == "__main__":
    main()
