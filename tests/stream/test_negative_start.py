"""A source that starts before 0 (an MPEG-TS whose clock wraps round, negative Matroska times) keeps every frame."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from tests.media import make_clip

WRAP = 2 ** 33  # MPEG-TS counts 90 kHz ticks in 33 bits: 26.5 hours, then round to 0


def _wrapping_ts(clip, path, before_s: Fraction):
    """``clip`` remuxed into MPEG-TS with its clock ``before_s`` from the wrap at its first frame."""
    shift = WRAP - int(before_s * 90000)
    with av.open(str(clip)) as source, av.open(str(path), "w", format="mpegts") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if not packet.size:
                continue
            ticks = round(shift * Fraction(1, 90000) / packet.time_base)
            packet.pts, packet.dts = packet.pts + ticks, packet.dts + ticks
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return path


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_a_transport_stream_whose_clock_wraps_keeps_every_frame(tmp_path, weights, cli, suffix):
    """A broadcast or IP camera recording whose 33-bit clock ran round just after it began: FFmpeg gives the frames
    before the wrap negative times, and an MP4 or MOV output hid them in its edit list (half of this clip, and
    its sound, played as nothing). Every stream now moves on alike, so the output starts at 0 with all of it."""
    clip = make_clip(tmp_path / "cam.mp4", frames=20, rate=25)
    source = _wrapping_ts(clip, tmp_path / "cam.ts", Fraction(2, 5))
    with av.open(str(source)) as container:
        assert container.start_time < 0  # the input is what the test is about
        audio_s = sum(f.samples for f in container.decode(audio=0)) / 48000
    out = tmp_path / f"day{suffix}"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        times = [frame.time for frame in container.decode(video=0)]
    with av.open(str(out)) as container:
        audio = list(container.decode(audio=0))
    assert len(times) == 20 and min(times) >= 0
    assert times == pytest.approx([times[0] + i / 25 for i in range(20)], abs=1e-3)
    assert sum(f.samples for f in audio) / 48000 == pytest.approx(audio_s, abs=0.03)
    assert audio[0].time == pytest.approx(times[0], abs=0.05)  # still in step with the picture


def _pre_rolled_mp4(path, *, seconds: int = 1, gop: int | None = None):
    """A 2 s MP4 whose video and AAC sound both begin ``seconds`` before 0, hidden by its edit list, as a phone or
    dashcam writes one: FFmpeg flags those packets discard and the file plays from 0."""
    import numpy as np

    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=24, options={"g": str(gop)} if gop else {})
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(48000 * (2 + seconds)) / 48000)).astype(np.float32)[None]
        packets = []
        for start in range(0, tone.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(tone[:, start:start + 1024].copy(), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 48000, start
            packets += [(p, 48000 * seconds) for p in audio.encode(frame)]
        packets += [(p, 48000 * seconds) for p in audio.encode(None)]
        for i in range(24 * (2 + seconds)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 + i, np.uint8), format="rgb24")
            frame.pts = i
            packets += [(p, 24 * seconds) for p in video.encode(frame)]
        packets += [(p, 24 * seconds) for p in video.encode(None)]
        for packet, ticks in packets:
            packet.pts, packet.dts = packet.pts - ticks, packet.dts - ticks
        for packet, _ in sorted(packets, key=lambda item: float(item[0].dts * item[0].time_base)):
            out.mux(packet)
    return path


@pytest.mark.parametrize("how", [(), ("--segments", "2")])
def test_sound_an_edit_list_hides_stays_hidden_in_matroska(tmp_path, weights, cli, how):
    """The second of sound before a phone's or dashcam's first frame, which its MP4 edit list hides, was copied into
    a Matroska output (which has no edit lists): it played before the picture, the first frame came at 1.0 s and the
    output ran 3 s for a 2 s source (seen on real_night's dashcam clip: +1.016 s). Now those packets are left out
    but the one an AAC decoder primes on, as an MP4 output's edit list leaves them."""
    source = _pre_rolled_mp4(tmp_path / "dash.mp4", gop=12)
    with av.open(str(source)) as container:
        assert container.start_time == 0 and sum(p.is_discard for p in container.demux(audio=0)) > 40
    out = tmp_path / "day.mkv"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast", *how)
    assert result.returncode == 0 and ("(2 segments)" in result.stderr) == bool(how), result.stderr
    with av.open(str(out)) as container:
        times = [frame.time for frame in container.decode(video=0)]
    with av.open(str(out)) as container:
        audio = list(container.decode(audio=0))
        duration = container.duration / 1e6
    assert len(times) == 48 and times[0] < 0.05, times[:3]
    assert audio[0].time == pytest.approx(times[0], abs=0.05)  # in step with the picture
    assert sum(f.samples for f in audio) / 48000 == pytest.approx(2.0, abs=0.05)
    assert duration == pytest.approx(2.0, abs=0.1)
