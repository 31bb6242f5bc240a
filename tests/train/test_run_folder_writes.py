"""What enlight-train writes (run folders, exported weights, shard folders) on a read-only filesystem or a full disk:
one line and exit 2, no partial file left, nothing that was there before lost. Real training steps on tiny images."""

import subprocess
from pathlib import Path

import pytest
import torch

from enlight.cli.train import main


@pytest.fixture
def read_only(tmp_path) -> Path:
    """A read-only filesystem (a tmpfs mounted read-only at tmp_path/ro): root writes anywhere else."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=100k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("needs to mount a tmpfs (root)")
    yield folder
    subprocess.run(["umount", str(folder)], capture_output=True)


def train(low: Path, out: Path, *more: str) -> int:
    return main(["--recipe", "zerodce", "--low", str(low), "--out", str(out), "--steps", "2", "--decay-steps", "1",
                 "--crop", "32", "--batch-size", "2", "--base-channels", "8", "--w-vgg", "0", "--validation", "0",
                 "--workers", "0", "--device", "cpu", "--quiet", "--threads", "1", *more])


def one_error(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and lines[-1].startswith("enlight-train: error: "), lines
    return lines[-1]


def test_a_read_only_out_is_one_line_before_any_step(low_folder, read_only, tmp_path, capsys):
    """It was an internal error (OSError: Read-only file system), after the networks were built."""
    assert train(low_folder, read_only / "run") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "Read-only file system" in err and "pick another" in err, err
    assert train(low_folder, tmp_path / "run") == 0
    for argv in (["export", str(tmp_path / "run"), "-o", str(read_only / "w.safetensors")],
                 ["shard", str(tmp_path / "run"), "-o", str(read_only / "shards")]):
        assert main(argv) == 2
        assert "Read-only file system" in one_error(capsys)


def test_a_full_disk_at_a_checkpoint_leaves_no_partial_file(low_folder, small_disk, capsys):
    """torch reports the full disk as a RuntimeError ('unexpected pos'): an internal error, with the half-written
    step_N.tmp left filling the disk."""
    assert train(low_folder, small_disk / "run", "--checkpoint-every", "1") == 2
    line = one_error(capsys)
    assert "no space left for checkpoint step_0000001.pt" in line and "no earlier checkpoint" in line, line
    assert not list(small_disk.rglob("*.tmp")) and not list(small_disk.rglob("*.pt"))


def test_export_to_a_full_disk_is_one_line(low_folder, small_disk, tmp_path, capsys):
    """safetensors reported it as its own SafetensorError: an internal error."""
    assert train(low_folder, tmp_path / "run") == 0
    capsys.readouterr()
    assert main(["export", str(tmp_path / "run"), "-o", str(small_disk / "w.safetensors")]) == 2
    assert f"no space left for the output in {small_disk}" in one_error(capsys)
    assert not list(small_disk.iterdir())


def test_sharding_again_on_a_full_disk_keeps_the_earlier_shards(small_disk, tmp_path, capsys):
    """The old shards were deleted before the new ones were written, so a full disk lost the state they held (and
    the message said only a partial file was deleted)."""
    from safetensors.torch import save_file

    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    save_file({"w": torch.arange(6000, dtype=torch.float32)}, str(first))
    save_file({"w": torch.ones(6000)}, str(second))
    shards = small_disk / "shards"
    assert main(["shard", str(first), "-o", str(shards), "--weights", "fp32"]) == 0
    (small_disk / "filler").write_bytes(bytes(60_000))  # 24 kB of shards there; the 100 kB disk is now nearly full
    assert main(["shard", str(second), "-o", str(shards), "--weights", "fp32"]) == 2
    assert "no space left" in one_error(capsys)
    assert sorted(p.name for p in shards.iterdir()) == ["manifest.json", "shard_000.bin"]
    (small_disk / "filler").unlink()
    assert main(["unshard", str(shards), "-o", str(tmp_path / "back.safetensors")]) == 0
    from safetensors.torch import load_file

    assert torch.equal(load_file(str(tmp_path / "back.safetensors"))["w"], torch.arange(6000, dtype=torch.float32))


def test_an_out_that_is_not_a_run_folder_is_refused_untouched(low_folder, tmp_path, capsys):
    """A folder of the user's own (here its config.json and notes; or the --low folder itself) was written into:
    config.json replaced by the run's, checkpoints/ samples/ tb/ added beside the user's files."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "config.json").write_text('{"mine": true}')
    (mine / "notes.txt").write_text("notes")
    assert train(low_folder, mine) == 2
    assert "is not a run folder: it holds notes.txt; give a new or empty folder" in one_error(capsys)
    assert sorted(p.name for p in mine.iterdir()) == ["config.json", "notes.txt"]
    assert (mine / "config.json").read_text() == '{"mine": true}'
    assert train(low_folder, low_folder) == 2 and "is not a run folder" in one_error(capsys)
    run = tmp_path / "run"  # an earlier run's folder, its weights exported into it, still resumes
    assert train(low_folder, run) == 0
    assert main(["export", str(run), "-o", str(run / "w.safetensors")]) == 0
    assert train(low_folder, run, "--steps", "3", "--resume") == 0
