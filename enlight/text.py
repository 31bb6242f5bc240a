"""Wording shared by the messages the user reads."""


def counted(count: int, noun: str) -> str:
    """'1 frame', '2 frames', '0 frames': a count with its noun (regular plurals only)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
