"""The bits HDR video is written at with ``--hdr keep``: never fewer than 10 for a source that has them.

PQ and HLG spread their code values over a far wider range of light than SDR does: at 8 bits each step is visible,
and the dark tones (the very ones this tool lifts) band. ``--hdr keep --pix-fmt yuv420p`` wrote 8-bit HEVC under a
note that said "HDR is kept as 10-bit HEVC"; an 8-bit-only encoder (this FFmpeg's libvpx-vp9) did the same with a
note on the pixel format only. Both are refused in one line now, and the note names the bits written.
"""

from __future__ import annotations

import av

from enlight.errors import EnlightError

HDR_BITS = 10  # the fewest bits HDR10 and HLG video is made at (and played at)


def bits(pix_fmt: str) -> int:
    """Bits per sample of ``pix_fmt``'s first component ('yuv420p10le' -> 10)."""
    return av.VideoFormat(pix_fmt, 64, 64).components[0].bits


def check_hdr_depth(hdr: str | None, source: str, chosen: str, *, codec: str, requested: str | None) -> None:
    """Refuse (EnlightError) writing ``hdr`` video ('PQ', 'HLG'; None: SDR, nothing to check) of a ``source`` pixel
    format of 10 bits or more as ``chosen``, one of fewer; ``requested``: the --pix-fmt given (None: ``codec``'s
    choice, as it has no more bits)."""
    if hdr is None or bits(source) < HDR_BITS or bits(chosen) >= HDR_BITS:
        return
    why = f"--hdr keep writes {hdr} video, whose dark tones band badly at {bits(chosen)} bits"
    if requested is not None:
        raise EnlightError(f"--pix-fmt {requested} has {bits(chosen)} bits, and {why}: give a 10-bit format "
                           f"(yuv420p10le), or leave --pix-fmt out to keep the input's {source}")
    raise EnlightError(f"{codec} here encodes at most {bits(chosen)} bits, and {why}: leave --codec out (HDR is "
                       "then written as 10-bit HEVC or AV1), or leave --hdr at sdr")


def hdr_kept_note(codec: str, what: str, pix_fmt: str) -> str:
    """The note for HDR that ``--codec auto`` wrote with ``codec`` (its format's name, ``what``: 'HEVC') in
    ``pix_fmt``."""
    return f"encoded with {codec}: HDR is kept (--hdr keep) as {bits(pix_fmt)}-bit {what}, as players expect it"
