"""Reading a frame's side data whatever its kinds. PyAV 18 names FFmpeg's side-data types up to 27 (VIDEO_HINT);
the FFmpeg its wheel bundles hands out newer ones (a JPEG's EXIF is 31), and reading ``frame.side_data`` then
raised ValueError for the whole frame: every frame of a JPEG image sequence, or of an MJPEG recording whose frames
carry EXIF, stopped the run with an internal error. ``frame_side_data`` lists a frame's side data with the
unknown kinds named ``UNKNOWN_<n>`` (which no code here asks for), so the known ones (the display matrix, HDR10's
metadata) are still found.

PyAV 18's ``SideData`` also takes its side data's metadata dictionary as its own, and frees it when it goes, as
its frame then does again: a PNG's ICC profile comes with one (the profile's name), and every run on a PNG image
sequence with an ICC profile could end in a segmentation fault (a grey PNG's into a video always did, exit 139).
Each such dictionary's wrapper is kept for good (a few dozen bytes a frame), so only the frame frees it.
"""

from __future__ import annotations

import ctypes
import gc

import av
from av.dictionary import Dictionary
from av.sidedata.sidedata import Type


def _unknown_type(cls, value):
    """``Type._missing_``: a value PyAV has no name for becomes a member of its own, ``UNKNOWN_<n>``."""
    if not isinstance(value, int) or value < 0:
        return None
    member = cls._value2member_map_.get(value)
    if member is None:
        member = object.__new__(cls)
        member._name_, member._value_ = f"UNKNOWN_{value}", value
        cls._value2member_map_[value] = member
    return member


def _keep_metadata(data) -> None:
    """Hold the wrapper of a ``SideData``'s metadata dictionary for good, where it has one: it would free the
    dictionary its frame frees (module docstring). (Its reference is never let go: at the interpreter's exit, a
    list's would be.)"""
    for held in gc.get_referents(data):
        if isinstance(held, Dictionary) and len(held):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(held))


def frame_side_data(frame: av.VideoFrame) -> list:
    """``frame``'s side data (PyAV's ``SideData``: ``.type``, ``bytes()``), the kinds PyAV cannot name included."""
    if getattr(Type._missing_, "__func__", None) is not _unknown_type:
        Type._missing_ = classmethod(_unknown_type)
    found = list(frame.side_data)
    for data in found:
        _keep_metadata(data)
    return found


__all__ = ["frame_side_data"]
