"""An option given where it can do nothing is named in one note line (``enlight.cli.unused``), not ignored without a
word: --smoothing for a still photo, --photo-quality for a PNG or a video, --crf for pictures, --format for a
folder, --loop for a camera. Options that can only be a mistake there are refused in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image

from enlight.cli.common import given_options
from enlight.cli.video import build_parser
from tests.conftest import REPO
from tests.media import dark_frames, make_clip


def _notes(result) -> list[str]:
    return [line for line in result.stderr_lines if " does nothing here: " in line or " do nothing here: " in line]


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "dusk.jpg"
    Image.fromarray(dark_frames(1, 48, 32)[0]).save(path)
    return path


def test_an_option_counts_as_given_with_its_default_value_too():
    argv = ["in.mp4", "-o", "out.mp4", "--smoothing", "0.8", "--photo-quality=95", "-q", "--ray"]
    assert given_options(build_parser(), argv) == {"--output", "--smoothing", "--photo-quality", "--quiet", "--ray"}
    assert given_options(build_parser(), ["in.mp4"]) == set()


def test_a_still_photo_names_the_video_options_it_cannot_use(photo, tmp_path, weights, cli):
    """enlight-video dusk.jpg -o day.png --smoothing 0.5 --photo-quality 60 --crf 20 --batch-size 2 said nothing of
    any of them: a still photo has nothing to smooth over time, a PNG no quality, a picture no video encoder."""
    out = tmp_path / "day.png"
    result = cli(photo, "-o", out, "--weights", weights, "--smoothing", "0.8", "--smooth", "both",
                 "--photo-quality", "60", "--crf", "20", "--preset", "slow", "--batch-size", "2", "--timeout", "3")
    assert result.returncode == 0 and out.is_file(), result.stderr
    notes = _notes(result)
    assert notes == [
        "enlight-video: note: --smoothing and --smooth do nothing here: a still photo is one frame, with nothing to "
        "smooth over time",
        "enlight-video: note: --photo-quality does nothing here: it sets the quality of JPEG, WebP, AVIF, HEIC, "
        "JPEG XL and JPEG 2000 pictures, and this run writes a PNG picture",
        "enlight-video: note: --crf and --preset do nothing here: this run writes a PNG picture, not a video (a "
        "JPEG's or WebP's quality is --photo-quality)",
        "enlight-video: note: --batch-size does nothing here: this run reads a still photo, not a video (a photo is "
        "enhanced whole, or in tiles where memory is short)",
        "enlight-video: note: --timeout does nothing here: this run reads and writes no URL (it limits a network "
        "open, read or send)"], result.stderr
    quiet = cli(photo, "-o", tmp_path / "quiet.jpg", "--weights", weights, "--smoothing", "0.5", "-q")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    used = cli(photo, "-o", tmp_path / "used.jpg", "--weights", weights, "--photo-quality", "60")
    assert used.returncode == 0 and _notes(used) == [], used.stderr  # a JPEG has a quality


def test_photo_quality_and_the_encoder_options_where_a_video_run_writes_none_of_theirs(tmp_path, weights, cli):
    """--photo-quality with a video written (a file or stdout) and --crf with numbered PNG pictures did nothing
    without a word; --photo-quality with numbered JPEG pictures sets their quality (no note)."""
    clip = make_clip(tmp_path / "night.mp4", frames=4, audio=False)
    video = cli(clip, "-o", tmp_path / "day.mp4", "--weights", weights, "--photo-quality", "40")
    assert video.returncode == 0, video.stderr
    assert _notes(video) == ["enlight-video: note: --photo-quality does nothing here: it sets the quality of JPEG, "
                             "WebP, AVIF, HEIC, JPEG XL and JPEG 2000 pictures, and this run writes a video (a "
                             "video's quality is --crf)"]
    piped = subprocess.run([sys.executable, "-m", "enlight.cli.video", clip, "-o", "-", "--weights", weights,
                            "--force"], capture_output=True, cwd=REPO, timeout=300)
    assert piped.returncode == 0 and piped.stdout, piped.stderr
    assert [line for line in piped.stderr.decode().splitlines() if "nothing here" in line] == [
        "enlight-video: note: --force does nothing here: a stream has no file to overwrite"]
    (tmp_path / "png").mkdir()
    pictures = cli(clip, "-o", tmp_path / "png" / "f_%04d.png", "--weights", weights, "--crf", "20",
                   "--pix-fmt", "yuv444p", "--photo-quality", "40")
    assert pictures.returncode == 0 and len(list((tmp_path / "png").iterdir())) == 4, pictures.stderr
    assert [line.split(" do")[0] for line in _notes(pictures)] == ["enlight-video: note: --photo-quality",
                                                                   "enlight-video: note: --crf and --pix-fmt"]
    assert "this run writes numbered PNG pictures" in _notes(pictures)[0]
    (tmp_path / "jpg").mkdir()
    jpegs = cli(clip, "-o", tmp_path / "jpg" / "f_%04d.jpg", "--weights", weights, "--photo-quality", "40")
    assert jpegs.returncode == 0 and _notes(jpegs) == [], jpegs.stderr


def test_a_folder_names_what_none_of_its_files_can_use(tmp_path, weights, cli):
    """A folder of still photos given --smoothing, and a folder of videos given --format (each video keeps its own
    kind of file), said nothing; --smoothing and --photo-quality with a video and a JPEG in the folder are used."""
    stills = tmp_path / "stills"
    stills.mkdir()
    for name in ("a.jpg", "b.png"):
        Image.fromarray(dark_frames(1, 32, 24)[0]).save(stills / name)
    result = cli(stills, "-o", tmp_path / "out1", "--weights", weights, "--smoothing", "0.5", "--hdr", "keep")
    assert result.returncode == 0, result.stderr
    assert _notes(result) == [
        "enlight-video: note: --smoothing does nothing here: each photo here is one frame, with nothing to smooth "
        "over time",
        "enlight-video: note: --hdr does nothing here: this run reads still photos, not a video, and none is HDR (PQ "
        "or HLG)"], result.stderr
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    make_clip(mixed / "night.mp4", frames=3, audio=False)
    Image.fromarray(dark_frames(1, 32, 24)[0]).save(mixed / "dusk.jpg")
    result = cli(mixed, "-o", tmp_path / "out2", "--weights", weights, "--smoothing", "0.5", "--photo-quality", "50",
                 "--format", "matroska")
    assert result.returncode == 0 and (tmp_path / "out2" / "night.mp4").is_file(), result.stderr
    assert _notes(result) == ["enlight-video: note: --format does nothing here: each video of a folder is written "
                              "as the kind of file it was (a .mkv as .mkv)"], result.stderr


def test_a_dry_run_of_a_folder_a_list_an_archive_or_segments_names_them_too(tmp_path, weights, cli):
    """A single video's --dry-run named the options that do nothing; a folder's, a list's, an archive's and a
    --segments run's said nothing of them."""
    import zipfile

    stills = tmp_path / "stills"
    stills.mkdir()
    for name in ("a.jpg", "b.png"):
        Image.fromarray(dark_frames(1, 32, 24)[0]).save(stills / name)
    listed = tmp_path / "list.txt"
    listed.write_text(f"{stills / 'a.jpg'}\n{stills / 'b.png'}\n")
    packed = tmp_path / "stills.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        for name in ("a.jpg", "b.png"):
            archive.write(stills / name, name)
    note = ("enlight-video: note: --smoothing does nothing here: each photo here is one frame, with nothing to smooth "
            "over time")
    for source, output in ((stills, "out1"), (listed, "out2"), (packed, "out3.zip")):
        result = cli(source, "-o", tmp_path / output, "--weights", weights, "--smoothing", "0.5", "--dry-run")
        assert result.returncode == 0, result.stderr
        assert _notes(result) == [note], (source, result.stderr)
    clip = make_clip(tmp_path / "night.mp4", frames=3, audio=False)
    result = cli(clip, "-o", tmp_path / "day.mp4", "--weights", weights, "--segments", "2", "--photo-quality", "50",
                 "--dry-run")
    assert result.returncode == 0, result.stderr
    assert _notes(result) == ["enlight-video: note: --photo-quality does nothing here: it sets the quality of JPEG, "
                              "WebP, AVIF, HEIC, JPEG XL and JPEG 2000 pictures, and this run writes a video (a "
                              "video's quality is --crf)"], result.stderr


def test_a_live_run_names_what_its_source_cannot_use(tmp_path, cli):
    """--loop with a camera (it replays a file) and --reconnect-timeout with a file (only a camera or a stream is
    opened again) did nothing without a word; a dry run says so before any device is opened."""
    camera = cli("--camera", "0", "--no-window", "--loop", "--dry-run")
    assert camera.returncode == 0, camera.stderr
    assert _notes(camera) == ["enlight-video: note: --loop does nothing here: this source is a camera; --loop plays a "
                              "file given to --camera again at its end"], camera.stderr
    clip = make_clip(tmp_path / "night.mp4", frames=2, audio=False)
    played = cli("--camera", clip, "--no-window", "--loop", "--reconnect-timeout", "3", "--dry-run")
    assert played.returncode == 0, played.stderr
    assert _notes(played) == ["enlight-video: note: --reconnect-timeout does nothing here: a file is not opened again "
                              "when it ends, only a camera or a network stream when it is lost"], played.stderr


@pytest.mark.parametrize("smooth", ["attention", "both"])
def test_retinexnet_refuses_to_smooth_an_attention_map_it_does_not_take(tmp_path, cli, smooth):
    """--model retinexnet --smooth attention smoothed nothing over time (RetinexNet is given no attention map: its
    frames came out exactly as with --smoothing 0), without a word."""
    clip = make_clip(tmp_path / "night.mp4", frames=2, audio=False)
    out = tmp_path / "day.mp4"
    result = cli(clip, "-o", out, "--model", "retinexnet", "--quality", "fast", "--smooth", smooth)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert f"--smooth {smooth} smooths the attention map EnlightenGAN is given, and --model retinexnet takes none; " \
        "use --smooth correction" in result.stderr
    assert not out.exists()


def test_hdr_keep_on_an_sdr_video_says_it_does_nothing(tmp_path, weights, cli):
    """--hdr keep on a photo that is not HDR is named in a note; on an SDR video it did nothing without a word (the
    user, expecting 10-bit HEVC with HDR tags, got 8-bit H.264)."""
    clip = make_clip(tmp_path / "night.mp4", frames=3, audio=False)
    result = cli(clip, "-o", tmp_path / "day.mp4", "--weights", weights, "--hdr", "keep")
    assert result.returncode == 0, result.stderr
    assert _notes(result) == ["enlight-video: note: --hdr keep does nothing here: the input is not HDR (PQ or HLG); "
                              "it is written as the SDR video it is"], result.stderr


def test_smooth_with_smoothing_off_is_named_and_a_photo_says_it_once(tmp_path, weights, photo, cli):
    """--smooth (what is smoothed over time) with --smoothing 0 (nothing is) did nothing without a word; with a
    strength it does its work (no note), and a still photo keeps its one line for both."""
    clip = make_clip(tmp_path / "night.mp4", frames=4, audio=False)
    off = cli(clip, "-o", tmp_path / "off.mp4", "--weights", weights, "--smooth", "both", "--smoothing", "0")
    assert off.returncode == 0, off.stderr
    assert _notes(off) == ["enlight-video: note: --smooth does nothing here: --smoothing 0 turns the smoothing over "
                           "time off"]
    on = cli(clip, "-o", tmp_path / "on.mp4", "--weights", weights, "--smooth", "both", "--smoothing", "0.5")
    assert on.returncode == 0 and _notes(on) == [], on.stderr
    still = cli(photo, "-o", tmp_path / "day.png", "--weights", weights, "--smooth", "both", "--smoothing", "0")
    assert still.returncode == 0 and [line.split(" do")[0] for line in _notes(still)] == [
        "enlight-video: note: --smoothing and --smooth"], still.stderr
