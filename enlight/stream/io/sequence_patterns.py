"""The frame number pattern a user meant, for the one-line errors about a sequence typed another way.

A pattern FFmpeg's image2 reads names each frame the way printf writes its number: ``%04d`` pads to four digits
(``night_0007.jpg``, and ``night_10000.jpg`` past 9999), ``%d`` does not pad (``night_7.jpg``). A pattern of the
other kind matches none of the files, and a shell's ``*`` (``'night_*.jpg'`` in quotes) is read by no program here:
the errors name the pattern that does read the files found.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

from enlight.errors import EnlightError
from enlight.text import counted

_DIGITS = re.compile(r"\d+")
_WILDCARDS = re.compile(r"[*?[]")


def pattern_of(path: Path) -> str | None:
    """The frame number pattern that names ``path`` (its last run of digits), as FFmpeg's image2 reads it:
    ``night_0042.jpg`` -> ``night_%04d.jpg``, ``night_42.jpg`` -> ``night_%d.jpg``; None without digits."""
    runs = list(_DIGITS.finditer(path.name))
    if not runs:
        return None
    digits = runs[-1]
    code = f"%0{len(digits[0])}d" if digits[0].startswith("0") and len(digits[0]) > 1 else "%d"
    return str(path.with_name(path.name[:digits.start()] + code + path.name[digits.end():]))


def other_padding(text: str, numbered: re.Pattern) -> str:
    """For a pattern that matches no file, the pattern of the same files numbered the other way (``%d`` for
    ``night_7.jpg`` where ``%04d`` was typed), as a hint to end an error with; '' where there are none.
    numbered: the regular expression of a frame number in a pattern (``locations._NUMBERED``)."""
    path = Path(text)
    match = numbered.search(path.name)
    name = re.compile(re.escape(path.name[:match.start()]) + r"\d+" + re.escape(path.name[match.end():]))
    folder = path.parent if str(path.parent) else Path(".")
    found = sorted(entry for entry in (p.name for p in folder.iterdir()) if name.fullmatch(entry)) \
        if folder.is_dir() else []
    if not found:
        return ""
    return f": its folder holds {found[0]} ... (numbered {'with' if found[0][match.start()] == '0' else 'without'} " \
           f"zeros in front): give {pattern_of(folder / found[0])}"


def refuse_glob(text: str) -> None:
    """Refuse (one line) a shell pattern given in quotes (``'night_*.jpg'``) where no file has that name: no program
    here reads it. It names the frame number pattern of the files it matches, or their folder."""
    if not _WILDCARDS.search(text) or Path(text).exists():
        return
    found = sorted(glob.glob(text))
    if not found:
        return
    pattern = pattern_of(Path(found[0]))
    numbered = f"give numbered pictures as one video with a frame number pattern ({pattern}), or " if pattern else \
        "give "
    raise EnlightError(f"{text} is a shell pattern ({counted(len(found), 'file')} match it), which is not read "
                       f"here: {numbered}their folder to enhance them one by one as photos")
