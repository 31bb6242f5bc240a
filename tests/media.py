"""Tiny real media files for tests, written with PyAV (no fixtures on disk)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

from enlight.models.generator import build_generator
from enlight.models.weights import save_weights


def dark_frames(count: int, width: int, height: int, *, seed: int = 0) -> list[np.ndarray]:
    """Dim frames with a moving bright square and some texture: (H, W, 3) uint8."""
    rng = np.random.default_rng(seed)
    base = (rng.random((height, width, 3)) * 40 + 10).astype(np.float32)
    yy, xx = np.mgrid[0:height, 0:width]
    base += 20 * np.sin(xx / 7.0)[..., None]
    frames = []
    for i in range(count):
        img = base.copy()
        x0 = (3 * i) % max(1, width - 12)
        img[4:14, x0 : x0 + 10] = [120, 90, 60]
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return frames


def make_clip(
    path: Path,
    *,
    width: int = 64,
    height: int = 48,
    frames: int = 12,
    pts: list[int] | None = None,
    time_base: Fraction = Fraction(1, 90000),
    rate: int = 24,
    audio: bool = True,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rotation: int | None = None,
    color: dict | None = None,
    faststart: bool = False,
    gop: int | None = None,
) -> Path:
    """Write a clip; ``pts`` gives explicit (e.g. variable-rate) timestamps in ``time_base`` units.

    color: codec-context tags, e.g. {"colorspace": 1, "color_range": 1, "color_primaries": 1,
    "color_trc": 1}. Audio: a 440 Hz AAC tone (mono, 48 kHz) as long as the video. gop: a keyframe every this
    many frames (for --segments), else the encoder's default.
    """
    if pts is None:
        step = int(round(1 / (rate * time_base)))
        pts = [i * step for i in range(frames)]
    container = av.open(str(path), "w", options={"movflags": "+faststart"} if faststart else {})
    video = container.add_stream(codec, rate=rate)
    video.width, video.height, video.pix_fmt = width, height, pix_fmt
    video.codec_context.time_base = time_base
    video.time_base = time_base
    if gop is not None:
        video.codec_context.gop_size = gop
    for key, value in (color or {}).items():
        setattr(video.codec_context, key, value)
    if rotation is not None:
        video.set_display_rotation(rotation)
    sound = container.add_stream("aac", rate=48000, layout="mono") if audio else None
    sample = 0
    for i, img in enumerate(dark_frames(len(pts), width, height)):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=pix_fmt)
        frame.pts, frame.time_base = pts[i], time_base
        container.mux(video.encode(frame))
        end_s = float(pts[i] * time_base) + 1 / rate
        while sound is not None and sample / 48000 < end_s:
            t = (np.arange(1024) + sample) / 48000
            chunk = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            aframe = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            aframe.sample_rate, aframe.pts = 48000, sample
            container.mux(sound.encode(aframe))
            sample += 1024
    container.mux(video.encode(None))
    if sound is not None:
        container.mux(sound.encode(None))
    container.close()
    return path


def sound_file(path: Path, *, packets: int = 10) -> Path:
    """An audio-only file (a voice memo's .m4a): ``packets`` AAC frames of mono silence at 48 kHz, no video stream."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=48000, layout="mono")
        for i in range(packets):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 48000, i * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def chaptered_clip(path: Path, *, frames: int, width: int, height: int, gop: int, chapter_ms: int,
                   timecode: str = "01:02:03:04", sample_aspect: Fraction | None = None) -> Path:
    """A clip with two chapters ('Gate', 'Yard', ``chapter_ms`` each), a start ``timecode`` (an MP4/MOV timecode
    track), a keyframe every ``gop`` frames (for --segments) and, given one, a non-square ``sample_aspect``."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if sample_aspect is not None:
            stream.codec_context.sample_aspect_ratio = sample_aspect
        stream.codec_context.gop_size = gop
        stream.metadata["timecode"] = timecode
        out.set_chapters([{"id": i, "start": i * chapter_ms, "end": (i + 1) * chapter_ms,
                           "time_base": Fraction(1, 1000), "metadata": {"title": title}}
                          for i, title in enumerate(("Gate", "Yard"))])
        out.start_encoding()
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), 10 + 2 * i, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def clip_with_edit_list(path: Path, frames: int = 36, hidden: int = 10, *, gop: int | None = None,
                        audio: bool = False) -> Path:
    """An MP4 whose edit list starts ``hidden`` frames after its first packet, as ``ffmpeg -ss 0.4 -i in.mp4 -c
    copy`` writes one: the packets from the keyframe before the cut are kept (negative timestamps) and hidden.
    gop: a keyframe every this many frames (``make_clip``); audio: its tone, moved with the video."""
    src = make_clip(path.with_name("whole.mp4"), frames=frames, audio=audio, gop=gop)
    with av.open(str(src)) as inp, av.open(str(path), "w") as out:
        copies = {stream.index: out.add_stream_from_template(stream) for stream in inp.streams if stream.type in
                  ("video", "audio")}
        for packet in inp.demux(*inp.streams):
            if packet.dts is None or packet.stream.index not in copies:
                continue
            shift = round(hidden / (24 * packet.stream.time_base))
            packet.pts, packet.dts, packet.stream = packet.pts - shift, packet.dts - shift, copies[packet.stream.index]
            out.mux(packet)
    return path


def tiny_weights(path: Path, *, base_channels: int = 8, seed: int = 0) -> Path:
    """Random generator weights (eval-mode BN statistics randomised too) saved in our format."""
    torch.manual_seed(seed)
    generator = build_generator(base_channels=base_channels)
    with torch.no_grad():
        for name, buf in generator.named_buffers():
            if name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
            elif name.endswith("running_mean"):
                buf.normal_(0, 0.1)
        generator.conv10.weight.mul_(0.1)
    return save_weights(path, generator, provenance="random test weights")


def read_video(path: Path) -> dict:
    """Frames' pts (seconds), count, size, stream tags and audio packet bytes of a file."""
    with av.open(str(path)) as container:
        vs = container.streams.video[0]
        info = {
            "width": vs.codec_context.width,
            "height": vs.codec_context.height,
            "time_base": vs.time_base,
            "colorspace": int(vs.codec_context.colorspace),
            "color_range": int(vs.codec_context.color_range),
            "color_primaries": int(vs.codec_context.color_primaries),
            "color_trc": int(vs.codec_context.color_trc),
            "streams": [s.type for s in container.streams],
        }
        times, rotations, images = [], [], []
        for frame in container.decode(vs):
            times.append(frame.pts * vs.time_base)
            rotations.append(frame.rotation)
            images.append(frame.to_ndarray(format="rgb24"))
        info["times"] = times
        info["rotation"] = rotations[0] if rotations else None
        info["images"] = images
    with av.open(str(path)) as container:
        info["audio_packets"] = [
            bytes(p) for p in container.demux(audio=0) if p.size
        ] if container.streams.audio else []
    return info
