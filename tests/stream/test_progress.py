"""The progress bar ends at the frames actually done, whatever the container's estimate said."""

import re

import av
import numpy as np

from enlight.cli.video import main
from enlight.stream.apps.progress import FrameProgress
from enlight.stream.io.source import VideoSource
from tests.media import clip_with_edit_list


def clip_with_long_audio(path, frames: int = 12, audio_s: float = 2.0):
    """An MKV (no frame count in its header) whose audio runs 4x longer than its 12 video frames,
    so the estimate from the container's duration is far too high."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound = container.add_stream("aac", rate=48000, layout="mono")
        for i in range(frames):
            img = np.full((48, 64, 3), 10 + i, np.uint8)
            container.mux(video.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        container.mux(video.encode(None))
        for start in range(0, int(audio_s * 48000), 1024):
            chunk = np.zeros((1, 1024), np.float32)
            aframe = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            aframe.sample_rate, aframe.pts = 48000, start
            container.mux(sound.encode(aframe))
        container.mux(sound.encode(None))
    return path


def test_bar_drops_a_short_estimate_and_ends_at_the_frames_done():
    bar = FrameProgress(10, enabled=False)
    bar.advance(8)
    assert bar.total == 10
    bar.advance(4)  # past the estimate: no ETA rather than a wrong one
    assert bar.total is None
    bar.finish()
    assert bar.total == bar.done_frames == 12
    long = FrameProgress(1118, enabled=False)
    long.advance(1079)
    long.finish()
    assert long.total == 1079


def test_cli_bar_reaches_100_percent_when_the_header_overestimates(tmp_path, weights, cli):
    src = clip_with_long_audio(tmp_path / "clip.mkv")
    with VideoSource(src) as source:
        assert source.info.frame_count > 12  # the estimate the bar starts from is wrong
    result = cli(src, "-o", tmp_path / "out.mkv", "--weights", weights)
    assert result.returncode == 0, result.stderr
    bars = [line for line in result.stderr_lines if "frame/s" in line or "it/s" in line or "|" in line]
    assert bars and "100%" in bars[-1] and "12/12" in bars[-1], bars[-3:]


def test_bar_counts_the_frames_an_edit_list_shows_not_its_packets(tmp_path, weights, capsys):
    src = clip_with_edit_list(tmp_path / "trimmed.mp4")
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        assert stream.frames == 36 and sum(1 for _ in container.decode(stream)) == 26  # 10 packets hidden
    with VideoSource(src) as source:
        assert source.info.frame_count == 26 and sum(1 for _ in source) == 26 and source.damage is None
    out = tmp_path / "out.mp4"
    assert main([str(src), "-o", str(out), "--weights", str(weights)]) == 0
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 26
    bars = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if "frame/s" in line]
    counts = [tuple(map(int, m)) for line in bars for m in re.findall(r"\| *(\d+)/(\d+) \[", line)]
    assert counts and all(total == 26 for _, total in counts), bars  # from the first line on: 0/26, not 0/36
    assert counts[-1] == (26, 26)
