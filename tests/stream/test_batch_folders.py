"""A folder run leaves no empty folder in the output: the folder of a photo that could not be read (a zero-byte
download, a truncated copy) was made before the run and left empty."""

from __future__ import annotations

from PIL import Image

from tests.media import dark_frames


def test_the_folders_of_files_that_failed_are_not_left_empty(tmp_path, weights, cli):
    root = tmp_path / "in"
    (root / "broken" / "deeper").mkdir(parents=True)
    (root / "mixed").mkdir()
    (root / "broken" / "zero.jpg").write_bytes(b"")
    (root / "broken" / "deeper" / "cut.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 20)
    (root / "mixed" / "zero.jpg").write_bytes(b"")
    for name in ("dusk.png", "mixed/dusk.png"):
        Image.fromarray(dark_frames(1, 32, 24)[0]).save(root / name)
    out = tmp_path / "out"
    (out / "kept_empty").mkdir(parents=True)  # the user's own: left as it is
    result = cli(root, "-o", out, "--weights", weights)
    assert result.returncode == 2 and "2 done" in result.stderr and "3 failed" in result.stderr, result.stderr
    folders = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir())
    assert folders == ["kept_empty", "mixed"], folders
    assert (out / "dusk.png").is_file() and (out / "mixed" / "dusk.png").is_file()
