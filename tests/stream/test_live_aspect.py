"""Live mode and a source whose pixels are not square (``enlight.stream.io.live_shape``): an SD capture card or DVB
feed (720x576 shown 16:9), a CCTV recorder's 704x576 stream. Here 64x48 with pixels 4:3 wide (shown 16:9), played
as the camera: its recording, stream out, --compare, --size and window picture keep the shape it is shown at."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np
import pytest

from enlight.stream.io.live_source import LiveSource, LiveSourceConfig
from enlight.stream.io.locations import input_location
from tests.conftest import REPO
from tests.media import make_clip
from tests.stream.changing_clips import DISC, Part, changing_clip, picture
from tests.stream.test_camera import window_box, xvfb  # noqa: F401 (the fixture)

WIDE = Fraction(4, 3)  # 64x48 shown 16:9


def _camera(tmp_path, frames: int = 8):
    return changing_clip(tmp_path / "capture.ts", [Part(frames, aspect=WIDE)])


def _stream(path) -> tuple[int, int, Fraction | None, np.ndarray]:
    """(width, height, pixel aspect ratio, the first frame's (H, W, 3) RGB) of a written video."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24")
        return video.width, video.height, video.sample_aspect_ratio, rgb


def _disc(rgb: np.ndarray) -> tuple[int, int]:
    """(width, height) in pixels of the test picture's grey disc: its pixels on the middle row and column."""
    near = np.abs(rgb.astype(int) - np.array(DISC)).max(axis=2) <= 16
    height, width = near.shape
    return int(np.count_nonzero(near[height // 2])), int(np.count_nonzero(near[:, width // 2]))


def _round_as_shown(rgb: np.ndarray, aspect: Fraction) -> bool:
    width, height = _disc(rgb)
    return height >= 18 and abs(width * aspect - height) <= 3


def _live(cli, tmp_path, clip, weights, *args):
    result = cli("--camera", clip, "--no-window", "--max-frames", "3", "--weights", weights, "--quality", "fast",
                 "--denoise", "off", "--smoothing", "0", *args, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_the_recording_and_the_stream_out_keep_the_pixel_aspect_ratio(tmp_path, weights, cli):
    """A 64x48 capture shown 16:9 (pixels 4:3): --record and -o wrote square pixels (SAR none), so the recording
    played at 4:3, squeezed to 3/4 of its width; a file run keeps it. Both now say 4:3, as the source does."""
    clip = _camera(tmp_path)
    assert _stream(clip)[2] == WIDE
    _live(cli, tmp_path, clip, weights, "--record", tmp_path / "r.mp4", "-o", tmp_path / "out.ts")
    for name in ("r.mp4", "out.ts"):
        assert _stream(tmp_path / name)[:3] == (64, 48, WIDE), name


@pytest.mark.parametrize("mode", ["side", "split"])
def test_compare_keeps_the_pixel_aspect_ratio(mode, tmp_path, weights, cli):
    """--compare side (the original's picture beside the enhanced one) and split: the original's disc, round as
    shown, played 3/4 as wide as high; now round (a .mkv: its display size)."""
    clip = _camera(tmp_path)
    _live(cli, tmp_path, clip, weights, "--record", tmp_path / "both.mkv", "--compare", mode)
    width, height, aspect, rgb = _stream(tmp_path / "both.mkv")
    assert (width, height, aspect) == (128 if mode == "side" else 64, 48, WIDE)
    if mode == "side":
        assert _round_as_shown(rgb[:, :64], aspect), _disc(rgb[:, :64])


def test_size_keeps_the_picture_shape_as_a_file_run_does(tmp_path, weights, cli):
    """--size 96x48 (2:1) of a picture shown 16:9: the frames were scaled to 96x48 with square pixels, shown 2:1,
    stretched. A file run sets the pixels 8:9 so that the picture stays 16:9 (``resize``): live mode now does too."""
    clip = _camera(tmp_path)
    _live(cli, tmp_path, clip, weights, "--record", tmp_path / "r.mp4", "--size", "96x48")
    file_run = cli(clip, "-o", tmp_path / "file.mp4", "--weights", weights, "--quality", "fast", "--denoise", "off",
                   "--size", "96x48", "--max-frames", "3", timeout=120)
    assert file_run.returncode == 0, file_run.stderr
    assert _stream(tmp_path / "r.mp4")[:3] == _stream(tmp_path / "file.mp4")[:3] == (96, 48, Fraction(8, 9))


def test_size_of_a_phone_clip_is_its_upright_size(tmp_path, weights, cli):
    """A portrait phone clip (96x64 frames turned a quarter), --size 48x72 as it plays: the frames were scaled to
    48x72 as stored and then turned, a 72x48 landscape recording with the picture stretched. A file run takes the
    size as shown; so does live mode now: 48x72, upright."""
    clip = make_clip(tmp_path / "phone.mp4", width=96, height=64, frames=6, audio=False, rotation=90)
    _live(cli, tmp_path, clip, weights, "--record", tmp_path / "r.mp4", "--size", "48x72")
    width, height, aspect, _ = _stream(tmp_path / "r.mp4")
    assert (width, height) == (48, 72) and aspect in (None, 0, 1)


def _live_frames(clip, notes: list[str]) -> list:
    with LiveSource(input_location(str(clip), camera=True), LiveSourceConfig(), log=notes.append) as source:
        seen = []
        while (frame := source.next(10)) is not None:
            seen.append(frame)
    return seen


def test_a_feed_that_changes_its_pixel_aspect_ratio_is_letterboxed(tmp_path):
    """A DVB feed of a 4:3 advert, then a 16:9 film in the same 64x48 (pixels 4:3): the film's frames were taken as
    the advert's, square, shown squeezed without a word (the disc 18 wide and 24 high). They are now scaled to fit,
    as a file run does (``picture_changes``): 64x36 with black bars above and below, the disc round, and a note."""
    clip = changing_clip(tmp_path / "dvb.mkv", [Part(4), Part(4, aspect=WIDE)])
    notes: list[str] = []
    seen = _live_frames(clip, notes)
    assert len(seen) == 8
    film = seen[-1].rgb
    assert film[:5].max() <= 16 and film[-5:].max() <= 16 and film[8:40].min() > 20  # bars of 6 rows
    width, height = _disc(film)
    assert abs(width - height) <= 2 and height <= 20, (width, height)
    assert {frame.aspect for frame in seen} == {None}  # the run's picture: the first frame's, square
    assert notes == [f"note: {clip} changed its pixel aspect ratio from 1:1 to 4:3 (the picture shown 4:3, then "
                     "16:9) at frame 5; its frames are scaled to fit inside 64x48, the size the run started at (--size "
                     "sets the size), keeping their shape, with black bars above and below"]


def test_a_feed_that_starts_wide_keeps_its_shape_and_pillarboxes_a_4_3_stretch(tmp_path):
    """The other way round: the run's picture is the first frame's, 16:9 (frames say pixels 4:3); a 4:3 advert
    after it (square pixels, the same 64x48) is pillarboxed, 48 columns wide."""
    clip = changing_clip(tmp_path / "dvb.mkv", [Part(4, aspect=WIDE), Part(4)])
    seen = _live_frames(clip, [])
    advert = seen[-1].rgb
    assert advert[:, :6].max() <= 16 and advert[:, -6:].max() <= 16 and advert[:, 10:54].min() > 20
    assert _round_as_shown(seen[0].rgb, WIDE)
    assert {frame.aspect for frame in seen} == {WIDE}


def test_the_window_picture_has_the_shape_it_is_shown_at():
    """The preview window showed the frames' pixels as square: a 16:9 capture at 4:3 (64x48). ``compose`` now
    widens it to 85x48 (171x48 split), the disc round, the overlay drawn on the widened picture."""
    pytest.importorskip("cv2")
    from enlight.stream.apps.preview import compose

    rgb = picture(Part(1, aspect=WIDE))
    alone = compose(rgb, rgb, split=False, lines=[], aspect=WIDE)
    both = compose(rgb, rgb, split=True, lines=["12.0 fps"], aspect=WIDE)
    assert alone.shape == (48, 85, 3) and both.shape == (48, 171, 3)
    assert _round_as_shown(alone, Fraction(1)), _disc(alone)
    assert compose(rgb, rgb, split=False, lines=[]).shape == (48, 64, 3)  # square pixels: as it was
    tall = compose(rgb, rgb, split=False, lines=[], aspect=Fraction(3, 4))  # narrow pixels: taller
    assert tall.shape == (64, 64, 3)


@pytest.mark.display
def test_the_window_shows_an_anamorphic_camera_at_its_shape(tmp_path, weights, xvfb):  # noqa: F811
    """Under Xvfb: the window of a 64x48 camera shown 16:9 was 128 wide split (two 4:3 pictures); now 171 (Qt pads
    so small a window above and below with its grey: its height is not the picture's)."""
    clip = changing_clip(tmp_path / "capture.ts", [Part(24, aspect=WIDE)])
    app = subprocess.Popen(
        [sys.executable, "-m", "enlight.cli.video", "--camera", str(clip), "--loop", "--weights", str(weights),
         "--quality", "fast", "--denoise", "off"],
        cwd=REPO, env={**os.environ, "DISPLAY": xvfb}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        window_box(xvfb, 90, want_width=171, app=app)
    finally:
        app.send_signal(signal.SIGINT)
        app.communicate(timeout=60)
