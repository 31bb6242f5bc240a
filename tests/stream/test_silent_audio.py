"""A file whose audio stream holds no packet (a camera's recording with its microphone off keeps the track it
declared; an MPEG-TS whose programme lists sound it never carried), enhanced as a file (``silent_audio``).

Before, a Matroska or MPEG-TS output got an audio track of no packets, and an MPEG-TS source's was said to be
'encoded again as AAC 96 kb/s: a .mp4 file cannot hold aac', sound there was none of. The sources are real files
written by PyAV with the audio stream declared and no packet muxed (``beeps.beep_clip``'s ``sound_from``).
"""

from __future__ import annotations

import math

import av
import pytest

from tests.stream.beeps import beep_clip
from tests.stream.test_live_sound import audio_packets

NOTE = ("enlight-video: note: audio stream #1 (aac) was not copied: the file holds no packet of it (sound declared and "
        "never recorded, as a camera with its microphone off does); the output has no empty sound track for it")
RUN = ("--quality", "fast", "--denoise", "off")


def kinds(path) -> list[str]:
    with av.open(str(path)) as container:
        return [stream.type for stream in container.streams]


@pytest.mark.parametrize(("source", "output", "args"), [
    ("cam.mkv", "out.mkv", []),
    ("cam.mkv", "out.ts", []),
    ("cam.mkv", "joined.mkv", ["--segments", "2"]),
    ("cam.ts", "out.mp4", []),  # (FFmpeg finds no rate for it: it was 'encoded again', into an empty AAC track)
    ("cam.ts", "out.mkv", []),
])
def test_an_audio_stream_without_packets_is_left_out_with_a_note_not_written_empty(tmp_path, weights, cli, source,
                                                                                    output, args):
    clip = beep_clip(tmp_path / source, seconds=2, flashes=(), sound_from=math.inf, gop=12)
    assert kinds(clip) == ["video", "audio"]
    result = cli(clip, "-o", tmp_path / output, "--weights", weights, *RUN, *args)
    assert result.returncode == 0, result.stderr
    assert kinds(tmp_path / output) == ["video"]
    assert [line for line in result.stderr_lines if "audio stream" in line] == [NOTE], result.stderr


def test_sound_that_starts_late_in_the_file_is_still_copied_whole(tmp_path, weights, cli):
    """The file is read until each audio stream gives a packet, however late: sound from 3 s in is copied, all of
    it, with no note."""
    clip = beep_clip(tmp_path / "cam.mkv", seconds=4, flashes=(3.5,), sound_from=3.0)
    result = cli(clip, "-o", tmp_path / "out.mkv", "--weights", weights, *RUN)
    assert result.returncode == 0 and "note" not in result.stderr, result.stderr
    assert audio_packets(tmp_path / "out.mkv")[1] == audio_packets(clip)[1] != []
