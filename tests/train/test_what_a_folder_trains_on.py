"""What a training folder gives: not a run's own outputs, a note on the photos it cannot read, 16-bit grey as it is.

Before: a run whose --out was inside --low had its sample grids trained on as low-light photos by the next run (6
photos became 8); HEIC, AVIF, JPEG XL and raw photos beside JPEGs were left out without a word; a dark 16-bit grey
PNG (mean 16 of 255) was read as an almost white picture (mean 251): Pillow's convert clips it at 255."""

import numpy as np
from PIL import Image

from enlight.cli.train import main
from enlight.train.data import list_images, load_rgb
from tests.train.conftest import dark_pngs

RECIPE = ["--recipe", "zerodce", "--base-channels", "8", "--steps", "1", "--decay-steps", "0", "--validation", "0",
          "--w-vgg", "0", "--crop", "32", "--batch-size", "2", "--workers", "0", "--device", "cpu", "--quiet"]


def test_a_run_inside_the_folder_is_not_trained_on(tmp_path, capsys):
    (tmp_path / "night").mkdir()
    low = dark_pngs(tmp_path / "night", 4)
    assert main([*RECIPE, "--low", str(low), "--out", str(low / "run1"), "--sample-every", "1"]) == 0
    assert (low / "run1" / "samples" / "step_0000001.png").is_file()
    capsys.readouterr()
    assert main([*RECIPE, "--low", str(low), "--out", str(low / "run2")]) == 0
    assert "4 low-light images" in capsys.readouterr().err  # was 5: the first run's sample grid
    assert [p.name for p in list_images(low)] == ["0.png", "1.png", "2.png", "3.png"]
    assert len(list_images(low / "run1")) == 1  # a run's own folder given as the folder is read as it is


def test_photos_training_does_not_read_get_a_note(tmp_path, capsys):
    (tmp_path / "night").mkdir()
    low = dark_pngs(tmp_path / "night", 3)
    for name in ("IMG_1.HEIC", "IMG_2.heic", "shot.dng"):
        (low / name).write_bytes(b"\0" * 64)
    assert main([*RECIPE, "--low", str(low), "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "3 low-light images" in err
    assert "note: 3 photos (.dng, .heic; e.g. " in err and "are not read for training, only .bmp, .j2k" in err, err


def test_netpbm_targa_and_jpeg_2000_photos_are_trained_on(tmp_path, capsys):
    """Training read .ppm alone of them: a folder's .pgm, .tga and .jp2 photos were left out without a word (the
    product reads them; both lists are enlight/photo_suffixes.py now)."""
    (tmp_path / "night").mkdir()
    low = dark_pngs(tmp_path / "night", 2)
    with Image.open(low / "0.png") as image:
        picture = image.convert("RGB")
    picture.convert("L").save(low / "scan.pgm")
    picture.save(low / "sprite.tga")
    picture.save(low / "archive.jp2")
    assert main([*RECIPE, "--low", str(low), "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "5 low-light images" in err and "not read for training" not in err, err


def test_a_16_bit_grey_picture_keeps_its_levels(tmp_path):
    levels = (np.linspace(0, 8191, 48 * 40).reshape(40, 48)).astype(np.uint16)  # up to 1/8 of full scale
    Image.fromarray(levels).save(tmp_path / "grey16.png")
    rgb = load_rgb(tmp_path / "grey16.png")
    assert rgb.shape == (40, 48, 3) and rgb.dtype == np.uint8
    assert abs(float(rgb.mean()) - levels.mean() / 257) < 0.5  # was 251
    assert (rgb[..., 0] == rgb[..., 2]).all()
