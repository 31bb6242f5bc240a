"""Audio of more than two channels encoded again (``enlight.stream.io.audio_convert``, ``audio_layouts``) keeps its
channels where the output's encoder and kind of file hold them: every such source was mixed to stereo (a film's
5.1 AC-3 into .webm, a camera's 7.1 PCM into .ts). Each source channel carries a tone of its own (the LFE 60 Hz),
and each must come out on the same speaker, the whole sound from the same start, in a file that decodes cleanly."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from tests.media import make_clip

RATE = 48000
# a tone for each speaker (Hz): the LFE's low, as an LFE carries
TONES = {"FL": 500, "FR": 700, "FC": 900, "LFE": 60, "BL": 1100, "BR": 1300, "SL": 1500, "SR": 1700, "BC": 1900}


def surround_clip(path, video_clip, codec: str, layout: str, fmt: str | None = None, rate: int = RATE):
    """``video_clip``'s video (None: none) with 1 s of ``codec`` audio in ``layout``, each channel a tone of its
    own (``TONES``), muxed into ``path`` (``fmt``: its muxer where the extension does not say)."""
    with av.open(str(path), "w", format=fmt) as out:
        if video_clip is not None:
            with av.open(str(video_clip)) as src:
                video = out.add_stream_from_template(src.streams.video[0])
                pictures = [packet for packet in src.demux(src.streams.video[0]) if packet.size]
        sound = out.add_stream(codec, rate=rate, layout=layout)
        packets = [packet for frame in tone_frames(layout, rate) for packet in sound.encode(frame)]
        for packet in pictures if video_clip is not None else []:  # (after the encoder is open: the header's)
            packet.stream = video
            out.mux(packet)
        out.mux(packets + sound.encode(None))
    return path


def tone_frames(layout: str, rate: int = RATE, first: int = 0) -> list[av.AudioFrame]:
    """1 s of ``layout``, each channel a tone of its own (``TONES``): packed float frames of 1536 samples (PyAV's
    planar frames of 8 channels crash), the first at sample ``first``."""
    names = [channel.name for channel in av.AudioLayout(layout).channels]
    t = np.arange(rate) / rate
    samples = np.stack([0.4 * np.sin(2 * np.pi * TONES[name] * t) for name in names], axis=1).astype(np.float32)
    frames = []
    for start in range(0, rate, 1536):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[start:start + 1536]).reshape(1, -1),
                                           format="flt", layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = rate, first + start, Fraction(1, rate)
        frames.append(frame)
    return frames


def decoded(path) -> tuple[str, str, np.ndarray, float, list[str]]:
    """(codec, layout, samples: (channels, samples) float, audio start minus video start in s, FFmpeg's error
    messages while decoding) of the first audio stream."""
    with av.logging.Capture() as logs, av.open(str(path)) as c:
        stream = c.streams.audio[0]
        layout = stream.codec_context.layout
        resampler = av.AudioResampler(format="flt", layout=layout, rate=stream.codec_context.sample_rate)
        parts, start = [], None
        for frame in c.decode(stream):
            start = frame.time if start is None else start
            parts += [f.to_ndarray().reshape(-1, layout.nb_channels) for f in resampler.resample(frame)]
        errors = [message for level, _, message in logs if level <= av.logging.ERROR]
    with av.open(str(path)) as c:
        video = next((f.time for f in c.decode(c.streams.video[0])), 0.0)
    return stream.codec_context.name, layout.name, np.concatenate(parts).T, start - video, errors


def tone_of(channel: np.ndarray, rate: int = RATE) -> tuple[int, float]:
    """(dominant frequency in Hz, its share of the channel's energy 0-1) over 0.2-0.7 s of ``channel``."""
    spectrum = np.abs(np.fft.rfft(channel[rate // 5: rate // 5 + rate // 2])) ** 2
    peak = int(np.argmax(spectrum))
    return peak * 2, float(spectrum[max(0, peak - 3): peak + 4].sum() / max(spectrum.sum(), 1e-20))


def assert_speakers(samples: np.ndarray, layout: str, expected: dict[str, int | None]) -> None:
    """Each of ``layout``'s channels in ``samples`` carries the tone ``expected`` names for it, and little else
    (None: silent)."""
    names = [channel.name for channel in av.AudioLayout(layout).channels]
    loudest = np.sqrt(np.mean(samples ** 2, axis=1)).max()
    for name, channel in zip(names, samples, strict=True):
        want = expected[name]
        level = np.sqrt(np.mean(channel ** 2))
        if want is None:
            assert level < 0.01 * loudest, (name, level)
            continue
        tone, share = tone_of(channel)
        assert (abs(tone - want) <= 4 and share > 0.9), (name, want, tone, share)


CASES = [  # source codec, its layout, its file; the output's; its codec, layout; each output channel's tone
    ("ac3", "5.1(side)", "film.mkv", "out.webm", "opus", "5.1",
     {"FL": 500, "FR": 700, "FC": 900, "LFE": 60, "BL": 1500, "BR": 1700}),
    ("eac3", "5.1(side)", "film.mkv", "out.ogv", "opus", "5.1",
     {"FL": 500, "FR": 700, "FC": 900, "LFE": 60, "BL": 1500, "BR": 1700}),
    ("pcm_s24le", "7.1", "camera.mov", "out.webm", "opus", "7.1", {n: TONES[n] for n in TONES if n != "BC"}),
    ("pcm_s24le", "7.1", "camera.mov", "out.ts", "aac", "7.1", {n: TONES[n] for n in TONES if n != "BC"}),
    ("flac", "5.1(side)", "film.mkv", "out.3gp", "aac", "5.1",  # (AAC's 5.1(side) has no standard config)
     {"FL": 500, "FR": 700, "FC": 900, "LFE": 60, "BL": 1500, "BR": 1700}),
    ("pcm_s16le", "6.1", "camera.mov", "out.webm", "opus", "7.1",  # (libopus's 6.1 comes back with channels swapped)
     {"FL": 500, "FR": 700, "FC": 900, "LFE": 60, "BL": 1900, "BR": 1900, "SL": 1500, "SR": 1700}),
    ("pcm_s16le", "quad", "camera.mov", "out.ts", "aac", "5.0",  # (AAC's quad has no standard config)
     {"FL": 500, "FR": 700, "FC": None, "BL": 1100, "BR": 1300}),
    ("pcm_s16le", "3.0", "camera.mov", "out.webm", "opus", "3.0", {"FL": 500, "FR": 700, "FC": 900}),
    ("pcm_s16le", "5.1(side)", "camera.mov", "out.mxf", "pcm_s16le", "6 channels",  # (MXF names no layout)
     {"NONE": None}),
]


@pytest.mark.parametrize(("codec", "layout", "name", "out", "got_codec", "got_layout", "speakers"), CASES)
def test_surround_sound_keeps_its_channels_where_the_output_holds_them(tmp_path, weights, cli, codec, layout, name,
                                                                       out, got_codec, got_layout, speakers):
    video = make_clip(tmp_path / "v.mp4", frames=24, rate=24, audio=False)
    src = surround_clip(tmp_path / name, video, codec, layout)
    result = cli(src, "-o", tmp_path / out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    channels = av.AudioLayout(layout).nb_channels
    written = got_layout if got_layout != "6 channels" else "5.1(side)"
    assert "was encoded again as" in result.stderr and "mixed" not in result.stderr, result.stderr
    assert f" {written} " in result.stderr, result.stderr  # (the layout written, in the note)
    _, _, source, source_start, _ = decoded(src)
    codec_got, layout_got, samples, start, errors = decoded(tmp_path / out)
    assert (codec_got, layout_got, errors) == (got_codec, got_layout, [])
    if got_layout == "6 channels":  # PCM as it was, channel by channel in 5.1(side)'s order
        assert samples.shape[0] == channels and np.abs(samples - source).max() < 2 / 32768
        return
    assert_speakers(samples, got_layout, speakers)
    # the whole sound, from the same start: MPEG-TS has no edit list to hide AAC's priming and padding (2 x 1024)
    slack = 2048 if out.endswith(".ts") else 1024
    assert source.shape[1] <= samples.shape[1] <= source.shape[1] + slack
    if not out.endswith(".ogv"):  # (FFmpeg reads an Ogg VP8's first frame at 41 ms, its second at 42, as before)
        assert abs(start - source_start) <= slack / RATE


@pytest.mark.parametrize(("out", "codec", "holder"), [
    ("out.mpg", "mp2", "MPEG audio layer 2 holds two at most"),
    ("out.flv", "aac", "a .flv file holds two at most"),  # (FFmpeg 8 fails to decode the 5.1 AAC it writes in FLV)
])
def test_surround_sound_is_mixed_to_stereo_with_a_note_where_the_output_holds_two_channels(tmp_path, weights, cli,
                                                                                           out, codec, holder):
    video = make_clip(tmp_path / "v.mp4", frames=24, rate=24, audio=False)
    src = surround_clip(tmp_path / "camera.mov", video, "pcm_s24le", "5.1(side)")  # (MPEG-PS and FLV hold AC-3)
    result = cli(src, "-o", tmp_path / out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert f"its 6 channels (5.1(side)) mixed to stereo ({holder}; a .mkv or .mp4 output keeps all 6)" \
        in result.stderr, result.stderr
    got, layout, samples, _, errors = decoded(tmp_path / out)
    assert (got, layout, errors) == (codec, "stereo", [])
    for side, tones in (("left", (500, 900, 1500)), ("right", (700, 900, 1700))):  # front, centre, surround
        channel = samples[0 if side == "left" else 1]
        spectrum = np.abs(np.fft.rfft(channel[RATE // 5: RATE // 5 + RATE // 2]))
        for tone in tones:
            assert spectrum[tone // 2] > 0.1 * spectrum.max(), (side, tone)
        other = 700 if side == "left" else 500
        assert spectrum[other // 2] < 0.01 * spectrum.max(), (side, other)


def test_channels_that_name_no_layout_are_taken_in_ffmpegs_order(tmp_path, weights, cli):
    """6 channels of PCM with no layout (PCM in Matroska, a WAV or AVI without a channel mask): into .webm they
    were mixed to stereo; into .mp4 the run failed ('cannot finish writing out.mp4: Invalid argument'). They are
    now FFmpeg's 5.1, channel by channel, with a note."""
    video = make_clip(tmp_path / "v.mp4", frames=24, rate=24, audio=False)
    src = surround_clip(tmp_path / "camera.mkv", video, "pcm_s16le", "5.1")
    assert decoded(src)[1] == "6 channels"
    for out, codec in (("out.webm", "opus"), ("out.mp4", "pcm_s16le")):
        result = cli(src, "-o", tmp_path / out, "--weights", weights, "--quality", "fast")
        assert result.returncode == 0, result.stderr
        assert "(its 6 channels name no layout: taken as FFmpeg's 5.1)" in result.stderr, result.stderr
        got, layout, samples, _, errors = decoded(tmp_path / out)
        assert (got, layout, errors) == (codec, "5.1", [])
        assert_speakers(samples, "5.1", {name: TONES[name] for name in ("FL", "FR", "FC", "LFE", "BL", "BR")})


def test_mono_at_8_khz_is_given_the_aac_rate_it_can_hold(tmp_path, weights, cli):
    """AAC holds 6 bits a sample and channel: at 8 kHz (an IP camera's G.711) 48 kb/s, not the 96 kb/s the note
    said; the sound stays mono, the tone and its length as they were."""
    video = make_clip(tmp_path / "v.mp4", frames=24, rate=24, audio=False)
    src = surround_clip(tmp_path / "ipcam.mov", video, "pcm_mulaw", "mono", rate=8000)
    result = cli(src, "-o", tmp_path / "out.mp4", "--weights", weights, "--quality", "fast")
    assert "(pcm_mulaw) was encoded again as AAC 48 kb/s: a .mp4 file" in result.stderr, result.stderr
    got, layout, samples, start, errors = decoded(tmp_path / "out.mp4")
    assert (got, layout, errors, start) == ("aac", "mono", [], 0.0)
    assert 8000 <= samples.shape[1] <= 8000 + 1024 and abs(tone_of(samples[0], 8000)[0] - 900) <= 4


def test_a_layout_that_changes_midway_is_encoded_in_each(tmp_path, weights, cli):
    """A TV recording's AC-3 is 5.1 for the film and 2.0 for the ads: into .webm the run stopped at the change
    ('internal error: ValueError: Frame does not match AudioResampler setup'). Now the whole sound is Opus 5.1,
    the 2.0 part on the front left and right only."""
    video = make_clip(tmp_path / "v.mp4", frames=48, rate=24, audio=False)
    src = tmp_path / "tv.ts"  # (a TV recording: MPEG-TS)
    with av.open(str(video)) as v, av.open(str(src), "w") as out:
        picture = out.add_stream_from_template(v.streams.video[0])
        sound = out.add_stream("ac3", rate=RATE, layout="5.1(side)")  # (the header's: the film's)
        film = [packet for frame in tone_frames("5.1(side)") for packet in sound.encode(frame)] + sound.encode(None)
        for packet in [p for p in v.demux(v.streams.video[0]) if p.size]:
            packet.stream = picture
            out.mux(packet)
        out.mux(film)
        ads = av.CodecContext.create("ac3", "w")  # (the ads' AC-3 after the film's, in the same stream)
        ads.sample_rate, ads.layout, ads.format = RATE, "stereo", "fltp"
        for packet in [p for frame in tone_frames("stereo", first=RATE) for p in ads.encode(frame)] + ads.encode(None):
            packet.stream, packet.time_base = sound, Fraction(1, RATE)
            out.mux(packet)
    result = cli(src, "-o", tmp_path / "out.webm", "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    got, layout, samples, _, errors = decoded(tmp_path / "out.webm")
    assert (got, layout, errors) == ("opus", "5.1", [])
    assert 2 * RATE <= samples.shape[1] <= 2 * RATE + 2 * 1536
    assert_speakers(samples[:, :RATE], "5.1", {"FL": 500, "FR": 700, "FC": 900, "LFE": 60, "BL": 1500, "BR": 1700})
    assert_speakers(samples[:, -RATE:], "5.1", {"FL": 500, "FR": 700, "FC": None, "LFE": None, "BL": None, "BR": None})
