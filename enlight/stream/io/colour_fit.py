"""The colour an output's readers will find, where its encoder or its kind of file cannot carry the source's tags.

VP8 (libvpx: a .ogv file's encoder, or ``--codec libvpx``) and Motion JPEG are decoded as BT.601 whatever they are
tagged, and MPEG-4 part 2, H.263 or HuffYUV in an AVI or FLV file carry no colour tags at all, so readers take the
defaults (BT.601 below 1280x720, BT.709 from it; the limited range). Frames converted with the source's BT.709 matrix
came out with BT.601's hue shift in a .ogv file (a green bar of an enhanced BT.709 clip, 76 216 91 in a .mkv output,
was 86 243 86), and a full-range source written into an AVI of MPEG-4 part 2 had its blacks crushed and its whites
clipped. A one-frame trial of the output, read back (``VideoSink``), says what its readers find (``Found``); the
frames are then converted with the matrix and range they will be read with, so the colours look as they did, and a
note says which tags changed. An HDR transfer (PQ, HLG) that is not found again is an error for ``--hdr keep``:
its coded values would be shown as SDR.
"""

from __future__ import annotations

from dataclasses import dataclass

from av.video.reformatter import Colorspace

from enlight.errors import EnlightError
from enlight.stream.io.frames import (
    MATRIX_BT709,
    MATRIX_SMPTE170M,
    RANGE_FULL,
    RANGE_LIMITED,
    ColorInfo,
)

# tags whose loss changes nothing a player shows: BT.709, unspecified, BT.601's two (primaries); BT.709, unspecified,
# gamma 2.2 and 2.8, BT.601, sRGB and BT.2020's 10- and 12-bit (BT.709's curve) (transfers)
HARMLESS_PRIMARIES = (1, 2, 5, 6)
HARMLESS_TRANSFERS = (1, 2, 4, 5, 6, 13, 14, 15)
_PRIMARIES = {4: "BT.470 M", 7: "SMPTE 240M", 8: "film", 9: "BT.2020", 10: "CIE XYZ", 11: "DCI-P3", 12: "Display P3",
              22: "EBU 3213"}
_TRANSFERS = {7: "SMPTE 240M", 8: "linear", 9: "log", 10: "log sqrt", 11: "xvYCC", 12: "BT.1361", 16: "PQ",
              17: "SMPTE 428", 18: "HLG"}
_MATRICES = {Colorspace.ITU709: "BT.709", Colorspace.ITU601: "BT.601", Colorspace.BT2020: "BT.2020",
             Colorspace.SMPTE240M: "SMPTE 240M", Colorspace.FCC: "FCC"}


@dataclass(frozen=True)
class Found:
    """The colour tags a reader finds in an output (FFmpeg's enum values; 2, or 0 for the range: none)."""

    matrix: int
    color_range: int
    primaries: int
    transfer: int


def fitted_colour(wanted: ColorInfo, found: Found | None, *, pix_fmt: str, width: int, height: int) -> ColorInfo:
    """The colour the frames are written in: ``wanted`` (the source's) where readers of the output read YUV
    ``pix_fmt`` frames with its matrix and range, or nothing is ``found``; else the matrix and range they read with
    (the defaults for a ``width`` x ``height`` video where they find no tag), tagged so."""
    if found is None or not pix_fmt.startswith("yuv"):
        return wanted
    reader = ColorInfo.from_tags(found.matrix, found.color_range, found.primaries, found.transfer, pix_fmt=pix_fmt,
                                 width=width, height=height)
    if (reader.sws_matrix, reader.full_range) == (wanted.sws_matrix, wanted.full_range):
        return wanted
    matrix = found.matrix if found.matrix in (MATRIX_BT709, 4, 5, MATRIX_SMPTE170M, 7, 9, 10) else \
        MATRIX_BT709 if reader.sws_matrix == Colorspace.ITU709 else MATRIX_SMPTE170M
    return ColorInfo(matrix, RANGE_FULL if reader.full_range else RANGE_LIMITED, wanted.primaries, wanted.transfer,
                     reader.sws_matrix, reader.full_range)


def colour_notes(wanted: ColorInfo, written: ColorInfo, found: Found | None, *, codec: str, kind: str) -> list[str]:
    """What became of the source's colour tags in a ``kind`` output ('.ogv') of ``codec`` video: a matrix or range
    its readers cannot be told (``fitted_colour``), primaries or a transfer they will not find. An HDR transfer not
    found is an EnlightError (``--hdr keep``)."""
    if found is None:
        return []
    where = f"{codec} video in a {kind} file"
    if wanted.hdr is not None and found.transfer != wanted.transfer:
        raise EnlightError(f"--hdr keep writes HDR video, and {where} cannot be tagged {wanted.hdr}: players would "
                           "show its coded values as SDR, washed out (leave --hdr at sdr, or write a .mp4, .mkv, .mov "
                           "or .webm file)")
    notes = []
    if written != wanted:
        notes.append(f"{where} is read as {_described(written)} (it cannot be tagged otherwise): the frames were "
                     f"converted to that from the input's {_described(wanted)}, so the colours look as they did "
                     "(H.264, HEVC, VP9 and AV1 keep the input's tags)")
    lost = [f"{what} ({names.get(value, f'code {value}')})" for what, value, got, names, harmless in (
        ("primaries", wanted.primaries, found.primaries, _PRIMARIES, HARMLESS_PRIMARIES),
        ("transfer", wanted.transfer, found.transfer, _TRANSFERS, HARMLESS_TRANSFERS))
        if got != value and value not in harmless]
    if lost:
        notes.append(f"the colour {' and '.join(lost)} {'tags were' if len(lost) > 1 else 'tag was'} not kept: "
                     f"{where} cannot carry {'them' if len(lost) > 1 else 'it'}, so players show the colours as "
                     "BT.709 (a .mkv, .mp4 or .mov output keeps them)")
    return notes


def _described(color: ColorInfo) -> str:
    """'BT.601, limited range'."""
    return f"{_MATRICES.get(color.sws_matrix, 'its matrix')}, {'full' if color.full_range else 'limited'} range"
