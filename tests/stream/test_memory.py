"""Batches and buffers shrink with the frame size; what cannot fit is refused in one line."""

import re
import subprocess
import sys

import av
import numpy as np
import pytest

from enlight.errors import EnlightError
from enlight.stream.core.memory import Budget, GiB, memory_budget, plan_memory
from tests.conftest import REPO


def test_small_frames_keep_the_usual_batch_and_queues():
    plan = plan_memory(640, 360, quality="best", batch_size=4, budget=Budget(4 * GiB))
    assert (plan.batch_size, plan.decode_queue, plan.encode_batches) == (4, 16, 4)


def test_big_frames_get_smaller_batches_within_the_budget():
    budget = 5 * GiB
    plan = plan_memory(7680, 4320, quality="fast", batch_size=4, budget=Budget(budget))
    assert plan.batch_size == 1 and plan.estimate_bytes <= budget
    assert plan.decode_queue >= 2 and plan.encode_batches >= 1
    roomy = plan_memory(7680, 4320, quality="fast", batch_size=4, budget=Budget(64 * GiB))
    assert roomy.batch_size == 4 and roomy.estimate_bytes > plan.estimate_bytes


def test_a_frame_that_cannot_fit_is_refused():
    with pytest.raises(EnlightError, match="7680x4320 frame needs about .* GB .* --quality best"):
        plan_memory(7680, 4320, quality="best", batch_size=1, budget=Budget(16 * GiB))
    # on CUDA the host holds only frames
    assert plan_memory(7680, 4320, quality="best", batch_size=4, on_cuda=True, budget=Budget(16 * GiB)).batch_size == 4


@pytest.fixture(scope="module")
def clip_8k(tmp_path_factory):
    path = tmp_path_factory.mktemp("8k") / "8k.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 7680, 4320, "yuv420p"
        rng = np.random.default_rng(0)
        for _ in range(2):
            img = (rng.random((4320, 7680, 3)) * 50).astype(np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def peak_rss_run(*args) -> tuple[subprocess.CompletedProcess, float]:
    """``enlight-video ARGS`` in a fresh interpreter; its own peak resident memory in GiB (last stdout line)."""
    code = ("import resource, sys; from enlight.cli.video import main; rc = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                            cwd=REPO, timeout=600)
    return result, int(result.stdout.split()[-1]) * 1024 / GiB


def test_two_8k_frames_at_fast_stay_within_max_memory(clip_8k, tmp_path):
    """Measured: 6.0 GB peak before (batch 2 of float copies); the plan holds it under --max-memory 5."""
    out = tmp_path / "out.mp4"
    result, peak_gib = peak_rss_run(clip_8k, "-o", out, "--quality", "fast", "--max-memory", "5")
    assert result.returncode == 0, result.stderr
    assert "batch size 4 -> 1" in result.stderr
    assert peak_gib <= 5.0, f"peak {peak_gib:.2f} GiB"
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 2


def test_8k_with_the_full_model_is_refused_in_one_line(clip_8k, tmp_path, cli):
    out = tmp_path / "out.mp4"
    result = cli(clip_8k, "-o", out, "--quality", "best", "--max-memory", "8")
    assert result.returncode == 2
    assert len(result.stderr_lines) == 1 and "7680x4320 frame needs about" in result.stderr_lines[0]
    assert list(tmp_path.iterdir()) == []


def test_a_limit_the_process_already_uses_up_is_quoted_as_given(tmp_path, cli, weights):
    """The message said 'this run has 0.0 GB left (80% of the free memory, or --max-memory)' and 'needs about
    0.0 GB': now the limit as given, what the process holds, and a need in MB."""
    from tests.media import make_clip

    source = make_clip(tmp_path / "small.mp4", frames=2)
    result = cli(source, "-o", tmp_path / "out.mp4", "--weights", weights, "--device", "cpu", "--max-memory", "0.01")
    assert result.returncode == 2 and len(result.stderr_lines) == 1
    line = result.stderr_lines[0]
    assert "64x48 frame needs about 6 MB" in line
    assert re.search(r"--max-memory 0.01 GB is used up by the \d+(\.\d+)? (MB|GB) this process already holds", line)
    assert line.endswith("try a larger --max-memory, --quality fast or a smaller picture (--size)")  # (not the limit)


def test_a_photo_too_big_for_the_limit_quotes_its_whole_need_and_the_limit(weights):
    """The need left out the photo itself: 'needs at least 0.2 GB ... 0.4 GB are left' for a refused 12 MP photo."""
    from enlight.stream.apps.photo import tile_layout
    from enlight.stream.core.plan import make_plan

    plan = make_plan(weights=weights, backend="torch", device="cpu")
    budget = Budget(int(0.4 * GiB), 1.0, int(0.6 * GiB), 20 * GiB)  # --max-memory 1, 0.6 GB held by the process
    with pytest.raises(EnlightError) as refused:
        tile_layout(3000, 4000, plan, budget)
    message = str(refused.value)
    need = float(re.search(r"needs at least ([\d.]+) GB", message).group(1))
    assert need > 0.4 and need * GiB >= 24 * 4000 * 3000  # the photo and its output are part of it
    assert "--max-memory 1 GB, less the 0.60 GB this process already holds (libraries, the model), leaves 0.40 GB" \
        in message


def test_the_default_budget_says_where_it_comes_from():
    budget = memory_budget(None)
    assert budget.left == int(0.8 * budget.available_bytes)
    assert re.fullmatch(r"[\d.]+ (MB|GB) left: 80% of the [\d.]+ (MB|GB) available \(--max-memory GB sets the "
                        r"run's limit\)", budget.explain())
    plan = plan_memory(640, 360, quality="fast", budget=memory_budget(64))
    assert plan.budget.explain().startswith("--max-memory 64 GB, less the ") and plan.budget.explain().endswith(" GB")


def test_a_pool_worker_plans_for_its_share_of_the_memory():
    """With --jobs N each worker planned for 80% of the memory free, as if alone: two workers starting big photos
    together (about 15 GB each at --quality best for 12 megapixels) could ask for more than there was. The pool's
    initializer now makes each worker's budget its 1/N share, of the default and of a --max-memory."""
    import multiprocessing

    from enlight.stream.apps import local_pool
    from enlight.stream.core import memory

    alone = memory_budget(None)
    try:
        local_pool._pool_init(multiprocessing.get_context("spawn").Queue(), 3)
        shared, limited = memory_budget(None), memory_budget(60)
    finally:
        memory.share_memory(1)
    assert abs(shared.left - 0.8 * shared.available_bytes / 3) <= 1 and shared.workers == 3
    assert abs(shared.left - alone.left / 3) < 0.05 * alone.left  # (the memory free moved a little meanwhile)
    assert limited.left == int(60 * GiB / 3) - limited.used_bytes
    assert shared.explain().startswith(f"{memory.gib_text(shared.left)} left: this worker's 1/3 share (--jobs 3) of "
                                       "80% of the ")
    assert limited.explain().startswith("this worker's 1/3 share (--jobs 3) of --max-memory 60 GB, less the ")
    assert memory_budget(None).workers == 1
