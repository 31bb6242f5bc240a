"""A camcorder's raw DV file (dvgrab's .dv, a tape transferred over FireWire): PAL 720x576 at 25 fps with its
timecode and stereo PCM sound, whose time base FFmpeg counts in ticks of 1/60000 s."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from enlight.stream.io.video_stream import frame_count, frame_rate
from tests.media import make_clip, read_video

FRAMES = 10


@pytest.fixture(scope="module")
def raw_dv(tmp_path_factory):
    """A raw .dv of 10 dark frames and 0.4 s of a 440 Hz tone. FFmpeg's demuxer reports its average rate as
    60000 fps (one frame a tick) beside the 25 it guesses; the DV muxer writes the stream's timecode."""
    path = tmp_path_factory.mktemp("dv") / "tape.dv"
    rng = np.random.default_rng(0)
    with av.open(str(path), "w", format="dv") as out:
        video = out.add_stream("dvvideo", rate=25)
        video.width, video.height, video.pix_fmt = 720, 576, "yuv420p"
        sound = out.add_stream("pcm_s16le", rate=48000, layout="stereo")
        tone = (3000 * np.sin(2 * np.pi * 440 * np.arange(FRAMES * 1920) / 48000)).astype(np.int16)
        for i in range(FRAMES):
            picture = (rng.random((576, 720, 3)) * 40).astype(np.uint8)
            out.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
            chunk = np.repeat(tone[i * 1920:(i + 1) * 1920], 2)[None]
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="stereo")
            frame.sample_rate, frame.pts = 48000, i * 1920
            out.mux(sound.encode(frame))
        out.mux(video.encode(None))
        out.mux(sound.encode(None))
    with av.open(str(path)) as check:
        stream = check.streams.video[0]
        assert stream.average_rate == 1 / stream.time_base != stream.guessed_rate == 25  # what the test is about
    return path


@pytest.mark.parametrize("suffix", [".mp4", ".mov"])
def test_a_raw_dv_file_is_enhanced_at_its_25_fps_with_its_timecode_and_sound(raw_dv, tmp_path, weights, cli, suffix):
    """A raw .dv's 60000 fps was taken for its frame rate: the MP4 and MOV muxers' timecode track was made at
    600 fps and refused when the file was closed ('cannot finish writing out.mp4: Invalid argument'), after all
    the work; the estimate counted 24,000 frames for 10, and --quality auto aimed at 30,000 fps."""
    out = tmp_path / f"out{suffix}"
    result = cli(raw_dv, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    video = read_video(out)
    assert len(video["times"]) == FRAMES
    assert video["times"][1] - video["times"][0] == Fraction(1, 25)
    with av.open(str(out)) as written:
        assert written.streams.video[0].average_rate == 25
        assert written.streams.video[0].metadata.get("timecode") == "00:00:00:00"
        sound = written.streams.audio[0]
        assert sum(frame.samples for frame in written.decode(sound)) == FRAMES * 1920


def test_a_raw_dv_files_plan_counts_its_frames_at_25_fps(raw_dv, tmp_path, cli):
    """The bundled presets' estimate (--weights gives none) of the frames and the rate --quality auto aims at."""
    result = cli(raw_dv, "-o", tmp_path / "out.mkv", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"for {FRAMES} frames at 720x576" in result.stderr + result.stdout
    assert "60000" not in result.stderr + result.stdout


def test_a_folder_of_camcorder_files_is_enhanced_not_ignored(raw_dv, tmp_path, cli, weights):
    """A folder of a camcorder's files, raw DV (.dv) and JVC's MPEG-2 (.MOD), said '0 done, 2 other files
    ignored'. They are videos now, written as NAME.EXT.mp4 (FFmpeg writes neither kind with H.264 in it)."""
    folder = tmp_path / "tapes"
    folder.mkdir()
    (folder / "tape.dv").write_bytes(raw_dv.read_bytes())
    make_clip(tmp_path / "mod.mpg", frames=6, rate=25, codec="mpeg2video",
              time_base=Fraction(1, 25), audio=False).rename(folder / "MOV001.MOD")
    result = cli(folder, "-o", tmp_path / "out", "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "2 done" in result.stderr and "0 other files ignored" in result.stderr
    assert len(read_video(tmp_path / "out" / "tape.dv.mp4")["times"]) == FRAMES
    assert len(read_video(tmp_path / "out" / "MOV001.MOD.mp4")["times"]) == 6


@pytest.fixture(scope="module")
def dv_avi(raw_dv, tmp_path_factory):
    """The raw .dv copied into an AVI as ``ffmpeg -i tape.dv -c copy tape.avi`` does: the muxer counts in slots of
    1/600 s, and writes an empty chunk for each of the 23 slots between two frames, 240 index entries for 10 frames."""
    path = tmp_path_factory.mktemp("dv_avi") / "tape.avi"
    with av.open(str(raw_dv)) as source, av.open(str(path), "w") as out:
        copies = {s.index: out.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = copies[packet.stream.index]
                out.mux(packet)
    with av.open(str(path)) as check:
        stream = check.streams.video[0]
        assert (stream.frames, stream.average_rate, stream.guessed_rate) == (24 * FRAMES, 600, 25)  # the test's case
    return path


def test_a_dv_avi_with_a_chunk_a_slot_is_counted_by_its_frames(dv_avi, tmp_path, cli):
    """The AVI's index of 240 chunks (230 of them empty) was taken for its frame count: the estimate counted 240
    frames for 10, 24 times the time, and the progress bar's total was 240 until the last frame."""
    with av.open(str(dv_avi)) as container:  # what the run's source counts, for the bar
        stream = container.streams.video[0]
        assert frame_count(stream, container, frame_rate(stream)) == FRAMES
    result = cli(dv_avi, "-o", tmp_path / "out.mp4", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"for {FRAMES} frames at 720x576" in result.stderr + result.stdout
