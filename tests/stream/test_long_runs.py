"""What a long run meets and a short one does not: a folder of thousands of files, a batch whose progress goes to a
log, a live run left on all night. What the run keeps and does per file or per frame must not grow with how many
came before."""

from __future__ import annotations

import json
import time

import numpy as np
from PIL import Image

from enlight.stream.apps.batch import BatchConfig, collect, run_batch
from enlight.stream.apps.manifest import MANIFEST, remove_temporaries
from enlight.stream.apps.tasks import Settings
from enlight.stream.io.temporary import temporary_path
from tests.media import dark_frames, make_clip

FILES = 3000


def test_a_second_run_over_a_folder_of_thousands_of_done_photos_starts_at_once(tmp_path):
    """A second run over a folder of 10,000 photos done before spent 41 s listing the output folder at its start and
    as long at its end (each output's temporaries looked for with a listing of the whole folder), and 8 s matching
    the files to do against a list; 3,000 took 8 s in all. Now each folder is listed once: well under a second."""
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir(), out.mkdir()
    lines = []
    for i in range(FILES):
        photo = source / f"IMG_{i:05d}.jpg"
        photo.write_bytes(b"x")
        (out / photo.name).write_bytes(b"y")
        stat = photo.stat()
        lines.append(json.dumps({"input": str(photo), "size": stat.st_size, "mtime": stat.st_mtime, "status": "done"}))
    (out / MANIFEST).write_text("\n".join(lines) + "\n")
    killed = [temporary_path(out / "IMG_00007.jpg"), temporary_path(out / f"IMG_{FILES - 1:05d}.jpg")]
    for path in killed:
        path.write_bytes(b"half")
    pairs, ignored = collect(source, out)
    start = time.perf_counter()
    report = run_batch(BatchConfig(pairs=pairs, out_dir=out, progress=False, ignored=ignored))
    took = time.perf_counter() - start
    assert report.count("skipped") == FILES and not any(path.exists() for path in killed)
    assert took < 2.5, f"{took:.1f} s to skip {FILES} files done before"


def test_the_temporaries_of_many_outputs_are_found_by_their_exact_names(tmp_path):
    """One listing finds every output's temporaries, and only theirs: not another output's (a name that begins the
    same, another suffix), nor the output itself, in folders that exist or not."""
    out = tmp_path / "out"
    out.mkdir()
    mine = [out / "a.mp4", out / "a.b.mp4", out / "missing" / "c.jpg"]
    theirs = [out / "a.mkv", out / "ab.mp4", out / "a.enlight-x.mp4"]
    made = [temporary_path(path) for path in mine[:2] + theirs]
    for path in made + mine[:2]:
        path.write_bytes(b"half")
    assert remove_temporaries(mine) == 2
    assert [path.exists() for path in made] == [False, False, True, True, True] and mine[0].exists()


def test_a_batchs_progress_in_a_log_is_a_line_every_30_s_not_a_line_per_file(tmp_path, weights, capsys):
    """The batch's bar said 'files N/M' after each file with a redraw of its own: in a log (a file, a pipe, the
    journal) that was a line per file, 101 lines for 100 photos in 12 s, where a log gets a line every 30 s and one
    at the end. Now the count of files waits for the bar's next line."""
    source = tmp_path / "in"
    source.mkdir()
    for i, frame in enumerate(dark_frames(40, 32, 24)):
        Image.fromarray(frame).save(source / f"IMG_{i:04d}.png")
    pairs, ignored = collect(source, tmp_path / "out")
    settings = Settings(plan_options={"weights": weights, "backend": "torch", "device": "cpu"}, threads=1)
    report = run_batch(BatchConfig(pairs=pairs, out_dir=tmp_path / "out", settings=settings, ignored=ignored))
    lines = [line for line in capsys.readouterr().err.splitlines() if "frame" in line]
    assert report.count("done") == 40
    assert len(lines) <= 3 and lines[-1].startswith("100%") and "files 40/40" in lines[-1], lines


def test_a_live_run_keeps_no_value_per_frame_shown(tmp_path, weights):
    """A live run kept each shown frame's latency in a list, 33 bytes a frame, and copied it twice at the end for
    its median and 95th percentile: a webcam left on for a night (a million frames) held 33 MB more at its end than
    at its start, growing all along. Now a histogram of fixed size (22 KB) gives them, within 0.25%."""
    from enlight.stream.apps.latencies import BINS
    from enlight.stream.apps.live_mode import LiveConfig, run_live
    from enlight.stream.core.plan import make_plan

    clip = make_clip(tmp_path / "cam.mp4", width=32, height=32, frames=20, audio=False)
    plan = make_plan(weights=weights, backend="torch", device="cpu", live=True, denoise="off")
    stats = run_live(LiveConfig(source=str(clip), plan=plan, window=False, loop=True, fps=500.0, max_frames=60))
    assert stats.frames == stats.latencies.count == 60 and stats.latencies.counts.size == BINS
    assert 0 < stats.latency_percentile(50) <= stats.latency_percentile(95) < 5000
    assert f"median {stats.latency_percentile(50):.0f} ms" in stats.summary()


def test_the_latency_histogram_gives_the_percentiles_of_what_it_was_given():
    from enlight.stream.apps.latencies import BINS, Latencies

    values = np.random.default_rng(0).lognormal(3, 0.6, 100_000)  # about 20 ms, a tail to 200
    latencies = Latencies()
    for value in values:
        latencies.add(float(value))
    for q in (50, 95, 99):
        assert abs(latencies.percentile(q) / np.percentile(values, q) - 1) < 0.004
    assert latencies.count == len(values) and latencies.counts.size == BINS
    assert np.isnan(Latencies().percentile(50))


def test_the_exposure_floor_keeps_two_numbers_of_the_frames_it_could_not_lift_enough_not_one_a_frame():
    """``--exposure`` kept the mean luma each frame reached where the strongest lift fell short of the level, in a list
    (a night's live run or an hour's video of dark frames: one a frame), for the lowest and highest in its summary."""
    from enlight.stream.core.exposure import ExposureFloor

    floor = ExposureFloor(200)
    dark = np.zeros((8, 256), np.int64)
    dark[:, 3], dark[:4, 9] = 1000, 1000  # four frames black at 3, four with as much at 9 too
    for _ in range(2000):
        floor.powers(dark)
    assert floor.short == floor.seen == 16000 and floor.reached[0] < floor.reached[1]
    assert floor.describe().startswith("to 200: 16000 of 16000 frames lifted, 16000 of them only to about mean luma")
    assert sum(len(value) for value in vars(floor).values() if hasattr(value, "__len__")) <= 2
