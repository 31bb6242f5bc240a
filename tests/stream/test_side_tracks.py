"""What a file carries beside its picture and sound is kept: a camera's telemetry track (GoPro GPMF, a
dashcam's GPS), a Matroska file's attachments (the fonts its styled subtitles are drawn with) and a phone's
reverse-DNS tags (where, when and with what it filmed); where the output's kind of file cannot hold a track
or attachment, a note says so and which kind would."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from tests.media import make_clip

TELEMETRY = [b"GPS5" + bytes([i]) * 12 for i in range(24)]
FONT = bytes(range(256)) * 40  # stands in for a .ttf: the bytes are copied, never read


def _with_telemetry(clip, path):
    """``clip`` remuxed into an MP4 with a data track of one GPMF-like packet per frame, tagged as a GoPro's."""
    with av.open(str(clip)) as src, av.open(str(path), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        data = out.add_data_stream("bin_data")
        data.time_base = Fraction(1, 24)
        data.metadata["handler_name"] = "GoPro MET"
        for packet in src.demux():
            if packet.size:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
        for i, payload in enumerate(TELEMETRY):
            packet = av.Packet(payload)
            packet.stream, packet.pts, packet.dts, packet.time_base = data, i, i, data.time_base
            packet.duration = 1
            out.mux(packet)
    return path


def _remuxed(clip, path, prepare):
    """``clip`` remuxed into ``path`` after ``prepare(out)`` added to it what is tested (before the header); the
    packets ``prepare`` returns are muxed after the clip's."""
    with av.open(str(clip)) as src, av.open(str(path), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        extra = prepare(out)
        for packet in src.demux():
            if packet.size:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
        for packet in extra:
            out.mux(packet)
    return path


def _with_font(clip, path):
    """``clip`` remuxed into Matroska with an attached font."""
    def add(out):
        out.add_attachment("NightSans.ttf", "application/x-truetype-font", FONT)
        return []

    return _remuxed(clip, path, add)


def _telemetry(path):
    with av.open(str(path)) as c:
        data = [s for s in c.streams if s.type == "data"]
        return [bytes(p) for p in c.demux(data[0]) if p.size] if data else None


def _attachments(path):
    with av.open(str(path)) as c:
        return [(s.name, s.mimetype, s.data) for s in c.streams if s.type == "attachment"]


@pytest.mark.parametrize("args", [[], ["--segments", "2"]], ids=["one", "segments"])
def test_a_telemetry_track_is_copied_or_named(tmp_path, weights, cli, args):
    clip = make_clip(tmp_path / "plain.mp4", frames=24)
    src = _with_telemetry(clip, tmp_path / "gopro.mp4")
    assert _telemetry(src) == TELEMETRY
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best", *args)
    assert result.returncode == 0, result.stderr
    assert "not copied" not in result.stderr
    assert _telemetry(out) == TELEMETRY  # every packet, bytes unchanged
    mkv = tmp_path / "out.mkv"  # Matroska has no data tracks: the run goes on, and says where it would be kept
    result = cli(src, "-o", mkv, "--weights", weights, "--quality", "best", *args)
    assert result.returncode == 0, result.stderr
    assert _telemetry(mkv) is None
    notes = [line for line in result.stderr_lines if "GoPro MET" in line]
    assert len(notes) == 1 and "was not copied" in notes[0] and ".mp4" in notes[0]


@pytest.mark.parametrize("args", [[], ["--segments", "2"]], ids=["one", "segments"])
def test_attached_fonts_are_kept_in_matroska(tmp_path, weights, cli, args):
    clip = make_clip(tmp_path / "plain.mp4", frames=24)
    src = _with_font(clip, tmp_path / "anime.mkv")
    assert _attachments(src) == [("NightSans.ttf", "application/x-truetype-font", FONT)]
    out = tmp_path / "out.mkv"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best", *args)
    assert result.returncode == 0, result.stderr
    assert "not copied" not in result.stderr
    assert _attachments(out) == _attachments(src)
    mp4 = tmp_path / "out.mp4"
    result = cli(src, "-o", mp4, "--weights", weights, "--quality", "best", *args)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr_lines if "NightSans.ttf" in line]
    assert len(notes) == 1 and "not copied" in notes[0] and ".mkv" in notes[0]


PHONE_TAGS = {"com.apple.quicktime.location.ISO6709": "+52.5200+013.4050+034.000/",
              "com.apple.quicktime.creationdate": "2026-11-30T22:14:05+0100",
              "com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 15"}


@pytest.mark.parametrize("suffix, args", [(".mov", []), (".mp4", []), (".mov", ["--segments", "2"])],
                         ids=["mov", "mp4", "mov-segments"])
def test_a_phones_location_date_and_model_tags_are_kept(tmp_path, weights, cli, suffix, args):
    """MP4/MOV muxers drop reverse-DNS keys unless asked to write them: the location, the local date and the
    camera of an iPhone video were lost."""
    clip = make_clip(tmp_path / "plain.mp4", frames=24)
    src = tmp_path / "IMG_0001.MOV"
    tagged = {"movflags": "use_metadata_tags"}  # as a phone writes them
    with av.open(str(clip)) as c, av.open(str(src), "w", format="mov", options=tagged) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in c.streams}
        out.metadata.update(PHONE_TAGS)
        for packet in c.demux():
            if packet.size:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    with av.open(str(src)) as c:
        assert PHONE_TAGS.items() <= dict(c.metadata).items()
    out = tmp_path / f"out{suffix}"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best", *args)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as c:
        assert PHONE_TAGS.items() <= dict(c.metadata).items()


@pytest.mark.parametrize("suffix, args", [(".mkv", []), (".mp4", []), (".mkv", ["--segments", "2"])],
                         ids=["mkv", "mp4", "mkv-segments"])
def test_the_video_streams_own_tags_and_flags_are_kept(tmp_path, weights, cli, suffix, args):
    """The enhanced stream's language, title and default flag (a dashcam's 'Front camera') were dropped."""
    def tag(out):
        video = out.streams.video[0]
        video.metadata.update({"title": "Front camera", "language": "deu"})
        video.disposition = av.stream.Disposition.default
        return ()

    src = _remuxed(make_clip(tmp_path / "plain.mp4", frames=24), tmp_path / "dashcam.mkv", tag)
    out = tmp_path / f"out{suffix}"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best", *args)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as c:
        video = c.streams.video[0]
        assert video.language == "deu" and video.disposition & av.stream.Disposition.default
        assert "Front camera" in (video.metadata.get("title"), video.metadata.get("name"))  # MP4 calls it name


@pytest.mark.parametrize("suffix, args", [(".mkv", []), (".mp4", []), (".webm", []), (".mkv", ["--segments", "2"])],
                         ids=["mkv", "mp4", "webm", "mkv-segments"])
def test_an_mp4s_track_names_are_kept(tmp_path, weights, cli, suffix, args):
    """An MP4's named tracks (an editor's 'Commentary' audio, a dashcam's 'Front camera'): FFmpeg reads an MP4
    track's name as a tag called 'name', not 'title', so the names were lost in an MP4 output and became a NAME
    tag, no track name, in a Matroska or WebM one (the audio converted to Opus there too)."""
    def tag(out):
        out.streams.video[0].metadata["title"] = "Front camera"
        out.streams.audio[0].metadata.update({"title": "Commentary", "language": "fra"})
        return ()

    src = _remuxed(make_clip(tmp_path / "plain.mp4", frames=24), tmp_path / "edited.mp4", tag)
    out = tmp_path / f"out{suffix}"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast", *args)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as c:
        names = [s.metadata.get("name" if suffix == ".mp4" else "title") for s in (c.streams.video[0],
                                                                                  c.streams.audio[0])]
        assert names == ["Front camera", "Commentary"], [dict(s.metadata) for s in c.streams]
        assert c.streams.audio[0].language == "fra"


def _cover_png() -> bytes:
    """A 48x32 PNG (a poster's red and blue halves)."""
    import io

    import numpy as np
    from PIL import Image

    picture = np.zeros((32, 48, 3), np.uint8)
    picture[:, :24, 0], picture[:, 24:, 2] = 200, 180
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def _with_cover(clip, path, cover: bytes):
    """``clip`` remuxed into MP4 with a cover picture (yt-dlp's --embed-thumbnail writes one so)."""
    def add(out):
        picture = out.add_stream("png")
        picture.width, picture.height, picture.pix_fmt = 48, 32, "rgb24"
        picture.disposition = av.stream.Disposition.attached_pic
        packet = av.Packet(cover)
        packet.stream = picture
        return [packet]

    return _remuxed(clip, path, add)


def _covers(path):
    """(codec, bytes) of each cover picture of ``path``, from either form (a cover stream, a Matroska attachment:
    FFmpeg reads an image attachment as a cover stream)."""
    with av.open(str(path)) as c:
        pictures = [s for s in c.streams.video if s.disposition & av.stream.Disposition.attached_pic]
        found = {p.stream.index: (p.stream.codec_context.name, bytes(p)) for p in c.demux(pictures) if p.size}
        return [found.get(s.index) for s in pictures]


@pytest.mark.parametrize("args", [[], ["--segments", "2"]], ids=["one", "segments"])
def test_a_cover_picture_is_kept_in_mp4_and_matroska(tmp_path, weights, cli, args):
    """A video's cover picture (an embedded thumbnail) was dropped with a note; .mov and .ts cannot hold one, and a
    note says which kinds of file do. A Matroska cover stays an attachment named as it was, in Matroska again."""
    cover = _cover_png()
    src = _with_cover(make_clip(tmp_path / "plain.mp4", frames=24), tmp_path / "podcast.mp4", cover)
    assert _covers(src) == [("png", cover)]
    mkv = tmp_path / "out.mkv"
    for out in (tmp_path / "out.mp4", mkv, tmp_path / "again.mkv"):
        result = cli(mkv if out.name == "again.mkv" else src, "-o", out, "--weights", weights, "--quality", "best",
                     *args)
        assert result.returncode == 0, result.stderr
        assert "not copied" not in result.stderr
        assert _covers(out) == [("png", cover)], out.name  # the bytes as they were: a poster is not enhanced
    with av.open(str(mkv)) as c:
        assert [s.metadata.get("filename") for s in c.streams.video[1:]] == ["cover.png"]
    for kind in (".mov", ".ts"):
        result = cli(src, "-o", tmp_path / f"out{kind}", "--weights", weights, "--quality", "best", *args)
        assert result.returncode == 0, result.stderr
        assert _covers(tmp_path / f"out{kind}") == []
        notes = [line for line in result.stderr_lines if "cover picture" in line]
        assert len(notes) == 1 and f"a {kind} output cannot hold it" in notes[0] and ".mkv" in notes[0], notes


def test_an_attached_font_in_a_webm_output_is_named_as_not_kept(tmp_path, weights, cli):
    """FFmpeg's WebM muxer took a font attachment and wrote none of it, with no word: a note now says so."""
    src = _with_font(make_clip(tmp_path / "plain.mp4", frames=8), tmp_path / "anime.mkv")
    out = tmp_path / "out.webm"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert _attachments(out) == []
    notes = [line for line in result.stderr_lines if "NightSans.ttf" in line]
    assert len(notes) == 1 and "a .webm output cannot hold attachments" in notes[0], result.stderr

