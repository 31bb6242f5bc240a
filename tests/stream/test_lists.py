"""A list file of inputs (one path per line) runs like a folder: outputs in OUT_DIR by name."""

from tests.media import make_clip, read_video


def test_a_list_of_clips_runs_as_a_batch(tmp_path, weights, cli):
    make_clip(tmp_path / "a.mp4", frames=3, audio=False)
    (tmp_path / "sub").mkdir()
    make_clip(tmp_path / "sub" / "b.mp4", frames=4, audio=False)
    listing = tmp_path / "todo.txt"
    listing.write_text("# tonight's clips\na.mp4\n\nsub/b.mp4\n")
    out = tmp_path / "out"
    result = cli(listing, "-o", out, "--weights", weights, "--denoise", "off")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.mp4", "b.mp4"]
    assert len(read_video(out / "b.mp4")["times"]) == 4


def test_a_list_naming_a_missing_file_is_one_line(tmp_path, weights, cli):
    listing = tmp_path / "todo.txt"
    listing.write_text("missing.mp4\n")
    result = cli(listing, "-o", tmp_path / "out", "--weights", weights)
    assert result.returncode == 2
    assert len(result.stderr_lines) == 1 and "todo.txt:1: not a file: missing.mp4" in result.stderr_lines[0]
    assert not (tmp_path / "out").exists()
