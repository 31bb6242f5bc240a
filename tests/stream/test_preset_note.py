"""A named --preset that the chosen encoder does not use gets a note, in the words of ``enlight.cli.unused``."""

from __future__ import annotations

import pytest

from ..media import make_clip

PQ = {"colorspace": 9, "color_range": 1, "color_primaries": 9, "color_trc": 16}


@pytest.mark.parametrize("name, args, note", [
    ("out.webm", ["--preset", "veryslow"], "--preset does nothing here: libvpx-vp9 has no speed preset (--codec "
                                           "libsvtav1 has one)"),
    ("out.mkv", ["--codec", "ffv1", "--preset", "ultrafast"], "--preset does nothing here: ffv1 has no speed preset"),
    ("hdr.webm", ["--hdr", "keep", "--preset", "slow"], "--preset slow does nothing here: the HDR kept in a .webm "
                                                        "file is encoded with libsvtav1, whose presets are numbers"),
])
def test_a_preset_the_encoder_has_none_of_is_named(tmp_path, weights, cli, name, args, note):
    """VP9, FFV1, ProRes, MPEG-2 ... wrote the same packets for ultrafast and veryslow, and SVT-AV1 (--codec auto's
    choice for HDR in a .webm) dropped x264's preset names, all without a word."""
    hdr = "--hdr" in args
    clip = make_clip(tmp_path / "in.mp4", frames=3, audio=False, pix_fmt="yuv420p10le" if hdr else "yuv420p",
                     color=PQ if hdr else None)
    result = cli(clip, "-o", tmp_path / name, "--weights", weights, *args)
    assert result.returncode == 0, result.stderr
    assert f"enlight-video: note: {note}" in result.stderr, result.stderr


def test_no_note_for_the_default_preset_or_one_that_is_used(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "in.mp4", frames=3, audio=False)
    for name, args in (("out.webm", ["--quality", "fast"]), ("out.mp4", ["--preset", "veryslow"])):
        result = cli(clip, "-o", tmp_path / name, "--weights", weights, *args)
        assert result.returncode == 0 and "--preset" not in result.stderr, result.stderr
