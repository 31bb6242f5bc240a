"""HDR video (PQ or HLG) to SDR BT.709, before the enhancer: the model learned on SDR pictures.

    rgb = hdr_frame_to_sdr(frame, color)   # (H, W, 3) uint8 full-range BT.709 RGB

The frame is converted by swscale to 16-bit R'G'B' with its own matrix and range (BT.2020 as tagged),
then, in float32: the transfer to display light in nits (PQ: SMPTE ST 2084's EOTF; HLG: BT.2100's
inverse OETF and its OOTF for a 1000-nit display, system gamma 1.2), divided by the reference white of
BT.2408 (203 nits: HLG's 75% signal) so that 1.0 is SDR white; BT.2020 to BT.709 primaries (negative,
out-of-gamut values clipped to 0); a soft shoulder above 0.8 on the largest channel that brings every
highlight under 1.0 with its hue kept; and the BT.1886 inverse EOTF (power 1/2.4) to 8-bit code values.
The sink then writes BT.709 tags (``SDR_BT709``). An HDR still photo takes the same conversion up to the
code values, which are sRGB's for a photo (``enlight.stream.io.hdr_photo``).
"""

from __future__ import annotations

import functools

import av
import cv2
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, Interpolation

from enlight.stream.io.frames import ColorInfo

REFERENCE_WHITE_NITS = 203.0  # BT.2408: diffuse white, and HLG's 75% signal on a 1000-nit display
HLG_PEAK_NITS = 1000.0
HLG_SYSTEM_GAMMA = 1.2
KNEE = 0.8  # below it SDR-relative light passes unchanged; above it the shoulder rolls off towards 1.0
SDR_BT709 = ColorInfo(1, 1, 1, 1, Colorspace.ITU709, False)  # BT.709 matrix, primaries, transfer; limited range

# swscale's flags for the 16-bit conversion: frames.INTERPOLATION without FULL_CHR_H_INT, which gives wrong
# rgb48 values (a dark blue pixel of a 10-bit frame came out (0, 0, 24997) for (8573, 9866, 25160); rgb24 is fine)
DEEP_INTERPOLATION = Interpolation.BILINEAR | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INP
# linear BT.2020 RGB -> linear BT.709 RGB (BT.2087)
BT2020_TO_BT709 = np.array([[1.6605, -0.5876, -0.0728],
                            [-0.1246, 1.1329, -0.0083],
                            [-0.0182, -0.1006, 1.1187]], dtype=np.float32)
BT2020_LUMA = np.array([0.2627, 0.6780, 0.0593], dtype=np.float32)


def pq_to_nits(signal: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084 EOTF: R'G'B' in [0, 1] -> display light in nits (0..10000)."""
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    p = np.power(np.clip(signal, 0, 1), 1 / m2)
    return 10000 * np.power(np.maximum(p - c1, 0) / (c2 - c3 * p), 1 / m1)


def hlg_scene_light(signal: np.ndarray) -> np.ndarray:
    """BT.2100 HLG inverse OETF: R'G'B' in [0, 1] -> normalised scene light in [0, 1]."""
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    e = np.clip(signal, 0, 1)
    return np.where(e <= 0.5, e * e / 3, (np.exp((e - c) / a) + b) / 12)


_SQRT_STEPS = 4096  # the output LUT's index is sqrt(light): fine steps in the blacks, where the eye needs them


@functools.cache
def _tables() -> dict[str, np.ndarray]:
    """16-bit code -> SDR-relative light (PQ) or scene light (HLG); sqrt(light) index -> 8-bit BT.1886 code."""
    codes = np.arange(65536, dtype=np.float64) / 65535  # every 16-bit code value, in [0, 1]
    root = np.arange(_SQRT_STEPS, dtype=np.float64) / (_SQRT_STEPS - 1)
    return {"PQ": (pq_to_nits(codes) / REFERENCE_WHITE_NITS).astype(np.float32),
            "HLG": hlg_scene_light(codes).astype(np.float32),
            "encode": np.round(255 * root ** (2 / 2.4)).astype(np.uint8)}


def to_sdr_light(signal16: np.ndarray, transfer: str) -> np.ndarray:
    """(H, W, 3) uint16 BT.2020 R'G'B' coded with ``transfer`` ('PQ' or 'HLG') -> (H, W, 3) float32 linear
    BT.2020 light relative to SDR white (1.0 = 203 nits; HLG through its OOTF on a 1000-nit display)."""
    light = _tables()[transfer][signal16]
    if transfer == "HLG":  # OOTF: peak * Ys ** (gamma - 1) * E, Ys the luma of scene light
        luma = cv2.transform(light, BT2020_LUMA[None])
        np.maximum(luma, 1e-6, out=luma)
        light *= ((HLG_PEAK_NITS / REFERENCE_WHITE_NITS) * np.power(luma, HLG_SYSTEM_GAMMA - 1))[..., None]
    return light


def sdr_display_light(light: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 linear BT.2020 light (1.0 = SDR white) -> (H, W, 3) float32 linear BT.709 light in [0, 1]:
    primaries converted (out-of-gamut negatives clipped), highlights above ``KNEE`` rolled off on the largest channel
    (hue kept)."""
    linear = cv2.transform(light, BT2020_TO_BT709)
    np.maximum(linear, 0, out=linear)
    peak = cv2.max(cv2.max(linear[..., 0], linear[..., 1]), linear[..., 2])
    if peak.max() > KNEE:
        over = np.maximum(peak - KNEE, 0)
        rolled = KNEE + (1 - KNEE) * (1 - np.exp(-over / (1 - KNEE)))  # slope 1 at the knee, -> 1.0
        linear *= (rolled / np.maximum(peak, KNEE))[..., None]  # 1 at and below the knee
    np.minimum(linear, 1, out=linear)
    return linear


def encoded(linear: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 linear light in [0, 1] -> ``table``'s code values (its dtype), ``table`` indexed by
    sqrt(light) in len(table) even steps (fine steps in the blacks, where the eye needs them)."""
    steps = float(len(table) - 1)
    index = cv2.multiply(cv2.sqrt(linear), (steps, steps, steps, 0), dtype=cv2.CV_16U)  # rounded
    return table[index]


def sdr_light_to_codes(light: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 linear BT.2020 light (1.0 = SDR white) -> (H, W, 3) uint8 BT.709 R'G'B' (full range):
    ``sdr_display_light``, then the BT.1886 inverse EOTF (power 1/2.4)."""
    return encoded(sdr_display_light(light), _tables()["encode"])


def hdr_frame_to_sdr(frame: av.VideoFrame, color: ColorInfo) -> np.ndarray:
    """A decoded PQ or HLG frame (``color.hdr``) as (H, W, 3) uint8 full-range BT.709 RGB."""
    deep = frame.reformat(format="rgb48le", src_colorspace=color.sws_matrix, dst_colorspace=color.sws_matrix,
                          src_color_range=color.sws_range, dst_color_range=ColorRange.JPEG,
                          interpolation=DEEP_INTERPOLATION)
    return sdr_light_to_codes(to_sdr_light(deep.to_ndarray(), color.hdr))
