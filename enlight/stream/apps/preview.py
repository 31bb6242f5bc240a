"""The live preview window (OpenCV HighGUI): the enhanced picture or a split view, an overlay, hotkeys.

cv2's GUI is imported only here, and only once ``check_display`` has found a display to open
a window on (Qt aborts the whole process when it cannot connect to one).

Import order matters: PyAV's and OpenCV's wheels both bundle libxcb extensions under the same
hashed names, linked to different libxcb copies. Loaded after ``av``, cv2's Qt picks up PyAV's
and its window never appears (it spins). ``preload_gui()`` imports cv2 first; the command line
calls it before anything imports av, and ``check_display`` refuses the wrong order.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from fractions import Fraction

import numpy as np

from enlight.errors import EnlightError

TITLE = "enlight-video"
FIRST_SHOW_MS = 100
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
    name = ctypes.util.find_library("X11")
    if name is None:
        return True
    xlib = ctypes.CDLL(name)
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    handle = xlib.XOpenDisplay(None)
    if not handle:
        return False
    xlib.XCloseDisplay(handle)
    return True


def shown(picture: np.ndarray, aspect: Fraction | None) -> np.ndarray:
    """(H, W, 3) uint8 RGB of pixels ``aspect`` wide for 1 high (None: square) -> the picture at the shape it is
    shown at, as players show it: widened where the pixels are wide (a 720x576 capture shown 16:9, 64:45: 1024x576),
    made taller where they are narrow, bilinearly; ``picture`` itself where they are square (or within half a pixel)."""
    import cv2

    height, width = picture.shape[:2]
    size = (max(1, round(width * aspect)), height) if aspect and aspect > 1 else \
        (width, max(1, round(height / aspect))) if aspect else (width, height)
    return picture if size == (width, height) else cv2.resize(picture, size, interpolation=cv2.INTER_LINEAR)


def compose(original: np.ndarray, enhanced: np.ndarray, *, split: bool, lines: list[str],
            aspect: Fraction | None = None) -> np.ndarray:
    """The picture to show, (H, W', 3) uint8 RGB: enhanced, or original | enhanced, at the shape it is shown at
    (``shown``: the frames' pixels ``aspect`` wide for 1 high; W' = W, or 2W split, where they are square), with
    ``lines`` of text in the top-left corner."""
    import cv2

    picture = shown(np.hstack([original, enhanced]) if split else enhanced, aspect)
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
    """One HighGUI window. ``show`` draws an (H, W, 3) uint8 RGB picture and returns the key pressed
    (a one-character string, 'esc', or None); ``poll`` only handles events. ``closed``: the user
    closed the window."""

    def __init__(self, title: str = TITLE) -> None:
        import cv2

        self._cv2 = cv2
        self.title = title
        cv2.namedWindow(title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        self._shown = False

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
