"""What an input picture says about itself (its EXIF, ICC profile, XMP, IPTC, comments and PNG text), carried to
the numbered picture enhanced from it: a security camera's JPEGs keep the time each was taken, a camera's timelapse
its exposure and lens, as a photo does (``enlight.stream.io.photo_writer``).

The frames are written upright, so the EXIF's and XMP's orientation say 1; the EXIF's picture size is the one
written, and the TIFF layout tags of the input stay behind with its pixels. The ICC profile is the one that
describes the pixels written: a grey or CMYK picture's were converted through its profile to sRGB as they were read
(``enlight.stream.io.sequence_colour``), so sRGB, or none where they could not be; a grey or CMYK profile never
tags the RGB pictures written (it was copied onto them: viewers read their RGB through a grey or CMYK profile).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from enlight.stream.io.annotations import annotation_options, read_annotations, tiff_exif
from enlight.stream.io.photo_colour import profile_space
from enlight.stream.io.photo_formats import BARE_FORMATS
from enlight.stream.io.photo_metadata import ORIENTATION, upright_exif, upright_xmp, xmp_packet
from enlight.stream.io.photo_writer import metadata_options


def picture_tags(path: Path, fmt: str, width: int, height: int,
                 profiles: Mapping[Path, bytes | None] | None = None) -> dict:
    """Pillow's save options for a ``fmt`` picture of ``width`` x ``height`` that carry ``path``'s metadata; {} where
    it has none, cannot be read, or ``fmt`` holds none (``BARE_FORMATS``: BMP, Netpbm, PAM, Targa, JPEG 2000).
    profiles: the ICC profile of the pixels converted from a picture (``SequenceColour.profiles``; None: untagged), in
    place of its own; a grey or CMYK one is left out."""
    from PIL import Image, UnidentifiedImageError

    if fmt in BARE_FORMATS:
        return {}
    try:
        with Image.open(path) as image:
            raw = image.info.get("exif")
            exif = image.getexif()
            icc, xmp, annotations = image.info.get("icc_profile"), xmp_packet(image), read_annotations(image)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return {}
    icc = (profiles or {}).get(path, icc)
    icc = None if profile_space(icc) is not None else icc
    xmp = upright_xmp(xmp, width, height, exif.get(ORIENTATION, 1))  # (the frame was turned by the EXIF's)
    data = upright_exif(exif, raw, width, height)
    if fmt == "TIFF":
        data = tiff_exif(data, annotations)
    return annotation_options(fmt, annotations, metadata_options(fmt, icc, data, xmp))


def has_tags(path: Path) -> bool:
    """Whether the picture at ``path`` carries EXIF, an ICC profile or XMP (what a BMP picture cannot hold)."""
    return bool(held_tags(path))


def held_tags(path: Path) -> list[str]:
    """Which of 'EXIF', 'ICC profile' and 'XMP' the picture at ``path`` carries, in that order; [] where it carries
    none or cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            found = (len(image.getexif()), image.info.get("icc_profile"), xmp_packet(image))
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return []
    return [name for name, there in zip(("EXIF", "ICC profile", "XMP"), found, strict=True) if there]
