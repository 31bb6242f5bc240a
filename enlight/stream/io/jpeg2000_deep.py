"""JPEG 2000 photos written at 16 bits a channel (a 16-bit scan's, a medical or astronomy camera's), which Pillow
does not write in colour: through FFmpeg's own JPEG 2000 encoder (PyAV), read back by OpenJPEG (Pillow) and FFmpeg.

    write_jpeg2000_16(path, pixels16, lossless=True, psnr=44.0)   # (H, W, C) uint16, C = 1, 3 or 4

Lossless: the reversible 5-3 wavelet, every 16-bit value as it was. Lossy: the 9-7 one, which FFmpeg's encoder sizes
by a compression ratio, not by a PSNR as OpenJPEG's layer is (``jpeg2000.psnr_for``): the ratio is searched for on a
sample of the picture (up to 4 x 4 of the encoder's 256-pixel tiles, spread over it), a few tries, the largest ratio
whose PSNR reaches ``psnr`` (within ``_WITHIN`` dB over it where it can), then the whole picture written at it
(where none reaches it, lossless). A grey picture with alpha is written as RGBA (PyAV makes no frame of grey and
alpha), as a 16-bit PNG's is.
"""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np

_PIX_FMT = {1: "gray16le", 3: "rgb48le", 4: "rgba64le"}  # channels -> FFmpeg's pixel format
_TILE = 256  # FFmpeg's tile side: tiles are coded apart, so a sample of whole tiles is coded as they are
_SAMPLE_TILES = 4  # tiles a side of the sample
_FIRST_RATIO = 40.0  # where the search starts: 44-45 dB on Kodak and BSDS photos made 16-bit
_DB_A_DOUBLING = 6.0  # what halving the bytes costs, about
_TRIES = 5
_WITHIN = 1.0  # dB over the target that ends the search


def _encode(pixels16: np.ndarray, *, ratio: float | None, codestream: bool = False) -> bytes:
    """(H, W, C) uint16, C = 1, 3 or 4 -> a JP2 file's bytes (a bare codestream where ``codestream``): lossless
    where ``ratio`` is None, else the 9-7 wavelet at that compression ratio."""
    height, width, channels = pixels16.shape
    context = av.CodecContext.create("jpeg2000", "w")
    context.width, context.height, context.pix_fmt = width, height, _PIX_FMT[channels]
    options = {"format": "j2k" if codestream else "jp2", "pred": "dwt53" if ratio is None else "dwt97int"}
    context.options = options | ({} if ratio is None else {"layer_rates": f"{ratio:.3f}"})
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels16[..., 0] if channels == 1 else pixels16),
                                       format=_PIX_FMT[channels])
    return b"".join(bytes(packet) for packet in (*context.encode(frame), *context.encode(None)))


def _psnr(pixels16: np.ndarray, data: bytes) -> float:
    """The PSNR (dB, 16-bit peak) of ``data`` as FFmpeg decodes it against the (H, W, C) uint16 it was made of."""
    context = av.CodecContext.create("jpeg2000", "r")
    frame = context.decode(av.Packet(data))[0]
    back = frame.to_ndarray(format=_PIX_FMT[pixels16.shape[2]]).reshape(pixels16.shape)
    mse = float(np.mean((back.astype(np.float64) - pixels16) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(65535.0 ** 2 / mse)


def _spread(size: int) -> list[int]:
    """The starts of the tiles sampled along a side of ``size`` pixels: all of it where it holds the sample."""
    if size <= _TILE * _SAMPLE_TILES:
        return [0]
    last = (size - _TILE) // _TILE
    return [round(last * i / (_SAMPLE_TILES - 1)) * _TILE for i in range(_SAMPLE_TILES)]


def _sample(pixels16: np.ndarray) -> np.ndarray:
    """(H, W, C) -> the picture itself, or a mosaic of up to 4 x 4 of its 256-pixel tiles, spread over it."""
    rows, cols = _spread(pixels16.shape[0]), _spread(pixels16.shape[1])
    if rows == [0] and cols == [0]:
        return pixels16
    tall, wide = (_TILE if len(rows) > 1 else pixels16.shape[0]), (_TILE if len(cols) > 1 else pixels16.shape[1])
    return np.concatenate([np.concatenate([pixels16[r:r + tall, c:c + wide] for c in cols], axis=1) for r in rows])


def lossy_ratio(pixels16: np.ndarray, psnr: float) -> float | None:
    """The largest compression ratio found (module docstring) at which FFmpeg's 9-7 coding of the (H, W, C) uint16
    picture reaches ``psnr`` dB; None where no try reached it."""
    sample = _sample(pixels16)
    ratio, passed, failed = _FIRST_RATIO, None, None
    for _ in range(_TRIES):
        found = _psnr(sample, _encode(sample, ratio=ratio))
        if found >= psnr:
            passed = max(passed or ratio, ratio)
            if found - psnr <= _WITHIN:
                break
        else:
            failed = min(failed or ratio, ratio)
        step = ratio * 2 ** (min(found - psnr, 24.0) / _DB_A_DOUBLING)
        low, high = passed or 1.0, failed or math.inf
        ratio = step if low < step < high else math.sqrt(low * min(high, low * 64))
    return passed


def write_jpeg2000_16(path: Path, pixels16: np.ndarray, *, lossless: bool, psnr: float) -> None:
    """A 16-bit JPEG 2000 file of (H, W, C) uint16 grey (C = 1), grey and alpha (2: written as RGBA), RGB (3) or
    RGBA (4): a bare codestream for a .j2k, else a JP2 file; lossless where ``lossless`` or where no ratio reaches
    ``psnr`` (``lossy_ratio``)."""
    if pixels16.shape[2] == 2:
        pixels16 = np.concatenate([np.repeat(pixels16[..., :1], 3, axis=2), pixels16[..., 1:]], axis=2)
    ratio = None if lossless else lossy_ratio(pixels16, psnr)
    path.write_bytes(_encode(pixels16, ratio=ratio, codestream=path.suffix.lower() == ".j2k"))
