"""Every video stream of a file is enhanced: a dual-camera dashcam's rear camera (another size, rate and codec) as much
as its front one, each keeping its own timestamps, size, tags and flags, in the input's stream order; a cover picture
stays a cover; --start/--duration cut every stream alike; the estimate, the bar and the summary count every stream;
an interrupted run leaves no temporary file. ``--video-streams first`` keeps the others as they were."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import av
import numpy as np
import pytest

from enlight.stream.apps.pipeline import Interrupted, PipelineConfig, run
from enlight.stream.apps.workload import probe_workload
from enlight.stream.core.auto_quality import choose_quality
from enlight.stream.core.plan import make_plan
from enlight.stream.io.locations import input_location
from enlight.stream.io.track_tags import track_tags
from tests.media import make_clip
from tests.stream.test_auto_quality import INT8, TABLE
from tests.stream.test_side_tracks import _cover_png, _covers, _with_cover

FRONT, REAR = (64, 48), (32, 24)  # the rear camera: another size, a rate of 12 (the front's 24), MPEG-4 Part 2


def _dashcam(tmp_path, name: str = "dashcam.mkv", rear_frames: int = 12):
    """A dual-camera dashcam's file: [front H.264 (default, 1 s), its AAC sound, rear MPEG-4 tagged 'Rear', German]."""
    front = make_clip(tmp_path / "front.mp4", width=FRONT[0], height=FRONT[1], frames=24)
    rear = make_clip(tmp_path / "rear.mp4", width=REAR[0], height=REAR[1], frames=rear_frames, rate=12, audio=False,
                     codec="mpeg4", time_base=Fraction(1, 12000))  # (MPEG-4 takes no 1/90000)
    src = tmp_path / name
    with av.open(str(front)) as a, av.open(str(rear)) as b, av.open(str(src), "w") as out:
        streams = {(a, s.index): out.add_stream_from_template(s) for s in a.streams}
        streams[(b, 0)] = out.add_stream_from_template(b.streams.video[0])
        streams[(a, 0)].codec_context.framerate, streams[(b, 0)].codec_context.framerate = Fraction(24), Fraction(12)
        streams[(a, 0)].disposition = av.stream.Disposition.default
        streams[(b, 0)].metadata.update({"title": "Rear", "language": "ger"})
        for container in (a, b):
            for packet in container.demux():
                if packet.size:
                    packet.stream = streams[(container, packet.stream.index)]
                    out.mux(packet)
    return src


def _videos(path):
    """Of each video stream that is not a cover picture: (codec, size, its frames' times in ms, its frames' RGB,
    title, language, flags)."""
    found = []
    with av.open(str(path)) as c:
        streams = [s for s in c.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
        described = [(s.index, s.codec_context.name, (s.codec_context.width, s.codec_context.height),
                      track_tags(s).get("title"), s.metadata.get("language"), int(s.disposition)) for s in streams]
    for index, codec, size, title, language, flags in described:
        with av.open(str(path)) as c:
            stream = next(s for s in c.streams if s.index == index)
            frames = list(c.decode(stream))
            times = [round(float(f.pts * stream.time_base) * 1000) for f in frames]
            pictures = np.stack([f.to_ndarray(format="rgb24") for f in frames])
        found.append(dict(codec=codec, size=size, times=times, pictures=pictures, title=title, language=language,
                          flags=flags))
    return found


def _kinds(path):
    with av.open(str(path)) as c:
        return [s.type for s in c.streams]


def _hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_every_video_stream_is_enhanced_in_its_place(tmp_path, weights, cli, suffix):
    """The rear camera was copied as it was ('video stream #2 (mpeg4, 32x24) was copied as it is: only the first
    video stream is enhanced'), as dark as it was filmed: it is enhanced now, with its own size, rate and
    timestamps, its title, language and flags, in its place after the sound; the summary counts both streams."""
    src = _dashcam(tmp_path)
    out = tmp_path / f"out{suffix}"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best")
    assert result.returncode == 0, result.stderr
    assert "copied as it is" not in result.stderr
    summary = result.stderr_lines[-1]
    assert "36 frames in" in summary, summary
    assert "video stream #0: 24 frames" in summary and "video stream #2: 12 frames" in summary, summary
    assert _kinds(out) == _kinds(src) == ["video", "audio", "video"]
    (front_in, rear_in), (front_out, rear_out) = _videos(src), _videos(out)
    assert rear_out["codec"] == "h264" and rear_in["codec"] == "mpeg4"  # encoded again, not copied
    assert rear_out["size"] == REAR and front_out["size"] == FRONT
    assert rear_out["times"] == rear_in["times"] and front_out["times"] == front_in["times"]
    assert np.abs(rear_out["pictures"].astype(int) - rear_in["pictures"]).mean() > 2  # enhanced, not as it was
    assert (rear_out["title"], rear_out["language"]) == ("Rear", "ger")
    assert front_out["flags"] & av.stream.Disposition.default and not rear_out["flags"] & av.stream.Disposition.default
    assert _hidden(tmp_path) == []  # the rear camera's pass's file is gone


def test_a_part_cuts_every_video_stream_alike(tmp_path, weights, cli):
    """--start and --duration cut the rear camera where they cut the front one, both moved to the part's start."""
    src = _dashcam(tmp_path)
    out = tmp_path / "part.mkv"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best", "--start", "0.25", "--duration", "0.5")
    assert result.returncode == 0, result.stderr
    for before, after in zip(_videos(src), _videos(out), strict=True):
        assert after["times"] == [t - 250 for t in before["times"] if 250 <= t < 750], (before["times"], after)
    assert "18 frames in" in result.stderr_lines[-1]  # 12 of the front's, 6 of the rear's


def test_a_stream_that_ends_before_the_part_is_left_out_with_a_note(tmp_path, weights, cli):
    """A rear camera unplugged half way: a part after its end has the front camera alone, and a note says so (the
    rear's empty pass is no error)."""
    src = _dashcam(tmp_path, rear_frames=6)
    out = tmp_path / "part.mkv"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best", "--start", "0.75")
    assert result.returncode == 0, result.stderr
    assert "note: video stream #2 has no frame from 0.75 s to the end: the output has none of it" in result.stderr
    assert _kinds(out) == ["video", "audio"] and _hidden(tmp_path) == []


@pytest.mark.parametrize("args", [[], ["--segments", "2"]], ids=["one", "segments"])
def test_video_streams_first_copies_the_others_as_they_are(tmp_path, weights, cli, args):
    """``--video-streams first``: the front camera is enhanced, the rear one copied packet for packet, with a note
    that says why (once, with segments too)."""
    src = _dashcam(tmp_path)
    out = tmp_path / "out.mkv"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best", "--video-streams", "first", *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("video stream #2 (mpeg4, 32x24) was copied as it is: --video-streams first") == 1

    def rear_packets(path):
        with av.open(str(path)) as c:
            stream = [s for s in c.streams.video if s.codec_context.width == REAR[0]][0]
            return [(bytes(p), p.pts) for p in c.demux(stream) if p.size]

    assert len(rear_packets(out)) == 12 and rear_packets(out) == rear_packets(src)
    assert _kinds(out) == ["video", "audio", "video"]
    assert any("24 frames in" in line for line in result.stderr_lines)


def test_a_cover_picture_beside_two_video_streams_stays_a_cover(tmp_path, weights, cli):
    """An MP4 with a front and a rear camera and a cover picture: both cameras are enhanced, the cover is copied as
    the picture it was."""
    cover = _cover_png()
    src = _with_cover(_dashcam(tmp_path, "dashcam.mp4"), tmp_path / "covered.mp4", cover)
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best")
    assert result.returncode == 0, result.stderr
    assert _covers(out) == [("png", cover)]
    assert [v["codec"] for v in _videos(out)] == ["h264", "h264"] and [v["size"] for v in _videos(out)] == [FRONT, REAR]


def test_the_estimate_counts_every_video_stream(tmp_path):
    """--quality auto's first line counted the front camera's frames alone, at its size; the rear one's are work
    too, at theirs, and the choice is made for both."""
    src = _dashcam(tmp_path)
    workload = probe_workload(input_location(str(src)))
    assert workload.others == ((*REAR, 12),) and workload.all_frames == workload.frames + 12
    choice = choose_quality(workload, INT8, "cpu", TABLE)
    assert f"for {workload.frames + 12} frames of 2 video streams (64x48, 32x24) on this CPU" in choice.first_line
    alone = dict(choose_quality(replace(workload, others=()), INT8, "cpu", TABLE).seconds_per_frame)
    rear = 12 / workload.frames * REAR[0] * REAR[1] / (FRONT[0] * FRONT[1])  # its share of the front's work
    assert dict(choice.seconds_per_frame)["best"] == pytest.approx(alone["best"] * (1 + rear))
    assert probe_workload(input_location(str(src)), video_streams="first").others == ()


@pytest.mark.parametrize("stop_at, kept", [(1, False), (5, True)], ids=["rear's pass", "output's pass"])
def test_an_interrupted_run_keeps_no_temporary_file(tmp_path, weights, stop_at, kept):
    """Ctrl-C while the rear camera is enhanced keeps nothing; while the front one is (the output's pass), the part
    done is kept with both cameras' frames up to there. Either way no hidden file is left beside the output."""
    src = _dashcam(tmp_path)
    calls = []

    def stop(frames: int) -> None:
        calls.append(frames)
        if len(calls) == stop_at:
            raise KeyboardInterrupt

    config = PipelineConfig(input=src, output=tmp_path / "out.mkv", plan=make_plan(weights=weights), batch_size=4,
                            progress=False, on_frames=stop)
    with pytest.raises(Interrupted) as stopped:
        run(config)
    assert _hidden(tmp_path) == [] and not (tmp_path / "out.mkv").exists()
    assert (stopped.value.partial is not None) == kept
    if kept:
        assert len(_videos(stopped.value.partial)) == 2


@pytest.mark.parametrize("suffix", [".ts", ".mpg", ".avi"])
def test_an_output_that_cannot_hold_the_subtitles_is_refused_before_any_pass(tmp_path, suffix):
    """The refusal comes from the plan, before the rear camera's pass: it came at the output's pass, after enhancing
    every other video stream (a 10 s dual-camera clip with SRT into .avi: 6.3 s of work, then the same error)."""
    from enlight.errors import EnlightError
    from enlight.stream.apps.video_passes import plan_videos
    from enlight.stream.io.locations import output_location
    from tests.stream.test_container_fit import _with_text_subtitles

    subbed = _with_text_subtitles(_dashcam(tmp_path), tmp_path / "subbed.mkv", "subrip")
    output = output_location(str(tmp_path / f"out{suffix}"))
    with pytest.raises(EnlightError, match=f"{suffix} output cannot hold subtitle stream #3 \\(srt\\)"):
        plan_videos(input_location(str(subbed)), output)
    assert plan_videos(input_location(str(subbed)), output_location(str(tmp_path / "out.mkv"))).passes == (2,)
