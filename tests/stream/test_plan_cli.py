"""The command line resolves one plan (printed by --dry-run), honours --max-frames for files, and
has one limit for the smoothing strength everywhere."""

import pytest

from enlight.stream.core.choices import MAX_SMOOTHING
from enlight.stream.core.smoothing_config import SmoothingConfig
from tests.media import make_clip, read_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", frames=12)


def test_dry_run_prints_the_resolved_plan_and_writes_nothing(clip, tmp_path, cli):
    out = tmp_path / "out.mp4"
    result = cli(clip, "-o", out, "--quality", "fast", "--device", "cpu", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "model: enlightengan (fast), 1/4 size, correction upsampled by guided" in result.stdout
    assert "enlightengan_c8_s4.safetensors" in result.stdout
    assert "runtime: onnxruntime (fast: 1/4 size) on cpu" in result.stdout
    assert "temporal smoothing: correction, strength 0.8" in result.stdout
    assert not out.exists()
    balanced = cli(clip, "-o", out, "--quality", "balanced", "--device", "cpu", "--dry-run", "--smooth", "both",
                   env={"ENLIGHT_CPU_FLAGS": "avx2 avx512_vnni"})  # int8 where the CPU has int8 dot products
    assert "onnxruntime int8" in balanced.stdout and "enlightengan_c16_int8.onnx" in balanced.stdout
    assert "temporal smoothing: both" in balanced.stdout
    assert "runtime: onnxruntime int8 on cpu (int8)\n" in balanced.stdout  # (it printed the options' Python repr)
    assert "Config(" not in balanced.stdout + result.stdout


def test_a_dry_run_of_a_run_again_shows_its_plan_and_that_the_output_exists(clip, tmp_path, cli):
    """It refused with 'output exists ... (use --force)', so the plan of a run done before could not be seen; and
    `--dry-run | head -1` ended in 'error: the output pipe was closed before the video ended', exit 1."""
    import subprocess
    import sys

    from PIL import Image

    from tests.conftest import REPO

    out = tmp_path / "out.mp4"
    out.write_bytes(b"an earlier run's")
    result = cli(clip, "-o", out, "--quality", "fast", "--device", "cpu", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"output: {out} exists; the run needs --force to write over it" in result.stdout
    assert "exists" not in cli(clip, "-o", out, "--quality", "fast", "--dry-run", "--force").stdout
    photo, done = tmp_path / "p.png", tmp_path / "p_day.png"
    Image.new("RGB", (32, 24), (20, 20, 30)).save(photo)
    done.write_bytes(b"done before")
    result = cli(photo, "-o", done, "--quality", "fast", "--dry-run")
    assert result.returncode == 0 and f"output: {done} exists; the run needs --force" in result.stdout, result.stderr
    assert done.read_bytes() == b"done before"
    run = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", str(clip), "-o", str(tmp_path / "new.mp4"),
                            "--quality", "fast", "--dry-run"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run.stdout.close()  # the reader leaves at once, as `| head -0` does
    assert run.wait(timeout=120) == 0 and b"pipe was closed" not in run.stderr.read()


def test_max_frames_is_honoured_for_a_file(clip, tmp_path, weights, cli):
    out = tmp_path / "out.mp4"
    result = cli(clip, "-o", out, "--weights", weights, "--max-frames", "5")
    assert result.returncode == 0, result.stderr
    assert "stopped after 5 frames (--max-frames)" in result.stderr
    src, dst = read_video(clip), read_video(out)
    assert len(dst["times"]) == 5 and dst["times"] == src["times"][:5]


def test_one_smoothing_limit_everywhere(clip, tmp_path, cli):
    from enlight.stream.apps.live_mode import SMOOTHING_STEP, _set_smoothing

    SmoothingConfig(strength=MAX_SMOOTHING)
    with pytest.raises(ValueError, match=f"0, {MAX_SMOOTHING}"):
        SmoothingConfig(strength=MAX_SMOOTHING + 0.01)
    result = cli(clip, "-o", tmp_path / "out.mp4", "--smoothing", str(MAX_SMOOTHING + 0.01))
    assert result.returncode == 2 and f"within 0..{MAX_SMOOTHING}" in result.stderr

    from enlight.models import build_generator
    from enlight.stream.core.enhancer import Enhancer
    from enlight.stream.core.plan import build_backend, make_plan

    backend = build_backend(make_plan(backend="torch", device="cpu"), network=build_generator(base_channels=8))
    enhancer = Enhancer(backend, SmoothingConfig(strength=0.9))
    for _ in range(3):
        _set_smoothing(enhancer, +SMOOTHING_STEP)
    assert enhancer.smoothing.strength == MAX_SMOOTHING
    assert enhancer.correction_smoother.config.strength == MAX_SMOOTHING
