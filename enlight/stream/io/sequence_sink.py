"""Enhanced frames written as numbered pictures (``-o day/f_%04d.png``): one file a frame, for an editor, a
compositor or a timelapse tool.

The pictures are written into a hidden folder beside them (``.enlight-<8 hex>.frames``) and moved onto their
names only when the last one is written, so a failed run leaves no half sequence behind; an interrupted one keeps
its frames in ``<prefix>partial/``. With ``--force`` the old sequence of that pattern is replaced as a whole: a
longer old run's extra frames are deleted with it, where a tool reading the folder would have taken them for the
end of this one. Numbers start at 1, as FFmpeg's image2 muxer counts; from an input sequence each picture keeps its
input's number (past a gap in the numbers, a picture that could not be read, or the frames a ``--start`` left out),
so an editor's or a compositor's frame numbers still match the plates', and its EXIF, ICC profile and XMP
(``enlight.stream.io.picture_tags``: a security camera's time of each picture; sRGB for a grey or CMYK picture's
pixels, converted through its profile as they were read).

A picture holds no sound, subtitles or frame times: notes say what was left out and the frame rate to read the
sequence back at. Frames are written upright and with square pixels (a picture file has no rotation or pixel
aspect tag that players follow), 8 bits a channel (a note says so of a deeper source), with the source's alpha in
PNG, TIFF, WebP, Targa, JPEG 2000 and PAM. A .pgm picture holds one channel: a colour frame is written as its luma,
with a note; a JPEG 2000 one (.jp2, .jpf, .jpx: a JP2 file; .j2k: a codestream) is refused before any work by a
Pillow without OpenJPEG. The picture formats are the photo outputs' (``enlight.photo_suffixes``), less AVIF, HEIF
and JPEG XL.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from enlight.errors import EnlightError, disk_full, reason
from enlight.photo_suffixes import PILLOW_FORMATS, usual_suffix
from enlight.stream.io.exif_types import standard_types_in_file
from enlight.stream.io.hdr_depth import bits
from enlight.stream.io.jpeg2000 import save_options as jpeg2000_options
from enlight.stream.io.locations import Location, sequence_files, sequence_name
from enlight.stream.io.netpbm import grey_of
from enlight.stream.io.photo_formats import ALPHA_FORMATS as PHOTO_ALPHA_FORMATS
from enlight.stream.io.photo_formats import BARE_FORMATS, JPEG_SUFFIXES, require_format_support
from enlight.stream.io.picture_tags import has_tags, picture_tags
from enlight.stream.io.temporary import STALE_S
from enlight.stream.io.upright import display_steps
from enlight.text import counted, listed

if TYPE_CHECKING:
    from enlight.stream.io.captions import CaptionTrack
    from enlight.stream.io.source_items import VideoInfo

# Pillow's names of the picture formats written (PAM by ``enlight.stream.io.pam``'s saver), each by every name a
# photo of it has (``enlight.photo_suffixes``); AVIF, HEIF and JPEG XL are written as photos alone
SEQUENCE_KINDS = ("PNG", "JPEG", "TIFF", "WEBP", "BMP", "PPM", "TGA", "JPEG2000", "PAM")
SEQUENCE_FORMATS = {suffix: kind for suffix, kind in PILLOW_FORMATS.items() if kind in SEQUENCE_KINDS}
ALPHA_FORMATS = tuple(kind for kind in PHOTO_ALPHA_FORMATS if kind in SEQUENCE_KINDS)  # (BMP, Netpbm, JPEG: none)
_ALPHA_KEPT = listed([usual_suffix(kind) for kind in ALPHA_FORMATS], "or")  # (the note where a format drops it)
_TAGS_KEPT = listed([usual_suffix(kind) for kind in SEQUENCE_KINDS if kind not in BARE_FORMATS], "or")
PNG_LEVEL = 3  # zlib level: 0.12 s a 1080p frame (Pillow's default 6: 0.23 s) for 10% more bytes
JPEG_QUALITY = 95  # --photo-quality's default, as a photo's (``enlight.stream.io.photo_writer.write_photo``)
FULL_CHROMA_FROM = 90  # JPEG quality from which the chroma is kept at full size (4:4:4), as a photo's
_WORK = re.compile(r"\.enlight-[0-9a-f]{8}\.frames")


def check_sequence_output(output: Location, *, overwrite: bool, source: Location | None = None) -> None:
    """Refuse, before any work, a numbered output that cannot be written: a picture format not written here, a
    missing or read-only folder, names that are the input sequence's own pictures (``source``; even with
    ``overwrite``: the originals would be lost), or (without ``overwrite``) files of that sequence already there."""
    pattern = Path(output.text)
    if pattern.suffix.lower() not in SEQUENCE_FORMATS:
        kinds = ", ".join(sorted(s for s in SEQUENCE_FORMATS if s not in JPEG_SUFFIXES - {usual_suffix("JPEG")}))
        raise EnlightError(f"an image sequence is written as one of {kinds} (not {pattern.name})")
    require_format_support(pattern)  # (a .jp2's OpenJPEG, our PAM plugin)
    folder = pattern.parent if str(pattern.parent) else Path(".")
    if not folder.is_dir():
        raise EnlightError(f"output folder does not exist: {folder}")
    if not os.access(folder, os.W_OK):
        raise EnlightError(f"cannot write to output folder {folder}")
    _refuse_input_names(output, source)
    existing = sequence_files(output.text)
    if existing and not overwrite:
        raise EnlightError(f"{counted(len(existing), 'picture')} of the sequence {output.text} exist already "
                           f"({existing[0][1].name} ...); use --force to replace that sequence")


def _refuse_input_names(output: Location, source: Location | None) -> None:
    """Refuse an output pattern that names the input sequence's own pictures (each picture keeps its input's number:
    ``-o`` the input's pattern, or one that reaches the same files another way, would replace the originals)."""
    if source is None or source.kind != "sequence":
        return
    for number, picture in sequence_files(source.text):
        written = sequence_name(output.text, number)
        if written.exists() and os.path.samefile(written, picture):
            raise EnlightError(f"the output {output.text} would write over the input pictures ({picture.name} ...): "
                               "choose another name or folder for the enhanced pictures")


def _remove_stale(folder: Path) -> None:
    """Delete the work folders that a run killed outright left in ``folder`` (untouched for ``STALE_S``)."""
    now = time.time()
    for entry in folder.iterdir():
        try:
            if _WORK.fullmatch(entry.name) and entry.is_dir() and now - entry.stat().st_mtime >= STALE_S:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def _free_name(folder: Path, name: str) -> Path:
    """``folder / name``, or ``name-2``, ``name-3`` ... where it is taken."""
    path, n = folder / name, 1
    while path.exists():
        n += 1
        path = folder / f"{name}-{n}"
    return path


def _depth_note(info: VideoInfo, *, pictures: bool) -> str | None:
    """That the source's frames of more than 8 bits (a 16-bit PNG or TIFF timelapse, 10-bit video) are written at 8,
    as a note; None for 8-bit frames. pictures: whether the source is itself numbered pictures (which a folder of
    photos would keep at 16 bits)."""
    depth = bits(info.pix_fmt) if info.pix_fmt else 8
    if depth <= 8:
        return None
    keep = " (give their folder instead to enhance each as a photo at 16 bits, without the smoothing over time)" \
        if pictures else ""
    return f"the source's {depth}-bit frames are written as 8-bit pictures: a numbered picture holds 8 bits a " \
           f"channel{keep}"


def _left_out(passthrough: Sequence[av.stream.Stream]) -> str | None:
    """What of the source a picture cannot hold, as a note; None where it had nothing beside the frames."""
    kinds: dict[str, int] = {}
    for stream in passthrough:
        kinds[stream.type] = kinds.get(stream.type, 0) + 1
    named = {"audio": "sound", "subtitle": "subtitle", "data": "data"}
    parts = [counted(n, f"{named.get(kind, kind)} stream") for kind, n in sorted(kinds.items())]
    if not parts:
        return None
    return f"an image sequence holds pictures only: {', '.join(parts)} of the source not written (a video output " \
           "keeps them)"


class SequenceSink:
    """Writes each enhanced frame as the next numbered picture of ``location`` (kind 'sequence').

    The ``VideoSink`` interface the pipeline drives: ``write_frame`` takes (H, W, 3) uint8 RGB (and (H, W) uint8
    alpha) in display order; ``write_packet`` takes the passthrough streams' packets, which a picture cannot hold
    (left out, with a note); finish with one of ``finish()`` (the pictures moved onto their names), ``keep_partial()``
    or ``abort()``. first_number: the first picture's number; inputs: an input sequence's (number, file) of each
    frame by its pts (image2's pts count its files, moved by a ``--start``): a picture takes its input's number and
    metadata, a frame not in it the number after the one before; passthrough, captions: what the source carries beside
    the frames (its streams, and the closed captions inside its video, taken by frame), named in the notes;
    quality: JPEG and WebP pictures' quality, 1..100 (``--photo-quality``; JPEG 4:4:4 from ``FULL_CHROMA_FROM``);
    profiles: the ICC profile of the frames the source converted through an input picture's grey or CMYK profile
    (``SequenceColour.profiles``: sRGB, or None where untagged), which their pictures carry in place of its own.
    """

    def __init__(self, location: Location, info: VideoInfo, *, first_number: int = 1,
                 inputs: Mapping[int, tuple[int, Path]] | None = None, passthrough: Sequence[av.stream.Stream] = (),
                 captions: CaptionTrack | None = None, quality: int = JPEG_QUALITY,
                 profiles: Mapping[Path, bytes | None] | None = None) -> None:
        self.location = location
        self.path = Path(location.text)
        self.folder = self.path.parent if str(self.path.parent) else Path(".")
        self.first_number = first_number
        self._inputs = inputs or {}
        self._profiles = profiles if profiles is not None else {}
        self._untagged = False  # an input picture's metadata that the format (BMP) or the file could not hold
        self._written: list[int] = []  # each picture's number, in the order written
        self.quality = quality
        self.encode_s = 0.0
        self.frames_written = 0
        self.notes: list[str] = [note for note in (_left_out(passthrough), _depth_note(info, pictures=bool(inputs)))
                                 if note]
        self._captions, self._captioned = captions, 0
        self._alpha_dropped = False  # the source's alpha came with a frame of a format that holds none
        self._greyed = 0  # the frames of colour written into one-channel .pgm pictures, as their luma
        self._format = SEQUENCE_FORMATS[self.path.suffix.lower()]
        require_format_support(self.path)
        self.info, self._steps, turned = display_steps(info, turn=True, widen=True, where="a picture")
        self.notes += turned
        _remove_stale(self.folder)
        self._work = self.folder / f".enlight-{secrets.token_hex(4)}.frames"
        try:
            self._work.mkdir()
        except OSError as exc:
            raise EnlightError(f"cannot write to output folder {self.folder}: {reason(exc)}") from None
        self._rate_note(info)

    def _rate_note(self, info: VideoInfo) -> None:
        """The rate to read the pictures back at, or that the source's frame times varied."""
        if info.slot_rate is None and info.average_rate:
            self.notes.append(f"the source's frame rate varies (about {float(info.average_rate):.3g} fps on "
                              "average): the pictures are in order, but a picture keeps no frame time")
        elif info.slot_rate:
            self.notes.append(f"a picture keeps no frame time: read the sequence back at {float(info.slot_rate):.5g} "
                              f"fps (--fps {float(info.slot_rate):.5g})")

    def name(self, index: int) -> str:
        """The file name of the ``index``-th picture written (0: the first)."""
        return sequence_name(self.location.text, self._written[index]).name

    def _next_number(self, pts: int) -> tuple[int, Path | None]:
        """The number of the picture of the frame at ``pts``, and the input picture it was read from (None: not from
        one): its input picture's number, or the one after the last."""
        number, source = self._inputs.get(pts, (None, None))
        if number is None or (self._written and number <= self._written[-1]):
            return (self._written[-1] + 1 if self._written else self.first_number), None
        return number, source

    def _save(self, image, path: Path, options: dict, source: Path | None) -> None:
        """Write ``image`` (Pillow) to ``path`` with ``options`` and the metadata of the input picture ``source``;
        without it (noted) where the format holds none or the file refuses it (a JPEG's EXIF over 64 kB)."""
        tags = picture_tags(source, self._format, image.width, image.height, self._profiles) \
            if source is not None else {}
        self._untagged = self._untagged or source is not None and self._format in BARE_FORMATS and has_tags(source)
        try:
            image.save(path, format=self._format, **options, **tags)
        except ValueError:
            if not tags:
                raise
            self._untagged = True
            image.save(path, format=self._format, **options)
        if tags and self._format == "TIFF":
            standard_types_in_file(path)

    def _picture(self, rgb: np.ndarray, alpha: np.ndarray | None):
        """The Pillow image of an upright (H, W, 3) uint8 RGB frame and its (H, W) uint8 alpha: RGB, with the alpha
        where the format holds one; one channel for a .pgm (its BT.601 luma where the frame has colour)."""
        from PIL import Image

        self._alpha_dropped = self._alpha_dropped or alpha is not None and self._format not in ALPHA_FORMATS
        if self.path.suffix.lower() == ".pgm":  # (Pillow would write an RGB picture into it as a colour P6)
            colour = not (np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))
            self._greyed += int(colour)
            return Image.fromarray(np.ascontiguousarray(grey_of(rgb)[..., 0]), "L")
        image = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
        if alpha is not None and self._format in ALPHA_FORMATS:
            image.putalpha(Image.fromarray(np.ascontiguousarray(alpha), "L"))
        return image

    def write_frame(self, rgb: np.ndarray, pts: int, alpha: np.ndarray | None = None,
                    duration: int | None = None) -> None:
        """Write one (H, W, 3) uint8 RGB frame (and its (H, W) uint8 alpha) as the next picture; ``pts`` (the
        source's ticks) only finds the frame's captions: a picture keeps no time (nor its ``duration``)."""
        start = time.perf_counter()
        if self._captions is not None and self._captions.take(pts):
            self._captioned += 1
        for step in self._steps:
            rgb, alpha = step(rgb), None if alpha is None else step(alpha)
        image = self._picture(rgb, alpha)
        chroma = {"subsampling": 0} if self.quality >= FULL_CHROMA_FROM else {}
        options = {"PNG": {"compress_level": PNG_LEVEL}, "JPEG": {"quality": self.quality, **chroma},
                   "WEBP": {"quality": self.quality},
                   "JPEG2000": jpeg2000_options(lossless=False, quality=self.quality,
                                                suffix=Path(self.location.text).suffix)}.get(self._format, {})
        number, source = self._next_number(pts)
        path = self._work / sequence_name(self.location.text, number).name
        try:
            self._save(image, path, options, source)
        except (OSError, ValueError) as exc:
            raise EnlightError(disk_full(exc, self.folder) or f"cannot write {path.name}: {reason(exc)}") from None
        self._written.append(number)
        self.frames_written += 1
        self.encode_s += time.perf_counter() - start

    def write_packet(self, packet: av.Packet) -> None:
        """A passthrough stream's packet: a picture cannot hold it (named in the notes)."""

    def finish(self, *, overwrite: bool = False) -> Path:
        """Move the pictures onto their names (replacing the old sequence of the pattern where ``overwrite``);
        the pattern's path."""
        try:
            if self.frames_written == 0:
                raise EnlightError(f"no frames to write to {self.location.text}")
            old = sequence_files(self.location.text)
            if old and not overwrite:
                raise EnlightError(f"pictures of the sequence {self.location.text} appeared while enhancing "
                                   f"({old[0][1].name} ...); kept nothing (use --force)")
            for _, path in old:
                path.unlink(missing_ok=True)
            for index in range(self.frames_written):
                os.replace(self._work / self.name(index), self.folder / self.name(index))
        except OSError as exc:
            raise EnlightError(f"cannot finish writing {self.location.text}: {reason(exc)}") from None
        finally:
            shutil.rmtree(self._work, ignore_errors=True)
        last = self.name(self.frames_written - 1)
        if self._captioned:
            self.notes.append(f"the closed captions of {counted(self._captioned, 'frame')} not written: a picture "
                              "cannot hold them")
        self.notes += self._unread()
        if self._untagged:
            self.notes.append("the EXIF, ICC profile or XMP of some input pictures were not kept: "
                              f"{self._format} pictures cannot hold them ({_TAGS_KEPT} keep them)"
                              if self._format in BARE_FORMATS else "the EXIF of some input pictures was too long "
                              f"for a {self._format} picture, and was not kept (.png or .tif keep it)")
        if self._alpha_dropped:
            self.notes.append(f"the alpha channel (transparency) was not kept: {self._format} pictures cannot hold it "
                              f"({_ALPHA_KEPT} pictures keep it)")
        if self._greyed:
            self.notes.append(f"the colour of {counted(self._greyed, 'frame')} was written as grey (its luma): a .pgm "
                              "picture holds one channel (a .ppm keeps the colour)")
        self.notes.append(f"wrote {counted(self.frames_written, 'picture')}, {self.name(0)}"
                          + (f" to {last}" if last != self.name(0) else ""))
        return self.path

    def _unread(self) -> list[str]:
        """The input pictures between the first and the last written that gave no picture (they could not be read),
        as a note."""
        written = set(self._written)
        unread = [path.name for number, path in sorted(self._inputs.values())
                  if self._written[0] < number < self._written[-1] and number not in written]
        if not unread:
            return []
        names = ", ".join(unread[:3]) + (f" and {len(unread) - 3} more" if len(unread) > 3 else "")
        return [f"{counted(len(unread), 'input picture')} could not be read ({names}): no picture has "
                f"{'its number' if len(unread) == 1 else 'their numbers'}, the others keep theirs"]

    def keep_partial(self) -> Path | None:
        """The pictures written so far, kept in ``<prefix>partial/`` beside the pattern; None if none were."""
        if self.frames_written == 0:
            self.abort()
            return None
        prefix = self.path.name[:self.path.name.index("%")]
        target = _free_name(self.folder, f"{prefix}partial")
        os.replace(self._work, target)
        return target

    def abort(self) -> None:
        """Delete the pictures written so far."""
        shutil.rmtree(self._work, ignore_errors=True)
