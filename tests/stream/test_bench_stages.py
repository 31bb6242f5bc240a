"""`enlight-video bench`'s end-to-end rows run every stage `enlight-video IN -o OUT` runs by default, and say what.

Before, its presets' and pipeline rows ran the plan without the denoiser (the command's --denoise auto) and the deband
step (--deband on): on a 2-core Xeon the bench's `fast` row gave 46.85 fps end to end on its 854x480 clip where the
command's stages ran 34.00 (medians of 5, benchmarks/bench_stages.py; docs/benchmarks.md, "The bench's rows and the
command's stages"); the rows did not say what either did, and the bench took no --denoise, --deband or --clip-noise
('unrecognized arguments')."""

import re

import pytest

from enlight.cli.video import main as video_main
from enlight.ops.device import resolve_device
from enlight.stream.apps.bench import BenchConfig, make_clip, preset_plans

pytest.importorskip("onnxruntime")
TINY = ["bench", "--quick", "--backends", "onnxruntime", "--sizes", "64x48", "--preset-size", "96x64", "--repeats", "1"]


def _rows(stdout: str, first: str) -> list[list[str]]:
    """The cells of the table rows of ``stdout`` whose first cell is ``first``."""
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in stdout.splitlines()
            if line.startswith(f"| {first} |")]


def _ends(stdout: str) -> list[list[str]]:
    """(the pipeline row, the presets' end-to-end row): their cells."""
    pipeline = [row for row in _rows(stdout, "onnxruntime") if len(row) == 10]  # (not the model table's)
    return pipeline + [row for row in _rows(stdout, "auto -> best") if row[1] == "end to end"]


def test_the_end_to_end_rows_run_the_denoiser_and_deband_and_say_what_they_did(cli, weights, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    clean = cli(*TINY, "--weights", weights, env=env)
    assert clean.returncode == 0, clean.stderr
    # the clean clip's noise is under the denoiser's floor: it passed every frame unchanged, and says so as the
    # command's summary does; the deband step looked at every frame
    ends = _ends(clean.stdout)
    assert len(ends) == 2, clean.stdout
    for row, frames in zip(ends, (8, 24), strict=True):
        assert re.fullmatch(rf"light \(0 of {frames} frames: noise 0\.\d\d under the floor 1\)", row[-2]), row
        assert re.fullmatch(rf"\d+ of {frames} frames", row[-1]), row
    assert {row[-1] for row in _rows(clean.stdout, "auto -> best") if row[1] == "model only"} == {"-"}
    assert ("end to end: file in, file out, every stage `enlight-video IN -o OUT` runs by default (--denoise auto, "
            "--deband on), on clean clips (the denoiser passes footage under its noise floor unchanged; --clip-noise "
            "12 gives it noise to remove)") in clean.stdout
    assert "model only: the preset's enhancer on one frame in memory, without the denoiser" in clean.stdout
    assert "(denoise light (0 of 24 frames: noise " in clean.stderr  # the log lines too

    noisy = cli(*TINY, "--weights", weights, "--clip-noise", "12", "--deband", "off", env=env)
    assert noisy.returncode == 0, noisy.stderr  # was 2: 'unrecognized arguments: --clip-noise 12 --deband off'
    assert [row[-2:] for row in _ends(noisy.stdout)] == [["light", "off"]] * 2, noisy.stdout  # it denoised them all
    assert ("with --deband off (`enlight-video IN -o OUT` runs --denoise auto --deband on by default), on clips with "
            "sensor-like noise (--clip-noise 12)") in noisy.stdout

    off = cli(*TINY, "--weights", weights, "--denoise", "off", "--deband", "off", env=env)
    assert off.returncode == 0, off.stderr
    assert [row[-2:] for row in _ends(off.stdout)] == [["off", "off"]] * 2, off.stdout


@pytest.mark.parametrize("size", [(96, 64), (1280, 720)])  # --denoise auto: `fast` on a CPU, under and over 0.5 MP
def test_each_preset_is_planned_as_the_file_command_plans_it(size, tmp_path, capsys):
    """The presets' plans, stage for stage, are what `enlight-video CLIP -o OUT --quality Q --dry-run` says of the
    bench's own clip (they said 'denoising: off' and 'deband: off' where the command says 'light' and 'on')."""
    config = BenchConfig(device="cpu", preset_size=size, preset_frames=2)
    clip = make_clip(tmp_path / "preset.mp4", size, config.preset_frames)  # (its noise: no matter to a plan)
    for quality, plan in preset_plans(config, resolve_device("cpu")):
        assert video_main([str(clip), "-o", str(tmp_path / "out.mp4"), "--quality", quality, "--device", "cpu",
                           "--dry-run"]) == 0
        assert capsys.readouterr().out.strip() == plan.describe(), quality
    fast = dict(preset_plans(config, resolve_device("cpu")))["fast"]
    assert fast.denoise.enabled == (size == (96, 64)) and fast.deband


def test_bench_refuses_a_denoise_level_it_does_not_know(cli):
    result = cli("bench", "--quick", "--denoise", "heavy", timeout=120)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert "--denoise: invalid choice: 'heavy'" in result.stderr
