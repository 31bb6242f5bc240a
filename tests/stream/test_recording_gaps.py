"""A live recording into a fragmented MP4 or MOV keeps each frame at its capture time where the frames come unevenly
(a pipe or a network stream drops frames at its start to stay live).

The encoder holds its first frames while the sound is muxed at once, so the muxer cut its first fragment after the
first frame; the fragment takes its last sample's length from the packet, and a live frame's packet said none: the
next fragment began right after it, and the frame after a gap went in too early (frames sent at 0, 0.28, 0.40 s
read back at 0, 0.04, 0.40 s from the `-o out.mp4` of `--camera -`, while the .mkv recorded beside it was right;
some runs out of order, or two frames at one time). Each packet is now given its length to the next one in decoding
order before it is muxed (``last_frame.LastSample``).
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.live_sound import Sound, SoundForm
from enlight.stream.io.locations import output_location
from enlight.stream.io.recorder import Recorder, live_info
from tests.stream.beeps import beep_clip

# capture times (s): gaps at the start, as a pipe's first second gives them, then steady, then one more gap
TIMES = (0.0, 0.28, 0.40, 0.44, 0.48, 0.52, 0.56, 0.60, 0.64, 0.68, 0.72, 0.76, 0.80, 0.84, 0.88, 0.92, 0.96,
         1.00, 1.04, 1.08, 1.12, 1.44, 1.48, 1.52, 1.56, 1.60, 1.64, 1.68, 1.72, 1.76, 1.80, 1.84, 1.88, 1.92,
         1.96, 2.00, 2.04, 2.08, 2.12, 2.16)


START = 50.0  # the capture clock (perf_counter s) of the first frame
AHEAD_S = 1.2  # how far the sound muxed runs ahead of the frames encoded (the encoder holds frames; sound goes at once)


def _sound(tmp_path) -> tuple[SoundForm, list[av.Packet]]:
    """A real clip's AAC: its form and its packets (3 s)."""
    clip = beep_clip(tmp_path / "cam.mkv", seconds=3, flashes=())
    with av.open(str(clip)) as container:
        stream = container.streams.audio[0]
        form = SoundForm.of(stream)
        packets = [packet for packet in container.demux(stream) if packet.pts is not None and packet.pts >= 0]
    for packet in packets:
        packet.stream = form.template
    return form, packets


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_frames_that_come_unevenly_are_recorded_at_their_times(tmp_path, suffix):
    """The frames at ``TIMES`` with the source's sound as it comes between them (as a live run hands both over): the
    recording reads back with every frame at its time."""
    form, packets = _sound(tmp_path)
    path = tmp_path / f"r{suffix}"
    recorder = Recorder(output_location(str(path)), live_info(64, 48, Fraction(25)),
                        encoder=EncoderConfig(preset="veryfast"), overwrite=False, sound=form)
    rng = np.random.default_rng(0)
    sounds = iter(packets)
    sound = next(sounds)
    for at in TIMES:
        recorder.write(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), START + at)
        while sound is not None and float(sound.pts * sound.time_base) <= at + AHEAD_S:
            recorder.hear(Sound(sound, START, form))
            sound = next(sounds, None)
    recorder.finish()
    with av.open(str(path)) as container:
        times = [float(frame.time) for frame in container.decode(video=0)]
    assert times == pytest.approx(list(TIMES), abs=1e-3), times[:6]
