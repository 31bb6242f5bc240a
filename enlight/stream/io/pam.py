"""Netpbm PAM photos (.pam: 'P7', a header of named fields, then the samples), which Pillow does not read: a Pillow
plugin of ours reads them (8 bits: a maxval past 255 is scaled to 255, the deep pixels read by FFmpeg's decoder as
a 16-bit Netpbm file's are), and ``write_pam`` writes them, 8 or 16 bits, with their alpha.

    register()                        # Pillow opens a PAM file (format 'PAM'), whatever its name, and saves one
    header = pam_header(data)         # PamHeader(width, height, depth, maxval, tupltype, size) or None
    unread_pam(path)                  # why a PAM is not read (CMYK, ...), in one line; '' where it is
    write_pam(path, pixels)           # (H, W, C) uint8 or uint16, C = 1..4 -> GRAYSCALE, ..., RGB_ALPHA

The tuple types read: GRAYSCALE, RGB and their _ALPHA forms, or a file that names none (its depth says which); a
BLACKANDWHITE one (maxval 1) is a 1-bit picture, refused as a Netpbm bitmap is (``netpbm.one_bit_error_text``);
another (CMYK, a depth past 4) in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

PAM_SUFFIX = ".pam"
FORMAT = "PAM"
MAGIC = b"P7\n"
_TUPLES = {"GRAYSCALE": 1, "GRAYSCALE_ALPHA": 2, "RGB": 3, "RGB_ALPHA": 4, "BLACKANDWHITE": 1,
           "BLACKANDWHITE_ALPHA": 2}
_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}  # depth -> Pillow's mode
_WRITTEN = {1: "GRAYSCALE", 2: "GRAYSCALE_ALPHA", 3: "RGB", 4: "RGB_ALPHA"}


@dataclass(frozen=True)
class PamHeader:
    """tupltype: as the file names it ('' where it names none); size: the header's bytes, up to the samples."""

    width: int
    height: int
    depth: int
    maxval: int
    tupltype: str
    size: int

    @property
    def bitmap(self) -> bool:
        return self.maxval == 1 or self.tupltype.startswith("BLACKANDWHITE")

    def unread(self) -> str:
        """Why a photo of this header is not read, in words; '' where it is."""
        if self.tupltype and _TUPLES.get(self.tupltype) != self.depth:
            return f"a PAM of tuple type {self.tupltype} ({self.depth} samples a pixel) is not read here; " \
                   "GRAYSCALE, RGB and their _ALPHA forms are"
        return "" if 1 <= self.depth <= 4 else f"a PAM of {self.depth} samples a pixel is not read here (1 to 4 are)"


def pam_header(data: bytes) -> PamHeader | None:
    """The header of a PAM file's first bytes ``data``: its fields up to ENDHDR, comments ('#') left out; None where
    it is no PAM, or its size, depth or maxval is missing or out of range."""
    if not data.startswith(MAGIC):
        return None
    fields, at = {}, len(MAGIC)
    while True:
        end = data.find(b"\n", at)
        if end < 0:
            return None
        words = data[at:end].split(b"#")[0].decode("latin-1").split()
        at = end + 1
        if words[:1] == ["ENDHDR"]:
            break
        if words:
            fields[words[0]] = " ".join(words[1:])
    try:
        width, height, depth, maxval = (int(fields[key]) for key in ("WIDTH", "HEIGHT", "DEPTH", "MAXVAL"))
    except (KeyError, ValueError):
        return None
    if width <= 0 or height <= 0 or depth <= 0 or not 0 < maxval < 65536:
        return None
    return PamHeader(width, height, depth, maxval, fields.get("TUPLTYPE", ""), at)


def _file_header(path: Path) -> PamHeader | None:
    try:
        with open(path, "rb") as file:
            return pam_header(file.read(4096))
    except OSError:
        return None


def pam_bits(path: Path) -> int:
    """The bits a channel of the PAM file at ``path``: its maxval's (65535: 16, 255: 8, a bitmap 1); 8 where its
    header cannot be read."""
    header = _file_header(path)
    return header.maxval.bit_length() if header is not None else 8


def unread_pam(path: Path) -> str:
    """Why the PAM file at ``path`` is not read, in one line naming it (a CMYK one, a depth past 4: Pillow would say
    only that it cannot identify the file); '' where it is read, is a bitmap (refused as one) or is no PAM."""
    header = _file_header(path)
    return f"{path.name}: {header.unread()}" if header is not None and not header.bitmap and header.unread() else ""


def _write(out, pixels: np.ndarray) -> None:
    """Write to the open file ``out`` a PAM file of (H, W, C) uint8 (maxval 255) or uint16 (maxval 65535,
    big-endian) samples: C = 1 grey, 2 grey and alpha, 3 RGB, 4 RGBA."""
    height, width, depth = pixels.shape
    deep = pixels.dtype == np.uint16
    head = f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH {depth}\nMAXVAL {65535 if deep else 255}\n" \
           f"TUPLTYPE {_WRITTEN[depth]}\nENDHDR\n"
    out.write(head.encode("ascii"))
    out.write(np.ascontiguousarray(pixels.astype(">u2" if deep else np.uint8)).tobytes())


def write_pam(path: Path, pixels: np.ndarray) -> None:
    """A PAM file at ``path`` of (H, W, C) uint8 or uint16 samples (``_write``)."""
    with open(path, "wb") as out:
        _write(out, pixels)


def _save(image, out, filename) -> None:
    """Pillow's saver of a PAM file (``image.save(path, format="PAM")``): an 8-bit L, LA, RGB or RGBA image as
    its (H, W, C) uint8 samples (``_write``); OSError for another mode."""
    if image.mode not in _MODES.values():
        raise OSError(f"cannot write mode {image.mode} as PAM")
    pixels = np.asarray(image)
    _write(out, pixels[..., None] if pixels.ndim == 2 else pixels)


def register() -> None:
    """Register the plugin with Pillow (once)."""
    from PIL import Image, ImageFile

    if FORMAT in Image.OPEN:
        return

    class PamImageFile(ImageFile.ImageFile):
        format, format_description = FORMAT, "Netpbm PAM"

        def _open(self) -> None:
            header = pam_header(self.fp.read(4096))
            if header is None:
                raise SyntaxError("not a PAM file, or its header is incomplete")
            if header.unread() and not header.bitmap:
                raise SyntaxError(header.unread())
            self._size = (header.width, header.height)
            self._mode = "1" if header.bitmap else _MODES[header.depth]
            self.tile = [ImageFile._Tile("pam", (0, 0, *self.size), header.size, (header.depth, header.maxval))]

    class PamDecoder(ImageFile.PyDecoder):
        _pulls_fd = True

        def decode(self, buffer) -> tuple[int, int]:
            depth, maxval = self.args
            dtype = ">u2" if maxval > 255 else np.uint8
            count = self.state.xsize * self.state.ysize * depth
            values = np.frombuffer(self.fd.read(count * np.dtype(dtype).itemsize), dtype)
            if values.size < count:
                raise OSError(f"the PAM file ends after {values.size} of its {count} samples")
            eight = values if maxval == 255 else (values.astype(np.uint32) * 255 + maxval // 2) // maxval
            self.set_as_raw(np.minimum(eight, 255).astype(np.uint8).tobytes(), _MODES[depth])
            return -1, 0

    Image.register_open(FORMAT, PamImageFile, lambda prefix: prefix[:3] == MAGIC)
    Image.register_save(FORMAT, _save)
    Image.register_decoder("pam", PamDecoder)
    Image.register_extension(FORMAT, PAM_SUFFIX)
