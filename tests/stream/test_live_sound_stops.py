"""A live source whose sound stops part way (an IP camera whose microphone is turned off mid-run, a pipe whose sound
ceases while its picture goes on): what the recordings opened after that get (``sound_ahead.SoundWatch``).

Before, every recording opened after the stop had a sound track of no packets (read back with PyAV: an audio stream
with none), and an .mp4 or .mov one (a fragmented MP4, ``crash_safe``) stayed 0 bytes on the disk until it was closed,
held in memory meanwhile: FFmpeg's muxer writes nothing until every track has a sample. The recording under way when
the sound stopped was not harmed (the muxer waits 0.5 s at most for its sound, ``recorder.INTERLEAVE_US``). An output
opened after the sound's last packet but before the stop was told (a recording in those 2 s, ``-o`` on a first frame
that came after it) still ended with an empty track; it is now written again with the picture alone when it is closed
(``picture_only``). The sources are real: clips whose sound stops (``beeps.beep_clip``'s ``sound_until``), pauses or
comes before the picture (``_remuxed``), played as the camera from a file or sent into a pipe at their own pace
(``udp_sender.PipedClip``).
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
from tests.stream.beeps import beep_clip, recorded_frames, tracks
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
    that got nothing, ends there and is written again with the picture alone (it kept the empty track); r-3 and r-4
    have the picture alone and are on the disk as they go; where the sound comes back r-4 ends and r-5 has it, in
    step. r.mp4 and o.mov, under way at the stop, keep their sound."""
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
    assert (f"enlight-video: note: the sound of {clip} stopped before {tmp_path / 'r-2.mp4'} began: it ends here, and "
            "the recording goes on with the picture alone in the next file") in lines, err
    assert (f"enlight-video: note: the sound of {clip} came back: {tmp_path / 'r-4.mp4'}, opened while it sent none, "
            "ends here, and the recording goes on with it in the next file") in lines, err
    first, window, *alone, back = (tmp_path / f"r{suffix}.mp4" for suffix in ("", "-2", "-3", "-4", "-5"))
    assert streams(first)[0] == streams(back)[0] == ["video", "audio"]
    assert_in_step(first, flashes)
    assert_in_step(back, flashes)
    assert all(streams(path)[0] == ["video"] for path in alone), err
    assert tracks(window)[0][1] <= 1.5 * RATE and len(tracks(window)) == 1, tracks(window)  # (3 s to the stop told;
    # before, an audio track of 0 packets)
    split = recorded_frames(alone[0])[0][1] / RATE
    assert 2.2 + AHEAD_S - 0.3 <= split <= 2.2 + AHEAD_S + 0.1, split
    numbers = [number for path in (first, window, *alone) for _, number, _ in recorded_frames(path)]
    assert numbers == sorted(set(numbers)) and numbers[-1] >= 9 * RATE - 2, numbers  # (none twice, to the pass's end)
    kinds, _ = streams(tmp_path / "o.mov")
    _, source = audio_packets(clip)
    _, kept = audio_packets(tmp_path / "o.mov")
    span = _span_s(tmp_path / "o.mov")  # (by its frames' times: a run under load drops frames to stay live)
    assert kinds == ["video", "audio"] and span > 11 and within(kept[:len(source) - 2], source), (span, err)


def _piped(clip, *args) -> tuple[int, str]:
    """``enlight-video --camera - ARGS`` fed ``clip`` (NUT) at its own pace, to its end: (exit status, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", "--camera", "-", *LIVE, *map(str, args)],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
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
    return proc.returncode, b"".join(err).decode()


def test_a_pipe_whose_g711_stops_gives_the_recordings_after_it_no_sound_track(weights, tmp_path):
    """An IP camera's stream piped in as it is sent (NUT: H.264 and G.711 mu-law 8 kHz), its sound stopping 2 s in:
    ``--camera - --record r.mkv --record-every 3 -o o.mp4``. Before, r-2.mkv and r-3.mkv had an empty sound track (AAC,
    a .mkv's form of G.711); now r-3.mkv (from 4 s, where the stop is told) has the picture alone, r-2.mkv (3 s to
    there) is written again with the picture alone, and o.mp4 keeps the sound it had."""
    clip = beep_clip(tmp_path / "cam.nut", seconds=8, flashes=(0.6,), codec="pcm_mulaw", sample_rate=8000,
                     sound_until=2.0, gop=12)
    code, text = _piped(clip, "--record", tmp_path / "r.mkv", "--record-every", 3, "-o", tmp_path / "o.mp4",
                        "--weights", weights)
    assert code == 0, text
    assert streams(tmp_path / "r.mkv")[0] == ["video", "audio"]
    assert len(tracks(tmp_path / "r-2.mkv")) == 1, text  # (3 s to the stop told: before, an AAC track of 0 packets)
    kinds, span = streams(tmp_path / "r-3.mkv")[0], _span_s(tmp_path / "r-3.mkv")
    assert kinds == ["video"] and span > 2 - 2 / RATE, (kinds, span, text)
    kinds, span = streams(tmp_path / "o.mp4")[0], _span_s(tmp_path / "o.mp4")
    assert kinds == ["video", "audio"] and span > 7 - 2 / RATE, (kinds, span)
    stopped = STOPPED.format(source="-", form=r"pcm_mulaw, 8000 Hz, 1 channels", last=r"(1\.9|2\.0)\d")
    assert re.search(stopped, text), text


def _remuxed(clip, path, *, picture_s: float = 0.0, gap: tuple[float, float] | None = None):
    """``clip`` copied packet for packet into ``path``: its picture's timestamps ``picture_s`` later (its sound
    before its picture), the packets of its sound that start within ``gap`` (s) left out (a pause in the sound)."""
    with av.open(str(clip)) as source, av.open(str(path), "w") as out:
        copies = {stream.index: out.add_stream_from_template(stream) for stream in source.streams}
        for packet in source.demux():
            if packet.dts is None and packet.pts is None:
                continue
            if packet.stream.type == "video":
                moved = round(picture_s / packet.time_base)
                packet.pts, packet.dts = packet.pts + moved, None if packet.dts is None else packet.dts + moved
            elif gap is not None and gap[0] <= packet.pts * packet.time_base < gap[1]:
                continue
            packet.stream = copies[packet.stream.index]
            out.mux(packet)
    return path


def _no_empty_track(folder) -> dict[str, list[tuple[str, int]]]:
    """The tracks of every recording in ``folder`` (``tracks``), after checking none has a stream of no packets and no
    temporary is left beside them."""
    found = {path.name: tracks(path) for path in sorted(folder.glob("[or]*.*"))}
    assert all(count for kinds in found.values() for _, count in kinds), found
    assert not list(folder.glob(".*")), list(folder.glob(".*"))
    return found


def _rewritten(path) -> str:
    return (f"enlight-video: note: {path}: none of the source's sound came while it was recorded (it had stopped): "
            "written again with the picture alone, without the empty sound track it was opened with")


def test_a_recording_opened_before_a_pause_in_the_sound_was_told_has_no_empty_track_and_the_sound_comes_back(
        weights, tmp_path, cli):
    """``--camera cam.mkv --record r.mp4 --record-every 2.5 -o o.mov``, the 7 s clip's AAC paused from 2.0 s to 5.0 s.
    r-2.mp4, opened at 2.5 s (after the sound's last packet, before the stop was told at 4.0 s), ended at the stop
    with an empty sound track; it is written again with the picture alone, with a note. r-3.mp4 has the picture
    alone to where the sound comes back; r-4.mp4 and o.mov have the sound after the pause, in step: a pause of 3 s
    loses nothing for good."""
    flashes = (1.0, 5.5, 6.5)
    raw = beep_clip(tmp_path / "raw.mkv", seconds=7, flashes=flashes, gop=25)
    clip = _remuxed(raw, tmp_path / "cam.mkv", gap=(2.0, 5.0))
    raw.unlink()
    result = cli("--camera", clip, *LIVE, "--record", tmp_path / "r.mp4", "--record-every", 2.5, "-o",
                 tmp_path / "o.mov", "--weights", weights, timeout=120)
    assert result.returncode == 0, result.stderr
    found = _no_empty_track(tmp_path)
    first, window, alone, back = (tmp_path / f"r{suffix}.mp4" for suffix in ("", "-2", "-3", "-4"))
    assert [kinds for kinds, _ in found["r-2.mp4"]] == ["video"], found  # (before: video, and audio of 0 packets)
    assert [[kind for kind, _ in found[path.name]] for path in (first, alone, back)] == [
        ["video", "audio"], ["video"], ["video", "audio"]], found
    assert sorted(found) == ["o.mov", "r-2.mp4", "r-3.mp4", "r-4.mp4", "r.mp4"], found
    assert _rewritten(window) in result.stderr_lines, result.stderr
    assert sum("written again" in line for line in result.stderr_lines) == 1, result.stderr
    assert_in_step(first, flashes, count=1)
    assert_in_step(back, flashes, count=2)
    assert_in_step(tmp_path / "o.mov", flashes)
    told = recorded_frames(alone)[0][1] / RATE  # (the stop told: the sound's last packet at 1.98 s, 2 s of picture)
    returned = recorded_frames(back)[0][1] / RATE  # (where the sound comes back: its first packet at 5.01 s)
    assert 2.0 + AHEAD_S - 0.3 <= told <= 2.0 + AHEAD_S + 0.1 and 5.0 - 0.2 <= returned <= 5.0 + 0.1, (told, returned)
    numbers = [number for path in (first, window, alone, back) for _, number, _ in recorded_frames(path)]
    assert numbers == sorted(set(numbers)) and numbers[-1] >= 7 * RATE - 2, numbers  # (none twice, to the end)


def test_a_recording_under_way_when_the_run_ends_before_the_stop_is_told_has_no_empty_track(weights, tmp_path, cli):
    """``--camera cam.mkv --record r.mkv --record-every 2``, the 3.5 s clip's AAC stopping at 1.8 s: r-2.mkv, from
    2 s to the end, got none of it, and the stop is never told (1.7 s of picture after it). It kept an empty sound
    track; now the picture alone, with a note. r.mkv keeps its sound."""
    clip = beep_clip(tmp_path / "cam.mkv", seconds=3.5, flashes=(1.0,), sound_until=1.8, gop=25)
    result = cli("--camera", clip, *LIVE, "--record", tmp_path / "r.mkv", "--record-every", 2, "--weights", weights,
                 timeout=120)
    assert result.returncode == 0, result.stderr
    found = _no_empty_track(tmp_path)
    assert [kind for kind, _ in found["r.mkv"]] == ["video", "audio"], found
    assert [kind for kind, _ in found["r-2.mkv"]] == ["video"], found  # (before: video, and audio of 0 packets)
    assert _rewritten(tmp_path / "r-2.mkv") in result.stderr_lines, result.stderr
    assert "stopped at" not in result.stderr, result.stderr
    assert _span_s(tmp_path / "r-2.mkv") > 1.5 - 2 / RATE, result.stderr


def test_an_output_opened_after_the_sound_stopped_has_no_empty_track(weights, tmp_path):
    """A pipe whose sound (AAC) sends 0.4 s and stops before its picture begins (at 1 s): ``--camera - -o o.mp4
    --record r.mov``. Both are opened on the first frame with a track for that sound, after its last packet: o.mp4,
    written all along, and r.mov, which ends where the stop is told, each kept an empty sound track. Now each is
    written again with the picture alone, with a note; r-2.mov, opened after the stop, has the picture alone."""
    raw = beep_clip(tmp_path / "raw.mkv", seconds=5, flashes=(), sound_until=0.4, gop=12)
    clip = _remuxed(raw, tmp_path / "cam.nut", picture_s=1.0)
    raw.unlink()
    code, text = _piped(clip, "-o", tmp_path / "o.mp4", "--record", tmp_path / "r.mov", "--weights", weights)
    assert code == 0, text
    found = _no_empty_track(tmp_path)
    assert {name: [kind for kind, _ in kinds] for name, kinds in found.items()} == {
        "o.mp4": ["video"], "r.mov": ["video"], "r-2.mov": ["video"]}, found  # (before: o.mp4, r.mov audio of 0)
    lines = text.splitlines()
    assert _rewritten(tmp_path / "o.mp4") in lines and _rewritten(tmp_path / "r.mov") in lines, text
    assert re.search(STOPPED.format(source="-", form="aac, 48000 Hz, mono", last=r"0\.[34]\d"), text), text
    numbers = [number for _, number, _ in recorded_frames(tmp_path / "o.mp4")]  # (the picture from its first 2 s to
    # its end: a run under load skips some of the frames the pipe's open held, and drops frames to stay live)
    assert numbers[0] < 2 * RATE and numbers[-1] >= 5 * RATE - 2 and numbers == sorted(set(numbers)), numbers
