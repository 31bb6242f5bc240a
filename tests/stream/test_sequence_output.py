"""A video enhanced into numbered pictures (``-o day/f_%04d.png``), one a frame, for an editor or a compositor.
It was refused as "a still image"."""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from enlight.stream.io.locations import Location, output_location, sequence_name
from enlight.stream.io.sequence_sink import SequenceSink
from enlight.stream.io.source_items import VideoInfo
from tests.media import dark_frames, make_clip, read_video
from tests.stopping import stop_after


def _pictures(folder, prefix: str = "f_") -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(prefix) and p.is_file())


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def test_a_name_with_a_frame_number_is_a_sequence_output():
    assert output_location("day/f_%04d.png").kind == "sequence"
    assert output_location("day.mp4").kind == "file"
    assert sequence_name("day/f_%04d.png", 7).as_posix() == "day/f_0007.png"
    assert sequence_name("50%_%d.jpg", 12).name == "50%_12.jpg"


def test_every_frame_becomes_a_numbered_picture_in_order(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "night.mp4", width=96, height=64, frames=14, rate=25, audio=True)
    video = tmp_path / "day.mkv"
    result = cli(clip, "-o", video, "--weights", weights, "--crf", "0", "--pix-fmt", "yuv444p")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "frames"
    out.mkdir()
    result = cli(clip, "-o", out / "f_%04d.png", "--weights", weights)
    assert result.returncode == 0, result.stderr
    names = _pictures(out)
    assert names == [f"f_{i:04d}.png" for i in range(1, 15)]  # numbered from 1, as FFmpeg's image2 writes
    assert os.listdir(out) == names or sorted(os.listdir(out)) == names, "work folder left behind"
    frames = read_video(video)["images"]
    pictures = [np.asarray(Image.open(out / name).convert("RGB")) for name in names]
    assert pictures[0].shape == (64, 96, 3)
    # the same enhanced frames as the video's, frame by frame (a picture i against video frame i; the square moves)
    assert min(_psnr(p, f) for p, f in zip(pictures, frames, strict=True)) > 35
    assert _psnr(pictures[3], frames[8]) < _psnr(pictures[3], frames[3]) - 3
    assert "1 sound stream" in result.stderr and "read the sequence back at 25 fps" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_sequence_into_a_sequence_keeps_its_numbers_and_jpeg_and_rotation(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "turned.mp4", width=96, height=64, frames=6, rotation=-90, audio=False)
    result = cli(clip, "-o", tmp_path / "t_%03d.jpg", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _pictures(tmp_path, "t_") == [f"t_{i:03d}.jpg" for i in range(1, 7)]
    assert Image.open(tmp_path / "t_001.jpg").size == (64, 96)  # turned upright: a picture has no rotation tag
    assert "turned" in result.stderr or "rotated" in result.stderr
    for number in range(7, 11):  # a timelapse's frames, numbered from 7
        Image.open(tmp_path / f"t_{number - 6:03d}.jpg").save(tmp_path / f"night_{number:04d}.png")
    (tmp_path / "day").mkdir()
    result = cli(tmp_path / "night_%04d.png", "-o", tmp_path / "day" / "night_%04d.png", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _pictures(tmp_path / "day", "night_") == [f"night_{n:04d}.png" for n in range(7, 11)]


def test_jpeg_pictures_are_written_at_the_photo_quality_asked_for(tmp_path, weights, cli):
    """-o f_%03d.jpg --photo-quality 30 wrote every picture at quality 95 (4:4:4), the option silently ignored."""
    from PIL import JpegImagePlugin

    clip = make_clip(tmp_path / "night.mp4", width=96, height=64, frames=3, audio=False)
    for folder, extra in (("default", ()), ("low", ("--photo-quality", "30"))):
        (tmp_path / folder).mkdir()
        result = cli(clip, "-o", tmp_path / folder / "f_%03d.jpg", "--weights", weights, *extra)
        assert result.returncode == 0, result.stderr
    default, low = (Image.open(tmp_path / folder / "f_002.jpg") for folder in ("default", "low"))
    reference = Image.new("RGB", (8, 8))  # the tables Pillow writes at each quality
    for quality, picture in ((95, default), (30, low)):
        reference.save(tmp_path / "ref.jpg", quality=quality)
        assert picture.quantization == Image.open(tmp_path / "ref.jpg").quantization, quality
    assert JpegImagePlugin.get_sampling(default) == 0 and JpegImagePlugin.get_sampling(low) == 2  # 4:4:4 from 90


def test_an_existing_sequence_is_kept_without_force_and_replaced_whole_with_it(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "night.mp4", frames=5, audio=False)
    old = [tmp_path / f"f_{i:04d}.png" for i in range(1, 9)]  # a longer earlier run's 8 pictures
    for path in old:
        Image.new("RGB", (8, 8)).save(path)
    before = [p.read_bytes() for p in old]
    result = cli(clip, "-o", tmp_path / "f_%04d.png", "--weights", weights)
    assert result.returncode == 2 and "8 pictures of the sequence" in result.stderr and "--force" in result.stderr
    assert len(result.stderr_lines) == 1 and [p.read_bytes() for p in old] == before
    result = cli(clip, "-o", tmp_path / "f_%04d.png", "--weights", weights, "--force")
    assert result.returncode == 0, result.stderr
    # the old sequence's frames 6-8 would have read as the end of this one
    assert _pictures(tmp_path) == [f"f_{i:04d}.png" for i in range(1, 6)]
    assert Image.open(old[0]).size == (64, 48)


@pytest.mark.parametrize("args, message", [
    (("{clip}", "-o", "{tmp}/f_%04d.exr"),
     "written as one of .bmp, .j2k, .jp2, .jpf, .jpg, .jpx, .pam, .pgm, .png, .pnm, .ppm, .tga, .tif, .tiff, .webp"),
    (("{clip}", "-o", "{tmp}/none/f_%04d.png"), "output folder does not exist"),
    (("{clip}", "-o", "{tmp}/f_%04d.png", "--segments", "2"), "numbered pictures are written by one plain run"),
    (("{tmp}/clips", "-o", "{tmp}/f_%04d.png"), "a folder is enhanced into a folder"),
    (("{tmp}/dark.png", "-o", "{tmp}/f_%04d.png"), "a photo is enhanced into one photo"),
    (("{tmp}/missing.mp4", "-o", "{tmp}/f_%04d.png"), "input not found"),
], ids=["format", "folder", "segments", "folder-input", "photo-input", "missing-input"])
def test_what_a_numbered_output_refuses(tmp_path, weights, cli, args, message):
    clip = make_clip(tmp_path / "night.mp4", frames=4, audio=False)
    (tmp_path / "clips").mkdir()
    make_clip(tmp_path / "clips" / "a.mp4", frames=4, audio=False)
    Image.new("RGB", (16, 16), (10, 10, 10)).save(tmp_path / "dark.png")
    result = cli(*(a.format(clip=clip, tmp=tmp_path) for a in args), "--weights", weights)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr_lines) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("f_", ".enlight"))]


def _info(width: int = 32, height: int = 16, **changes) -> VideoInfo:
    from enlight.stream.io.hdr import SDR_BT709

    return VideoInfo(width=width, height=height, time_base=Fraction(1, 25), average_rate=Fraction(25),
                     frame_count=None, codec="h264", pix_fmt="yuv420p", color=SDR_BT709, display_matrix=None,
                     slot_rate=Fraction(25), **changes)


def test_a_failed_run_leaves_nothing_and_a_stopped_one_keeps_its_frames_apart(tmp_path):
    location = Location(str(tmp_path / "f_%04d.png"), str(tmp_path / "f_%04d.png"), "sequence")
    rgb = np.full((16, 32, 3), 90, np.uint8)
    sink = SequenceSink(location, _info())
    sink.write_frame(rgb, 0)
    sink.write_frame(rgb, 1)
    sink.abort()
    assert os.listdir(tmp_path) == []
    sink = SequenceSink(location, _info())
    for pts in range(3):
        sink.write_frame(rgb, pts)
    kept = sink.keep_partial()
    assert kept == tmp_path / "f_partial" and sorted(os.listdir(kept)) == ["f_0001.png", "f_0002.png", "f_0003.png"]
    assert _pictures(tmp_path) == []  # no half sequence under the names asked for


def test_square_pixels_and_alpha_are_written(tmp_path):
    location = Location(str(tmp_path / "a_%02d.png"), str(tmp_path / "a_%02d.png"), "sequence")
    sink = SequenceSink(location, _info(sample_aspect_ratio=Fraction(2, 1)))
    alpha = np.zeros((16, 32), np.uint8)
    alpha[:, 16:] = 255
    sink.write_frame(np.full((16, 32, 3), 90, np.uint8), 0, alpha)
    sink.finish()
    image = Image.open(tmp_path / "a_01.png")
    assert image.size == (64, 16) and image.mode == "RGBA"
    assert np.asarray(image)[8, 4, 3] == 0 and np.asarray(image)[8, 60, 3] == 255
    assert "square pixels" in " ".join(sink.notes)


def test_ctrl_c_keeps_the_pictures_done_apart_from_the_names_asked_for(tmp_path, weights):
    clip = make_clip(tmp_path / "long.mp4", width=160, height=96, frames=1500, audio=False)
    code, text = stop_after([clip, "-o", tmp_path / "f_%04d.png", "--weights", weights, "--batch-size", "2"],
                            frames=30, total=1500)
    assert code == 130
    assert "Traceback" not in text and "interrupted" in text and "f_partial" in text
    kept = sorted(os.listdir(tmp_path / "f_partial"))
    assert 30 <= len(kept) < 1500 and kept == [f"f_{i:04d}.png" for i in range(1, len(kept) + 1)]
    assert _pictures(tmp_path) == [] and not list(tmp_path.glob(".enlight-*"))


def test_a_live_run_refuses_numbered_pictures(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "cam.mp4", frames=6, audio=False)
    for option in ("-o", "--record"):
        result = cli("--camera", clip, "--no-window", "--max-frames", "4", option, tmp_path / "f_%04d.png",
                     "--weights", weights)
        assert result.returncode == 2 and "not numbered pictures" in result.stderr, result.stderr
        assert len(result.stderr_lines) == 1 and not list(tmp_path.glob("f_*"))


def test_a_full_disk_names_the_folder_the_pictures_were_going_to(tmp_path, weights, cli, small_disk):
    """Numbered pictures onto a 100 kB filesystem (root only: a tmpfs is mounted for it) said 'no space left for the
    output (No space left on device)', naming no disk (Pillow's error names no file): the output's folder is named
    now, and nothing is left in it."""
    clip = make_clip(tmp_path / "night.mp4", width=320, height=240, frames=24)
    result = cli(clip, "-o", small_disk / "f_%04d.png", "--weights", weights, "-q")
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert f"no space left for the output in {small_disk} (" in result.stderr, result.stderr
    assert os.listdir(small_disk) == []


def _square_x(path) -> int:
    """The left edge of ``tests.media.dark_frames``' moving square (3 pixels a frame) in a picture."""
    rows = np.asarray(Image.open(path).convert("L"), np.float64)[4:14]
    return int(np.argmax(np.convolve(rows.mean(axis=0), np.ones(10), "valid")))


def test_each_picture_keeps_its_input_pictures_number(tmp_path, weights, cli):
    """A sequence into a sequence numbered its pictures on from the input's first number, one by one: past a gap
    (1, 2, 3, 6, 7 -> 1..5), a picture that could not be read, or the frames that --start left out (--start 0.4 of
    1..20 wrote frames 11..15 as 1..5), an editor's frame numbers no longer named the same frames. Each picture
    now keeps its input's number."""
    numbers = [1, 2, 3, 6, 7, 8, 9]  # two frames deleted from the card; 8 is damaged
    for number, rgb in zip(numbers, dark_frames(len(numbers), 64, 48), strict=True):
        Image.fromarray(rgb).save(tmp_path / f"n_{number:04d}.jpg", quality=95)
    (tmp_path / "n_0008.jpg").write_bytes((tmp_path / "n_0008.jpg").read_bytes()[:300])
    (tmp_path / "gap").mkdir()
    result = cli(tmp_path / "n_%04d.jpg", "-o", tmp_path / "gap" / "o_%04d.png", "--weights", weights)
    assert result.returncode == 3 and "1 of 7 frames lost" in result.stderr, result.stderr
    assert "1 input picture could not be read (n_0008.jpg)" in result.stderr  # (named: the warning counts frames)
    assert _pictures(tmp_path / "gap", "o_") == [f"o_{n:04d}.png" for n in (1, 2, 3, 6, 7, 9)]
    for n in (1, 2, 3, 6, 7, 9):
        assert _square_x(tmp_path / "gap" / f"o_{n:04d}.png") == _square_x(tmp_path / f"n_{n:04d}.jpg")
    for number, rgb in enumerate(dark_frames(20, 64, 48), start=1):
        Image.fromarray(rgb).save(tmp_path / f"s_{number:04d}.png")
    (tmp_path / "cut").mkdir()
    result = cli(tmp_path / "s_%04d.png", "-o", tmp_path / "cut" / "o_%04d.png", "--weights", weights,
                 "--start", "0.4", "--duration", "0.2")  # 25 fps: frames 11 to 15
    assert result.returncode == 0, result.stderr
    assert _pictures(tmp_path / "cut", "o_") == [f"o_{n:04d}.png" for n in range(11, 16)]
    for n in range(11, 16):
        assert _square_x(tmp_path / "cut" / f"o_{n:04d}.png") == _square_x(tmp_path / f"s_{n:04d}.png")


def test_a_deeper_source_is_said_to_be_written_at_8_bits(tmp_path, weights, cli):
    """A 16-bit PNG timelapse (an infrared or astro camera's) written as numbered PNGs came out at 8 bits with no word
    of it, where the same pictures given as a folder keep their 16 bits. A note says so now, and how to keep them."""
    for number, rgb in enumerate(dark_frames(3, 64, 48), start=1):
        Image.fromarray(rgb[..., 1].astype(np.uint16) * 257).save(tmp_path / f"ir_{number:04d}.png")
    assert Image.open(tmp_path / "ir_0001.png").mode == "I;16"
    result = cli(tmp_path / "ir_%04d.png", "-o", tmp_path / "day_%04d.png", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "day_0001.png").mode == "RGB"
    assert "16-bit frames are written as 8-bit pictures" in result.stderr and "folder" in result.stderr


def test_alpha_that_a_format_cannot_hold_is_said_to_be_left_out(tmp_path):
    """An RGBA PNG sequence written as numbered JPEGs or BMPs lost its transparency with no word of it (a .mp4 output
    says so). A note says so now, and which pictures keep it."""
    alpha = np.zeros((16, 32), np.uint8)
    for suffix, kept in ((".jpg", False), (".bmp", False), (".ppm", False), (".png", True), (".tga", True),
                         (".jp2", True)):
        text = str(tmp_path / f"k_%02d{suffix}")
        sink = SequenceSink(Location(text, text, "sequence"), _info())
        sink.write_frame(np.full((16, 32, 3), 90, np.uint8), 0, alpha)
        sink.finish()
        said = "alpha channel (transparency) was not kept" in " ".join(sink.notes)
        assert said != kept, (suffix, sink.notes)
    for suffix in (".png", ".tga", ".jp2"):
        assert Image.open(tmp_path / f"k_01{suffix}").mode == "RGBA", suffix
        assert np.asarray(Image.open(tmp_path / f"k_01{suffix}"))[..., 3].max() == 0, suffix


def test_netpbm_targa_and_jpeg_2000_pictures_are_written(tmp_path, weights, cli):
    """-o f_%04d.ppm (.pgm, .tga, .jp2, .j2k) was refused: 'an image sequence is written as one of .bmp, .jpg, .png,
    .tif, .tiff, .webp (not f_%04d.ppm)', though a photo is written as each. Pillow writes them: the frames the
    .png pictures hold (a .jp2's at --photo-quality, a JP2 file; a .j2k a bare codestream), a .pgm's as their luma
    in one channel, with a note (Pillow would have written the RGB frame into it as a colour P6)."""
    from enlight.stream.io.netpbm import grey_of

    clip = make_clip(tmp_path / "night.mp4", width=96, height=64, frames=3, audio=False)
    (tmp_path / "png").mkdir()
    assert cli(clip, "-o", tmp_path / "png" / "f_%04d.png", "--weights", weights).returncode == 0
    frames = [np.asarray(Image.open(tmp_path / "png" / f"f_{i:04d}.png")) for i in range(1, 4)]
    for suffix, fmt, mode, least in ((".ppm", "PPM", "RGB", 99), (".pgm", "PPM", "L", 45), (".tga", "TGA", "RGB", 99),
                                     (".jp2", "JPEG2000", "RGB", 38), (".j2k", "JPEG2000", "RGB", 38)):
        folder = tmp_path / suffix[1:]
        folder.mkdir()
        result = cli(clip, "-o", folder / f"f_%04d{suffix}", "--weights", weights)
        assert result.returncode == 0, result.stderr
        assert _pictures(folder) == [f"f_{i:04d}{suffix}" for i in range(1, 4)], suffix
        for number, frame in enumerate(frames, start=1):
            picture = Image.open(folder / f"f_{number:04d}{suffix}")
            assert (picture.format, picture.mode, picture.size) == (fmt, mode, (96, 64)), suffix
            expected = grey_of(frame)[..., 0] if mode == "L" else frame
            assert _psnr(np.asarray(picture), expected) >= least, suffix
        head = (folder / f"f_0001{suffix}").read_bytes()[:12]
        assert head.startswith({".ppm": b"P6", ".pgm": b"P5", ".jp2": b"\0\0\0\x0cjP", ".j2k": b"\xff\x4f\xff\x51"}
                               .get(suffix, b"")), suffix
        greyed = "the colour of 3 frames was written as grey (its luma): a .pgm picture holds one channel" in \
            result.stderr
        assert greyed == (suffix == ".pgm") and "Traceback" not in result.stderr, result.stderr


def _camera_jpeg(path, rgb: np.ndarray, taken: str, icc: bytes) -> None:
    """A security camera's JPEG: when it was taken (DateTimeOriginal, in the EXIF sub-IFD), its camera, its profile,
    and an orientation (6: turned a quarter to view)."""
    image = Image.fromarray(rgb)
    exif = image.getexif()
    exif[0x010F], exif[0x0112] = "DVR-8", 6
    exif.get_ifd(0x8769)[0x9003] = taken
    image.save(path, exif=exif.tobytes(), icc_profile=icc, quality=95)


def test_each_picture_keeps_its_input_pictures_exif_and_profile(tmp_path, weights, cli):
    """A folder of a security camera's JPEGs enhanced as a sequence into numbered pictures lost every picture's EXIF
    (the time each was taken: what makes them evidence) and its ICC profile, with no word of it. Each picture now
    carries its own input's, turned upright (orientation 1); a BMP, which holds none, says so."""
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    numbers = (1, 2, 4)  # the camera skipped one
    for number, rgb in zip(numbers, dark_frames(3, 64, 48), strict=True):
        _camera_jpeg(tmp_path / f"cam_{number:04d}.jpg", rgb, f"2026:03:0{number} 23:59:0{number}", icc)
    for suffix in (".jpg", ".tif", ".png"):
        result = cli(tmp_path / "cam_%04d.jpg", "-o", tmp_path / f"day_%04d{suffix}", "--weights", weights)
        assert result.returncode == 0, result.stderr
        for number in numbers:
            picture = Image.open(tmp_path / f"day_{number:04d}{suffix}")
            exif = picture.getexif()
            assert picture.size == (48, 64) and exif[0x0112] == 1 and exif[0x010F] == "DVR-8", (suffix, dict(exif))
            assert exif.get_ifd(0x8769)[0x9003] == f"2026:03:0{number} 23:59:0{number}", suffix
            assert picture.info.get("icc_profile") == icc, suffix
    result = cli(tmp_path / "cam_%04d.jpg", "-o", tmp_path / "day_%04d.bmp", "--weights", weights)
    assert result.returncode == 0 and "BMP pictures cannot hold them" in result.stderr, result.stderr


def test_the_input_pictures_are_never_written_over(tmp_path, weights, cli):
    """enlight-video 'n_%04d.png' -o 'n_%04d.png' --force (or the same folder named another way) replaced the input
    pictures with the enhanced ones: the originals were gone. Refused in one line now, --force or not (without it,
    the error said 'use --force to replace that sequence')."""
    for number, rgb in enumerate(dark_frames(3, 64, 48), start=1):
        Image.fromarray(rgb).save(tmp_path / f"n_{number:04d}.png")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    (tmp_path / "day").mkdir()
    for output, force in ((tmp_path / "n_%04d.png", ("--force",)), (tmp_path / "day" / ".." / "n_%04d.png", ()),
                          (tmp_path / "day" / ".." / "n_%04d.png", ("--force", "--start", "0.04"))):
        result = cli(tmp_path / "n_%04d.png", "-o", output, "--weights", weights, *force)
        assert result.returncode == 2 and "would write over the input pictures" in result.stderr, result.stderr
        assert "--force" not in result.stderr and len(result.stderr_lines) == 1
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
