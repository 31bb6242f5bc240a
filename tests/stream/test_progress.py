"""The progress bar ends at the frames actually done, whatever the container's estimate said."""

import av
import numpy as np

from enlight.stream.apps.progress import FrameProgress
from enlight.stream.io.source import VideoSource


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
