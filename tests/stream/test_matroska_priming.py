"""The AAC priming an MP4's edit list hides stays hidden in a Matroska output, and moves nothing else
(``enlight.stream.io.codec_delay``)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from tests.stream.test_negative_start import _pre_rolled_mp4

RATE, FPS, FRAMES, FLASH = 48000, 25, 50, 25  # a bright frame and a beep, both at 1.0 s


def _beep_on_flash(path, codec: str = "aac"):
    """A 2 s MP4 (H.264 + FFmpeg's AAC, or ``codec``, both from 0) whose frame 25 is bright and whose sound is silent
    but for a 40 ms beep that starts with it, at 1.0 s. FFmpeg's AAC encoder primes 1024 samples, which the edit
    list hides; libopus 312 (its pre-skip), which the edit list hides too."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options={"g": "25"})
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream(codec, rate=RATE, layout="mono")
        audio.format = "fltp" if codec == "aac" else "flt"  # (libopus takes packed samples)
        step = audio.codec_context.frame_size or 1024
        sound = np.zeros(RATE * FRAMES // FPS, np.float32)
        beep = np.arange(RATE * FLASH // FPS, RATE * (FLASH + 1) // FPS)
        sound[beep] = 0.5 * np.sin(2 * np.pi * 1000 * beep / RATE)
        packets = []
        for start in range(0, sound.size, step):
            chunk = sound[None, start:start + step].copy()
            frame = av.AudioFrame.from_ndarray(chunk, format=audio.format.name, layout="mono")
            frame.sample_rate, frame.pts = RATE, start
            packets += audio.encode(frame)
        packets += audio.encode(None)
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 230 if i == FLASH else 10, np.uint8), "rgb24")
            frame.pts = i
            packets += video.encode(frame)
        packets += video.encode(None)
        for packet in sorted(packets, key=lambda p: float(p.dts * p.time_base)):
            out.mux(packet)
    return path


def _timing(path) -> tuple[float, float, float, int]:
    """(first frame's time, the bright frame's, where the beep is first heard, the samples decoded) of a file."""
    with av.open(str(path)) as container:
        frames = [(frame.time, frame.to_ndarray(format="gray").mean()) for frame in container.decode(video=0)]
    with av.open(str(path)) as container:
        sound = list(container.decode(audio=0))
    pcm = np.concatenate([frame.to_ndarray()[0] for frame in sound])
    heard = sound[0].time + int(np.argmax(np.abs(pcm) > 0.1)) / RATE
    return frames[0][0], max(frames, key=lambda item: item[1])[0], heard, pcm.size


@pytest.mark.parametrize("how", [(), ("--segments", "2")])
@pytest.mark.parametrize("suffix", [".mkv", ".webm", ".mp4", ".mov"])
def test_the_picture_and_the_sound_start_where_the_source_has_them(tmp_path, weights, cli, suffix, how):
    """A Matroska output of an MP4 with AAC sound started every stream 21.3 ms late (first frame at 0.021 s, the
    flash at 1.021 s) and played the encoder's 1024 samples of priming at 0 (the beep heard at 1.0214 s, 1024
    samples more than the source's): the priming packet, kept for the decoder, lay before 0, and Matroska's muxer
    moved every stream on by it. It is now hidden by the stream's CodecDelay, as FFmpeg's own copy does: the
    picture starts at 0 and the sound where the source has it. WebM (the sound encoded again as Opus, whose
    pre-skip the encoder gives), MP4 and MOV (edit lists) were right and stay so; so is the segments' join."""
    source = _beep_on_flash(tmp_path / "night.mp4")
    first, flash, heard, samples = _timing(source)
    assert (first, flash, heard) == pytest.approx((0, 1, 1), abs=1e-3)  # the input is what the test is about
    out = tmp_path / f"day{suffix}"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast", *how)
    assert result.returncode == 0 and ("(2 segments)" in result.stderr) == bool(how), result.stderr
    assert "could not be hidden" not in result.stderr
    got = _timing(out)
    assert got[:3] == pytest.approx((0, 1, 1), abs=2e-3), got
    if suffix != ".webm":  # (Opus frames are 960 samples: the encoder's last one is padded out differently)
        assert got[3] == samples


def test_the_sound_a_dashcam_hides_before_its_first_frame_leaves_the_picture_at_0(tmp_path, weights, cli):
    """A dashcam's second of pre-roll sound, hidden by its edit list, left one packet of it in a Matroska output
    (the one its decoder primes on, 1920 samples before 0): the first frame came at 0.040 s and 1920 samples of
    pre-roll were heard before it. That packet's time before 0 is now the stream's CodecDelay: the first frame is at
    0, and the sound decoded is the source's, sample for sample in number."""
    source = _pre_rolled_mp4(tmp_path / "dash.mp4", gop=12)
    with av.open(str(source)) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    out = tmp_path / "day.mkv"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        first = next(container.decode(video=0)).time
    with av.open(str(out)) as container:
        sound = list(container.decode(audio=0))
    assert first == pytest.approx(0, abs=1e-3)
    assert sound[0].time == pytest.approx(0, abs=1e-3)
    assert sum(frame.samples for frame in sound) == samples


@pytest.mark.parametrize("suffix", [".mkv", ".webm"])
def test_an_opus_pre_skip_is_kept_as_it_is(tmp_path, weights, cli, suffix):
    """Opus in MP4 carries its pre-skip (312 samples) as its stream's own initial padding, which the copy keeps,
    and its first packet is not one the edit list hides: nothing is added to it; the beep is heard with the flash."""
    source = _beep_on_flash(tmp_path / "night.mp4", "libopus")
    first, flash, heard, samples = _timing(source)
    out = tmp_path / f"day{suffix}"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert _timing(out) == pytest.approx((first, flash, heard, samples), abs=2e-3)


def test_the_samples_hidden_are_read_from_the_index(tmp_path):
    """What an edit list hides of the first packet a copy keeps, read from the file's index: FFmpeg's AAC priming
    (1024), the packet a dashcam's pre-roll leaves (1920 samples before 0); none for Opus, whose first packet is
    not hidden (its pre-skip is the stream's own)."""
    from enlight.stream.io.codec_delay import edit_priming

    for path, samples in ((_beep_on_flash(tmp_path / "aac.mp4"), 1024),
                          (_pre_rolled_mp4(tmp_path / "dash.mp4", gop=12), 1920),
                          (_beep_on_flash(tmp_path / "opus.mp4", "libopus"), 0)):
        with av.open(str(path)) as container:
            assert edit_priming(container.streams.audio[0]) == samples, path.name
            assert edit_priming(container.streams.video[0]) == 0
