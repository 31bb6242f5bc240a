"""A live recording that the process dies in (SIGKILL: ``kill -9``, the OOM killer, a power cut; a full disk) is
kept, playable, at the name the user gave; a clean end still gives a whole file of the right length.

Before, a recording was written under a hidden temporary name with the plain MP4/MOV index kept in memory: a
SIGKILL left '.r.enlight-1a2b3c4d.mp4' that no player opens (moov atom not found) and that the next run deleted as
stale, a Matroska one lost its last 5-10 s, and a full disk deleted the whole recording.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.locations import output_location
from enlight.stream.io.recorder import Recorder, live_info
from tests.conftest import REPO
from tests.media import make_clip

RECORD_S = 4.0  # how long a recording runs before it is killed


@pytest.fixture(scope="module")
def camera_clip(tmp_path_factory) -> Path:
    """A 10 s clip at 24 fps of 160x96 frames, played as a camera (with --loop)."""
    return make_clip(tmp_path_factory.mktemp("camera") / "cam.mp4", width=160, height=96, frames=240, audio=False)


def decodable(path: Path) -> list[float]:
    """The times (s) of the frames PyAV decodes from ``path``, up to a last fragment a kill cut short."""
    times: list[float] = []
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                times.append(float(frame.time))
    except av.error.InvalidDataError:
        pass
    return times


def live(camera_clip: Path, weights: Path, record: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "enlight.cli.video", "--camera", str(camera_clip), "--loop",
                             "--no-window", "--record", str(record), "--weights", str(weights), "--quality", "fast",
                             "--denoise", "off"],  # (light, so that a loaded machine still records its seconds)
                            stderr=subprocess.PIPE, cwd=REPO, text=True, **popen)


def started(proc: subprocess.Popen) -> str:
    """stderr up to the line that says the recording started."""
    err = ""
    for line in proc.stderr:
        err += line
        if "recording to" in line:
            return err
    raise AssertionError(err)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
def test_a_killed_recording_plays_at_its_name(camera_clip, weights, tmp_path, suffix):
    """SIGKILL 4 s into a recording: the file is at its name (no hidden temporary for the next run to delete as
    stale) and plays up to a second or so before the kill. Before: nothing at the name; the temporary of an .mp4 or
    .mov had no index (0 frames), that of an .mkv lost everything after its last 5 s cluster."""
    record = tmp_path / f"r{suffix}"
    proc = live(camera_clip, weights, record)
    started(proc)
    time.sleep(RECORD_S)
    proc.kill()
    proc.communicate(timeout=30)
    assert [p.name for p in tmp_path.iterdir()] == [record.name]
    times = decodable(record)
    assert times and times[0] == 0 and times[-1] >= RECORD_S - 2.5, times[-3:]


def test_a_recording_is_playable_while_it_is_written_and_whole_when_closed(tmp_path):
    """What a crash would leave, read while the recording goes on, then a clean end: the file at its name plays its
    first seconds before it is closed, and closed it holds every frame from 0 with the right duration and seeks."""
    record = tmp_path / "r.mp4"
    recorder = Recorder(output_location(str(record)), live_info(64, 48, Fraction(25)),
                        encoder=EncoderConfig(preset="veryfast"), overwrite=False)
    for i in range(75):  # 3 s at 25 fps
        recorder.write(np.full((48, 64, 3), (i * 3) % 256, np.uint8), 100.0 + i / 25)
        if i == 60:
            assert decodable(record)[-1] >= 1.0  # (the encoder's look-ahead and the fragment under way not yet)
    recorder.finish()
    times = decodable(record)
    assert len(times) == 75 and times[0] == 0 and times[-1] == pytest.approx(2.96, abs=1e-3)
    with av.open(str(record)) as container:
        assert container.duration / 1e6 == pytest.approx(3.0, abs=0.01)
        stream = container.streams.video[0]
        container.seek(round(2.0 / stream.time_base), stream=stream, backward=True)
        assert next(container.decode(stream)).time <= 2.0
    assert [p.name for p in tmp_path.iterdir()] == ["r.mp4"]


def _small_files() -> None:
    """(In the child) files may grow to 40 kB only (some 7 s of these frames), and going past it is an error
    (EFBIG), as a full disk's (ENOSPC)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))


def test_a_recording_that_fills_the_disk_keeps_what_it_wrote(camera_clip, weights, tmp_path):
    """The file can grow no more: the run ends with one line that says the recording keeps what reached the disk,
    and it plays to its end (its torn last fragment cut off: FFmpeg opened no file whose last moof box was cut
    short). Before: 'cannot finish writing r.mp4: File too large; a .mkv output takes more kinds of streams', and
    the whole recording deleted."""
    record = tmp_path / "r.mp4"
    proc = live(camera_clip, weights, record, preexec_fn=_small_files,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 2, err
    last = err.strip().splitlines()[-1]
    assert f"cannot write the recording {record} on (File too large); it keeps what reached the disk" in last, err
    assert [p.name for p in tmp_path.iterdir()] == ["r.mp4"]
    with av.open(str(record)) as container:  # (to its end without an error)
        assert sum(1 for _ in container.decode(video=0)) > 24
