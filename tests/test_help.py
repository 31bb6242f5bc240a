"""What --help says: every run and subcommand named where the user starts, every default stated."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def help_text(module: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", module, *args, "--help"], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_enlight_train_help_names_every_other_run_and_each_has_its_own_help(capsys):
    """`enlight-train --help` named three of its runs: not --recipe zerodce (the shipped weights' recipe),
    quantize, shard or unshard, which only the docs told of."""
    from enlight.cli.train import main

    text = help_text("enlight.cli.train")
    runs = ("--recipe zerodce", "--model retinexnet", "distill", "pairs", "quantize", "export", "shard", "unshard")
    for run in runs:
        assert f"enlight-train {run} " in text, run
        with pytest.raises(SystemExit) as stop:
            main([*run.split(), "--help"])
        assert stop.value.code == 0 and capsys.readouterr().out.startswith("usage: enlight-train"), run


def stated_defaults(parser: argparse.ArgumentParser) -> list[str]:
    """The options with a value of their own (not flags) whose help does not say what it is."""
    return [action.option_strings[-1] for action in parser._actions
            if action.option_strings and action.nargs != 0 and action.default not in (None, argparse.SUPPRESS)
            and "default" not in (action.help or "") and f"({action.default})" not in (action.help or "")]


@pytest.mark.parametrize("module", ["enlight.cli.video", "enlight.cli.bench"])
def test_every_default_is_stated(module):
    """--hw-decode and bench's --device did not say their default."""
    from importlib import import_module

    assert stated_defaults(import_module(module).build_parser()) == []


def test_bench_help_says_what_quick_and_repeats_do():
    """bench's --repeats (5; 3 with --quick) did not say its default, and --quick did not say it times the presets."""
    from enlight.stream.apps.bench import BenchConfig

    text = " ".join(help_text("enlight.cli.video", "bench").split())
    assert f"(default: {BenchConfig().repeats}; {BenchConfig.quick().repeats} with --quick)" in text
    assert f"presets on a {BenchConfig.quick().preset_frames}-frame clip" in text  # --quick times them too


@pytest.mark.parametrize("module", ["enlight.cli.video", "enlight.cli.train"])
def test_help_fits_a_terminal(module):
    """The live options' heading listed every hotkey on one 255-character line; the description and the other
    commands ran to 130. Argparse wraps option help to the terminal; our own lines keep to 100 columns."""
    proc = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=REPO,
                          timeout=120, env={**os.environ, "COLUMNS": "100"})
    assert [line for line in proc.stdout.splitlines() if len(line) > 100] == []


def test_exposure_help_gives_the_highest_level_it_takes():
    """--exposure's help said 'LEVEL (0-255 ...)'; it refuses anything over 200."""
    from enlight.cli.video import build_parser
    from enlight.ops.exposure import LIMIT

    [action] = [a for a in build_parser()._actions if "--exposure" in a.option_strings]
    assert f"up to {LIMIT:g}" in action.help and "LEVEL (0-255" not in action.help


@pytest.mark.parametrize("module, args, meant", [
    ("enlight.cli.video", ("convert-weight", "a.pth", "b.safetensors"), "convert-weights"),
    ("enlight.cli.video", ("benchmark", "--quick"), "bench"),
    ("enlight.cli.train", ("exprt", "runs/x", "-o", "g.safetensors"), "export"),
    ("enlight.cli.train", ("distil", "--images", "x"), "distill"),
])
def test_a_misspelt_command_is_named_with_the_one_meant(module, args, meant, tmp_path):
    """'enlight-video convert-weight a.pth b.safetensors' said 'unrecognized arguments: a.pth b.safetensors' and
    'enlight-train exprt ...' 'the following arguments are required: --low, --normal, --out'."""
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    prog = "enlight-video" if module.endswith("video") else "enlight-train"
    assert proc.returncode == 2 and proc.stderr.splitlines() == [
        f"{prog}: error: no command or file named '{args[0]}'; did you mean '{prog} {meant}'? (see {prog} --help)"]


def test_the_input_help_names_every_kind_of_input():
    """The README's 'enlight-video tonight.txt -o enhanced/' (a list of paths) was missing from INPUT's help."""
    from enlight.cli.many import LIST_SUFFIXES
    from enlight.cli.video import build_parser

    [action] = [a for a in build_parser()._actions if a.dest == "input"]
    assert all(suffix in action.help for suffix in LIST_SUFFIXES)


def test_quiet_says_it_leaves_out_the_notes_too(tmp_path, weights, cli):
    """-q's help and README row said 'no progress bar and no summary line'; a file run with -q prints no note either
    (a .webm's 'encoded with libvpx-vp9', a sound stream encoded again), so both now say so."""
    from tests.media import make_clip
    from tests.stream.test_docs import readme_option_rows

    src = make_clip(tmp_path / "cam.mp4", frames=3)
    said = cli(src, "-o", tmp_path / "day.webm", "--weights", weights)
    quiet = cli(src, "-o", tmp_path / "quiet.webm", "--weights", weights, "-q")
    assert said.returncode == quiet.returncode == 0, quiet.stderr
    assert any(" note: " in line for line in said.stderr_lines) and quiet.stderr_lines == []
    [(_, _, row)] = [row for row in readme_option_rows() if "--quiet" in row[0]]
    assert "notes" in row and "notes" in " ".join(help_text("enlight.cli.video").split()).split("--quiet", 1)[1][:90]


def test_the_input_help_names_every_photo_format_read():
    """INPUT's help named .jpg .png .tif .webp .avif .heic .jxl .bmp; Netpbm, Targa and JPEG 2000 photos are read
    too (tests/stream/test_netpbm_tga_jpeg2000.py)."""
    from enlight.cli.video import build_parser
    from enlight.stream.io.photo_formats import PHOTO_OUTPUTS, PHOTO_SUFFIXES, photo_format

    [action] = [a for a in build_parser()._actions if a.dest == "input"]
    said = re.findall(r"\.\w+", action.help)
    named = PHOTO_OUTPUTS.replace(" or ", ", ").split(", ")
    assert [suffix for suffix in [*named, ".ppm", ".pgm", ".pnm", ".tga", ".jp2"] if suffix not in said] == []
    kinds = {photo_format(Path(f"photo{suffix}")) for suffix in PHOTO_SUFFIXES}
    assert kinds == {photo_format(Path(f"photo{suffix}")) for suffix in said if suffix in PHOTO_SUFFIXES}
