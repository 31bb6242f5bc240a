"""An archive of footage and photos (.zip, .tar.gz, ...: a phone's or a DVR's export) enhanced as the folder it
packs, into a folder or a .zip. It was refused as 'no extension to choose a container from'."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile

import numpy as np
from PIL import Image

from tests.media import dark_frames, make_clip


def _export(tmp_path):
    """Two dark photos and a clip with sound, as files to pack."""
    for i, rgb in enumerate(dark_frames(2, 48, 32), start=1):
        Image.fromarray(rgb).save(tmp_path / f"IMG_{i}.png")
    make_clip(tmp_path / "clip.mp4", frames=6, audio=True)
    return {"photos/IMG_1.png": tmp_path / "IMG_1.png", "photos/IMG_2.png": tmp_path / "IMG_2.png",
            "video/clip.mp4": tmp_path / "clip.mp4"}


def _zip(path, files: dict, names=None):
    with zipfile.ZipFile(path, "w") as packed:
        for name in names or files:
            packed.write(files[name], name)
    return path


def test_a_zip_is_enhanced_into_a_folder_and_a_second_run_skips_what_is_done(tmp_path, weights, cli):
    files = _export(tmp_path)
    archive = _zip(tmp_path / "export.zip", files)
    out = tmp_path / "day"
    result = cli(archive, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "export.zip:photos/IMG_1.png" in result.stderr and "3 done" in result.stderr
    for name in files:
        assert (out / name).is_file(), name
    assert np.mean(np.asarray(Image.open(out / "photos/IMG_1.png"))) > np.mean(dark_frames(1, 48, 32)[0]) + 10
    assert not (out / ".enlight-unpacked").exists()  # deleted once nothing is left to do
    again = cli(archive, "-o", out, "--weights", weights)
    assert again.returncode == 0 and "3 skipped (done before)" in again.stderr, again.stderr  # times kept


def test_a_tar_into_a_zip_skips_members_that_would_land_outside(tmp_path, weights, cli):
    files = _export(tmp_path)
    archive = tmp_path / "dvr.tar.gz"
    with tarfile.open(archive, "w:gz") as packed:
        for name, path in files.items():
            packed.add(path, name)
        evil = tarfile.TarInfo("../evil.png")
        evil.size = 1
        packed.addfile(evil, io.BytesIO(b"x"))
    out = tmp_path / "day.zip"
    result = cli(archive, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "1 member of dvr.tar.gz skipped" in result.stderr
    assert not (tmp_path.parent / "evil.png").exists() and not (tmp_path / "evil.png").exists()
    with zipfile.ZipFile(out) as packed:
        assert sorted(packed.namelist()) == sorted(files)
        assert packed.getinfo("video/clip.mp4").compress_type == zipfile.ZIP_STORED
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # the work folder is gone
    result = cli(archive, "-o", out, "--weights", weights)
    assert result.returncode == 2 and "output exists" in result.stderr and len(result.stderr_lines) == 1


def test_a_damaged_archive_and_an_archive_output_that_cannot_be(tmp_path, weights, cli):
    files = _export(tmp_path)
    archive = _zip(tmp_path / "cut.zip", files)
    (tmp_path / "half.zip").write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    cases = [((tmp_path / "half.zip", "-o", tmp_path / "o"), "cannot read the archive"),
             ((archive, "-o", archive), "is the input archive"),
             ((archive, "-o", tmp_path / "IMG_1.png"), "the output is a folder or a .zip"),
             ((archive, "-o", tmp_path / "o", "--start", "1"), "one video in one plain run")]
    for args, message in cases:
        result = cli(*args, "--weights", weights)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr_lines) == 1
    assert not (tmp_path / "o").exists() or not os.listdir(tmp_path / "o")


def test_a_dry_run_of_an_archive_of_photos_prints_the_one_frame_plan(tmp_path, weights, cli):
    files = _export(tmp_path)
    archive = _zip(tmp_path / "photos.zip", files, ("photos/IMG_1.png", "photos/IMG_2.png"))
    result = cli(archive, "-o", tmp_path / "o", "--weights", weights, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "temporal smoothing: off" in result.stdout and not (tmp_path / "o").exists()


def _photos_zip(path, tmp_path, good: int, bad: int = 0, extra: dict | None = None):
    """A .zip of ``good`` dark photos (IMG_1.png, ...) and ``bad`` undecodable ones (bad_1.jpg, ...)."""
    with zipfile.ZipFile(path, "w") as packed:
        for i, rgb in enumerate(dark_frames(good, 48, 32), start=1):
            Image.fromarray(rgb).save(tmp_path / f"IMG_{i}.png")
            packed.write(tmp_path / f"IMG_{i}.png", f"IMG_{i}.png")
        for i in range(1, bad + 1):
            packed.writestr(f"bad_{i}.jpg", "not a jpeg")
        for name, data in (extra or {}).items():
            packed.writestr(name, data)
    return path


def _hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_failed_member_into_a_zip_is_tried_again_by_the_same_command_which_completes_the_zip(tmp_path, weights,
                                                                                               cli):
    archive = _photos_zip(tmp_path / "mixed.zip", tmp_path, good=2, bad=1)
    out = tmp_path / "mixed_out.zip"
    blocked = tmp_path / ".mixed_out.zip.enlight-work" / "out" / "IMG_2.png"
    blocked.mkdir(parents=True)  # something in the way of one output: it fails this time, not the next
    result = cli(archive, "-o", out, "--weights", weights)
    assert result.returncode == 2, result.stderr
    assert "mixed.zip:bad_1.jpg" in result.stderr and "mixed.zip:IMG_2.png" in result.stderr
    bad_line = next(line for line in result.stderr_lines if "bad_1.jpg" in line)
    assert "(cannot read mixed.zip:bad_1.jpg: " in bad_line and ".enlight" not in bad_line  # not the hidden path
    with zipfile.ZipFile(out) as packed:
        assert packed.namelist() == ["IMG_1.png"]
    work = tmp_path / ".mixed_out.zip.enlight-work"
    assert [p for p in work.rglob("*") if p.is_file() and p.suffix != ".json"] == []  # no copy of the archive kept
    again = cli(archive, "-o", out, "--weights", weights)
    assert again.returncode == 2 and "output exists" not in again.stderr, again.stderr
    assert "IMG_1.png" not in again.stderr.split("status")[1]  # only the failed members are tried again
    assert "1 done" in again.stderr and "1 failed" in again.stderr and "mixed.zip:bad_1.jpg" in again.stderr
    with zipfile.ZipFile(out) as packed:
        assert sorted(packed.namelist()) == ["IMG_1.png", "IMG_2.png"]
    third = cli(archive, "-o", out, "--weights", weights)  # what cannot be read fails again, and nothing grows
    assert third.returncode == 2 and "0 done" in third.stderr and "1 failed" in third.stderr, third.stderr
    assert [p for p in work.rglob("*") if p.is_file() and p.suffix != ".json"] == []
    forced = cli(archive, "-o", out, "--weights", weights, "--force")
    assert forced.returncode == 2 and "2 done" in forced.stderr, forced.stderr


def test_a_zip_output_completed_by_a_retry_leaves_nothing_behind(tmp_path, weights, cli):
    archive = _photos_zip(tmp_path / "two.zip", tmp_path, good=2)
    out = tmp_path / "two_out.zip"
    (tmp_path / ".two_out.zip.enlight-work" / "out" / "IMG_2.png").mkdir(parents=True)
    assert cli(archive, "-o", out, "--weights", weights).returncode == 2
    again = cli(archive, "-o", out, "--weights", weights)
    assert again.returncode == 0 and "1 done" in again.stderr, again.stderr
    with zipfile.ZipFile(out) as packed:
        assert sorted(packed.namelist()) == ["IMG_1.png", "IMG_2.png"] and packed.testzip() is None
    assert _hidden(tmp_path) == []
    last = cli(archive, "-o", out, "--weights", weights)
    assert last.returncode == 2 and "output exists" in last.stderr and len(last.stderr_lines) == 1


def test_when_every_member_fails_no_zip_is_written_and_nothing_is_left(tmp_path, weights, cli):
    archive = _photos_zip(tmp_path / "bad.zip", tmp_path, good=0, bad=2)
    result = cli(archive, "-o", tmp_path / "bad_out.zip", "--weights", weights)
    assert result.returncode == 2 and "bad.zip:bad_1.jpg" in result.stderr, result.stderr
    assert "no .zip written" in result.stderr or "was not written" in result.stderr
    assert not (tmp_path / "bad_out.zip").exists() and _hidden(tmp_path) == []
    into_folder = cli(archive, "-o", tmp_path / "day", "--weights", weights)
    assert into_folder.returncode == 2 and _hidden(tmp_path / "day") == [".enlight-manifest.jsonl"]


def test_a_failed_member_into_a_folder_keeps_no_unpacked_copy_and_is_tried_again(tmp_path, weights, cli):
    archive = _photos_zip(tmp_path / "mixed.zip", tmp_path, good=1, bad=1)
    out = tmp_path / "day"
    result = cli(archive, "-o", out, "--weights", weights)
    assert result.returncode == 2 and (out / "IMG_1.png").is_file(), result.stderr
    table = result.stderr.split("status")[1]
    assert "(cannot read mixed.zip:bad_1.jpg" in table and ".enlight-unpacked" not in table
    assert _hidden(out) == [".enlight-manifest.jsonl"]
    again = cli(archive, "-o", out, "--weights", weights)
    assert again.returncode == 2 and "0 done, 1 skipped (done before), 1 failed" in again.stderr, again.stderr


def test_an_archive_without_videos_or_photos_is_refused_before_anything_is_written(tmp_path, weights, cli):
    for name, entries in (("text.zip", {"a.txt": "hi"}), ("dirs.zip", {"night/": ""}),
                          ("mac.zip", {"__MACOSX/._IMG_1.jpg": "x", ".hidden.png": "x", "notes.txt": "x"})):
        archive = _photos_zip(tmp_path / name, tmp_path, good=0, extra=entries)
        for out in (tmp_path / "out_dir", tmp_path / "out.zip"):
            result = cli(archive, "-o", out, "--weights", weights)
            assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
            assert f"no videos or photos in {archive}" in result.stderr
            assert not out.exists() and _hidden(tmp_path) == [], (name, out)
    existing = tmp_path / "mine"
    existing.mkdir()
    assert cli(tmp_path / "text.zip", "-o", existing, "--weights", weights).returncode == 2
    assert os.listdir(existing) == []


def test_a_damaged_archive_says_why_in_one_line(tmp_path, weights, cli):
    archive = _photos_zip(tmp_path / "cut.zip", tmp_path, good=2)
    (tmp_path / "half.zip").write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04garbage")
    (tmp_path / "fake.tar.gz").write_bytes(b"hello world" * 10)
    (tmp_path / "fake.tar").write_bytes(b"hello world" * 10)
    with tarfile.open(tmp_path / "whole.tar.gz", "w:gz") as packed:
        packed.add(tmp_path / "IMG_1.png", "IMG_1.png")
    (tmp_path / "cut.tar.gz").write_bytes((tmp_path / "whole.tar.gz").read_bytes()[:300])
    cases = {"half.zip": "damaged or cut short", "x.zip": "damaged or cut short",
             "fake.tar.gz": "not a gzip file", "fake.tar": "not a .tar file", "cut.tar.gz": "cut short"}
    for name, why in cases.items():
        result = cli(tmp_path / name, "-o", tmp_path / "o", "--weights", weights)
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert why in result.stderr and not result.stderr.rstrip().endswith(":"), result.stderr
        assert "method" not in result.stderr, result.stderr
    assert not (tmp_path / "o").exists()


def test_a_zip_outputs_reason_names_the_file_inside_the_zip_not_the_hidden_work_folder(tmp_path):
    """A failed member's reason about its output (a full disk while writing it) showed the hidden work path
    '.day.zip.enlight-work/out/clip.mp4'; the table names it inside the .zip it goes to, as it names the input."""
    from enlight.stream.apps.archive import ArchiveRun
    from enlight.stream.apps.batch import BatchReport, Ignored, Row

    run = ArchiveRun(tmp_path / "export.zip", tmp_path / "day.zip")
    source, output = run.unpacked / "video" / "clip.mp4", run.out_dir / "video" / "clip.mp4"
    why = f"no space left on the disk while writing {output}"
    report = BatchReport([Row(source, output, "failed", reason=why)], Ignored(), 1.0)
    line = report.table(run.named_folders()).splitlines()[1]
    assert "export.zip:video/clip.mp4" in line and "day.zip:video/clip.mp4)" in line, line
    assert ".enlight-work" not in line, line


def test_an_archive_larger_than_the_free_space_names_both_sizes(tmp_path, weights, cli, small_disk):
    """Unpacking 300 kB onto a disk with 100 kB free (root only: a tmpfs is mounted for it) said 'needs 0.0 GB;
    0.0 GB is free in .../.day.zip.enlight-work' (a folder never made): the sizes now read as sizes, the folder named
    is one that exists."""
    with zipfile.ZipFile(tmp_path / "big.zip", "w") as packed:
        packed.writestr("night.mp4", np.random.default_rng(0).bytes(300_000))
    for out in (small_disk / "day.zip", small_disk / "day"):
        result = cli(tmp_path / "big.zip", "-o", out, "--weights", weights)
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert f"needs 300 kB; 102 kB is free on the disk of {small_disk} (" in result.stderr, result.stderr
        assert os.listdir(small_disk) == []


def test_sizes_read_as_sizes():
    from enlight.text import size_text

    assert [size_text(n) for n in (1, 800, 12_345, 1_417_302, 45e9)] == ["1 byte", "800 bytes", "12 kB", "1.4 MB",
                                                                          "45 GB"]
