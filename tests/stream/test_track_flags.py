"""A track's flags (commentary, hearing impaired, ...) that the output's kind of file cannot hold get a note."""

from __future__ import annotations

import av
import pytest

from ..media import make_clip


def flagged_clip(tmp_path, flags: av.stream.Disposition, *, frames: int = 6, gop: int | None = None,
                 tags: dict | None = None):
    """A .mkv clip whose audio track carries ``flags`` (and ``tags``)."""
    plain = make_clip(tmp_path / "plain.mp4", frames=frames, gop=gop)
    src = tmp_path / "flagged.mkv"
    with av.open(str(plain)) as inp, av.open(str(src), "w") as out:
        copies = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        copies[inp.streams.audio[0].index].disposition = flags
        copies[inp.streams.audio[0].index].metadata.update(tags or {})
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = copies[packet.stream.index]
                out.mux(packet)
    return src


def audio_flags(path) -> av.stream.Disposition:
    with av.open(str(path)) as container:
        return container.streams.audio[0].disposition


def test_webm_says_it_drops_an_audio_tracks_commentary_and_hearing_impaired_flags(tmp_path, weights, cli):
    """FFmpeg's WebM muxer writes only 'default' and 'forced': the flags went without a word. A .mkv keeps them."""
    flags = av.stream.Disposition.comment | av.stream.Disposition.hearing_impaired
    src = flagged_clip(tmp_path, flags)
    assert audio_flags(src) & flags == flags
    webm, mkv = tmp_path / "out.webm", tmp_path / "out.mkv"
    result = cli(src, "-o", webm, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert not audio_flags(webm) & flags
    assert ("audio stream #1's commentary and hearing impaired flags were not kept: a .webm file cannot hold them (a "
            ".mkv output keeps them)") in result.stderr, result.stderr
    result = cli(src, "-o", mkv, "--weights", weights)
    assert result.returncode == 0 and "flags were not kept" not in result.stderr, result.stderr
    assert audio_flags(mkv) & flags == flags


COMMENT, HEARING, FORCED = (av.stream.Disposition.comment, av.stream.Disposition.hearing_impaired,
                            av.stream.Disposition.forced)


@pytest.mark.parametrize("name, flags, note", [
    ("out.mov", COMMENT | HEARING | FORCED, "audio stream #1's commentary, forced and hearing impaired flags were not "
                                            "kept: a .mov file cannot hold them (a .mkv output keeps them)"),
    ("out.ts", COMMENT | HEARING, "audio stream #1's commentary flag was not kept: a .ts file cannot hold it (a .mkv "
                                  "output keeps it)"),
    ("out.avi", FORCED, "audio stream #1's forced flag was not kept: a .avi file cannot hold it"),
    ("out.flv", HEARING, "audio stream #1's hearing impaired flag was not kept: a .flv file cannot hold it"),
    ("out.mp4", HEARING, "audio stream #1 was given the captions flag it did not have: a .mp4 file holds its flags "
                         "in a form that reads back so (a .mkv output keeps them as they were)"),
])
def test_every_kind_of_file_says_what_it_did_with_an_audio_tracks_flags(tmp_path, weights, cli, name, flags, note):
    """.mov, .avi and .flv dropped an audio track's commentary, hearing impaired and forced flags, MPEG-TS all but
    hearing (and visually) impaired, and MP4 read a hearing impaired track back as captions too: all without a word
    (only Matroska and WebM were tried, on a video track)."""
    src = flagged_clip(tmp_path, flags)
    out = tmp_path / name
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert f"enlight-video: note: {note}" in result.stderr, result.stderr
    kept = audio_flags(out)
    assert kept & flags != flags or kept & ~flags & av.stream.Disposition.captions  # (what the note says is so)


def test_a_subtitle_tracks_forced_flag_lost_in_a_mov_file_gets_a_note(tmp_path, weights, cli):
    from tests.stream.test_container_fit import _subtitles

    flagged = tmp_path / "forced.mkv"
    with av.open(str(make_clip(tmp_path / "plain.mp4", frames=6))) as inp, av.open(str(flagged), "w") as out:
        copies = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        cues = _subtitles(out, "subrip", tmp_path)
        out.streams.subtitles[0].disposition = FORCED
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = copies[packet.stream.index]
                out.mux(packet)
        out.mux(cues)
    result = cli(flagged, "-o", tmp_path / "out.mov", "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert "subtitle stream #2's forced flag was not kept: a .mov file cannot hold it (a .mkv output keeps it)" \
        in result.stderr, result.stderr


def test_the_segments_join_says_what_a_mov_file_did_with_the_flags(tmp_path, weights, cli):
    """The join copies the audio (PassedStreams) after the parts are enhanced: its file is read back too."""
    src = flagged_clip(tmp_path, COMMENT, frames=18, gop=6)
    result = cli(src, "-o", tmp_path / "out.mov", "--weights", weights, "--quality", "fast", "--segments", "2")
    assert result.returncode == 0, result.stderr
    assert "audio stream #1's commentary flag was not kept: a .mov file cannot hold it" in result.stderr, result.stderr


@pytest.mark.parametrize("name, note", [
    ("out.ts", "audio stream #1's title (Director) was not kept: a .ts file cannot hold it (a .mkv output keeps it)"),
    ("out.avi", "audio stream #1's language (eng) was not kept: a .avi file cannot hold it (a .mkv output keeps it)"),
    ("out.flv", "audio stream #1's language (eng) and title (Director) were not kept: a .flv file cannot hold them "
                "(a .mkv output keeps them)"),
    ("out.mov", None), ("out.webm", None),
])
def test_a_tracks_language_and_title_lost_by_the_output_get_a_note(tmp_path, weights, cli, name, note):
    """MPEG-TS dropped an audio track's title, AVI its language, FLV, MXF and MPEG-PS both, without a word."""
    src = flagged_clip(tmp_path, av.stream.Disposition(0), tags={"language": "eng", "title": "Director"})
    result = cli(src, "-o", tmp_path / name, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr_lines if "language (" in line or "title (" in line]
    assert notes == ([f"enlight-video: note: {note}"] if note else []), result.stderr


@pytest.mark.parametrize("language, spelt", [("deu", "ger"), ("swe", "sve"), ("fre", "fra")])
def test_a_tracks_language_is_kept_in_a_mov_as_quicktime_spells_it(tmp_path, weights, cli, language, spelt):
    """FFmpeg's MOV muxer writes a language only from its table of QuickTime codes, which spells German 'ger' (a
    German DVB recording's is 'deu'), Swedish 'sve', French 'fra': the track's language was dropped, and a note
    said 'a .mov file cannot hold it'."""
    src = flagged_clip(tmp_path, av.stream.Disposition(0), tags={"language": language})
    out = tmp_path / "out.mov"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert not [line for line in result.stderr_lines if "language (" in line], result.stderr
    with av.open(str(out)) as c:
        assert c.streams.audio[0].language == spelt
