"""A track's flags (commentary, hearing impaired, ...) that the output's kind of file cannot hold get a note."""

from __future__ import annotations

import av

from ..media import make_clip


def flagged_clip(tmp_path, flags: av.stream.Disposition):
    """A .mkv clip whose audio track carries ``flags``."""
    plain = make_clip(tmp_path / "plain.mp4", frames=6)
    src = tmp_path / "flagged.mkv"
    with av.open(str(plain)) as inp, av.open(str(src), "w") as out:
        copies = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        copies[inp.streams.audio[0].index].disposition = flags
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
