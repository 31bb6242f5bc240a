"""An input sequence's pictures made RGB through their ICC profile, where it is for another colour space (grey,
CMYK), as a photo's are (``enlight.stream.io.photo_colour``), and the profile each numbered picture written from
them is then tagged with.

    colour = SequenceColour(sequence_files(pattern), notes, to_srgb=True)  # (True: for a video)
    frame = colour.frame(frame, index)      # the index-th picture's decoded frame, through its profile
    rgb = colour.rgb(source.convert(frame), index)  # its RGB, through an RGB profile to sRGB (to_srgb)
    colour.profiles[path]                   # sRGB where converted, None where untagged; absent: the picture's own

FFmpeg's image2 decoders ignore a picture's profile: a grey picture in a linear grey profile was enhanced from its
stored levels (16.5 CIELAB units off the same picture enhanced as a photo), a CMYK JPEG's inks from FFmpeg's plain
formula (15.6 units off through the tests' CMYK profile), and each numbered picture was tagged with the grey or
CMYK profile, which no viewer can apply to RGB pixels; a video made from them was as far off. A grey frame goes
through the profile as a table of its levels (16-bit ones at 16 bits, ``enlight.stream.io.lcms16``); a CMYK
picture's inks are read again by Pillow and converted as a photo's (FFmpeg's decoder gives them only as its own RGB).
An RGB profile (Adobe RGB, Display P3) describes the decoded pixels: numbered pictures keep them and it. A video
holds no profile (it is tagged BT.709/sRGB), so for one (``to_srgb``) the frames of pictures in an RGB profile other
than sRGB are converted through it to sRGB once the source has made them RGB (``colour.rgb``;
``enlight.stream.io.rgb_profile``), said in a note: shown as sRGB, a dark Adobe RGB picture's colours were 9.7
CIELAB units off the photo's. What cannot be converted (a profile LittleCMS cannot apply, a CMYK picture without a
CMYK profile, a profile for other pixels than the file's) is left as decoded and untagged, said once in a note.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np

from enlight.stream.io import lcms16
from enlight.stream.io.photo_colour import profile_space, rgb8_in_profile, srgb_profile
from enlight.stream.io.photo_metadata import ORIENTATION
from enlight.stream.io.rgb_profile import srgb_transform

_UNDO_TURN = {6: 8, 8: 6}  # the EXIF orientation that undoes another (the rest undo themselves)


@functools.lru_cache(maxsize=8)
def _grey_table8(icc: bytes) -> tuple[np.ndarray | None, str]:
    """(256,) uint8: each 8-bit grey level through the grey profile ``icc`` to sRGB, as a photo's (Pillow's
    ImageCms, ``rgb8_in_profile``); None and LittleCMS's words where it cannot be applied."""
    from PIL import Image, ImageCms

    levels = Image.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16), "L")
    try:
        rgb = ImageCms.profileToProfile(levels, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                        ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        return None, str(exc) or type(exc).__name__
    return np.asarray(rgb).reshape(256, 3)[:, 1].copy(), ""


@functools.lru_cache(maxsize=8)
def _grey_table16(icc: bytes) -> np.ndarray:
    """(65536,) uint16: each 16-bit grey level through the grey profile ``icc`` to sRGB (``lcms16.srgb16``, whose
    ProfileError and RuntimeError pass on)."""
    return lcms16.srgb16(np.arange(65536, dtype=np.uint16).reshape(256, 256), icc).reshape(65536, 3)[:, 1].copy()


def _like(pixels: np.ndarray, fmt: str, old: av.VideoFrame) -> av.VideoFrame:
    """A frame of ``pixels`` in ``fmt`` with ``old``'s time."""
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format=fmt)
    frame.pts, frame.time_base = old.pts, old.time_base
    return frame


def _grey(frame: av.VideoFrame, icc: bytes) -> tuple[av.VideoFrame | None, str]:
    """A grey (or grey and alpha) decoded frame through its grey profile: grey again, its levels sRGB's, at 16 bits
    where it has more than 8 (at 8, said, where no LittleCMS is found for 16); None and why where it cannot be."""
    deep = frame.format.components[0].bits > 8
    alpha = frame.format.name.startswith("ya")
    grey = frame.to_ndarray(format="gray16le" if deep else "gray")
    note = ""
    if deep:
        try:
            grey = _grey_table16(icc)[grey]
        except lcms16.ProfileError as exc:
            return None, _could_not(str(exc))
        except RuntimeError:
            deep, grey = False, ((grey.astype(np.uint32) + 128) // 257).astype(np.uint8)
            note = "its 16-bit grey was converted through its grey ICC profile at 8 bits: no LittleCMS library was " \
                   "found for 16 bits"
    if not deep:
        table, why = _grey_table8(icc)
        if table is None:
            return None, _could_not(why)
        grey = table[grey]
    if not alpha:
        return _like(grey, "gray16le" if deep else "gray", frame), note
    rgba = frame.to_ndarray(format="rgba64le" if deep else "rgba")
    rgba[..., :3] = grey[..., None]
    return _like(rgba, "rgba64le" if deep else "rgba", frame), note


def _could_not(why: str) -> str:
    return f"its grey ICC profile could not be applied, LittleCMS said '{why}': colours as decoded, untagged"


def _cmyk(frame: av.VideoFrame, path: Path, icc: bytes | None) -> tuple[av.VideoFrame | None, bytes | None, str]:
    """The CMYK picture at ``path`` (whose decoded frame is ``frame``) read again by Pillow and made RGB through its
    CMYK profile ``icc`` as a photo's (``rgb8_in_profile``: by the plain formula, untagged, without one); the new
    frame (None where Pillow's picture is not the decoded one's size), its profile and the note that says why."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            turn = image.getexif().get(ORIENTATION, 1)
            image.load()
            turned = turn if turn in range(2, 9) and ORIENTATION not in image.getexif() else 1  # (Pillow's TIFF)
            rgb, tag, note = rgb8_in_profile(image, icc)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return None, None, "Pillow could not read its inks: colours as FFmpeg decoded them, untagged"
    if turned != 1:
        from enlight.stream.io.photo_reader import orient

        rgb = orient(rgb, _UNDO_TURN.get(turned, turned))
    if rgb.shape[:2] != (frame.height, frame.width):
        return None, None, "Pillow read its inks at another size than FFmpeg: colours as decoded, untagged"
    return _like(rgb, "rgb24", frame), tag, note.replace("a CMYK photo", "a CMYK picture")


class SequenceColour:
    """Each input picture's decoded frame through its grey or CMYK ICC profile, and for a video its RGB through an
    RGB one (module docstring).

    files: the sequence's (number, file), in the order FFmpeg's image2 reads them (a frame's pts before any
    ``--start``: its index); notes: the list that what was converted for a video, or could not be converted, is
    added to, once each; to_srgb: pictures in an RGB profile are converted through it to sRGB (a video output, which
    holds no profile; numbered pictures keep the profile with the pixels as they are). profiles: the profile that
    describes each converted picture's pixels (sRGB), or None where they are untagged; a picture not in it keeps its
    own."""

    def __init__(self, files: Sequence[tuple[int, Path]], notes: list[str], *, to_srgb: bool = False) -> None:
        self._files = [path for _, path in files]
        self.profiles: dict[Path, bytes | None] = {}
        self.notes = notes
        self.to_srgb = to_srgb
        self._said: set[str] = set()
        self._last: tuple[int, tuple[str, bytes | None] | None] | None = None  # the header read last, by index

    def _read(self, index: int) -> tuple[Path | None, tuple[str, bytes | None] | None]:
        """The ``index``-th picture's path and (Pillow's mode, ICC profile); None for what is not there or cannot be
        read. The header is read once for a frame's ``frame`` and ``rgb``."""
        path = self._files[index] if 0 <= index < len(self._files) else None
        last = self._last
        if last is None or last[0] != index:
            last = self._last = index, _header(path) if path is not None else None
        return path, last[1]

    def inks(self, index: int) -> bool:
        """Whether the ``index``-th picture is CMYK: the alpha FFmpeg decodes it with is no transparency (a CMYK
        JPEG's is opaque, a 16-bit CMYK TIFF's is its black ink)."""
        read = self._read(index)[1]
        return read is not None and read[0] == "CMYK"

    def frame(self, frame: av.VideoFrame, index: int) -> av.VideoFrame:
        """The ``index``-th picture's decoded ``frame``, through its profile where it is grey or CMYK; as it is
        where the picture has an RGB profile (``rgb`` converts it for a video) or none (or no such picture)."""
        path, read = self._read(index)
        if read is None:
            return frame
        mode, icc = read
        space = profile_space(icc)
        if space is None and mode != "CMYK":
            return frame
        if mode == "CMYK":
            converted, tag, note = _cmyk(frame, path, icc)
        elif space == "grey" and frame.format.name.startswith(("gray", "ya", "mono")):
            converted, note = _grey(frame, icc)
            tag = srgb_profile() if converted is not None else None
        else:
            converted, tag, note = None, None, f"its {space} ICC profile is not for its {mode} pixels: colours as " \
                                               "decoded, untagged"
        self.profiles[path] = tag
        self._say(path, note)
        return converted if converted is not None else frame

    def rgb(self, rgb: np.ndarray, index: int) -> np.ndarray:
        """The ``index``-th picture's frame as (H, W, 3) uint8 RGB (the source's, after ``frame``), through its RGB
        profile to sRGB where the pictures are converted (``to_srgb``) and it is not sRGB already; ``rgb`` itself
        otherwise. What was done is said once."""
        path, icc = self._read(index)[0], self._rgb_icc(index)
        if not self.to_srgb or icc is None:
            return rgb
        found = srgb_transform(icc)
        if found.srgb:
            return rgb
        name = f" ('{found.name}')" if found.name else ""
        if found.transform is None:
            self._say(path, f"its RGB ICC profile{name} could not be applied, LittleCMS said '{found.why}': colours "
                            "as decoded, shown as sRGB")
            return rgb
        self.profiles[path] = srgb_profile()
        self._say(path, f"its RGB ICC profile{name} was applied: colours converted to sRGB, as a video holds no "
                        "ICC profile")
        return found.apply(rgb)

    def profile_lost(self, index: int) -> bool:
        """Whether a video made from the pictures loses what the ``index``-th one's ICC profile says: an RGB one that
        is not sRGB and is not applied to the pixels (not ``to_srgb``, or LittleCMS cannot apply it). A grey or CMYK
        one is applied, or its own note says it could not be; sRGB is what the video is tagged."""
        icc = self._rgb_icc(index)
        if icc is None:
            return False
        found = srgb_transform(icc)
        return not found.srgb and (not self.to_srgb or found.transform is None)

    def _rgb_icc(self, index: int) -> bytes | None:
        """The ``index``-th picture's ICC profile where it is an RGB one on RGB (or grey) pixels; None otherwise (no
        picture, no profile, a CMYK picture, a grey or CMYK profile)."""
        read = self._read(index)[1]
        if read is None or read[0] == "CMYK" or not read[1] or profile_space(read[1]):
            return None
        return read[1]

    def _say(self, path: Path, note: str) -> None:
        if note and note not in self._said:
            self._said.add(note)
            self.notes.append(f"input picture {path.name} (and any like it): {note}")


def _header(path: Path) -> tuple[str, bytes | None] | None:
    """Pillow's mode and the ICC profile of the picture at ``path``; None where Pillow cannot read it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.mode, image.info.get("icc_profile")
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return None
