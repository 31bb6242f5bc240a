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
