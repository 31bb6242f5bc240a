"""Pixels between PyAV frames, numpy arrays and model tensors, with colour handled explicitly.

The model sees full-range RGB. Decoding converts with the source's colour matrix and range;
encoding converts back with the same matrix and range, so the picture keeps its colours and
the output can carry the source's colour tags unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, Interpolation

# AVColorSpace values (libavutil/pixfmt.h) -> swscale matrix
_MATRIX_BY_AVCOL = {
    1: Colorspace.ITU709,  # BT709
    4: Colorspace.FCC,
    5: Colorspace.ITU601,  # BT470BG
    6: Colorspace.ITU601,  # SMPTE170M
    7: Colorspace.SMPTE240M,
    9: Colorspace.BT2020,  # BT2020_NCL
    10: Colorspace.BT2020,  # BT2020_CL (approximated by the NCL matrix)
}
RANGE_UNSPECIFIED, RANGE_LIMITED, RANGE_FULL = 0, 1, 2
MATRIX_RGB, MATRIX_BT709, MATRIX_SMPTE170M = 0, 1, 6  # AVColorSpace: RGB (GBR) planes, BT.709, BT.601 525-line
_HDR_TRANSFERS = {16: "PQ", 18: "HLG"}  # AVColorTransferCharacteristic: SMPTE ST 2084, ARIB STD-B67
# Accurate rounding and full-resolution chroma: swscale's default is ~1.4 code values dark on
# average and up to 14 off on colour edges through 4:2:0 and back; this is unbiased and <= 6.
INTERPOLATION = (
    Interpolation.BILINEAR | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT | Interpolation.FULL_CHR_H_INP
)


@dataclass(frozen=True)
class ColorInfo:
    """Colour tags of a video (FFmpeg enum values; 2 / 0 mean unspecified) and what they imply.

    matrix: AVColorSpace; color_range: AVColorRange; primaries: AVColorPrimaries;
    transfer: AVColorTransferCharacteristic. ``sws_matrix`` and ``full_range`` are what the
    conversion uses: the tagged values, or for untagged video what players assume (BT.709 for
    HD sizes, BT.601 below; limited range for YUV, full range for RGB, grey and ``yuvj``).
    """

    matrix: int
    color_range: int
    primaries: int
    transfer: int
    sws_matrix: Colorspace
    full_range: bool

    @classmethod
    def from_frame(cls, frame: av.VideoFrame) -> ColorInfo:
        return cls.from_tags(int(frame.colorspace), int(frame.color_range), int(frame.color_primaries),
                             int(frame.color_trc), pix_fmt=pixel_format(frame), width=frame.width, height=frame.height)

    @classmethod
    def from_tags(cls, matrix: int, color_range: int, primaries: int, transfer: int, *, pix_fmt: str, width: int,
                  height: int) -> ColorInfo:
        """The colour of a ``width`` x ``height`` video in ``pix_fmt`` with these tags, as players read it."""
        hd = width >= 1280 or height >= 720
        sws = _MATRIX_BY_AVCOL.get(matrix, Colorspace.ITU709 if hd else Colorspace.ITU601)
        if color_range in (RANGE_LIMITED, RANGE_FULL):
            full = color_range == RANGE_FULL
        else:
            full = pix_fmt.startswith(("yuvj", "rgb", "bgr", "gbr", "gray")) or not pix_fmt.startswith("yuv")
        return cls(matrix, color_range, primaries, transfer, sws, full)

    @property
    def sws_range(self) -> ColorRange:
        return ColorRange.JPEG if self.full_range else ColorRange.MPEG

    @property
    def hdr(self) -> str | None:
        """'PQ' or 'HLG' for a video tagged with an HDR transfer (SMPTE ST 2084, ARIB STD-B67), else None."""
        return _HDR_TRANSFERS.get(self.transfer)


def pixel_format(frame: av.VideoFrame) -> str:
    """The frame's pixel format; for a hardware (e.g. NVDEC) frame, the format of its data."""
    sw = getattr(frame, "sw_format", None)
    return sw.name if sw is not None else frame.format.name


def frame_to_rgb(frame: av.VideoFrame, color: ColorInfo) -> np.ndarray:
    """(H, W, 3) uint8 full-range RGB of a decoded frame, converted with ``color``'s matrix/range."""
    rgb = frame.reformat(
        format="rgb24",
        src_colorspace=color.sws_matrix,
        dst_colorspace=color.sws_matrix,
        src_color_range=color.sws_range,
        dst_color_range=ColorRange.JPEG,
        interpolation=INTERPOLATION,
    )
    return rgb.to_ndarray()


def rgb_to_frame(rgb: np.ndarray, pix_fmt: str, color: ColorInfo, alpha: np.ndarray | None = None
                 ) -> av.VideoFrame:
    """A frame in ``pix_fmt`` from (H, W, 3) uint8 RGB, with ``color``'s matrix, range and tags; ``alpha`` (H, W)
    uint8 goes into ``pix_fmt``'s alpha component (dropped if it has none)."""
    if alpha is not None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.dstack([rgb, alpha])), format="rgba")
    else:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    if pix_fmt != frame.format.name:
        frame = frame.reformat(
            format=pix_fmt,
            src_colorspace=color.sws_matrix,
            dst_colorspace=color.sws_matrix,
            src_color_range=ColorRange.JPEG,
            dst_color_range=color.sws_range,
            interpolation=INTERPOLATION,
        )
    frame.colorspace = color.matrix
    frame.color_range = color.color_range
    frame.color_primaries = color.primaries
    frame.color_trc = color.transfer
    return frame
