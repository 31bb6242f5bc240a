"""The batch as Ray tasks on a local cluster: a worker killed mid-task is retried by Ray, its partial
output discarded, and every file finishes exactly once. Skipped where ray is not installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enlight.stream.apps.batch import BatchConfig, run_batch
from enlight.stream.apps.manifest import MANIFEST
from enlight.stream.apps.tasks import CRASH_ONCE_ENV, Settings
from tests.media import make_clip, read_video

ray = pytest.importorskip("ray")


def test_ray_finishes_every_file_exactly_once_when_a_worker_dies(tmp_path, weights, monkeypatch):
    inputs = [make_clip(tmp_path / f"cam{i}.mp4", frames=5 + i, audio=i % 2 == 0) for i in range(4)]
    out = tmp_path / "out"
    marker = tmp_path / "crashed-once"
    monkeypatch.setenv(CRASH_ONCE_ENV, str(marker))  # the first task to write a batch kills its process
    settings = Settings(plan_options={"weights": weights, "backend": "torch", "device": "cpu"}, threads=1)
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)  # (not a cluster running here)
    try:
        report = run_batch(BatchConfig(pairs=[(p, out / p.name) for p in inputs], out_dir=out, settings=settings,
                                       ray="", progress=False))
    finally:
        ray.shutdown()
    assert marker.exists(), "no worker was killed"
    assert [r.status for r in report.rows] == ["done"] * 4, report.table()
    records = [json.loads(line) for line in (out / MANIFEST).read_text().splitlines()]
    done = [Path(r["input"]).name for r in records if r["status"] == "done"]
    assert sorted(done) == [p.name for p in inputs]  # each exactly once
    for i, source in enumerate(inputs):
        assert len(read_video(out / source.name)["times"]) == 5 + i
    # the killed attempt's temporary file was discarded
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, *(p.name for p in inputs)])


@pytest.mark.parametrize("address", ["127.0.0.1:1", "ray://127.0.0.1:1", "nosuchhost.invalid:6379"])
def test_an_address_nothing_answers_at_is_one_line_at_once(tmp_path, weights, address):
    """Ray itself retried such an address for minutes (a run was stopped after 8 min)."""
    import time

    from enlight.errors import EnlightError

    clip = make_clip(tmp_path / "cam.mp4", frames=2, audio=False)
    settings = Settings(plan_options={"weights": weights, "backend": "torch", "device": "cpu"}, threads=1)
    start = time.perf_counter()
    with pytest.raises(EnlightError, match="cannot reach the Ray cluster at .*nothing answers"):
        run_batch(BatchConfig(pairs=[(clip, tmp_path / "out" / "cam.mp4")], out_dir=tmp_path / "out",
                              settings=settings, ray=address, progress=False))
    assert time.perf_counter() - start < 15 and not ray.is_initialized()


def test_the_cli_runs_a_folder_on_a_local_ray_cluster_and_prints_only_its_own_lines(tmp_path, weights, cli):
    """`enlight-video FOLDER -o OUT --ray` starts a local cluster; Ray's notice that it is token-protected (what it
    should be) came out between the progress lines as a dated WARNING."""
    folder = tmp_path / "cams"
    folder.mkdir()
    for i in range(2):
        make_clip(folder / f"cam{i}.mp4", frames=4, audio=i == 0)
    out = tmp_path / "out"
    result = cli(folder, "-o", out, "--ray", "--weights", weights, "--device", "cpu", "--quiet", timeout=300)
    assert result.returncode == 0, result.stderr
    assert all(len(read_video(out / f"cam{i}.mp4")["times"]) == 4 for i in range(2))
    assert "Token authentication" not in result.stderr and "WARNING" not in result.stderr, result.stderr
