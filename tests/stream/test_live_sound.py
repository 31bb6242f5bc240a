"""A live run records and streams the source's sound with the enhanced picture, in step with it.

Before, ``--camera SOURCE --record night.mp4`` (and ``-o``) wrote the picture alone: a clip, a pipe, an IP camera's
or an MPEG-TS feed's sound was lost, with one note ('the source's sound is not recorded'). The clips here
(``beeps``) flash white and beep at the same moments; a recording is read back with PyAV and each beep is placed
against the frame nearest it, which carries its number in the source: the error is how far the sound is from where
the picture puts it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from fractions import Fraction

import av
import pytest

from tests.conftest import REPO
from tests.stream.beeps import beep_clip, beep_times, flash_times, recorded_frames, sound_seconds, sync_errors
from tests.stream.udp_sender import UdpClip, free_udp_port

RATE = 25
FRAME_S = 1 / RATE
LIVE = ("--no-window", "--quality", "fast", "--denoise", "off")


def audio_packets(path) -> tuple[str, list[bytes]]:
    """The codec of a file's sound and its packets' bytes (AAC's without the ADTS header an MPEG-TS gives it)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return stream.codec_context.name, [_raw(bytes(p)) for p in container.demux(stream) if p.size]


def _raw(data: bytes) -> bytes:
    """An AAC packet without its ADTS header (7 bytes, 9 with a CRC), if it has one."""
    if len(data) > 9 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0:
        return data[7 if data[1] & 1 else 9:]
    return data


def within(part: list[bytes], whole: list[bytes]) -> bool:
    """Whether ``part`` is a run of ``whole``'s packets, in order, none left out or repeated."""
    return any(whole[at:at + len(part)] == part for at in range(len(whole) - len(part) + 1))


def assert_in_step(path, flashes, *, rate: int = RATE, count: int | None = None) -> None:
    """Every beep of the recording is within a frame of where its picture puts it, and there are ``count``
    (default: one for each flash)."""
    errors = sync_errors(path, rate, flashes)
    assert len(errors) == (len(flashes) if count is None else count), errors
    assert all(abs(error) <= 1 / rate for _, error in errors), errors


def test_a_clip_played_as_a_camera_is_recorded_and_streamed_with_its_sound_in_step(weights, tmp_path, cli):
    """``--camera clip.mp4 --record r.mp4 -o o.ts``: both had the picture only. Now each holds the clip's AAC, its
    packets copied as they are, all of it, and each beep within a frame of its flash (measured: 0.1 ms)."""
    flashes = (0.6, 1.8, 3.0)
    clip = beep_clip(tmp_path / "clip.mp4", seconds=4, flashes=flashes)
    result = cli("--camera", clip, *LIVE, "--record", tmp_path / "r.mp4", "-o", tmp_path / "o.ts", "--weights",
                 weights, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "not recorded" not in result.stderr and "note" not in result.stderr, result.stderr
    codec, source = audio_packets(clip)
    for name in ("r.mp4", "o.ts"):
        out = tmp_path / name
        copied, packets = audio_packets(out)
        assert copied == codec == "aac" and within(packets, source), name
        assert len(packets) >= len(source) - 2, (name, len(packets), len(source))
        assert_in_step(out, flashes)
        beeps = beep_times(out)  # (and the white frames recorded, where none was dropped, each within a frame of one)
        assert all(min(abs(flash - beep) for beep in beeps) <= FRAME_S for flash in flash_times(out)), name


def test_g711_is_copied_where_the_output_holds_it_and_encoded_again_where_not(weights, tmp_path, cli):
    """An IP camera's G.711 (mu-law, 8 kHz): a .mov keeps it packet for packet; an .mp4 cannot hold it, so it is AAC
    there, with a note naming the kind of file that keeps it; both in step."""
    flashes = (0.6, 1.8, 3.0)
    clip = beep_clip(tmp_path / "clip.mov", seconds=4, flashes=flashes, codec="pcm_mulaw", sample_rate=8000)
    result = cli("--camera", clip, *LIVE, "--record", tmp_path / "r.mov", "-o", tmp_path / "o.mp4", "--weights",
                 weights, timeout=120)
    assert result.returncode == 0, result.stderr
    _, source = audio_packets(clip)
    codec, packets = audio_packets(tmp_path / "r.mov")
    assert codec == "pcm_mulaw" and within(packets, source) and len(packets) >= len(source) - 2
    assert audio_packets(tmp_path / "o.mp4")[0] == "aac"
    notes = [line for line in result.stderr_lines if "encoded again" in line]
    assert notes == [f"enlight-video: note: {tmp_path / 'o.mp4'}: audio stream #1 (pcm_mulaw) was encoded again as AAC "
                     "48 kb/s: a .mp4 file cannot hold pcm_mulaw; a .mov output keeps it as it is"], result.stderr
    for name in ("r.mov", "o.mp4"):
        assert_in_step(tmp_path / name, flashes)
        assert sound_seconds(tmp_path / name) > 3.9, name


def test_record_every_splits_the_sound_where_it_splits_the_picture(weights, tmp_path, cli):
    """``--record-every 1``: each file has the sound of its own second, in step; together their packets are those of
    the whole run's ``-o`` recording, none lost or heard twice where one file ends and the next begins."""
    flashes = (0.3, 1.4, 2.5, 3.6, 4.7)  # (their tones away from the splits, each a second after the first frame)
    clip = beep_clip(tmp_path / "clip.mp4", seconds=6, flashes=flashes)
    result = cli("--camera", clip, *LIVE, "--record", tmp_path / "r.mp4", "--record-every", "1", "-o",
                 tmp_path / "whole.mkv", "--weights", weights, timeout=120)
    assert result.returncode == 0, result.stderr
    files = sorted(tmp_path.glob("r*.mp4"), key=lambda path: path.stat().st_mtime)
    assert len(files) >= 5, [path.name for path in files]
    _, whole = audio_packets(tmp_path / "whole.mkv")
    assert [packet for path in files for packet in audio_packets(path)[1]] == whole
    beeps = 0
    for path in files:
        errors = sync_errors(path, RATE, flashes)
        assert all(abs(error) <= FRAME_S for _, error in errors), (path.name, errors)
        beeps += len(errors)
    assert beeps == len(flashes)
    assert_in_step(tmp_path / "whole.mkv", flashes)


def test_a_stream_from_a_pipe_keeps_its_sound_in_the_stream_out_and_the_recording(weights, tmp_path):
    """An MPEG-TS (its AAC in ADTS, as a camera or a broadcast sends it) piped in: ``-o - --format matroska`` and a
    ``--record r.mp4``, whose fragmented MP4 takes AAC only without the ADTS headers (made raw, as FFmpeg's copy
    makes it: the sound itself untouched)."""
    flashes = (0.6, 1.8, 3.0)
    clip = beep_clip(tmp_path / "clip.ts", seconds=4, flashes=flashes, fmt="mpegts")
    piped = tmp_path / "out.mkv"
    with open(clip, "rb") as source, open(piped, "wb") as sink:
        proc = subprocess.run([sys.executable, "-m", "enlight.cli.video", "--camera", "-", *LIVE, "-o", "-",
                               "--format", "matroska", "--record", str(tmp_path / "r.mp4"), "--weights",
                               str(weights)], stdin=source, stdout=sink, stderr=subprocess.PIPE, text=True, cwd=REPO,
                              timeout=120)
    assert proc.returncode == 0, proc.stderr
    for out in (piped, tmp_path / "r.mp4"):
        assert audio_packets(out)[0] == "aac"
        assert_in_step(out, flashes)
        assert sound_seconds(out) > 3.9


def test_sound_stays_in_step_where_frames_are_dropped(weights, tmp_path):
    """A run slower than its source shows and records one frame in four or so (the others dropped to stay live):
    the sound, all of it, still falls where the frames that were kept put it."""
    from enlight.stream.apps.live_mode import LiveConfig
    from enlight.stream.apps.live_outputs import LiveOutputs
    from enlight.stream.io.live_source import LiveSource, frames
    from enlight.stream.io.locations import input_location

    flashes = (0.6, 1.8, 3.0)
    clip = beep_clip(tmp_path / "clip.mp4", seconds=4, flashes=flashes)
    record = tmp_path / "r.mp4"
    source = LiveSource(input_location(str(clip), camera=True))
    outputs = LiveOutputs(LiveConfig(source=str(clip), record=record, window=False), source.rate, lambda line: None,
                          sound=lambda: source.sound_form)
    with source:
        for frame in frames(source):
            outputs.hear(source.take_sound())
            if frame is not None:
                time.sleep(0.12)  # (an enhancement slower than the source's 40 ms a frame)
                outputs.write(frame.rgb, frame.at, frame.aspect)
    outputs.finish(source.take_sound())
    assert source.dropped > source.captured / 2, (source.dropped, source.captured)
    assert len(recorded_frames(record)) < source.captured / 2
    errors = sync_errors(record, RATE, flashes)
    assert len(errors) == 3 and all(abs(error) <= FRAME_S for _, error in errors), errors
    assert sound_seconds(record) > 3.9


def test_after_a_reconnect_the_sound_is_in_step_again(weights, tmp_path):
    """An IP camera (MPEG-TS over UDP, H.264 and AAC) that goes silent for 2.5 s: the run reconnects, and the
    recording has a gap there in its picture and its sound alike, each beep after it within a frame of its flash."""
    flashes = (3.0, 4.2, 6.6, 7.8)
    clip = beep_clip(tmp_path / "clip.ts", seconds=9, flashes=flashes, fmt="mpegts", gop=12)
    record = tmp_path / "r.mkv"
    port = free_udp_port()
    sender = UdpClip(port, clip, gap_at=5.0, gap_s=2.5)
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", "--camera", f"udp://127.0.0.1:{port}", *LIVE,
                             "--record", str(record), "--timeout", "1", "--weights", str(weights)],
                            stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        sender.done.wait(60)
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=30)[1]
    finally:
        sender.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "is back (reconnect 1)" in err, err
    frames = recorded_frames(record)
    gaps = [(b[0] - a[0]) - (b[1] - a[1]) * FRAME_S for a, b in zip(frames, frames[1:], strict=False)]
    assert max(gaps) > 1.0, gaps  # (the recording's clock went on through the silence)
    errors = sync_errors(record, RATE, flashes)
    assert [flash for flash, _ in errors] == list(flashes) and all(abs(error) <= FRAME_S for _, error in errors), \
        errors


def test_fps_leaves_the_sound_out_with_a_note(weights, tmp_path, cli):
    """``--fps`` plays the picture at its own pace whatever the timestamps: no sound can follow it, so it is left
    out, and the note says why and how to keep it."""
    clip = beep_clip(tmp_path / "clip.mp4", seconds=2, flashes=(0.6,))
    result = cli("--camera", clip, *LIVE, "--fps", "30", "--record", tmp_path / "r.mp4", "--weights", weights,
                 timeout=120)
    assert result.returncode == 0, result.stderr
    assert (f"enlight-video: note: the sound of {clip} is not recorded or streamed: --fps plays its picture at 30 fps "
            "whatever its timestamps, which the sound cannot follow (without --fps it is kept)") in result.stderr_lines
    with av.open(str(tmp_path / "r.mp4")) as recording:
        assert not recording.streams.audio


def test_a_run_that_falls_behind_drops_the_oldest_sound_and_counts_it(tmp_path):
    """The sound waits for the run's thread in a queue of at most ``QUEUED`` packets: one that does not come round
    (a send that blocks) loses the oldest, counted for the note, and never holds up the source's thread."""
    from enlight.stream.io.live_clock import LiveClock
    from enlight.stream.io.live_sound import QUEUED, SoundFeed, SoundForm

    clip = beep_clip(tmp_path / "clip.mp4", seconds=30, flashes=(), rate=5)
    feed, clock = SoundFeed(), LiveClock(0.2)
    with av.open(str(clip)) as container:
        form = SoundForm.of(container.streams.audio[0])
        frame = next(container.decode(video=0))
        clock.due(frame, 100.0)  # (anchored: the source's time 0 is 100 s on the clock)
        packets = [p for p in container.demux(audio=0) if p.size]
    for packet in packets:  # (as the source's thread does: each held, then released where due)
        feed.hold(packet, form)
        feed.release(clock, now=1000.0)
    taken = feed.take()
    assert len(taken) == QUEUED and feed.dropped == len(packets) - QUEUED > 0
    assert feed.dropped_s == pytest.approx((len(packets) - QUEUED) * 1024 / 48000)
    assert taken[-1].packet.pts == packets[-1].pts and taken[0].at == pytest.approx(100 + float(
        packets[-QUEUED].pts * Fraction(1, 48000)))
    assert taken[0].moved(100.0).pts == packets[-QUEUED].pts
