"""Wording shared by the messages the user reads."""


def counted(count: int, noun: str) -> str:
    """'1 frame', '2 frames', '0 frames': a count with its noun (regular plurals only)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def size_text(count_bytes: float) -> str:
    """A size in bytes as a person reads it: '800 bytes', '12 kB', '1.4 MB', '2.1 GB' (powers of 1000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count_bytes >= scale:
            value = count_bytes / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return counted(int(count_bytes), "byte")


def listed(words: list[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c': words as a sentence lists them (``last``: 'or' for 'a, b or c')."""
    return f" {last} ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} {last} {words[-1]}"
