"""The preview window fitted to the screen (``enlight.stream.apps.screen``). It was exactly the composed picture's
size and could not be resized: a 1280x720 webcam's split view 2560x720, half of it off a 1366x768 laptop screen.
Now it starts inside the screen, the picture's shape kept and never enlarged, follows a resize by the user, and
draws its overlay after the scaling."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from enlight.stream.apps.screen import DEFAULT_SCREEN, screen_size, start_size
from tests.conftest import REPO
from tests.media import make_clip
from tests.stream.test_camera import window_box, xvfb  # noqa: F401 (the fixture)

CAMERA = (400, 224)  # more than half of Xvfb's 640x480 screen: its split view, 800x224, did not fit
FITTED = (576, 161)  # 800x224 fitted in 0.9 x 0.85 of 640x480 (576x408)
QT_GREY = 239  # Qt's window background, around a picture letterboxed in a window of another shape


def test_the_start_size_fits_common_screens_and_never_enlarges():
    assert start_size((2560, 720), (1366, 768)) == (1229, 346)  # a 720p webcam's split view on a laptop
    assert start_size((3840, 1080), (1920, 1080)) == (1728, 486)  # a 1080p camera's on a 1080p screen
    assert start_size((2048, 576), (1366, 768)) == (1229, 346)  # an SD 16:9 capture's, widened
    assert start_size((1920, 1080), (1366, 768)) == (1159, 652)  # height-bound
    assert start_size((320, 96), (1366, 768)) == (320, 96)  # a small picture at its own size


def test_without_a_display_the_screen_is_a_laptops(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    assert screen_size() == DEFAULT_SCREEN


def test_the_overlay_is_drawn_after_scaling():
    """A 1080p camera's split view drawn at 1229x346: the text is drawn at the size it is shown at, as big as on a
    picture that size, not a 3840x1080 picture's text shrunk to a third."""
    pytest.importorskip("cv2")
    from enlight.stream.apps.preview import compose

    frame = np.full((1080, 1920, 3), 40, np.uint8)
    small = np.full((346, 614, 3), 40, np.uint8)
    scaled = compose(frame, frame, split=True, lines=["12.0 fps"], size=(1229, 346))
    native = compose(small, small, split=True, lines=["12.0 fps"])
    assert scaled.shape == (346, 1229, 3)
    assert _text_rows(scaled) == _text_rows(native) >= 8


def _text_rows(picture: np.ndarray) -> int:
    """How many rows the overlay's first line of yellow text spans (seen in its first 50 columns, inside every
    line's black box: nothing of the picture)."""
    corner = picture[:40, :50]
    rows = np.nonzero(((corner[..., 0] > 100) & (corner[..., 2] < 100)).any(axis=1))[0]
    if rows.size == 0:
        return 0
    breaks = np.nonzero(np.diff(rows) > 1)[0]
    return int((rows[breaks[0]] if breaks.size else rows[-1]) - rows[0] + 1)


def _picture_in(shot: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The picture inside a window's box on the screen: the rows and columns not all Qt's grey."""
    window = shot[box[1]:box[3], box[0]:box[2]]
    grey = (window == QT_GREY).all(axis=2)
    rows, columns = np.nonzero(~grey.all(axis=1))[0], np.nonzero(~grey.all(axis=0))[0]
    return window[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def _redrawn(display: str, app: subprocess.Popen, size: tuple[int, int], text: int, timeout_s: float = 30) -> None:
    """Waits until the window's picture is ``size`` (width, height) give or take 2 pixels, its overlay's first line
    ``text`` rows tall: drawn for the new size (the frame shown when the window was resized is first scaled down by
    Qt, its text with it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        picture = _picture_in(*window_box(display, timeout_s, want_width=size[0], app=app))
        shape, rows = (picture.shape[1], picture.shape[0]), _text_rows(picture)
        if max(abs(shape[0] - size[0]), abs(shape[1] - size[1])) <= 2 and rows == text:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the picture is {shape[0]}x{shape[1]}, its text {rows} rows tall; wanted "
                                 f"{size[0]}x{size[1]}, {text} rows")
        time.sleep(0.3)


@pytest.mark.display
def test_the_window_fits_a_small_screen_keeps_its_shape_and_follows_a_resize(tmp_path, weights, xvfb):  # noqa: F811
    """Xvfb's 640x480 screen, a 400x224 camera: the split window was 800x224, its right 160 columns off the
    screen; now 576x161. Split off: 400x224 (not enlarged); on again: 576x161. Resized by hand to 270x300: the
    picture 270x76 inside, letterboxed, its overlay as tall as before."""
    clip = make_clip(tmp_path / "cam.mp4", width=CAMERA[0], height=CAMERA[1], frames=240, audio=False)
    env = {**os.environ, "DISPLAY": xvfb}
    app = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "enlight.cli.video", "--camera", str(clip), "--loop",
         "--weights", str(weights), "--quality", "fast", "--denoise", "off", "--smoothing", "0"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        shot, box = window_box(xvfb, 60, want_width=FITTED[0], app=app)
        assert box == (0, 0, *FITTED)
        text = _text_rows(shot[:box[3], :box[2]])
        assert text >= 8, "overlay text too small to read"
        xdotool = shutil.which("xdotool")
        if xdotool:
            window = [xdotool, "search", "--sync", "--name", "enlight-video"]
            subprocess.run([*window, "key", "--window", "%1", "s"], env=env, check=True, capture_output=True)
            assert window_box(xvfb, 30, want_width=CAMERA[0], app=app)[1] == (0, 0, *CAMERA)
            subprocess.run([*window, "key", "--window", "%1", "s"], env=env, check=True, capture_output=True)
            assert window_box(xvfb, 30, want_width=FITTED[0], app=app)[1] == (0, 0, *FITTED)
            subprocess.run([*window, "windowsize", "%1", "270", "300"], env=env, check=True, capture_output=True)
            _redrawn(xvfb, app, (270, 76), text)  # (270: left of Xvfb's cursor)
    finally:
        app.send_signal(signal.SIGINT)
        _, err = app.communicate(timeout=60)
    assert app.returncode == 0 and "frames shown" in err, err
