"""--hdr keep never writes a 10-bit PQ/HLG source at 8 bits, and its note names the bits written."""

from __future__ import annotations

import av
import pytest

from ..media import make_clip

PQ = {"colorspace": 9, "color_range": 1, "color_primaries": 9, "color_trc": 16}


@pytest.mark.parametrize("name, args, start", [
    ("k4.mkv", ["--pix-fmt", "yuv420p"], "--pix-fmt yuv420p has 8 bits, and --hdr keep writes PQ video"),
    ("k4.webm", ["--codec", "libvpx-vp9"], "libvpx-vp9 here encodes at most 8 bits, and --hdr keep writes PQ video"),
])
def test_hdr_keep_refuses_8_bits(tmp_path, weights, cli, name, args, start):
    """--hdr keep --pix-fmt yuv420p wrote 8-bit HEVC under the note 'HDR is kept as 10-bit HEVC'; VP9 (8 bits only
    in this FFmpeg) wrote 8-bit PQ with a note on the pixel format only. The dark tones of 8-bit PQ band badly."""
    clip = make_clip(tmp_path / "pq.mp4", frames=3, audio=False, pix_fmt="yuv420p10le", color=PQ)
    result = cli(clip, "-o", tmp_path / name, "--weights", weights, "--hdr", "keep", *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    assert result.stderr_lines[0].startswith(f"enlight-video: error: {start}"), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pq.mp4"]


def test_hdr_keep_note_names_the_bits_written(tmp_path, weights, cli):
    """With a 10-bit format asked for, the file is 10-bit HEVC, as the note says."""
    clip = make_clip(tmp_path / "pq.mp4", frames=3, audio=False, pix_fmt="yuv420p10le", color=PQ)
    out = tmp_path / "k4.mkv"
    result = cli(clip, "-o", out, "--weights", weights, "--hdr", "keep", "--pix-fmt", "yuv420p10le")
    assert result.returncode == 0, result.stderr
    assert "HDR is kept (--hdr keep) as 10-bit HEVC" in result.stderr, result.stderr
    with av.open(str(out)) as container:
        video = container.streams.video[0].codec_context
        assert (video.name, video.pix_fmt, video.color_trc) == ("hevc", "yuv420p10le", 16)
