"""A video's subtitle files (a DJI drone's per-frame flight log ``DJI_0001.SRT``, ``film.en.srt``) are copied beside
the enhanced video under its name, which players load them by; a folder run carries them with their video."""

from __future__ import annotations

import shutil

from enlight.stream.io.sidecars import sidecars
from tests.media import make_clip

FLIGHT_LOG = "1\n00:00:00,000 --> 00:00:00,040\nF/2.8, SS 100, ISO 3200, GPS (13.4, 52.5, 20), H 30.0m\n\n"


def test_which_files_are_a_videos_subtitles(tmp_path):
    names = ["clip.mp4", "clip.srt", "clip.en.srt", "clip.SRT", "clip.en.forced.ass", "clip.part2.mp4",
             "clip.part2.srt", "clip.txt", "other.srt", "clipper.srt", "clip.a.b.c.srt", "clip.x y.srt"]
    for name in names:
        (tmp_path / name).write_text("x")
    found = sorted(p.name for p in sidecars(tmp_path / "clip.mp4"))
    assert found == ["clip.SRT", "clip.en.forced.ass", "clip.en.srt", "clip.srt"]
    assert [p.name for p in sidecars(tmp_path / "clip.part2.mp4")] == ["clip.part2.srt"]


def test_one_video_takes_its_subtitles_along(tmp_path, weights, cli):
    src = tmp_path / "in"
    src.mkdir()
    clip = make_clip(src / "DJI_0001.MP4", frames=6)
    (src / "DJI_0001.SRT").write_text(FLIGHT_LOG)
    (src / "DJI_0001.de.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nNacht\n\n")
    out = tmp_path / "day.mp4"
    result = cli(clip, "-o", out, "--weights", weights, "-q")  # copied quietly too
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "day.SRT").read_text() == FLIGHT_LOG
    assert (tmp_path / "day.de.srt").read_text().endswith("Nacht\n\n")
    (tmp_path / "day.SRT").write_text("mine")
    result = cli(clip, "-o", out, "--weights", weights, "--force")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "day.SRT").read_text() == FLIGHT_LOG  # --force replaced it
    (tmp_path / "day.SRT").write_text("mine")
    other = tmp_path / "again.mp4"
    shutil.copy(tmp_path / "day.SRT", tmp_path / "again.SRT")
    result = cli(clip, "-o", other, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "again.SRT").read_text() == "mine"
    assert any("left again.SRT as it was" in line for line in result.stderr_lines), result.stderr
    assert any("copied its subtitle file beside it: again.de.srt" in line for line in result.stderr_lines)


def test_a_folder_carries_subtitles_with_their_video(tmp_path, weights, cli):
    src = tmp_path / "flights"
    src.mkdir()
    make_clip(src / "DJI_0001.MP4", frames=6)
    (src / "DJI_0001.SRT").write_text(FLIGHT_LOG)
    (src / "notes.txt").write_text("windy")
    (src / "lost.srt").write_text(FLIGHT_LOG)  # no video of that name: another file
    out = tmp_path / "day"
    result = cli(src, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert (out / "DJI_0001.SRT").read_text() == FLIGHT_LOG
    assert not (out / "lost.srt").exists()
    assert "2 other files ignored" in result.stderr, result.stderr
    assert any("copied its subtitle file beside it: DJI_0001.SRT" in line for line in result.stderr_lines)
