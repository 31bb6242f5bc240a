"""The live preview window (OpenCV HighGUI): the enhanced picture or a split view, an overlay, hotkeys.

cv2's GUI is imported only here, and only once ``check_display`` has found a display to open
a window on (Qt aborts the whole process when it cannot connect to one).

Import order matters: PyAV's and OpenCV's wheels both bundle libxcb extensions under the same
hashed names, linked to different libxcb copies. Loaded after ``av``, cv2's Qt picks up PyAV's
and its window never appears (it spins). ``preload_gui()`` imports cv2 first; the command line
calls it before anything imports av, and ``check_display`` refuses the wrong order.
"""

from __future__ import annotations

import os
import sys
import time
from fractions import Fraction

import numpy as np

from enlight.errors import EnlightError
from enlight.stream.apps.screen import fitted, load_xlib, screen_size, start_size

TITLE = "enlight-video"
FIRST_SHOW_MS = 100
RESIZE_WAIT_S = 1.0  # how long a window asked to resize may show its old size before that is taken as the user's
SIZE_SLACK = 2  # pixels by which Qt's picture area may differ from the picture drawn (its rounding)
_ESC = 27
NO_WINDOW_HINT = "use --no-window to process, record or stream without one"


def preload_gui() -> None:
    """Import cv2 now, before PyAV (see the module notes); harmless when cv2 is missing.

    Also points Qt at the system fonts: the wheel ships none and Qt warns about it on every window.
    """
    if "QT_QPA_FONTDIR" not in os.environ and os.path.isdir("/usr/share/fonts"):
        os.environ["QT_QPA_FONTDIR"] = "/usr/share/fonts"
    try:
        import cv2  # noqa: F401
    except ImportError:
        pass


def check_display() -> None:
    """Raise a one-line ``EnlightError`` when no window can be shown: no display, or a cv2 without GUI."""
    if sys.platform.startswith("linux") and not os.environ.get("WAYLAND_DISPLAY"):
        display = os.environ.get("DISPLAY")
        if not display:
            raise EnlightError(f"no display for the preview window (DISPLAY is not set); {NO_WINDOW_HINT}")
        if not _x_display_opens():
            raise EnlightError(f"cannot connect to the X display {display}; {NO_WINDOW_HINT}")
    if "cv2" not in sys.modules and "av" in sys.modules:
        raise EnlightError("the preview window needs cv2 imported before av: call "
                           "enlight.stream.preview.preload_gui() first (their bundled libxcb copies clash)")
    try:
        import cv2
    except ImportError:
        raise EnlightError(f"the preview window needs OpenCV: pip install opencv-python; or {NO_WINDOW_HINT}") from None
    gui = cv2.getBuildInformation().split("GUI:", 1)[-1].split("\n", 1)[0].strip()
    if gui.upper().startswith("NONE"):
        raise EnlightError(f"this OpenCV build has no GUI (opencv-python-headless?): install opencv-python; "
                           f"or {NO_WINDOW_HINT}")


def _x_display_opens() -> bool:
    """Whether Xlib can connect to $DISPLAY (True when Xlib itself is not found: let the GUI try)."""
    xlib = load_xlib()
    if xlib is None:
        return True
    handle = xlib.XOpenDisplay(None)
    if not handle:
        return False
    xlib.XCloseDisplay(handle)
    return True


def shown_size(width: int, height: int, aspect: Fraction | None) -> tuple[int, int]:
    """(width, height) a ``width`` x ``height`` picture of pixels ``aspect`` wide for 1 high (None: square) is
    shown at, as players show it: widened where the pixels are wide (a 720x576 capture shown 16:9, 64:45:
    1024x576), made taller where they are narrow."""
    if aspect and aspect > 1:
        return max(1, round(width * aspect)), height
    return (width, max(1, round(height / aspect))) if aspect else (width, height)


def shown(picture: np.ndarray, aspect: Fraction | None, size: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W, 3) uint8 RGB of pixels ``aspect`` wide for 1 high (None: square) -> the picture at the shape it is
    shown at (``shown_size``), or scaled to ``size`` (width, height) where given: bilinearly, by area where
    it shrinks both sides; ``picture`` itself where that is its size (or within half a pixel)."""
    import cv2

    height, width = picture.shape[:2]
    size = size or shown_size(width, height, aspect)
    if size == (width, height):
        return picture
    smaller = size[0] < width and size[1] < height
    return cv2.resize(picture, size, interpolation=cv2.INTER_AREA if smaller else cv2.INTER_LINEAR)


def compose(original: np.ndarray, enhanced: np.ndarray, *, split: bool, lines: list[str],
            aspect: Fraction | None = None, size: tuple[int, int] | None = None) -> np.ndarray:
    """The picture to show, (H', W', 3) uint8 RGB: enhanced, or original | enhanced, at the shape it is shown at
    (``shown``: the frames' pixels ``aspect`` wide for 1 high; W' = W, or 2W split, where they are square), or
    scaled to ``size`` (width, height: the window's, ``PreviewWindow.fit``), with ``lines`` of text in the
    top-left corner, drawn after the scaling (at a size for the picture's height as shown)."""
    import cv2

    picture = shown(np.hstack([original, enhanced]) if split else enhanced, aspect, size)
    picture = picture.copy() if picture is enhanced else picture
    scale = max(0.35, min(picture.shape[0] / 720, 1.0))
    thickness = 1 if scale < 0.8 else 2
    y = 0
    for text in lines:
        (width, height), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        y += height + base + 2
        cv2.rectangle(picture, (0, y - height - base - 2), (width + 6, y + 1), (0, 0, 0), cv2.FILLED)
        cv2.putText(picture, text, (3, y - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 0), thickness,
                    cv2.LINE_AA)
    return picture


class PreviewWindow:
    """One HighGUI window, resizable, its picture's shape kept (letterboxed by Qt). ``fit`` says the size to draw
    a picture at; ``show`` draws an (H, W, 3) uint8 RGB picture and returns the key pressed (a one-character
    string, 'esc', or None); ``poll`` only handles events. ``closed``: the user closed the window."""

    def __init__(self, title: str = TITLE) -> None:
        import cv2

        self._cv2 = cv2
        self.title = title
        self.screen = screen_size()  # (width, height)
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        self._shown = False
        self._picture: tuple[int, int] | None = None  # the size the picture is shown at, unscaled
        self._drawn = (0, 0)  # the size it is drawn at
        self._asked_until = 0.0  # until then the window may not have taken the size asked of it yet

    def fit(self, size: tuple[int, int]) -> tuple[int, int]:
        """The (width, height) to draw a picture shown at ``size`` at. A new size (the first picture, split
        toggled) is fitted in the screen (``start_size``: never enlarged) and the window set to it; then, when the
        user resizes the window, the picture fitted in its new picture area, keeping its shape."""
        if size != self._picture:
            self._picture, self._drawn = size, start_size(size, self.screen)
            self._cv2.resizeWindow(self.title, *self._drawn)
            self._asked_until = time.monotonic() + RESIZE_WAIT_S
            return self._drawn
        try:
            area = tuple(self._cv2.getWindowImageRect(self.title)[2:])
        except self._cv2.error:
            return self._drawn
        if max(abs(area[0] - self._drawn[0]), abs(area[1] - self._drawn[1])) <= SIZE_SLACK:
            self._asked_until = 0.0  # the window has the size drawn (Qt's rounding aside)
        elif time.monotonic() >= self._asked_until and min(area) > 0:
            self._drawn = fitted(size, area, enlarge=True)  # the user resized it (or the window manager would not)
        return self._drawn

    def show(self, picture: np.ndarray) -> str | None:
        self._cv2.imshow(self.title, np.ascontiguousarray(picture[..., ::-1]))  # RGB -> BGR
        first, self._shown = not self._shown, True
        return self.poll(FIRST_SHOW_MS if first else 1)  # the first time, give the window time to map and paint

    def poll(self, wait_ms: int = 1) -> str | None:
        code = self._cv2.waitKey(wait_ms)
        if code < 0:
            return None
        code &= 0xFF
        return "esc" if code == _ESC else chr(code)

    @property
    def closed(self) -> bool:
        if not self._shown:
            return False
        try:
            return self._cv2.getWindowProperty(self.title, self._cv2.WND_PROP_VISIBLE) < 1
        except self._cv2.error:
            return True

    def close(self) -> None:
        try:
            self._cv2.destroyWindow(self.title)
            self._cv2.waitKey(1)
        except self._cv2.error:
            pass
