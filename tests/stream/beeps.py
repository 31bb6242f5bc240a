"""Clips with a flash and a beep at the same moments, and how far apart they fall in a recording: the sync of a live
run's sound with its picture (``enlight.stream.io.live_sound``).

The clip is dark, its frames at ``flashes`` (seconds) white below a band that carries each frame's number in ten
black or white blocks (so a recording's frame tells which of the source's it is, also where frames were dropped);
its sound is silent but for a 1 kHz tone from each flash for ``BEEP_S``. A recording of it is read back with PyAV.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

BEEP_S = 0.2  # each tone's length
TONE_HZ = 1000
BITS = 10  # blocks of the frame number's band
BAND = 16  # the band's height, and each block's width (pixels)


def beep_clip(path: Path, *, seconds: float, flashes: tuple[float, ...], rate: int = 25, codec: str = "aac",
              sample_rate: int = 48000, fmt: str | None = None, gop: int | None = None, sound_from: float = 0.0,
              sound_until: float = float("inf")) -> Path:
    """Write the clip: ``seconds`` long at ``rate`` fps, 160x96 H.264, sound in ``codec`` (mono) at ``sample_rate``;
    ``fmt``: the muxer (None: by the name), ``gop``: a keyframe every this many frames (None: x264's choice);
    ``sound_from``: the sound's first packet's time, s (``math.inf``: the stream declared, none sent: a camera whose
    microphone is off); ``sound_until``: where it stops, s (the packets from there on not sent, the picture going on:
    a camera whose microphone is turned off part way)."""
    with av.open(str(path), "w", format=fmt) as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = BITS * BAND, 96, "yuv420p"
        if gop is not None:
            video.codec_context.gop_size = gop
        sound = out.add_stream(codec, rate=sample_rate, layout="mono")
        chunk = sound.codec_context.frame_size or 1024
        flash_frames = {round(t * rate) for t in flashes}
        sample = 0 if sound_from == 0 else round(min(sound_from, seconds + 1) * sample_rate)
        first, last = sample, min(sound_until, seconds + 1) * sample_rate
        for index in range(round(seconds * rate)):
            frame = av.VideoFrame.from_ndarray(_picture(index, index in flash_frames), format="rgb24")
            frame.pts = index
            out.mux(video.encode(frame.reformat(format="yuv420p")))
            while sample < min((index + 1) * sample_rate / rate, last):
                out.mux(sound.encode(_tone(sound, sample, chunk, flashes, sample_rate)))
                sample += chunk
                if sample >= last:  # (where it stops: the encoder's last packets there, not after all the picture)
                    out.mux(sound.encode(None))
        out.mux(video.encode(None))
        if first < sample < last:
            out.mux(sound.encode(None))
    return path


def _picture(index: int, flash: bool) -> np.ndarray:
    """(96, 160, 3) uint8: the band of ``index``'s bits over a dark picture, white where ``flash``."""
    picture = np.full((96, BITS * BAND, 3), 235 if flash else 16 + index % 8, np.uint8)
    for bit in range(BITS):
        picture[:BAND, bit * BAND:(bit + 1) * BAND] = 235 if index >> bit & 1 else 16
    return picture


def _tone(stream, start: int, count: int, flashes, sample_rate: int) -> av.AudioFrame:
    """``count`` samples from ``start``, in the encoder's format: the tone within ``BEEP_S`` after a flash."""
    t = (np.arange(count) + start) / sample_rate
    on = np.zeros(count, bool)
    for flash in flashes:
        on |= (t >= flash) & (t < flash + BEEP_S)
    wave = np.where(on, 0.5 * np.sin(2 * np.pi * TONE_HZ * t), 0.0).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(wave[None], format="flt", layout="mono")
    frame.sample_rate, frame.pts = sample_rate, start
    frame = av.AudioResampler(format=stream.codec_context.format.name, layout="mono",
                              rate=sample_rate).resample(frame)[0]
    frame.pts = start
    return frame


def recorded_frames(path: Path, *, side: bool = False) -> list[tuple[float, int, bool]]:
    """(time s, the source's frame number, white) of each frame of a recording (``side``: of --compare side, whose
    left half is the original)."""
    found = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            grey = frame.to_ndarray(format="gray").astype(int)
            height, width = grey.shape
            step = (width // 2 if side else width) / BITS
            bits = [grey[BAND // 2 * height // 96, round((bit + 0.5) * step)] > 128 for bit in range(BITS)]
            number = sum(1 << bit for bit, on in enumerate(bits) if on)
            found.append((float(frame.time), number, grey[height // 2:].mean() > 128))
    return found


def flash_times(path: Path, *, side: bool = False) -> list[float]:
    """The times (s) of a recording's frames that start a flash (white after one that is not)."""
    times, bright = [], False
    for at, _, white in recorded_frames(path, side=side):
        if white and not bright:
            times.append(at)
        bright = white
    return times


def beep_times(path: Path) -> list[float]:
    """The times (s) where a recording's tones start: its sound over a quarter of full scale after 50 ms below."""
    times, quiet_until = [], float("-inf")
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            samples = np.abs(frame.to_ndarray().astype(np.float64).reshape(-1))
            if frame.format.name.startswith("s16"):
                samples /= 32768
            start = float(frame.time)
            for index in np.flatnonzero(samples > 0.25):
                at = start + index / frame.sample_rate
                if at > quiet_until:
                    times.append(at)
                quiet_until = at + 0.05
    return times


def sync_errors(path: Path, rate: int, flashes: tuple[float, ...], *, side: bool = False
                ) -> list[tuple[float, float]]:
    """(flash s, error s) for each tone of a recording: how much later its tone starts than its picture would put it.
    The recorded frame nearest the tone tells where the source's time falls in the recording (its number over
    ``rate``), also across a gap and where frames were dropped; the tone is the flash's nearest that time."""
    frames = recorded_frames(path, side=side)
    errors = []
    for beep in beep_times(path):
        at, number, _ = min(frames, key=lambda item: abs(item[0] - beep))
        offset = at - number / rate  # (where the source's time 0 lies in the recording, by the picture)
        flash = min(flashes, key=lambda t: abs(t + offset - beep))
        errors.append((flash, beep - (flash + offset)))
    return errors


def sound_seconds(path: Path) -> float:
    """How much sound a recording holds: its decoded samples over their rate (s); 0 without sound."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return 0.0
        return sum(frame.samples / frame.sample_rate for frame in container.decode(audio=0))


def tracks(path: Path) -> list[tuple[str, int]]:
    """(type, packets that hold something) of each of a file's streams, in order, read back with PyAV: a sound track
    declared and never given a packet reads ('audio', 0)."""
    with av.open(str(path)) as container:
        found = {stream.index: [stream.type, 0] for stream in container.streams}
        for packet in container.demux():
            if packet.size:
                found[packet.stream_index][1] += 1
    return [(kind, count) for kind, count in found.values()]
