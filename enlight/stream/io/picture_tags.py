"""What an input picture says about itself (its EXIF, ICC profile, XMP, IPTC, comments and PNG text), carried to
the numbered picture enhanced from it: a security camera's JPEGs keep the time each was taken, a camera's timelapse
its exposure and lens, as a photo does (``enlight.stream.io.photo_writer``).

The frames are written upright, so the EXIF's and XMP's orientation say 1; the EXIF's picture size is the one
written, and the TIFF layout tags of the input stay behind with its pixels.
"""

from __future__ import annotations

from pathlib import Path

from enlight.stream.io.annotations import annotation_options, read_annotations, tiff_exif
from enlight.stream.io.photo_metadata import upright_exif, upright_xmp
from enlight.stream.io.photo_writer import metadata_options

HOLDS_TAGS = ("JPEG", "PNG", "TIFF", "WEBP")  # Pillow's picture formats written with EXIF, ICC and XMP (not BMP)


def picture_tags(path: Path, fmt: str, width: int, height: int) -> dict:
    """Pillow's save options for a ``fmt`` picture of ``width`` x ``height`` that carry ``path``'s metadata; {} where
    it has none, cannot be read, or ``fmt`` holds none (BMP)."""
    from PIL import Image, UnidentifiedImageError

    if fmt not in HOLDS_TAGS:
        return {}
    try:
        with Image.open(path) as image:
            raw = image.info.get("exif")
            exif = image.getexif()
            icc, xmp, annotations = image.info.get("icc_profile"), upright_xmp(image), read_annotations(image)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return {}
    data = upright_exif(exif, raw, width, height)
    if fmt == "TIFF":
        data = tiff_exif(data, annotations)
    return annotation_options(fmt, annotations, metadata_options(fmt, icc, data, xmp))


def has_tags(path: Path) -> bool:
    """Whether the picture at ``path`` carries EXIF, an ICC profile or XMP (what a BMP picture cannot hold)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return bool(len(image.getexif()) or image.info.get("icc_profile") or upright_xmp(image))
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return False
