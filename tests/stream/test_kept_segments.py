"""A long video in segments, stopped (Ctrl-C, a closed laptop, a crash), goes on when the same command is run again:
the segments finished are kept and only the others are enhanced. Every segment was done again."""

from __future__ import annotations

import av
import numpy as np

from tests.media import make_clip, read_video
from tests.stopping import stop_after

FRAMES = 600


def _run_args(clip, out, weights, *extra):
    return [clip, "-o", out, "--weights", weights, "--segments", "3", "--batch-size", "2", "--denoise", "off", *extra]


def test_a_stopped_segmented_run_goes_on_from_the_segments_it_had_not_finished(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "long.mp4", width=160, height=96, frames=FRAMES, gop=50, audio=True)
    one = tmp_path / "one.mp4"
    assert cli(clip, "-o", one, "--weights", weights, "--denoise", "off").returncode == 0
    out = tmp_path / "out.mp4"
    code, text = stop_after(_run_args(clip, out, weights), frames=int(0.75 * FRAMES), total=FRAMES)
    assert code == 130 and "Traceback" not in text, text
    folder = tmp_path / ".enlight-segments-out.mp4"
    finished = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert len(finished) >= 2 and not out.exists()
    # it said nothing at all; now what a plain run's Ctrl-C says: what was kept, and that the output was not touched
    assert (f"enlight-video: interrupted; {len(finished)} segments finished, kept in {folder}: the same command again "
            f"goes on from them; {out} left untouched") in text, text
    result = cli(*_run_args(clip, out, weights))
    assert result.returncode == 0, result.stderr
    assert f"{len(finished)} of 3 segments kept from the run that stopped" in result.stderr
    joined, single = read_video(out), read_video(one)
    assert joined["times"] == single["times"] and len(joined["times"]) == FRAMES
    assert joined["audio_packets"] == single["audio_packets"]
    gaps = [np.abs(a.astype(int) - b).mean() for a, b in zip(joined["images"], single["images"], strict=True)]
    assert max(gaps) < 2.0  # the warm-up at each join, as in an uninterrupted run of segments
    assert not folder.exists()
    assert not (tmp_path / ".enlight-manifest.jsonl").exists()  # the stopped run's, for this file only: it stayed


def test_parts_of_other_settings_are_not_taken(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "long.mp4", width=160, height=96, frames=FRAMES, gop=50, audio=False)
    out = tmp_path / "out.mp4"
    code, _ = stop_after(_run_args(clip, out, weights), frames=int(0.75 * FRAMES), total=FRAMES)
    assert code == 130
    result = cli(*_run_args(clip, out, weights, "--detail", "0"))  # another picture: nothing kept
    assert result.returncode == 0, result.stderr
    assert "kept from the run that stopped" not in result.stderr
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == FRAMES


def test_the_numbered_pictures_quality_is_not_part_of_a_segment_s_key(tmp_path):
    """EncoderConfig.picture_quality (--photo-quality for -o f_%04d.jpg) changes no segment's video: a segments run
    stopped before it existed, or run with another --photo-quality, keeps its finished segments."""
    from dataclasses import replace

    from enlight.stream.apps.kept_segments import segments_key
    from enlight.stream.apps.tasks import Segment, Settings

    clip = make_clip(tmp_path / "clip.mp4", frames=2, audio=False)
    parts = [Segment(index=0, count=1, start_pts=None, end_pts=None, warm_pts=None, frames=2)]
    plain = Settings()
    pictures = replace(plain, encoder=replace(plain.encoder, picture_quality=30))
    crf = replace(plain, encoder=replace(plain.encoder, crf=30))
    key = segments_key(clip, parts, plain, ".mp4")
    assert segments_key(clip, parts, pictures, ".mp4") == key != segments_key(clip, parts, crf, ".mp4")


def test_a_segmented_run_on_workers_stopped_leaves_no_temporary_beside_the_segments_kept(tmp_path, weights, cli):
    """With --jobs (or --ray) the workers stopped mid-segment left their segments' hidden temporary files
    (.0004.enlight-4ac5004a.mp4) in the folder of segments kept for the next run."""
    clip = make_clip(tmp_path / "long.mp4", width=160, height=96, frames=FRAMES, gop=50, audio=False)
    out = tmp_path / "out.mp4"
    code, text = stop_after(_run_args(clip, out, weights, "--jobs", "2"), frames=FRAMES // 2, total=FRAMES)
    assert code == 130, text
    left = sorted(p.name for p in (tmp_path / ".enlight-segments-out.mp4").iterdir())
    assert [name for name in left if name.startswith(".")] == [".enlight-segments.json"], left


def test_a_plain_run_that_writes_the_whole_output_removes_the_segments_a_stopped_one_kept(tmp_path, weights, cli):
    """A --segments run stopped keeps its finished segments in .enlight-segments-out.mp4; the same output then written
    whole by a run without --segments left that hidden folder (a long recording's segments: gigabytes) for good."""
    clip = make_clip(tmp_path / "clip.mp4", width=160, height=96, frames=6, audio=False)
    out = tmp_path / "out.mp4"
    folder = tmp_path / ".enlight-segments-out.mp4"
    folder.mkdir()
    (folder / ".enlight-segments.json").write_text('{"key": "of a stopped run"}')
    (folder / "0000.mp4").write_bytes(b"a finished segment")
    result = cli(clip, "-o", out, "--weights", weights, "--denoise", "off")
    assert result.returncode == 0, result.stderr
    assert len(read_video(out)["times"]) == 6
    assert not folder.exists()
    assert "removed .enlight-segments-out.mp4, the segments a stopped --segments run had kept" in result.stderr
