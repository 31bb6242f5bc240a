"""Elementary streams as DVRs and IP cameras export them: a raw H.264 (.264) file runs at the frame rate its
bitstream states, not FFmpeg's assumed 25 fps (it played 20% slow), and a raw MJPEG stream (JPEG pictures back to
back) is a video, not 'a still image'."""

from __future__ import annotations

import io

import av
import numpy as np
from PIL import Image

from tests.media import dark_frames, read_video


def raw_h264(path, frames=12, rate=30):
    """An H.264 elementary stream (no container) of ``frames`` frames at ``rate`` fps, as x264 writes it (its
    timing in the SPS)."""
    with av.open(str(path), "w", format="h264") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i, img in enumerate(dark_frames(frames, 64, 48)):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def test_a_raw_h264_file_runs_at_the_rate_it_states(tmp_path, weights, cli):
    src = raw_h264(tmp_path / "dvr.264")
    with av.open(str(src)) as c:
        assert c.streams.video[0].average_rate == 25  # what FFmpeg assumes for a stream without timestamps
    result = cli(src, "-o", tmp_path / "out.mp4", "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    times = read_video(tmp_path / "out.mp4")["times"]
    assert len(times) == 12 and np.allclose(np.diff(times), 1 / 30, atol=1e-3)


def test_a_raw_mjpeg_stream_is_a_video_and_one_jpeg_is_not(tmp_path, weights, cli):
    """JFIF pictures back to back (each over FFmpeg's first probe), which FFmpeg reads with its image demuxer
    (``jpeg_pipe``): five frames, not one still."""
    rng = np.random.default_rng(0)
    pictures = []
    for img in dark_frames(5, 320, 240):
        buffer = io.BytesIO()
        Image.fromarray(np.clip(img + rng.integers(0, 30, img.shape), 0, 255).astype(np.uint8)).save(buffer, "JPEG")
        pictures.append(buffer.getvalue())
    stream = tmp_path / "ipcam.mjpeg"
    stream.write_bytes(b"".join(pictures))
    with av.open(str(stream)) as c:
        assert c.format.name == "jpeg_pipe"
    result = cli(stream, "-o", tmp_path / "out.mp4", "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert len(read_video(tmp_path / "out.mp4")["times"]) == 5
    single = tmp_path / "one.mjpeg"
    single.write_bytes(pictures[0])
    refused = cli(single, "-o", tmp_path / "one.mp4", "--weights", weights)
    assert refused.returncode == 2 and "is a still image" in refused.stderr, refused.stderr
