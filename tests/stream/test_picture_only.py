"""A live recording closed with a sound track that got no packet (the source's sound stopped before its first frame)
is written again with the picture alone (``enlight.stream.io.picture_only``, from ``Recorder.finish``).

Before, such a file kept the track: read back with PyAV, an audio stream of no packets, which players list as a
sound track that plays nothing and some refuse. The recordings here are the real ``Recorder``'s, in each container a
live run records into, given the sound form of a real clip's AAC and no packet of it.
"""

from __future__ import annotations

import errno
from fractions import Fraction

import av
import numpy as np
import pytest

from enlight.stream.io import picture_only
from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.live_sound import Sound, SoundForm
from enlight.stream.io.locations import output_location
from enlight.stream.io.recorder import Recorder, live_info
from tests.stream.beeps import beep_clip, tracks

FRAMES = 50  # 2 s at 25 fps


def _sound_form(tmp_path) -> SoundForm:
    """The form of a real clip's sound (AAC, 48 kHz, mono), as a live source hands it to the recordings."""
    clip = beep_clip(tmp_path / "cam.mkv", seconds=1, flashes=())
    with av.open(str(clip)) as container:
        return SoundForm.of(container.streams.audio[0])


def _recording(path, sound: SoundForm | None) -> Recorder:
    """``FRAMES`` frames (64x48, each a shade of its own) recorded into ``path`` at 25 fps on the capture clock, the
    ``sound`` track declared and given nothing; not closed."""
    recorder = Recorder(output_location(str(path)), live_info(64, 48, Fraction(25), Fraction(4, 3)),
                        encoder=EncoderConfig(preset="veryfast"), overwrite=False, sound=sound)
    for index in range(FRAMES):
        recorder.write(np.full((48, 64, 3), 20 + 4 * index, np.uint8), 50.0 + index / 25)
    return recorder


def _record(path, sound: SoundForm | None) -> Recorder:
    """``_recording``, closed."""
    recorder = _recording(path, sound)
    recorder.finish()
    return recorder


def _looks(path) -> tuple[list[float], list[int], Fraction | None, dict[str, str]]:
    """(each frame's time s, its mean level, the pixel aspect ratio, the video stream's tags) of a file."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        return ([round(float(frame.time), 3) for frame in frames],
                [round(float(frame.to_ndarray(format="gray").mean())) for frame in frames],
                stream.sample_aspect_ratio, dict(stream.metadata))


@pytest.mark.parametrize("name", ["r.mp4", "r.mov", "r.mkv"])
def test_a_recording_whose_sound_track_got_nothing_is_written_again_with_the_picture_alone(tmp_path, name):
    """The file read back has the video alone (before: video and an audio stream of 0 packets), every frame at the
    time, level and pixel aspect ratio a recording opened without sound has, and a note says so; nothing else is left
    in the folder (no temporary)."""
    recorder = _record(tmp_path / name, _sound_form(tmp_path))
    plain = _record(tmp_path / f"plain-{name}", None)
    assert tracks(tmp_path / name) == [("video", FRAMES)], tracks(tmp_path / name)
    looks, expected = _looks(tmp_path / name), _looks(tmp_path / f"plain-{name}")
    assert looks[:3] == expected[:3] and looks[2] == Fraction(4, 3), (looks[:3], expected[:3])
    assert recorder.notes == ["none of the source's sound came while it was recorded (it had stopped): written again "
                              "with the picture alone, without the empty sound track it was opened with"]
    assert plain.notes == []
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["cam.mkv", name, f"plain-{name}"])


def test_a_recording_with_some_sound_keeps_it(tmp_path):
    """A recording that got a packet of the sound keeps its track as it was (no note, not written again)."""
    form = _sound_form(tmp_path)
    recorder = Recorder(output_location(str(tmp_path / "r.mp4")), live_info(64, 48, Fraction(25)),
                        encoder=EncoderConfig(preset="veryfast"), overwrite=False, sound=form)
    with av.open(str(tmp_path / "cam.mkv")) as container:
        first = next(packet for packet in container.demux(container.streams.audio[0]) if packet.pts >= 0)
    recorder.write(np.full((48, 64, 3), 40, np.uint8), 10.0)
    first.stream = form.template
    assert recorder.hear(Sound(first, 10.0, form))
    recorder.write(np.full((48, 64, 3), 60, np.uint8), 10.04)
    recorder.finish()
    assert tracks(tmp_path / "r.mp4") == [("video", 2), ("audio", 1)] and recorder.notes == []


@pytest.mark.parametrize("stop, note", [
    (KeyboardInterrupt(), "; interrupted while it was written again without its empty sound track, it keeps it"),
    (OSError(errno.ENOSPC, "No space left on device"), ", and it could not be written again without its empty "
     "sound track (no space left on the disk): it keeps it")], ids=["ctrl-c", "disk full"])
def test_a_rewrite_cut_short_leaves_the_recording_whole_and_no_temporary(tmp_path, monkeypatch, stop, note):
    """Ctrl-C, or a full disk, while the copy is written (here as it is synced, before it takes the name): the
    recording is left as it was closed, whole and readable with its empty track, no temporary beside it, a note says
    so, and the interrupt goes on (the disk's error does not: the recording is kept)."""

    def cut(path) -> None:
        raise stop

    monkeypatch.setattr(picture_only, "_sync", cut)
    recorder = _recording(tmp_path / "r.mp4", _sound_form(tmp_path))
    if isinstance(stop, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            recorder.finish()
    else:
        recorder.finish()
    assert tracks(tmp_path / "r.mp4") == [("video", FRAMES), ("audio", 0)]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cam.mkv", "r.mp4"]
    assert recorder.notes == [f"none of the source's sound came while it was recorded (it had stopped){note}"]


def test_an_interrupt_in_one_outputs_rewrite_leaves_the_others_finalised(tmp_path, monkeypatch):
    """A live run's outputs closed at its end (``LiveOutputs.finish``), both with a sound track that got nothing:
    Ctrl-C while the recording is written again (the first closed) leaves it whole, and ``-o`` is still finalised and
    written again before the interrupt goes on (before, the interrupt left ``-o`` unclosed: a fragmented MP4 with an
    empty track had not reached the disk, 0 bytes)."""
    from enlight.stream.apps.live_mode import LiveConfig
    from enlight.stream.apps.live_outputs import LiveOutputs

    form, cuts, lines = _sound_form(tmp_path), [], []
    sync = picture_only._sync

    def cut_once(path) -> None:
        if not cuts:
            cuts.append(path)
            raise KeyboardInterrupt
        sync(path)

    monkeypatch.setattr(picture_only, "_sync", cut_once)
    config = LiveConfig(source="cam", record=tmp_path / "r.mp4", output=str(tmp_path / "o.mp4"), window=False)
    outputs = LiveOutputs(config, Fraction(25), lines.append, sound=lambda: form)
    for index in range(FRAMES):
        outputs.write(np.full((48, 64, 3), 20 + 4 * index, np.uint8), 50.0 + index / 25)
    with pytest.raises(KeyboardInterrupt):
        outputs.finish()
    assert tracks(tmp_path / "r.mp4") == [("video", FRAMES), ("audio", 0)]
    assert tracks(tmp_path / "o.mp4") == [("video", FRAMES)]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cam.mkv", "o.mp4", "r.mp4"], lines
    lacking = "none of the source's sound came while it was recorded (it had stopped)"
    assert [line for line in lines if line.startswith("note")] == [
        f"note: {tmp_path / 'r.mp4'}: {lacking}; interrupted while it was written again without its empty sound "
        "track, it keeps it",
        f"note: {tmp_path / 'o.mp4'}: {lacking}: written again with the picture alone, without the empty sound track "
        "it was opened with"], lines
