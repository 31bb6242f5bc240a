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
