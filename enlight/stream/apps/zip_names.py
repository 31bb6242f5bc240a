"""The names of a .zip's members as the tool that packed them meant them.

The zip format has one flag (bit 11 of a member's flags) saying its name is UTF-8; without it the standard reads the
name as IBM code page 437, and so does Python's ``zipfile``. Many tools write UTF-8 names without the flag: Info-ZIP's
``zip`` on Linux and macOS (the ``zip -r`` of a phone's export), some cameras and NAS exports. Read as CP437, a photo
``nüit é.jpg`` was unpacked and written as ``n├╝it ├⌐.jpg``. As Info-ZIP's ``unzip``, 7-Zip and libarchive do, a
member without the flag is named by its Info-ZIP Unicode Path field (0x7075, where it has one that matches its name),
else read as UTF-8 where its bytes are valid UTF-8, else as CP437 (what an older Windows zip holds: a CP437 name with
accented letters is almost never valid UTF-8).
"""

from __future__ import annotations

import struct
import zipfile
import zlib

_UTF8_FLAG = 0x800
_UNICODE_PATH = 0x7075


def zip_members(packed: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """``packed``'s members, each ``filename`` made the name its writer meant (module docstring); ``orig_filename``,
    which ``zipfile`` checks against the member's local header when it reads it, is left as it was."""
    members = packed.infolist()
    if packed.metadata_encoding is None:
        for info in members:
            info.filename = _meant(info)
    return members


def _meant(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.orig_filename.encode("cp437")  # (zipfile read these bytes as CP437)
    except UnicodeEncodeError:
        return info.filename
    name = _unicode_path(info.extra, raw)
    if name is None:
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            return info.filename
    return name


def _unicode_path(extra: bytes, raw: bytes) -> str | None:
    """The UTF-8 name of an Info-ZIP Unicode Path field in ``extra`` (the member's extra fields) written for the
    name ``raw`` (its CRC-32 matches), or None."""
    at = 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4:at + 4 + size]
        at += 4 + size
        if kind == _UNICODE_PATH and len(body) > 5 and body[0] == 1:
            if struct.unpack_from("<I", body, 1)[0] != zlib.crc32(raw):
                return None  # the name was changed after the field was written: the name stands
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
    return None


__all__ = ["zip_members"]
