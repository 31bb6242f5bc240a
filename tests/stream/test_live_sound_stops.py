"""A live source whose sound stops part way (an IP camera whose microphone is turned off mid-run, a pipe whose sound
ceases while its picture goes on): what the recordings opened after that get (``sound_ahead.SoundWatch``).

Before, every recording opened after the stop had a sound track of no packets (read back with PyAV: an audio stream
with none), and an .mp4 or .mov one (a fragmented MP4, ``crash_safe``) stayed 0 bytes on the disk until it was closed,
held in memory meanwhile: FFmpeg's muxer writes nothing until every track has a sample. The recording under way when
the sound stopped was not harmed (the muxer waits 0.5 s at most for its sound, ``recorder.INTERLEAVE_US``). The
sources are real: clips whose sound stops (``beeps.beep_clip``'s ``sound_until``), played as the camera from a file
or sent into a pipe at their own pace (``udp_sender.PipedClip``).
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import av

from enlight.stream.io.sound_ahead import AHEAD_S
from tests.conftest import REPO
from tests.stream.beeps import beep_clip, recorded_frames
from tests.stream.test_live_silent_sound import interrupted_run, streams
from tests.stream.test_live_sound import LIVE, RATE, assert_in_step, audio_packets, within
from tests.stream.udp_sender import PipedClip

STOPPED = (r"note: the sound of {source} \(stream #1, {form}\) stopped at \d\d:\d\d:\d\d \(its last packet at "
           r"{last} s of its stream; none in the 2\.0 s of picture since\): a recording opened from here has the "
           r"picture alone, the one under way keeps what it has \(should the sound come back, the next recording has "
           r"it\)")


def stop_seen_at(clip, *, jump_s: float = 0.0) -> float | None:
    """The time (s) of the picture packet, in ``clip``'s demux order, by which a ``SoundWatch`` tells its sound has
    stopped; None where it does not. ``jump_s``: the picture's timestamps from 2 s on moved that much later (a
    camera's clock that jumped)."""
    from enlight.stream.io.sound_ahead import SoundWatch  # (new: the tests of the runs below fail on their own before)

    watch = SoundWatch(1 / RATE)
    with av.open(str(clip)) as container:
        for packet in container.demux():
            if packet.size and packet.stream.type == "audio":
                watch.sound(packet)
                continue
            if packet.dts is not None and packet.dts * packet.time_base >= 2:
                packet.dts += round(jump_s / packet.time_base)
            if watch.picture(packet):
                return float(packet.dts * packet.time_base)
    return None


def test_the_watch_tells_the_stop_after_two_seconds_of_picture_and_never_where_the_sound_goes_on(tmp_path):
    """Demuxed from real clips: sound that stops at 2.0 s is told at the picture's 4.0 s (its last packet at 1.98 s,
    ``AHEAD_S`` of picture after it); sound to the end, sound never sent (the read ahead's case), or sound that goes
    on while the picture's clock jumps 10 s ahead is never taken for a stop."""
    stops = beep_clip(tmp_path / "stops.mkv", seconds=6, flashes=(), sound_until=2.0)
    assert AHEAD_S == 2.0
    assert 3.9 <= stop_seen_at(stops) <= 4.05, stop_seen_at(stops)
    goes_on = beep_clip(tmp_path / "goes_on.mkv", seconds=6, flashes=())
    assert stop_seen_at(goes_on) is None
    assert stop_seen_at(goes_on, jump_s=10) is None
    assert stop_seen_at(beep_clip(tmp_path / "never.mkv", seconds=6, flashes=(), sound_from=float("inf"))) is None


def _span_s(path) -> float:
    """The time from a recording's first frame to its last, s."""
    times = [at for at, _, _ in recorded_frames(path)]
    return times[-1] - times[0]


def _watch_sizes(folder, until: str, deadline_s: float, proc) -> dict[str, int]:
    """Poll ``folder`` each 0.1 s until ``until`` is there (or the run ended, or ``deadline_s``): the largest size each
    r*.mp4 reached while it was the newest (the one being written)."""
    most: dict[str, int] = {}
    deadline = time.monotonic() + deadline_s
    while not (folder / until).exists() and time.monotonic() < deadline and proc.poll() is None:
        files = sorted(folder.glob("r*.mp4"), key=lambda path: path.stat().st_mtime_ns)
        if files:
            newest = max(files, key=lambda path: (len(path.stem), path.stem))
            most[newest.name] = max(most.get(newest.name, 0), newest.stat().st_size)
        time.sleep(0.1)
    return most


def test_a_camera_whose_sound_stops_is_recorded_on_with_the_picture_alone_and_the_sound_back_in_the_next(
        weights, tmp_path):
    """``--camera cam.mkv --loop --record r.mp4 --record-every 3 -o o.mov``, the 9 s clip's AAC stopping at 2.2 s
    (and back at its next pass, 9 s in). Before, each file opened after 2.2 s had an empty sound track, 0 bytes on the
    disk while it was written (r-2, 3-6 s; r-3, 6-9 s). Now the stop is told at 4.2 s: r-2, opened at 3 s with a track
    that got nothing, ends there; r-3 and r-4 have the picture alone and are on the disk as they go; where the sound
    comes back r-4 ends and r-5 has it, in step. r.mp4 and o.mov, under way at the stop, keep their sound."""
    flashes = (0.6, 1.8)
    clip = beep_clip(tmp_path / "cam.mkv", seconds=9, flashes=flashes, sound_until=2.2, gop=25)
    most, code, err = interrupted_run(
        ("--camera", clip, "--loop", *LIVE, "--record", tmp_path / "r.mp4", "--record-every", "3", "-o",
         tmp_path / "o.mov", "--weights", weights), lambda proc: _watch_sizes(tmp_path, "r-6.mp4", 90, proc))
    assert code == 0, err
    # on the disk before r-4 began (it was 0 bytes): where it got frames enough for that, since x264 holds about 20
    # and a fragment is a second long: 45 frames (a run under load, dropping frames to stay live, may end a file before)
    r3_frames = streams(tmp_path / "r-3.mp4")[1]
    assert most.get("r-3.mp4", 0) > 1000 or r3_frames < 2 * RATE, (most, r3_frames, err)
    lines = err.splitlines()
    stopped = re.compile(STOPPED.format(source=re.escape(str(clip)), form="aac, 48000 Hz, mono", last=r"2\.[12]\d"))
    assert sum(bool(stopped.search(line)) for line in lines) == 1, err
    assert (f"enlight-video: note: the sound of {clip} stopped before {tmp_path / 'r-2.mp4'} began: it ends here, its "
            "sound track empty, and the recording goes on with the picture alone in the next file") in lines, err
    assert (f"enlight-video: note: the sound of {clip} came back: {tmp_path / 'r-4.mp4'}, opened while it sent none, "
            "ends here, and the recording goes on with it in the next file") in lines, err
    first, window, *alone, back = (tmp_path / f"r{suffix}.mp4" for suffix in ("", "-2", "-3", "-4", "-5"))
    assert streams(first)[0] == streams(back)[0] == ["video", "audio"]
    assert_in_step(first, flashes)
    assert_in_step(back, flashes)
    assert all(streams(path)[0] == ["video"] for path in alone), err
    assert streams(window)[1] <= 1.5 * RATE, streams(window)  # (from 3 s to where the stop was told)
    split = recorded_frames(alone[0])[0][1] / RATE
    assert 2.2 + AHEAD_S - 0.3 <= split <= 2.2 + AHEAD_S + 0.1, split
    numbers = [number for path in (first, window, *alone) for _, number, _ in recorded_frames(path)]
    assert numbers == sorted(set(numbers)) and numbers[-1] >= 9 * RATE - 2, numbers  # (none twice, to the pass's end)
    kinds, _ = streams(tmp_path / "o.mov")
    _, source = audio_packets(clip)
    _, kept = audio_packets(tmp_path / "o.mov")
    span = _span_s(tmp_path / "o.mov")  # (by its frames' times: a run under load drops frames to stay live)
    assert kinds == ["video", "audio"] and span > 11 and within(kept[:len(source) - 2], source), (span, err)


def test_a_pipe_whose_g711_stops_gives_the_recordings_after_it_no_sound_track(weights, tmp_path):
    """An IP camera's stream piped in as it is sent (NUT: H.264 and G.711 mu-law 8 kHz), its sound stopping 2 s in:
    ``--camera - --record r.mkv --record-every 3 -o o.mp4``. Before, r-2.mkv and r-3.mkv had an empty sound track (AAC,
    a .mkv's form of G.711); now r-3.mkv (from 4 s, where the stop is told) has the picture alone, and o.mp4 keeps the
    sound it had."""
    clip = beep_clip(tmp_path / "cam.nut", seconds=8, flashes=(0.6,), codec="pcm_mulaw", sample_rate=8000,
                     sound_until=2.0, gop=12)
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", "--camera", "-", *LIVE, "--record",
                             str(tmp_path / "r.mkv"), "--record-every", "3", "-o", str(tmp_path / "o.mp4"),
                             "--weights", str(weights)], stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    feed = PipedClip(clip, proc.stdin)
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    try:
        feed.done.wait(60)
        proc.wait(60)
        reader.join(10)
    finally:
        feed.close()
        if proc.poll() is None:
            proc.kill()
    text = b"".join(err).decode()
    assert proc.returncode == 0, text
    assert streams(tmp_path / "r.mkv")[0] == ["video", "audio"]
    kinds, span = streams(tmp_path / "r-3.mkv")[0], _span_s(tmp_path / "r-3.mkv")
    assert kinds == ["video"] and span > 2 - 2 / RATE, (kinds, span, text)
    kinds, span = streams(tmp_path / "o.mp4")[0], _span_s(tmp_path / "o.mp4")
    assert kinds == ["video", "audio"] and span > 7 - 2 / RATE, (kinds, span)
    stopped = STOPPED.format(source="-", form=r"pcm_mulaw, 8000 Hz, 1 channels", last=r"(1\.9|2\.0)\d")
    assert re.search(stopped, text), text
