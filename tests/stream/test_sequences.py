"""An image sequence (a night timelapse's frames, ``night_%04d.png``) is read as one video: every frame, in number
order from the first, at --fps (25 by default), through the temporal smoothing a video gets. It was refused as
'input not found'."""

from __future__ import annotations

import io

import av
import numpy as np
from PIL import Image, ImageCms

from enlight.stream.io.side_data import frame_side_data
from tests.icc import grey_profile
from tests.media import dark_frames


def _frames(folder, name: str, numbers) -> None:
    for number, rgb in zip(numbers, dark_frames(len(numbers), 64, 48), strict=True):
        Image.fromarray(rgb).save(folder / name.replace("%04d", f"{number:04d}").replace("%d", str(number)))


def _read(path) -> tuple[int, float, float]:
    """(frames, frame rate, mean level) of a video."""
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        return len(frames), float(container.streams.video[0].average_rate), float(np.mean(frames))


def test_a_numbered_sequence_is_one_video(tmp_path, weights, cli):
    _frames(tmp_path, "night_%04d.png", range(7, 19))  # a timelapse's numbers need not start at 0
    out = tmp_path / "timelapse.mp4"
    result = cli(str(tmp_path / "night_%04d.png"), "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    frames, rate, level = _read(out)
    assert (frames, rate) == (12, 25.0)
    assert level > np.mean(dark_frames(12, 64, 48)) + 10
    slow = tmp_path / "slow.mkv"
    result = cli(str(tmp_path / "night_%04d.png"), "-o", slow, "--weights", weights, "--fps", "12")
    assert result.returncode == 0, result.stderr
    assert _read(slow)[:2] == (12, 12.0)


def test_a_gap_is_read_past_with_zero_padded_numbers_and_refused_without(tmp_path, weights, cli):
    _frames(tmp_path, "night_%04d.png", [1, 2, 3, 6, 7])  # two frames deleted from the card
    out = tmp_path / "padded.mp4"
    result = cli(str(tmp_path / "night_%04d.png"), "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _read(out)[0] == 5  # FFmpeg's numbered read stopped at the gap: 3
    _frames(tmp_path, "plain_%d.png", [1, 2, 4])
    bare = tmp_path / "bare.mp4"
    result = cli(str(tmp_path / "plain_%d.png"), "-o", bare, "--weights", weights)
    assert result.returncode == 2 and "gap after frame 2" in result.stderr and "%04d" in result.stderr
    assert "Traceback" not in result.stderr and not bare.exists()


def test_a_gap_with_numbers_past_the_padding_is_refused_not_cut_short(tmp_path, weights, cli):
    """%04d past a gap is read through a glob of four digits: frames numbered 10000 and on were left out without a
    word (a long timelapse), and a glob of any width would read 10000 before 9999. Now the run is refused, naming
    the file and the padding that reads them all."""
    _frames(tmp_path, "night_%04d.png", [9996, 9997, 9999, 10000, 10001])  # frame 9998 deleted from the card
    out = tmp_path / "long.mp4"
    result = cli(str(tmp_path / "night_%04d.png"), "-o", out, "--weights", weights)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert len(result.stderr_lines) == 1 and "gap after frame 9997" in result.stderr, result.stderr
    assert "night_10000.png" in result.stderr and "%05d" in result.stderr, result.stderr
    assert not out.exists()


def test_what_a_sequence_cannot_be(tmp_path, weights, cli):
    _frames(tmp_path, "night_%04d.png", range(1, 4))
    pattern = str(tmp_path / "night_%04d.png")
    cases = [((str(tmp_path / "none_%04d.png"), "-o", tmp_path / "a.mp4"), "no files match"),
             ((pattern, "-o", tmp_path / "b.mp4", "--segments", "2"), "enhanced in one run")]
    for args, message in cases:
        result = cli(*args, "--weights", weights)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr_lines) == 1


def test_jpeg_frames_with_exif_are_read_upright(tmp_path, weights, cli):
    """A camera's JPEGs carry EXIF, which this FFmpeg hands out as a side-data kind PyAV 18 cannot name: reading any
    frame's side data raised ValueError, an internal error for every JPEG sequence and EXIF-carrying MJPEG file.
    The orientation (6: turned a quarter clockwise to view) is read as the rotation it is."""
    for i, rgb in enumerate(dark_frames(4, 64, 48), start=1):
        image = Image.fromarray(rgb)
        exif = image.getexif()
        exif[0x0112] = 6
        image.save(tmp_path / f"IMG_{i:04d}.jpg", exif=exif.tobytes())
    out = tmp_path / "timelapse.mp4"
    result = cli(str(tmp_path / "IMG_%04d.jpg"), "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _matrix(out) == _matrix(tmp_path / "IMG_0001.jpg") != [65536, 0]  # the photo's quarter turn, kept


def _matrix(path) -> list[int]:
    """The first two values of the display matrix FFmpeg gives ``path``'s first frame ([65536, 0]: upright)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            for frame in packet.decode():  # (PyAV alone cannot read a JPEG frame's side data: frame_side_data)
                found = [bytes(d) for d in frame_side_data(frame) if d.type.name == "DISPLAYMATRIX"]
                return np.frombuffer(found[0], "<i4")[:2].tolist() if found else [65536, 0]
    return []


def test_an_mjpeg_recording_whose_frames_carry_exif_runs(tmp_path, weights, cli):
    """An IP camera's or dashcam's MJPEG AVI keeps each frame's JPEG whole, EXIF included: the same side data."""
    clip = tmp_path / "CAM0001.avi"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("mjpeg", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        for i, rgb in enumerate(dark_frames(6, 64, 48)):
            image, data = Image.fromarray(rgb), io.BytesIO()
            exif = image.getexif()
            exif[0x010F] = "dashcam"
            image.save(data, "JPEG", exif=exif.tobytes())
            packet = av.Packet(data.getvalue())
            packet.stream, packet.pts, packet.dts = stream, i, i
            container.mux(packet)
    out = tmp_path / "day.mp4"
    result = cli(clip, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _read(out)[0] == 6


def test_a_png_sequence_with_an_icc_profile_runs_to_its_end(tmp_path, weights, cli):
    """FFmpeg gives a PNG's ICC profile as side data with a metadata dictionary (its name), which PyAV 18's wrapper
    freed and the frame freed again: a grey PNG sequence with a profile into a video ended in a segmentation fault
    every time (exit 139, nothing written), an RGB one only by luck not."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for number, rgb in enumerate(dark_frames(4, 64, 48), start=1):
        Image.fromarray(rgb[..., 1]).save(tmp_path / f"g_{number:04d}.png", icc_profile=grey_profile(2.2))
        Image.fromarray(rgb).save(tmp_path / f"c_{number:04d}.png", icc_profile=srgb)
    for stem in ("g", "c"):
        result = cli(tmp_path / f"{stem}_%04d.png", "-o", tmp_path / f"{stem}.mp4", "--weights", weights)
        assert result.returncode == 0, (stem, result.returncode, result.stderr[-300:])
        assert _read(tmp_path / f"{stem}.mp4")[0] == 4


def test_a_pattern_of_the_other_padding_or_a_shell_glob_names_the_pattern_that_reads_the_files(tmp_path, weights, cli):
    """'night_%d.png' over night_0001.png ... (zero-padded) was taken for a sequence and failed in FFmpeg as 'cannot
    read night_%d.png: No such file or directory'; 'plain_%04d.png' over plain_1.png ... said only 'no files match';
    'night_*.png' typed in quotes said 'input not found'. Each now names the pattern that reads the files."""
    _frames(tmp_path, "night_%04d.png", range(1, 4))
    _frames(tmp_path, "plain_%d.png", range(1, 4))
    glob = f"a frame number pattern ({tmp_path / 'night_%04d.png'}), or their folder"
    cases = [("night_%d.png", "out.mp4", f"give {tmp_path / 'night_%04d.png'}"),
             ("plain_%04d.png", "out.mp4", f"give {tmp_path / 'plain_%d.png'}"),
             ("night_*.png", "out.mp4", glob), ("night_*.png", "out.png", glob)]  # (a photo's output: its own checks)
    for typed, name, message in cases:
        out = tmp_path / name
        result = cli(tmp_path / typed, "-o", out, "--weights", weights)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr_lines) == 1 and not out.exists()


def test_an_unquoted_glob_is_said_in_one_short_line(tmp_path, weights, cli):
    """enlight-video night_*.png -o out.mp4 (the shell hands over every file) said 'unrecognized arguments: ' and every
    name but the first on one line (a thousand names for a night's timelapse), and nothing of what to type."""
    _frames(tmp_path, "night_%04d.png", range(1, 31))
    names = sorted(tmp_path.glob("night_*.png"))
    out = tmp_path / "out.mp4"
    result = cli(*names, "-o", out, "--weights", weights)
    assert result.returncode == 2 and len(result.stderr_lines) == 1 and not out.exists(), result.stderr
    assert "30 files named where one input is taken" in result.stderr
    assert f"'{tmp_path / 'night_%04d.png'}'" in result.stderr and "night_0030.png" not in result.stderr


def test_a_video_of_pictures_with_exif_says_it_was_not_kept(tmp_path, weights, cli):
    """A security camera's JPEGs (each with the time it was taken in its EXIF) made into a video lost every picture's
    EXIF with no word of it. A note says so now, and that numbered pictures keep it; plain pictures get no note. It
    names only the EXIF: it named an ICC profile and XMP that the pictures did not have."""
    for i, rgb in enumerate(dark_frames(3, 64, 48), start=1):
        image = Image.fromarray(rgb)
        exif = image.getexif()
        exif.get_ifd(0x8769)[0x9003] = f"2026:03:01 23:59:0{i}"
        image.save(tmp_path / f"cam_{i:04d}.jpg", exif=exif.tobytes())
    _frames(tmp_path, "plain_%04d.png", range(1, 4))
    for pattern, said in (("cam_%04d.jpg", True), ("plain_%04d.png", False)):
        out = tmp_path / f"{pattern[:3]}.mp4"
        result = cli(tmp_path / pattern, "-o", out, "--weights", weights)
        assert result.returncode == 0, result.stderr
        assert ("the input pictures' EXIF (the time each was taken, the camera) is not kept in a video: numbered "
                "pictures keep it" in result.stderr) == said, result.stderr
        assert "ICC profile" not in result.stderr and "XMP" not in result.stderr  # (they had neither)
