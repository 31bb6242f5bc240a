"""Audio an output cannot hold as it is (an IP camera's G.711 mu-law, a DVR's IMA ADPCM, WMA into .mp4) is encoded
again into a format that output holds (AAC; Opus in WebM), as FFmpeg does by default, with a note: such a run was
refused. Where the output holds it, it is still copied packet for packet."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from tests.media import make_clip

RATE, TONE, SECONDS = 8000, 440.0, 1.0  # G.711 as IP cameras send it: 8 kHz mono


def camera_clip(path, video_clip, codec="pcm_mulaw"):
    """``video_clip``'s video with a 440 Hz tone as ``codec`` audio (8 kHz mono), remuxed into ``path``."""
    with av.open(str(video_clip)) as src, av.open(str(path), "w") as out:
        video = out.add_stream_from_template(src.streams.video[0])
        sound = out.add_stream(codec, rate=RATE, layout="mono")
        for packet in src.demux(src.streams.video[0]):
            if packet.size:
                packet.stream = video
                out.mux(packet)
        t = np.arange(int(RATE * SECONDS)) / RATE
        samples = (0.5 * np.sin(2 * np.pi * TONE * t) * 32767).astype(np.int16)
        for start in range(0, len(samples), 800):
            frame = av.AudioFrame.from_ndarray(samples[None, start:start + 800], format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
            out.mux(sound.encode(frame))
        out.mux(sound.encode(None))
    return path


def sound_of(path) -> tuple[str, np.ndarray, int]:
    """(codec, mono samples as float, sample rate) of the first audio stream."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        frames = [f.to_ndarray().astype(np.float64) for f in c.decode(stream)]
        samples = np.concatenate([f.mean(axis=0) if f.ndim == 2 and f.shape[0] <= 8 else f.ravel() for f in frames])
        return stream.codec_context.name, samples, stream.codec_context.sample_rate


@pytest.mark.parametrize(("name", "codec", "args"), [
    ("out.mp4", "aac", []), ("out.webm", "opus", []), ("out.mpg", "mp2", []),
    ("out.ts", "aac", []),  # MPEG-TS took G.711 and wrote it as a 'data' stream: the sound lost, silently
    ("out.ogv", "opus", []),  # Ogg took no AAC (a clip with sound could not be written as .ogv)
    ("out.flv", "aac", []),  # FFmpeg's FLV muxer aborted the process on PCM (44.1 kHz A-law: SIGABRT, no word)
    ("joined.mp4", "aac", ["--segments", "2"]),
    ("out.mxf", "pcm_s16le", []),  # MXF (broadcast) took no AAC nor G.711: 16-bit PCM at its one rate, 48 kHz
    ("out.vob", "mp2", []),  # a DVD's program stream, as .mpg: the run failed on the copy
])
def test_camera_audio_is_encoded_again_where_the_output_cannot_hold_it(tmp_path, weights, cli, name, codec, args):
    video = make_clip(tmp_path / "v.mp4", frames=24, rate=24, gop=12, audio=False)
    src = camera_clip(tmp_path / "ipcam.mov", video)
    result = cli(src, "-o", tmp_path / name, "--weights", weights, "--quality", "fast", *args)
    assert result.returncode == 0, result.stderr
    assert "audio stream #1 (pcm_mulaw) was encoded again as" in result.stderr
    assert "a .mov output keeps it as it is" in result.stderr
    got, samples, rate = sound_of(tmp_path / name)
    assert got == codec
    # the whole sound; MPEG-TS and FLV have no edit list to trim AAC's priming and last frame's padding (2 x 1024)
    slack = 2 * 1024 / rate if name.endswith((".ts", ".flv")) else 0.05
    assert -0.05 < len(samples) / rate - SECONDS < slack
    spectrum = np.abs(np.fft.rfft(samples[rate // 10: rate // 10 + rate // 2]))
    assert abs(np.argmax(spectrum) * 2 - TONE) < 5  # the tone itself (a 2 Hz grid over half a second)


def test_audio_the_output_holds_is_still_copied(tmp_path, weights, cli):
    video = make_clip(tmp_path / "v.mp4", frames=24, rate=24, audio=False)
    src = camera_clip(tmp_path / "ipcam.mov", video)
    result = cli(src, "-o", tmp_path / "out.mov", "--weights", weights, "--quality", "fast")
    assert result.returncode == 0 and "encoded again" not in result.stderr, result.stderr
    with av.open(str(src)) as a, av.open(str(tmp_path / "out.mov")) as b:
        before = [bytes(p) for p in a.demux(a.streams.audio[0]) if p.size]
        after = [bytes(p) for p in b.demux(b.streams.audio[0]) if p.size]
    assert b"".join(after) == b"".join(before)


def test_pcm_audio_into_flv_does_not_abort_the_process(tmp_path, weights, cli):
    """44.1 kHz stereo A-law into .flv: FFmpeg's FLV muxer stopped the process with an assertion (exit -6, not a
    word, a temporary file left behind); the sound is now encoded again as AAC, with a note."""
    video = make_clip(tmp_path / "v.mp4", frames=12, rate=24, audio=False)
    src = tmp_path / "cam.mkv"
    with av.open(str(video)) as v, av.open(str(src), "w", format="nut") as out:  # (NUT holds A-law; Matroska not)
        stream = out.add_stream_from_template(v.streams.video[0])
        sound = out.add_stream("pcm_alaw", rate=44100, layout="stereo")
        for packet in v.demux(v.streams.video[0]):
            if packet.size:
                packet.stream = stream
                out.mux(packet)
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 22050), np.int16), format="s16p", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = 44100, 0, Fraction(1, 44100)
        out.mux(sound.encode(frame))
        out.mux(sound.encode(None))
    result = cli(src, "-o", tmp_path / "out.flv", "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "(pcm_alaw) was encoded again as AAC" in result.stderr
    assert sound_of(tmp_path / "out.flv")[0] == "aac"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def lpcm_clip(path, video_clip):
    """``video_clip``'s video with 0.5 s of 24-bit 5.1 LPCM at 48 kHz (a Blu-ray's or an AVCHD camcorder's
    'pcm_bluray', noise in each channel), in an M2TS as the camcorder writes it."""
    rng = np.random.default_rng(0)
    samples = (rng.integers(-2 ** 23, 2 ** 23, (24000, 6)) << 8).astype(np.int32)  # (24 bits in the high ones)
    with av.open(str(video_clip)) as src, av.open(str(path), "w", format="mpegts") as out:
        video = out.add_stream_from_template(src.streams.video[0])
        sound = out.add_stream("pcm_bluray", rate=48000, layout="5.1(side)")
        sound.codec_context.format = "s32"
        for packet in src.demux(src.streams.video[0]):
            if packet.size:
                packet.stream = video
                out.mux(packet)
        for start in range(0, len(samples), 1200):
            frame = av.AudioFrame.from_ndarray(samples[None, start:start + 1200].reshape(1, -1), format="s32",
                                               layout="5.1(side)")
            frame.sample_rate, frame.pts, frame.time_base = 48000, start, Fraction(1, 48000)
            out.mux(sound.encode(frame))
        out.mux(sound.encode(None))
    return path


def pcm_of(path) -> tuple[str, int, np.ndarray]:
    """(codec, channels, samples: (samples, channels) int32) of the first audio stream, of 32-bit samples."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        frames = [f.to_ndarray().reshape(-1, stream.codec_context.channels) for f in c.decode(stream)]
        return stream.codec_context.name, stream.codec_context.channels, np.concatenate(frames)


@pytest.mark.parametrize("name", ["out.mkv", "out.mov"])
def test_disc_lpcm_stays_lossless_in_a_file_that_holds_pcm(tmp_path, weights, cli, name):
    """Matroska and MOV hold no 'pcm_bluray', but plain PCM: the camcorder's 24-bit 5.1 sound was made AAC at
    192 kb/s there, mixed to stereo. It is now 24-bit PCM, every sample and channel as it was."""
    video = make_clip(tmp_path / "v.mp4", frames=12, rate=24, audio=False)
    src = lpcm_clip(tmp_path / "avchd.m2ts", video)
    result = cli(src, "-o", tmp_path / name, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "audio stream #1 (pcm_bluray) was encoded again as 24-bit PCM 5.1(side) at 48 kHz" in result.stderr, \
        result.stderr
    codec, channels, samples = pcm_of(tmp_path / name)
    assert (codec, channels) == ("pcm_s24le", 6)
    assert np.array_equal(samples, pcm_of(src)[2])


def test_opus_from_matroska_into_mov_keeps_its_length(tmp_path, weights, cli):
    """Opus decodes as the AAC encoder takes it (48 kHz float planes), so nothing resampled it and its frames kept
    the .mkv's 1/1000 time base: each frame's end was read as its samples in milliseconds, and the 1 s of sound
    became 46.8 s of AAC in the .mov, the tone spread over gaps."""
    video = make_clip(tmp_path / "v.mp4", frames=24, rate=24, audio=False)
    src = camera_clip(tmp_path / "phone.mkv", video, codec="libopus")
    out = tmp_path / "out.mov"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "audio stream #1 (opus) was encoded again as AAC" in result.stderr
    with av.open(str(out)) as c:
        sound = c.streams.audio[0]
        packets = [p for p in c.demux(sound) if p.size]
        end = max(float((p.pts + p.duration) * sound.time_base) for p in packets)
    assert abs(end - SECONDS) < 0.05, end
    got, samples, rate = sound_of(out)
    spectrum = np.abs(np.fft.rfft(samples[rate // 10: rate // 10 + rate // 2]))
    assert got == "aac" and abs(np.argmax(spectrum) * 2 - TONE) < 5
