"""Text subtitles the output's kind of file cannot hold as they are (SRT in .mp4, mov_text in .mkv, either in
.webm) are converted cue by cue into its own text format, their words, times, language kept, as FFmpeg does by
default: the run was refused before."""

from __future__ import annotations

import re
from fractions import Fraction

import av
import pytest

from tests.media import make_clip
from tests.stream.test_container_fit import _with_text_subtitles


def cues(path) -> list[tuple[str, float, float, str]]:
    """(text, start s from the video's start, duration s, language) of each cue of the first subtitle stream, as a
    player decodes it."""
    out = []
    with av.open(str(path)) as c:
        stream = c.streams.subtitles[0]
        video = c.streams.video[0]
        zero = float(video.start_time * video.time_base)
        for packet in c.demux(stream):
            if not packet.size:
                continue
            cue = stream.codec_context.decode2(packet)
            if cue is None or not cue.rects:  # (MP4 writes an empty sample for each gap between cues)
                continue
            # (the words; a mov_text source's default colour comes along as an ASS override tag: {\c&H0&})
            text = re.sub(r"\{[^}]*\}", "", " ".join(rect.dialogue.decode() for rect in cue.rects))
            out.append((text, float(packet.pts * packet.time_base) - zero, float(packet.duration * packet.time_base),
                        stream.metadata.get("language")))
        return out


@pytest.mark.parametrize("name, codec, output, encoder, args", [
    ("subbed.mkv", "subrip", "out.mp4", "mov_text", []),
    ("subbed.mp4", "mov_text", "out.mkv", "subrip", []),
    ("subbed.mkv", "subrip", "out.webm", "webvtt", []),
    ("subbed.mkv", "subrip", "joined.mp4", "mov_text", ["--segments", "2"]),  # the segments' join converts too
])
def test_text_subtitles_are_converted_to_what_the_output_holds(tmp_path, weights, cli, name, codec, output,
                                                              encoder, args):
    clip = make_clip(tmp_path / "a.mp4", frames=12, rate=24, gop=6, audio=not output.endswith(".webm"))
    src = _with_text_subtitles(clip, tmp_path / name, codec)
    out = tmp_path / output
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast", *args)
    assert result.returncode == 0, result.stderr
    assert f"was converted to {encoder}" in result.stderr and "text and timing kept" in result.stderr
    with av.open(str(out)) as c:
        assert [s.codec_context.name for s in c.streams.subtitles] == [{"subrip": "srt"}.get(encoder, encoder)]
        assert [s.type for s in c.streams if s.type != "audio"] == ["video", "subtitle"]
    got = cues(out)
    assert [text for text, *_ in got] == ["Hallo Nacht", "Bis bald"]
    second = 0.15 if codec == "subrip" else 0.2  # the source's cues (test_container_fit._subtitles)
    assert [(round(start, 3), round(length, 3)) for _, start, length, _ in got] == [(0.0, 0.2), (0.25, second)]
    assert {language for *_, language in got} == {"ger"}


def test_a_track_whose_average_rate_is_faster_than_its_time_base_runs_at_its_real_rate(tmp_path, weights, cli):
    """A Matroska video track without a default duration (as PyAV's remux writes it) reports 30000 fps on a 1 ms
    time base: the VP9 encoder refused the frames (an internal error) and --quality auto counted 15000 frames."""
    from enlight.stream.io.source import VideoSource

    src = _with_text_subtitles(make_clip(tmp_path / "a.mp4", frames=12, rate=24, audio=False), tmp_path / "s.mkv",
                               "subrip")
    with av.open(str(src)) as c:
        assert c.streams.video[0].average_rate > 1000  # the file as such tracks are
    with VideoSource(src) as source:
        assert source.info.average_rate == 24 and source.info.frame_count == 12
    result = cli(src, "-o", tmp_path / "out.webm", "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr


def _chapters(bounds_ms):
    """PyAV's dicts of a chapter between each two of ``bounds_ms``."""
    return [{"id": i, "start": bounds_ms[i], "end": bounds_ms[i + 1], "time_base": Fraction(1, 1000),
             "metadata": {"title": f"C{i}"}} for i in range(len(bounds_ms) - 1)]


def test_subtitles_beside_as_many_chapters_as_their_samples_are_kept(tmp_path, weights, cli):
    """An MP4's mov_text track of two cues is four samples (with the empty one in the gap between them and one at
    its end); beside four chapters it was taken for the chapter track and left out of the output without a note
    (FFmpeg reads that track here as a data stream of its own)."""
    clip = make_clip(tmp_path / "a.mp4", frames=12, rate=24, audio=False)
    src = _with_text_subtitles(clip, tmp_path / "chaptered.mp4", "mov_text", _chapters([0, 100, 200, 300, 500]))
    with av.open(str(src)) as c:
        assert [s.frames for s in c.streams.subtitles] == [len(c.chapters())] == [4]
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0 and "not copied" not in result.stderr, result.stderr
    with av.open(str(out)) as c:
        assert [s.codec_context.name for s in c.streams.subtitles] == ["mov_text"]
        assert [ch["metadata"]["title"] for ch in c.chapters()] == ["C0", "C1", "C2", "C3"]
    assert [(text, language) for text, _, _, language in cues(out)] == [("Hallo Nacht", "ger"), ("Bis bald", "ger")]
