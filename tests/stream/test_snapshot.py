"""``enlight-video snapshot BEFORE AFTER -o PNG``: the two frames side by side, shown as players show them (a
phone's portrait clip upright: it was on its side), whatever kind of file the enhanced one is."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from tests.media import chaptered_clip, make_clip, sound_file


def png(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24")


def test_a_snapshot_puts_the_two_frames_side_by_side(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "night.mp4", width=64, height=48, frames=10, rate=10, audio=False)
    assert cli(clip, "-o", tmp_path / "day.mp4", "--weights", weights, "-q").returncode == 0
    result = cli("snapshot", clip, tmp_path / "day.mp4", "-o", tmp_path / "cmp.png", "--time", "0.5")
    assert result.returncode == 0, result.stderr
    picture = png(tmp_path / "cmp.png")
    assert picture.shape == (48, 64 + 8 + 64, 3)
    assert (picture[:, 64:72] == 255).all()  # the white gap
    assert picture[:, 72:].mean() > picture[:, :64].mean() + 3  # the enhanced one on the right


def test_a_portrait_phone_clip_is_shown_upright_beside_each_kind_of_output(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "phone.mp4", width=64, height=48, frames=10, rate=10, rotation=90, audio=False)
    for name in ("day.mp4", "day.avi"):  # the tag kept; the frames turned upright
        assert cli(clip, "-o", tmp_path / name, "--weights", weights, "-q").returncode == 0
        result = cli("snapshot", clip, tmp_path / name, "-o", tmp_path / f"{name}.png")
        assert result.returncode == 0, result.stderr
        picture = png(tmp_path / f"{name}.png")
        assert picture.shape == (64, 48 + 8 + 48, 3), name


def test_a_snapshot_past_the_end_says_so_and_bad_outputs_and_times_are_refused(tmp_path, weights, cli):
    """It wrote a PNG into whatever -o named (s.mp4, s.jpg: PNG bytes under the name), over an existing file
    without --force, took --time -1, and showed the last frame for --time 99 of a 1 s clip without a word."""
    clip = make_clip(tmp_path / "night.mp4", width=64, height=48, frames=10, rate=10, audio=False)
    out = tmp_path / "cmp.png"
    result = cli("snapshot", clip, clip, "-o", out, "--time", "99")
    assert result.returncode == 0, result.stderr
    assert "night.mp4 ends before 99 s: its last frame, at 0.90 s, is shown" in result.stderr, result.stderr
    before = out.read_bytes()
    for args, why in ((("-o", out), f"output exists: {out} (use --force to overwrite)"),
                      (("-o", tmp_path / "cmp.mp4"), "the output is a .png file, not cmp.mp4"),
                      (("-o", out, "--force", "--time", "-1"),
                       "--time takes seconds (90, 90.5) or a clock time (1:30, 01:30:00.5), not '-1'")):
        result = cli("snapshot", clip, clip, *args)
        assert result.returncode == 2 and len(result.stderr_lines) == 1 and why in result.stderr, result.stderr
    assert out.read_bytes() == before and not (tmp_path / "cmp.mp4").exists()
    assert cli("snapshot", clip, clip, "-o", out, "--force", "--time", "0.3").returncode == 0
    assert out.read_bytes() != before  # --force writes it again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp.png", "night.mp4"]  # no temporary left


def test_a_sound_file_given_as_either_video_is_refused_in_one_line(tmp_path, cli):
    """A voice memo (.m4a, no picture) as BEFORE or AFTER was 'cannot read a frame of voice.m4a: tuple index out of
    range' (Python's words for the missing video stream)."""
    clip = make_clip(tmp_path / "night.mp4", width=64, height=48, frames=4, rate=10, audio=False)
    sound = sound_file(tmp_path / "voice.m4a")
    for pair in ((sound, clip), (clip, sound)):
        result = cli("snapshot", *pair, "-o", tmp_path / "cmp.png")
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert "voice.m4a has no video stream: snapshot takes a video and its enhanced version" in result.stderr
        assert "tuple index" not in result.stderr and not (tmp_path / "cmp.png").exists()


def test_a_clip_of_wide_pixels_is_shown_at_its_shape_at_a_clock_time(tmp_path, cli):
    """A 162x98 clip of 4:3 pixels (shown 216x98) was put side by side at 162 px wide, squeezed; --time 00:00.4 was
    refused (--time: must be a number), though --start takes 1:30 and 01:30:00.5."""
    clip = chaptered_clip(tmp_path / "anam.mp4", frames=30, width=162, height=98, gop=30, chapter_ms=600,
                          sample_aspect=Fraction(4, 3))  # frame i is grey 10 + 2i, 25 a second
    result = cli("snapshot", clip, clip, "-o", tmp_path / "s.png", "--time", "00:00.4")
    assert result.returncode == 0, result.stderr
    picture = png(tmp_path / "s.png")
    assert picture.shape == (98, 216 + 8 + 216, 3)
    assert abs(picture[:, :216].mean() - 30) < 3 and abs(picture[:, 224:].mean() - 30) < 3  # frame 10, at 0.4 s
