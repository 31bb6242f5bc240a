"""Damaged recordings: what decodes is kept (frames with their own timestamps, surviving audio),
the loss is said in one warning line and exit code 3; a file with nothing decodable is exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import av
import pytest

from enlight.cli.common import EXIT_USAGE
from enlight.cli.video import EXIT_DAMAGED, main
from enlight.stream.io.source import VideoSource
from tests.media import dark_frames, make_clip, read_video

FRAMES = 60
WARNING = re.compile(r"^enlight-video: warning: the input is damaged.*: (\d+) packets? lost \(([^)]*)\), "
                     r"(\d+) of (\d+) frames lost")


def _mdat(data: bytes) -> tuple[int, int]:
    """The payload byte range of an MP4's mdat box."""
    at = data.index(b"mdat")
    return at + 4, at - 4 + int.from_bytes(data[at - 4 : at], "big")


def _packets(path: Path) -> list[tuple[str, int, int, int, bytes]]:
    """(type, pts in the stream's time base, pos, size, bytes) of every non-empty packet."""
    with av.open(str(path)) as container:
        return [(p.stream.type, p.pts, p.pos, p.size, bytes(p)) for p in container.demux() if p.size]


def _decodable(path: Path) -> tuple[list[float], int]:
    """What FFmpeg keeps of a damaged file: the pts (seconds) of every frame that decodes when
    rejected packets are skipped, and how many video packets were rejected."""
    times, rejected = [], 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            try:
                times += [float(f.pts * stream.time_base) for f in packet.decode()]
            except av.error.FFmpegError:
                rejected += 1
    return times, rejected


def _output(path: Path) -> tuple[list[float], list[tuple[float, bytes]]]:
    """An output's frame times and its audio packets as (pts in seconds, bytes)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(f.pts * stream.time_base) for f in container.decode(stream)]
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        packets = [(float(p.pts * audio.time_base), bytes(p)) for p in container.demux(audio) if p.size]
    return times, packets


def _enhance(capsys, src: Path, out: Path, weights: Path) -> tuple[int, list[str]]:
    code = main([str(src), "-o", str(out), "--weights", str(weights), "-q"])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, lines


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("damaged") / "whole.mp4", frames=FRAMES, faststart=True)


@pytest.fixture(scope="module")
def damaged(whole):
    """3,000 zeroed bytes in the middle of the mdat, over several video and audio packets."""
    data = bytearray(whole.read_bytes())
    start, end = _mdat(bytes(data))
    hole = ((start + end) // 2 - 1500, (start + end) // 2 + 1500)
    data[hole[0] : hole[1]] = bytes(hole[1] - hole[0])
    path = whole.with_name("damaged.mp4")
    path.write_bytes(bytes(data))
    return path, hole


def test_damage_in_the_middle_keeps_every_decodable_frame_and_the_surviving_audio(damaged, whole, weights,
                                                                                     tmp_path, capsys):
    path, (lo, hi) = damaged
    src = _packets(whole)
    hit = [p for p in src if p[2] < hi and p[2] + p[3] > lo]
    assert any(p[0] == "video" for p in hit) and any(p[0] == "audio" for p in hit), "the damage must hit both"
    expected, rejected = _decodable(path)
    assert rejected > 0 and 0 < len(expected) < FRAMES  # what FFmpeg (PyAV, skipping) makes of it

    out = tmp_path / "day.mp4"
    code, lines = _enhance(capsys, path, out, weights)
    assert code == EXIT_DAMAGED == 3, lines
    assert out.exists() and [p.name for p in tmp_path.iterdir()] == ["day.mp4"]
    times, audio = _output(out)

    # every decodable frame, with its own timestamp: before and after the damage
    assert len(times) == len(expected)
    assert all(abs(a - b) < 1e-3 for a, b in zip(times, expected, strict=True))
    with av.open(str(whole)) as container:
        tb = container.streams.video[0].time_base
    damaged_times = [float(p[1] * tb) for p in hit if p[0] == "video"]
    assert min(times) < min(damaged_times) and max(times) > max(damaged_times)
    assert max(times) == pytest.approx((FRAMES - 1) / 24, abs=1e-3)  # the last frame is there

    # the audio that survived, packet for packet, at its own time; damaged packets dropped
    with av.open(str(whole)) as container:
        atb = container.streams.audio[0].time_base
    src_audio = [(float(p[1] * atb), p[4]) for p in src if p[0] == "audio"]
    intact = [a for a, p in zip(src_audio, (p for p in src if p[0] == "audio"), strict=True)
              if not (p[2] < hi and p[2] + p[3] > lo)]
    assert set(audio) <= set(src_audio)
    assert audio == [a for a in src_audio if a in set(audio)]  # in order
    assert set(intact) <= set(audio) and len(audio) < len(src_audio)

    # one warning line with the counts
    warnings = [line for line in lines if line.startswith("enlight-video: warning:")]
    assert len(warnings) == 1 and len(lines) == 1, lines
    match = WARNING.match(warnings[0])
    assert match, warnings[0]
    packets, kinds, frames, of = (int(match[1]), match[2], int(match[3]), int(match[4]))
    assert f"{rejected} video" in kinds and f"{len(src_audio) - len(audio)} audio" in kinds
    assert packets == rejected + len(src_audio) - len(audio)
    assert (frames, of) == (FRAMES - len(expected), FRAMES)


def test_summary_and_warning_without_quiet(damaged, weights, tmp_path, capsys):
    path, _ = damaged
    code = main([str(path), "-o", str(tmp_path / "o.mkv"), "--weights", str(weights)])
    lines = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if line.strip()]
    assert code == EXIT_DAMAGED
    assert WARNING.match(lines[-1]) and "frames in" in lines[-2], lines[-2:]
    assert sum(line.startswith("enlight-video: warning:") for line in lines) == 1


def test_cut_short_keeps_the_frames_before_the_cut(whole, weights, tmp_path, capsys):
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.7)])
    expected, _ = _decodable(cut)
    with av.open(str(whole)) as container:
        stream = container.streams.video[0]
        all_times = sorted(float(f.pts * stream.time_base) for f in container.decode(stream))
    assert 0 < len(expected) < FRAMES
    assert set(expected) <= set(all_times)  # the first frames up to the cut (B-frames: give or take the last)
    assert set(all_times[: len(expected) - 2]) <= set(expected)

    out = tmp_path / "day.mp4"
    code, lines = _enhance(capsys, cut, out, weights)
    assert code == EXIT_DAMAGED, lines
    times, audio = _output(out)
    assert all(abs(a - b) < 1e-3 for a, b in zip(times, expected, strict=True)) and len(times) == len(expected)
    whole_audio = [p[4] for p in _packets(whole) if p[0] == "audio"]
    assert [p for _, p in audio] == whole_audio[: len(audio)] and len(audio) > len(whole_audio) // 2
    assert len(lines) == 1 and "cut short" in lines[0], lines
    match = WARNING.match(lines[0])
    assert match and (int(match[3]), int(match[4])) == (FRAMES - len(expected), FRAMES), lines[0]


def test_nothing_decodable_is_still_an_error(whole, weights, tmp_path, capsys):
    data = bytearray(whole.read_bytes())
    start, end = _mdat(bytes(data))
    data[start:end] = bytes(end - start)
    blank = tmp_path / "blank.mp4"
    blank.write_bytes(bytes(data))
    out = tmp_path / "o.mp4"
    code, lines = _enhance(capsys, blank, out, weights)
    assert code == EXIT_USAGE, lines
    assert len(lines) == 1 and lines[0].startswith("enlight-video: error: ") and "no decodable frames" in lines[0]
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["blank.mp4"]


def test_an_intact_file_reports_no_damage(whole):
    with VideoSource(whole) as source:
        frames = sum(1 for item in source if not isinstance(item, av.Packet))
    assert frames == FRAMES and source.damage is None


def test_source_counts_match_what_it_yields(damaged, whole):
    path, _ = damaged
    audio_in = sum(1 for p in _packets(whole) if p[0] == "audio")
    with VideoSource(path) as source:
        items = list(source)
    audio_out = sum(1 for item in items if isinstance(item, av.Packet))
    damage = source.damage
    assert damage is not None and not damage.cut_short
    assert damage.packets["audio"] == audio_in - audio_out
    assert damage.expected == FRAMES and damage.frames == FRAMES - (len(items) - audio_out)


def _frames_in(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


class _Pipe:
    """A file that cannot seek back, as a live recorder's pipe: the muxer writes the sizes it would fill in at
    the end as 'unknown'."""

    def __init__(self, file) -> None:
        self.file = file

    def write(self, data: bytes) -> int:
        return self.file.write(data)


def _live_matroska(path: Path, frames: int = FRAMES) -> Path:
    """A Matroska file written as a live recording is: through a pipe, its Segment size unknown."""
    with path.open("wb") as raw, av.open(_Pipe(raw), "w", format="matroska") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i, img in enumerate(dark_frames(frames, 64, 48)):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.mark.parametrize("suffix", [".mkv", ".webm"])
def test_a_matroska_file_cut_short_is_said_and_keeps_the_frames_before_the_cut(suffix, weights, tmp_path, capsys):
    webm = suffix == ".webm"
    whole = make_clip(tmp_path / f"whole{suffix}", frames=FRAMES, audio=not webm,
                      codec="libvpx-vp9" if webm else "libx264")
    code, lines = _enhance(capsys, whole, tmp_path / "whole_day.mp4", weights)
    assert code == 0 and lines == []  # complete: nothing to say
    data = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    expected, _ = _decodable(cut)
    assert 0 < len(expected) < FRAMES  # the Matroska demuxer just stops at the cut, without an error

    out = tmp_path / "day.mp4"
    code, lines = _enhance(capsys, cut, out, weights)
    assert code == EXIT_DAMAGED, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("enlight-video: warning: the input is damaged and cut short: "), lines
    assert f"{len(data) - len(cut.read_bytes())} bytes missing at its end" in lines[0]
    assert f"about {FRAMES - len(expected)} of {FRAMES} frames lost" in lines[0]  # from the header's duration
    assert _frames_in(out) == len(expected)


def test_a_live_matroska_recording_cut_short_says_nothing(weights, tmp_path, capsys):
    """A live recording's Segment has no size to compare with (nor a duration): no warning, true or false."""
    live = _live_matroska(tmp_path / "live.mkv")
    data = live.read_bytes()
    assert b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" in data[:100]  # the Segment's size: unknown
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    for path in (live, cut):
        out = tmp_path / f"{path.stem}_day.mp4"
        code, lines = _enhance(capsys, path, out, weights)
        assert code == 0 and lines == [], lines
        assert _frames_in(out) == len(_decodable(path)[0]) > 0


def test_frames_a_matroska_demuxer_skipped_are_counted_as_lost(tmp_path):
    """Zeroed stretches in a Matroska file: its demuxer skips whole clusters without a word, and the warning said
    '0 of 40 frames lost' of 75. The frame slots missing between the decoded frames' times are counted."""
    clip = make_clip(tmp_path / "cam.mp4", frames=75, gop=5, rate=25)
    mkv = tmp_path / "cam.mkv"
    with av.open(str(clip)) as src, av.open(str(mkv), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.size:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    data = bytearray(mkv.read_bytes())
    for at in range(len(data) // 3, 2 * len(data) // 3, 1500):
        data[at:at + 300] = bytes(300)
    mkv.write_bytes(bytes(data))
    with VideoSource(mkv) as source:
        decoded = sum(1 for item in source if not isinstance(item, av.Packet))
    damage = source.damage
    assert damage is not None and 10 < decoded < 65
    assert damage.expected == 75 and damage.frames == 75 - decoded


def test_an_input_cut_short_while_it_is_read_counts_what_its_index_had_beyond(tmp_path, weights):
    """A file truncated while the run read it (a copy or a download overwritten, a sync client) was told as '1 of 175
    frames lost': the packets past the new end were counted only as the run opened the file, when they were there. The
    file's end is looked at again where reading stops."""
    import os

    from tests.stopping import stop_after

    clip = make_clip(tmp_path / "night.mp4", width=160, height=96, frames=1500, audio=True, faststart=True)
    size = clip.stat().st_size
    code, text = stop_after([clip, "-o", tmp_path / "day.mkv", "--weights", weights, "--batch-size", "2"], frames=40,
                            total=1500, then=lambda: os.truncate(clip, size // 3))
    assert code == 3, text
    line = next(line for line in text.splitlines() if "the input is damaged" in line)
    lost, expected = (int(n) for n in re.search(r"(\d+) of (\d+) frames lost", line).groups())
    assert "cut short" in line and expected == 1500 and lost >= 800, line
    assert len(read_video(tmp_path / "day.mkv")["times"]) == 1500 - lost


def test_the_damage_line_counts_in_words_and_names_sound_only_where_some_was_lost():
    """A numbered-picture input with one unreadable picture said '1 packets lost (1 video) ... every decodable frame
    and the audio that survived were kept', of pictures that never had sound."""
    from enlight.stream.io.damage import Damage

    assert str(Damage({"video": 1}, 1, 10, False, read_errors=1)) == (
        "the input is damaged: 1 packet lost (1 video, 1 read error), 1 of 10 frames lost; every decodable frame was "
        "kept")
    assert str(Damage({"video": 2, "audio": 3}, 2, 60, True)).endswith(
        "5 packets lost (2 video, 3 audio), 2 of 60 frames lost; every decodable frame, and the sound that survived, "
        "was kept")
