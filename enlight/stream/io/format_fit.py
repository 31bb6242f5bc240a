"""The encoder's pixel format nearest a source's that it cannot encode, and a note where that loses detail.

A 12-bit ProRes 4444 (yuv444p12le: cinema cameras, editors' masters) went to libx264, which has no 12 bits,
as yuv420p without a word: 8 bits and a quarter of the colour samples, where the encoder takes yuv444p10le.
"""

from __future__ import annotations

import re

import av

_KIND = re.compile(r"(yuv4\d\dp|gray)(\d+)?(le|be)?")  # a YUV layout or grey, and its bits per sample


def nearer_formats(source: str) -> tuple[str, ...]:
    """Pixel formats of ``source``'s layout (its chroma subsampling, or grey) with fewer bits, the most first:
    yuv444p12le -> yuv444p10le, yuv444p9le, yuv444p; () for other formats (RGB, packed, 8-bit ones)."""
    match = _KIND.fullmatch(source)
    if match is None:
        return ()
    layout, bits = match.group(1), int(match.group(2) or 8)
    return tuple(f"{layout}{fewer}le" if fewer > 8 else layout for fewer in (14, 12, 10, 9, 8) if fewer < bits)


def _detail(pix_fmt: str) -> tuple[int, float]:
    """(bits per sample, chroma samples per pixel and plane) of a pixel format."""
    layout = av.VideoFormat(pix_fmt, 64, 64)
    luma, *chroma = layout.components  # (PyAV's is_chroma is false for 4:4:4's full-size chroma)
    share = chroma[0].width * chroma[0].height / (64 * 64) if len(chroma) >= 2 else 0.0
    return luma.bits, share


def loses_detail(source: str, chosen: str) -> bool:
    """Whether ``chosen`` (an encoder's pixel format) holds fewer bits or fewer colour samples than ``source`` (the
    input's, where it is a YUV or grey one)."""
    if source == chosen or _KIND.fullmatch(source) is None:
        return False
    (bits, share), (kept_bits, kept_share) = _detail(source), _detail(chosen)
    return kept_bits < bits or kept_share < share


def lost_detail_note(codec: str, source: str, chosen: str, keepers: list[str]) -> str:
    """The note of ``loses_detail``: ``codec`` wrote ``chosen`` for ``source``; ``keepers``, encoders that keep it."""
    hint = f" (--codec {' or '.join(keepers)} keeps it)" if keepers else ""
    return f"encoded as {chosen}: {codec} cannot encode the input's {source}{hint}"
