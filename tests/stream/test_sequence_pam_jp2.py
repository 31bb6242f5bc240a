"""Numbered pictures out (``-o f_%04d.pam``) in the photo formats a photo is written as: .pam, .jpf and .jpx were
refused ('an image sequence is written as one of .bmp, .j2k, .jp2, .jpg, .pgm, .png, .pnm, .ppm, .tga, .tif, .tiff,
.webp (not f_%04d.pam)') though a photo is written as each, because the numbered pictures kept a list of their own
(``SequenceSink``'s) beside the photos' (``enlight.photo_suffixes``). They are one list now; a PAM picture is written
by our PAM plugin's Pillow saver, a .jpf/.jpx one as a JP2 file, as a photo is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from enlight.photo_suffixes import PILLOW_FORMATS
from enlight.stream.io.locations import Location
from enlight.stream.io.photo_reader import read_photo
from enlight.stream.io.sequence_sink import SEQUENCE_FORMATS, SequenceSink
from tests.media import dark_frames, make_clip, read_video
from tests.stream.test_sequence_output import _info, _pictures, _psnr

_JP2 = b"\0\0\0\x0cjP  \r\n\x87\n"  # a JP2 file's signature box


def test_pam_jpf_and_jpx_pictures_are_written_and_read_back(tmp_path, weights, cli):
    """Each picture holds the frame the .png pictures hold (a PAM's exactly, a JP2's at --photo-quality), is read
    back by Pillow and by this tool as a photo, and the pictures read back as an input sequence (FFmpeg's image2)."""
    clip = make_clip(tmp_path / "night.mp4", width=96, height=64, frames=3, audio=False)
    (tmp_path / "png").mkdir()
    assert cli(clip, "-o", tmp_path / "png" / "f_%04d.png", "--weights", weights).returncode == 0
    frames = [np.asarray(Image.open(tmp_path / "png" / f"f_{i:04d}.png")) for i in range(1, 4)]
    for suffix, head, least in ((".pam", b"P7\n", 99), (".jpf", _JP2, 38), (".jpx", _JP2, 38)):
        folder = tmp_path / suffix[1:]
        folder.mkdir()
        result = cli(clip, "-o", folder / f"f_%04d{suffix}", "--weights", weights)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert _pictures(folder) == [f"f_{i:04d}{suffix}" for i in range(1, 4)], suffix
        assert (folder / f"f_0001{suffix}").read_bytes().startswith(head), suffix
        for number, frame in enumerate(frames, start=1):
            photo = read_photo(folder / f"f_{number:04d}{suffix}")
            assert photo.rgb.shape == (64, 96, 3) and photo.alpha is None, suffix
            assert _psnr(photo.rgb, frame) >= least, suffix
        again = cli(folder / f"f_%04d{suffix}", "-o", tmp_path / f"again{suffix[1:]}.mkv", "--weights", weights)
        assert again.returncode == 0, again.stderr
        assert len(read_video(tmp_path / f"again{suffix[1:]}.mkv")["images"]) == 3, suffix


def test_a_pam_picture_keeps_the_alpha_and_says_it_holds_no_exif(tmp_path, weights, cli):
    """An RGBA frame is written as a PAM of tuple type RGB_ALPHA; a JPEG sequence's EXIF, which a PAM cannot hold, is
    named in a note, as a BMP's is."""
    text = str(tmp_path / "k_%02d.pam")
    sink = SequenceSink(Location(text, text, "sequence"), _info())
    alpha = np.zeros((16, 32), np.uint8)
    alpha[:, 16:] = 255
    sink.write_frame(np.full((16, 32, 3), 90, np.uint8), 0, alpha)
    sink.finish()
    assert b"TUPLTYPE RGB_ALPHA" in (tmp_path / "k_01.pam").read_bytes()[:80]
    photo = read_photo(tmp_path / "k_01.pam")
    assert photo.alpha is not None and photo.alpha[8, 4] == 0 and photo.alpha[8, 20] == 255
    assert not any("alpha channel" in note for note in sink.notes), sink.notes
    for number, rgb in enumerate(dark_frames(2, 48, 32), start=1):
        exif = Image.Exif()
        exif[0x010F] = "DVR-8"
        Image.fromarray(rgb).save(tmp_path / f"cam_{number:04d}.jpg", exif=exif.tobytes())
    result = cli(tmp_path / "cam_%04d.jpg", "-o", tmp_path / "day_%04d.pam", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "PAM pictures cannot hold them (.png, .jpg, .tif or .webp keep them)" in result.stderr, result.stderr


def test_numbered_pictures_are_written_by_every_name_a_photo_of_their_format_is():
    """One list: a suffix a photo is written as is a numbered picture's of the same format, AVIF, HEIF and JPEG XL
    aside (photos alone)."""
    photos = {suffix: kind for suffix, kind in PILLOW_FORMATS.items() if kind not in ("AVIF", "HEIF", "JXL")}
    assert SEQUENCE_FORMATS == photos


def test_an_unwritten_kind_is_refused_naming_the_ones_written(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "night.mp4", frames=2, audio=False)
    result = cli(clip, "-o", tmp_path / "f_%04d.exr", "--weights", weights)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert "written as one of .bmp, .j2k, .jp2, .jpf, .jpg, .jpx, .pam, .pgm, .png, .pnm, .ppm, .tga, .tif, .tiff, " \
           ".webp (not f_%04d.exr)" in result.stderr, result.stderr
    assert not [p for p in Path(tmp_path).iterdir() if p.name.startswith(("f_", ".enlight"))]
