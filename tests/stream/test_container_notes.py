"""What an output's kind of file cannot hold is said in one note, and the run goes on: chapters and the start
timecode, which MPEG-TS and AVI take without a word and drop."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from enlight.cli.video import main
from enlight.stream.io.muxer_trials import marks_not_kept
from tests.media import chaptered_clip

FRAMES = 25
TIMECODE = "01:02:03:04"


def _chaptered_clip(path: Path) -> Path:
    """An MP4 with two chapters and a start timecode (written as a timecode track), a keyframe every 5 frames
    (for --segments)."""
    return chaptered_clip(path, frames=FRAMES, width=64, height=48, gop=5, chapter_ms=500, timecode=TIMECODE)


def _marks(path: Path) -> tuple[list[str], bool, int]:
    """(chapter titles, whether a start timecode is there, frames) of a file."""
    with av.open(str(path)) as container:
        tags = [container.metadata, *(s.metadata for s in container.streams)]
        timecode = any(k.lower() == "timecode" and v == TIMECODE for t in tags for k, v in t.items())
        titles = [c["metadata"].get("title", "") for c in container.chapters()]
        frames = sum(1 for _ in container.decode(video=0))
    return titles, timecode, frames


def _run(capsys, src: Path, out: Path, weights: Path) -> tuple[int, list[str]]:
    code = main([str(src), "-o", str(out), "--weights", str(weights)])
    err = capsys.readouterr().err.replace("\r", "\n")
    return code, [line for line in err.splitlines() if ": note: " in line or ": error: " in line]


@pytest.mark.parametrize("suffix", [".ts", ".avi"])
def test_chapters_and_timecode_an_output_cannot_hold_are_said_in_one_note(suffix, tmp_path, weights, capsys):
    src = _chaptered_clip(tmp_path / "cctv.mp4")
    assert _marks(src) == (["Gate", "Yard"], True, FRAMES)
    out = tmp_path / f"out{suffix}"
    code, lines = _run(capsys, src, out, weights)
    assert code == 0, lines
    assert lines == [f"enlight-video: note: 2 chapters and the start timecode ({TIMECODE}) not kept: a {suffix} "
                     "output cannot hold them; a .mkv or .mov output keeps them"], lines
    assert _marks(out) == ([], False, FRAMES)  # what the note says: the frames are all there, the marks are not


def test_the_segments_join_says_the_chapters_it_cannot_hold(tmp_path, weights, capsys):
    src = _chaptered_clip(tmp_path / "cctv.mp4")
    code = main([str(src), "-o", str(tmp_path / "out.ts"), "--weights", str(weights), "--segments", "2"])
    table = capsys.readouterr().err.replace("\r", "\n")  # (the batch's table lists a file's notes under it)
    assert code == 0, table
    assert "note: 2 chapters not kept: a .ts output cannot hold them; a .mkv or .mov output keeps them" in table
    assert _marks(tmp_path / "out.ts") == ([], False, FRAMES)


@pytest.mark.parametrize("suffix", [".mkv", ".mov", ".mp4"])
def test_outputs_that_hold_chapters_and_timecode_keep_them_without_a_note(suffix, tmp_path, weights, capsys):
    src = _chaptered_clip(tmp_path / "cctv.mp4")
    out = tmp_path / f"out{suffix}"
    code, lines = _run(capsys, src, out, weights)
    assert code == 0 and lines == [], lines
    assert _marks(out) == (["Gate", "Yard"], True, FRAMES)


def test_the_note_names_only_what_is_lost():
    assert marks_not_kept("mxf", "libx264", ".mxf", 2, TIMECODE) == [
        "2 chapters not kept: a .mxf output cannot hold them; a .mkv or .mov output keeps them"]
    assert marks_not_kept("mpegts", "libx264", ".ts", 0, TIMECODE) == [
        f"the start timecode ({TIMECODE}) not kept: a .ts output cannot hold it; a .mkv or .mov output keeps it"]
    assert marks_not_kept("mpegts", "libx264", "mpegts", 1, None) == [
        "1 chapter not kept: a mpegts output cannot hold it; a .mkv or .mov output keeps it"]
    assert marks_not_kept("matroska", "libx264", ".mkv", 2, TIMECODE) == []
    assert marks_not_kept("mpegts", "libx264", ".ts", 0, None) == []


def _tagged_clip(path: Path) -> Path:
    """An MP4 with a title, an artist, a comment and the date it was filmed in its container tags."""
    from tests.media import make_clip

    clip = make_clip(path.with_name("plain.mp4"), frames=6)
    with av.open(str(clip)) as source, av.open(str(path), "w") as out:
        out.metadata.update({"title": "Night walk", "artist": "Ana", "comment": "pier",
                             "creation_time": "2024-05-01T20:15:00.000000Z"})
        streams = {s.index: out.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if packet.size:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    return path


@pytest.mark.parametrize(("suffix", "note"), [
    (".ts", "4 tags of the file (creation_time, title, artist, comment) not kept: a .ts output cannot hold them; "
            "a .mkv output keeps them"),
    (".avi", "1 tag of the file (creation_time) not kept: a .avi output cannot hold it; a .mkv output keeps it"),
    (".mkv", None), (".mp4", None), (".ogv", None)])
def test_container_tags_an_output_cannot_hold_are_said(suffix, note, tmp_path, weights, cli):
    """A phone's or an editor's title, artist, comment and the date filmed: MPEG-TS holds none of them and AVI not
    the date, and FFmpeg's muxers dropped them without a word. Ogg holds them as its streams' comments, read back
    so: they are kept there (it was said they were not)."""
    src = _tagged_clip(tmp_path / "walk.mp4")
    out = tmp_path / f"day{suffix}"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr_lines if "of the file" in line]
    assert notes == ([f"enlight-video: note: {note}"] if note else []), result.stderr


def test_an_ogg_output_keeps_chapters_beside_its_audio_and_says_so_only_where_it_drops_them(tmp_path, weights, cli):
    """A .ogv output with Opus audio kept the chapters (Ogg writes them in an audio stream's comments), under a note
    that said they were not kept (a trial of VP8 video alone has none); without audio it drops them, and says so."""
    from fractions import Fraction

    from tests.media import make_clip

    for name, audio in (("sound", True), ("mute", False)):
        src = tmp_path / f"{name}.mkv"
        with av.open(str(make_clip(tmp_path / f"{name}.mp4", frames=6, audio=audio))) as inp, \
                av.open(str(src), "w") as out:
            copies = {s.index: out.add_stream_from_template(s) for s in inp.streams}
            out.set_chapters([{"id": i, "start": 100 * i, "end": 100 * (i + 1), "time_base": Fraction(1, 1000),
                               "metadata": {"title": title}} for i, title in enumerate(("Gate", "Yard"))])
            for packet in inp.demux():
                if packet.dts is not None:
                    packet.stream = copies[packet.stream.index]
                    out.mux(packet)
        result = cli(src, "-o", tmp_path / f"{name}.ogv", "--weights", weights, "--quality", "fast")
        assert result.returncode == 0, result.stderr
        titles = _marks(tmp_path / f"{name}.ogv")[0]
        said = "2 chapters not kept: a .ogv output cannot hold them" in result.stderr
        assert (titles == ["Gate", "Yard"] and not said) if audio else (titles == [] and said), (titles, result.stderr)
