"""An HDR still photo (PQ or HLG: ``enlight.stream.io.hdr_photo``) made ready for the model as ``--hdr`` says, as a
video is (``enlight.stream.io.source``).

    photo, note = photo_for_model(photo, "sdr", Path("day.jpg"))

``sdr`` (the default): its pixels converted to SDR sRGB by the video path's conversion (``hdr_photo.sdr16``), at 16
bits where the file has more than 8 (so the deep path keeps its gradations), its HDR tag dropped: the output is an
SDR photo, tagged as one (a HEIC's nclx box sRGB, other formats untagged: sRGB), with its EXIF and XMP (it was read
as SDR: PQ's or HLG's code values taken for sRGB's, written back tagged sRGB, washed out, without a word). ``keep``:
its coded values enhanced as they are and written with its tag and HDR metadata, into a .heic only (10 bits, its nclx
box): other outputs are refused in one line.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from enlight.errors import EnlightError
from enlight.stream.io.hdr_photo import sdr16
from enlight.stream.io.photo_formats import photo_format
from enlight.stream.io.photo_reader import Photo, eight_bits


def photo_for_model(photo: Photo, hdr: str, output: Path) -> tuple[Photo, str]:
    """(``photo`` as the model takes it under ``--hdr`` ``hdr`` ('sdr', 'keep') into ``output``, the note that says
    what was done: '' for an SDR photo). Refuses (EnlightError) ``keep`` into an output that cannot hold HDR."""
    tag = photo.hdr
    if tag is None:
        return photo, ""
    if hdr == "keep":
        if photo_format(output) != "HEIF":
            raise EnlightError(f"--hdr keep writes an HDR photo ({tag.describe()}) only as a .heic, which holds it at "
                               f"10 bits with its tag; a {output.suffix} here would show its {tag.name} values as "
                               "SDR, washed out: write a .heic, or leave --hdr at sdr to write it as SDR")
        return photo, (f"the photo is HDR ({tag.describe()}); with --hdr keep it was enhanced in its coded values as "
                       "if it were SDR and keeps its HDR tags: check the result on an HDR display")
    source = photo.rgb16 if photo.rgb16 is not None else photo.rgb.astype(np.uint16) * 257
    rgb16 = sdr16(source, tag.name)
    converted = replace(photo, rgb=eight_bits(rgb16), rgb16=rgb16 if photo.rgb16 is not None else None, hdr=None)
    return converted, (f"the photo is HDR ({tag.describe()}); it was converted to SDR (sRGB) for the model, which "
                       "learned on SDR pictures, and is written as SDR (--hdr keep, into a .heic: enhance its coded "
                       "values and keep its HDR tags)")
