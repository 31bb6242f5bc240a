"""The screen the preview window opens on: its size, read from the X display, and a picture's size fitted in it.

The size is the smallest monitor's (XRandR's monitors: two screens side by side make one X screen as wide as
both, and the window must fit whichever it opens on), else the X screen's, else ``DEFAULT_SCREEN`` (no X
display, no Xlib: a Wayland session without XWayland, macOS, Windows). Xlib is reached through ctypes, as the
display check does: no extra package.
"""

from __future__ import annotations

import ctypes
import ctypes.util

DEFAULT_SCREEN = (1366, 768)  # the smallest common laptop screen
SCREEN_SHARE = (0.9, 0.85)  # of the screen's width and height the window takes at most: room for its title bar
# and a panel or dock (a 1366x768 screen: 1229x652)


class _Monitor(ctypes.Structure):
    """XRandR's XRRMonitorInfo."""

    _fields_ = [("name", ctypes.c_ulong), ("primary", ctypes.c_int), ("automatic", ctypes.c_int),
                ("noutput", ctypes.c_int), ("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int),
                ("height", ctypes.c_int), ("mwidth", ctypes.c_int), ("mheight", ctypes.c_int),
                ("outputs", ctypes.c_void_p)]


def screen_size() -> tuple[int, int]:
    """(width, height) in pixels of the screen the window opens on: see the module notes."""
    try:
        return _x_screen() or DEFAULT_SCREEN
    except (OSError, AttributeError):  # a library that does not load, or lacks a function
        return DEFAULT_SCREEN


def load_xlib() -> ctypes.CDLL | None:
    """libX11 through ctypes, XOpenDisplay and XCloseDisplay typed; None where it is not found."""
    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    xlib = ctypes.CDLL(name)
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return xlib


def _x_screen() -> tuple[int, int] | None:
    """The smallest active monitor of $DISPLAY, else its default screen; None without Xlib or a display."""
    xlib = load_xlib()
    if xlib is None:
        return None
    for function in ("XDefaultScreen", "XDisplayWidth", "XDisplayHeight", "XRootWindow"):
        getattr(xlib, function).argtypes = [ctypes.c_void_p] + [ctypes.c_int] * (function != "XDefaultScreen")
    xlib.XRootWindow.restype = ctypes.c_ulong
    display = xlib.XOpenDisplay(None)
    if not display:
        return None
    try:
        screen = xlib.XDefaultScreen(display)
        monitors = _x_monitors(display, xlib.XRootWindow(display, screen))
        whole = (xlib.XDisplayWidth(display, screen), xlib.XDisplayHeight(display, screen))
    finally:
        xlib.XCloseDisplay(display)
    smallest = min(monitors, key=lambda size: size[0] * size[1], default=None)
    return smallest or (whole if min(whole) > 0 else None)


def _x_monitors(display: int, root: int) -> list[tuple[int, int]]:
    """(width, height) of each active monitor XRandR (1.5) knows of; [] where libXrandr is missing."""
    name = ctypes.util.find_library("Xrandr")
    if name is None:
        return []
    xrandr = ctypes.CDLL(name)
    if not hasattr(xrandr, "XRRGetMonitors"):  # (before XRandR 1.5)
        return []
    xrandr.XRRGetMonitors.restype = ctypes.POINTER(_Monitor)
    xrandr.XRRGetMonitors.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    xrandr.XRRFreeMonitors.argtypes = [ctypes.POINTER(_Monitor)]
    count = ctypes.c_int(0)
    found = xrandr.XRRGetMonitors(display, root, 1, ctypes.byref(count))
    if not found:
        return []
    try:
        return [(found[i].width, found[i].height) for i in range(count.value) if min(found[i].width,
                                                                                      found[i].height) > 0]
    finally:
        xrandr.XRRFreeMonitors(found)


def fitted(size: tuple[int, int], area: tuple[int, int], *, enlarge: bool = False) -> tuple[int, int]:
    """``size`` (width, height) scaled to fit inside ``area`` keeping its shape (sides rounded, at least 1);
    never larger than ``size`` unless ``enlarge``."""
    scale = min(area[0] / size[0], area[1] / size[1])
    scale = scale if enlarge else min(scale, 1.0)
    if scale == 1.0:
        return size
    return max(1, min(area[0], round(size[0] * scale))), max(1, min(area[1], round(size[1] * scale)))


def start_size(size: tuple[int, int], screen: tuple[int, int]) -> tuple[int, int]:
    """The window's size for a picture shown at ``size`` (width, height) on a ``screen``: the picture's own size
    where it fits in ``SCREEN_SHARE`` of the screen, else scaled down to fit, keeping its shape (a 2560x720 split
    view on a 1366x768 screen: 1229x346)."""
    return fitted(size, (int(screen[0] * SCREEN_SHARE[0]), int(screen[1] * SCREEN_SHARE[1])))
