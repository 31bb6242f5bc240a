"""A live source that declares sound and sends none of it (an IP camera whose microphone is off still declares its
G.711 or AAC), or sends it late: what the recordings and the stream out get (``enlight.stream.io.sound_ahead``).

Before, every output of such a run had a sound track of no packets (PyAV read back an audio stream with none), and
an .mp4 or .mov one (a fragmented MP4, ``crash_safe``) was 0 bytes on the disk until it was closed: FFmpeg's muxer
writes nothing until every track has a sample, so the whole recording waited in memory and a killed run left nothing.
The sources are real: clips whose sound stream is declared in their header (``beeps.beep_clip``'s ``sound_from``),
played as the camera from a file or sent into a pipe at their own pace (``udp_sender.PipedClip``).
"""

from __future__ import annotations

import math
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import av

from tests.conftest import REPO
from tests.stream.beeps import beep_clip, recorded_frames, sound_seconds
from tests.stream.test_live_sound import FRAME_S, LIVE, RATE, assert_in_step, audio_packets, within
from tests.stream.udp_sender import PipedClip

T = TypeVar("T")
SILENT = "sent nothing in the first 2.0 s of its picture: what is recorded and streamed has the picture alone"


def streams(path) -> tuple[list[str], int]:
    """(the types of a file's streams, its video frames)."""
    with av.open(str(path)) as container:
        kinds = [stream.type for stream in container.streams]
        return kinds, sum(1 for _ in container.decode(video=0))


def interrupted_run(args, watch: Callable[[subprocess.Popen], T]) -> tuple[T, int, str]:
    """Run ``enlight-video ARGS``, ``watch(proc)`` while it goes, then stop it with SIGINT: (what ``watch`` gave, the
    exit status, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", *map(str, args)], stderr=subprocess.PIPE,
                            text=True, cwd=REPO)
    try:
        watched = watch(proc)
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    return watched, proc.returncode, err


def _written_by_r3(out):
    """A ``watch`` for ``interrupted_run``: the size of ``out`` once r-3.mp4 is there beside it (0: none yet)."""

    def watch(proc) -> int:
        deadline = time.monotonic() + 60
        while not (out.parent / "r-3.mp4").exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        return out.stat().st_size if out.exists() else 0

    return watch


def test_a_camera_that_declares_sound_and_sends_none_is_recorded_as_it_goes_without_a_sound_track(weights, tmp_path):
    """``--camera clip.mkv --loop --record r.mp4 --record-every 2 -o o.mov``, the clip's AAC declared with no packet:
    o.mov is on the disk while the run goes (it was 0 bytes until the end), and no output has a sound track (each
    had an empty one); one note says so. Each of --record-every's files is saved at once where it ends (it waited a
    second for sound that never came)."""
    clip = beep_clip(tmp_path / "cam.mkv", seconds=3, flashes=(), sound_from=math.inf, gop=25)
    out = tmp_path / "o.mov"
    written_while_running, code, err = interrupted_run(
        ("--camera", clip, "--loop", *LIVE, "--record", tmp_path / "r.mp4", "--record-every", "2", "-o", out,
         "--weights", weights), _written_by_r3(out))
    assert code == 0, err
    assert written_while_running > 1000, (written_while_running, err)  # (4 s and more of picture by then)
    lines = err.splitlines()
    assert sum(SILENT in line for line in lines) == 1, err
    files = [out, *sorted(tmp_path.glob("r*.mp4"))]
    # (r-3.mp4, opened when the run was stopped, is removed where the stop came before its first frame: under load)
    assert len(files) >= 3 and (tmp_path / "r-2.mp4") in files, files
    for path in files:
        kinds, frames = streams(path)
        assert kinds == ["video"] and frames > 0, (path.name, kinds, frames)
    first = tmp_path / "r.mp4"
    saved = lines.index(f"enlight-video: recording saved: {streams(first)[1]} frames in {first}")
    assert saved < lines.index(f"enlight-video: recording to {tmp_path / 'r-2.mp4'}"), err


def test_a_pipe_that_declares_g711_and_sends_none_is_recorded_without_a_sound_track(weights, tmp_path):
    """A camera's stream piped in as it is sent (NUT: H.264, and G.711 mu-law 8 kHz declared, no packet of it):
    ``--camera - --record r.mov -o o.mp4``. Both had an empty pcm_mulaw (or AAC) track; now the picture alone, a
    note naming the sound."""
    clip = beep_clip(tmp_path / "cam.nut", seconds=3, flashes=(), codec="pcm_mulaw", sample_rate=8000,
                     sound_from=math.inf, gop=12)
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", "--camera", "-", *LIVE, "--record",
                             str(tmp_path / "r.mov"), "-o", str(tmp_path / "o.mp4"), "--weights", str(weights)],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    feed = PipedClip(clip, proc.stdin)
    try:
        feed.done.wait(60)  # (then the pipe is closed: the source ends)
        err = proc.stderr.read().decode()
        proc.wait(60)
    finally:
        feed.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    for name in ("r.mov", "o.mp4"):
        kinds, frames = streams(tmp_path / name)
        assert kinds == ["video"] and frames > 25, (name, kinds, frames)
    assert "note: the sound of - (stream #1, pcm_mulaw, 8000 Hz, 1 channels) sent nothing in the first" in err, err


def test_sound_that_starts_in_the_first_two_seconds_is_recorded_whole_and_in_step(weights, tmp_path, cli):
    """A source whose sound starts 1 s after its picture: the recording and the stream out have all of it, each beep
    within a frame of its flash, and no note (the source's first 2 s are read ahead for it)."""
    flashes = (1.4, 2.6, 3.8)
    clip = beep_clip(tmp_path / "clip.mkv", seconds=4.5, flashes=flashes, sound_from=1.0)
    result = cli("--camera", clip, *LIVE, "--record", tmp_path / "r.mp4", "-o", tmp_path / "o.ts", "--weights",
                 weights, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "note" not in result.stderr, result.stderr
    _, source = audio_packets(clip)
    for name in ("r.mp4", "o.ts"):
        _, packets = audio_packets(tmp_path / name)
        assert within(packets, source) and len(packets) >= len(source) - 2, (name, len(packets), len(source))
        assert_in_step(tmp_path / name, flashes)


def test_sound_that_starts_later_goes_on_in_the_next_recording_in_step(weights, tmp_path, cli):
    """Sound from 3 s in (after the 2 s read ahead): the recording opened without it ends at the frame where it
    starts and the next file goes on from there with it, all of it and in step (before: one file, whose fragments
    stayed off the disk until the sound came); ``-o`` goes on with the picture alone. Notes say both."""
    flashes = (0.6, 3.6, 4.8)  # (the first before the sound: no beep)
    clip = beep_clip(tmp_path / "clip.mkv", seconds=6, flashes=flashes, sound_from=3.0)
    result = cli("--camera", clip, *LIVE, "--record", tmp_path / "r.mp4", "-o", tmp_path / "o.mkv", "--weights",
                 weights, timeout=120)
    assert result.returncode == 0, result.stderr
    first, second, out = tmp_path / "r.mp4", tmp_path / "r-2.mp4", tmp_path / "o.mkv"
    assert (f"enlight-video: note: the sound of {clip} started: {first}, opened while it sent none, ends here, and "
            "the recording goes on with it in the next file") in result.stderr_lines, result.stderr
    assert f"enlight-video: note: the sound of {clip} started: {out}, opened while it sent none" in result.stderr
    assert streams(first)[0] == streams(out)[0] == ["video"]
    _, source = audio_packets(clip)
    _, packets = audio_packets(second)
    assert within(packets, source) and len(packets) >= len(source) - 2, (len(packets), len(source))
    assert_in_step(second, flashes, count=2)
    assert sound_seconds(second) > 2.9
    numbers = [number for path in (first, second) for _, number, _ in recorded_frames(path)]
    assert numbers == sorted(set(numbers)) and numbers[-1] >= 6 * RATE - 2, numbers  # (none twice, to the end)
    split = recorded_frames(second)[0][1] / RATE  # (where the sound starts: its first packet is at 2.98 s)
    assert 3.0 - 0.2 <= split <= 3.0 + 2 * FRAME_S, split


def _piped_run(weights, tmp_path, clip, fmt: str) -> tuple[float, str]:
    """``--camera - -o o.mp4`` fed ``clip`` as ``fmt`` at its own pace: (how long after the clip's last packet was sent
    the run ended, s: how far behind its picture was; the run's stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", "--camera", "-", *LIVE, "-o",
                             str(tmp_path / "o.mp4"), "--weights", str(weights)],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    feed = PipedClip(clip, proc.stdin, fmt=fmt)
    try:
        feed.done.wait(60)
        sent = time.perf_counter()
        err = proc.stderr.read().decode()
        proc.wait(60)
        return time.perf_counter() - sent, err
    finally:
        feed.close()
        if proc.poll() is None:
            proc.kill()


def test_a_pipe_that_declares_sound_and_sends_none_is_opened_at_once_and_shown_live(weights, tmp_path):
    """NUT piped in as it plays, its AAC declared and never sent: FFmpeg's open waited for a timestamp of the sound
    for 5 s of picture, and the run showed everything 5 s after it was sent, to the end (it ended 5.6 s after the last
    packet). It is now opened at its first frames (``max_ts_probe`` 0): shown within about a second, every frame."""
    clip = beep_clip(tmp_path / "cam.mkv", seconds=8, flashes=(), sound_from=math.inf, gop=25)
    behind, err = _piped_run(weights, tmp_path, clip, "nut")
    assert behind < 3.0, err
    numbers = [number for _, number, _ in recorded_frames(tmp_path / "o.mp4")]
    # (from its first second: the catch-up alone, after an open of 5 s, began 4 s in; under load the open, which
    # reads 20 frames for the frame rate, takes longer and a few frames more are skipped)
    assert numbers[0] < 2 * RATE and numbers[-1] >= 8 * RATE - 2, numbers


def test_the_picture_an_mpeg_ts_pipe_sent_while_it_was_opened_is_skipped_to_show_it_live(weights, tmp_path):
    """MPEG-TS names its sound without its form, so FFmpeg's open still waits to learn it (7 s of picture) where the
    sound never comes. That picture used to be shown after it, and the whole run stayed 7 s behind (it ended 7.6 s
    after the last packet); it is now skipped, with a note, and the rest is shown as it comes."""
    clip = beep_clip(tmp_path / "cam.mkv", seconds=10, flashes=(), sound_from=math.inf, gop=25)
    behind, err = _piped_run(weights, tmp_path, clip, "mpegts")
    assert behind < 3.5, err
    skipped = (r"note: - took [6-9]\.\d s to open \(FFmpeg waits for each stream it declares to send, sound that never "
               r"comes among them\); what it sent meanwhile, up to [5-8]\.\d s of picture, is skipped, so that it")
    assert re.search(skipped, err), err
    numbers = [number for _, number, _ in recorded_frames(tmp_path / "o.mp4")]
    assert numbers[-1] >= 10 * RATE - 2 and numbers == sorted(set(numbers)), numbers
