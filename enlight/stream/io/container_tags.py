"""The source's container tags that an output's kind of file cannot hold, found by a trial and said in a note.

A phone's or an editor's file carries its title, artist, comment, the date it was filmed (``creation_time``) and
where (``location``) as container tags. MPEG-TS holds none of them, and AVI neither the date nor the place: FFmpeg's
muxers take them and drop them without a word, so 'enlight-video clip.mp4 -o day.ts' lost them silently.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import av

from enlight.text import counted

_SAID_ELSEWHERE = ("timecode",)  # the start timecode: ``marks_not_kept`` says where it is lost
Trial = Callable[[Callable[[av.container.OutputContainer], object]], bytes]  # prepare -> a one-frame file's bytes


def tags_not_kept(metadata: dict[str, str], trial: Trial) -> list[str]:
    """The keys of ``metadata`` (the container tags the output is given) whose values are not found again, under
    any case of the key, in the file ``trial`` writes with them (its own tags or its streams': Ogg has no others),
    less FFmpeg's own stamp ('software: Lavf58...', which its muxers write anew); [] where no trial can be made
    (nothing is known lost, and nothing is said)."""
    if not metadata:
        return []

    def tagged(out: av.container.OutputContainer) -> None:
        out.metadata.update(metadata)

    try:
        with av.open(io.BytesIO(trial(tagged))) as back:  # (Ogg holds them as each stream's comments, read so)
            found = {(key.lower(), value.strip()) for tags in (back.metadata, *(s.metadata for s in back.streams))
                     for key, value in tags.items()}
    except (ValueError, TypeError, av.error.FFmpegError, av.codec.codec.UnknownCodecError):
        return []
    return [key for key, value in metadata.items() if key.lower() not in _SAID_ELSEWHERE
            and not value.startswith("Lavf") and (key.lower(), value.strip()) not in found]


def tags_note(lost: list[str], kind: str) -> list[str]:
    """The note for the container tags ``lost`` by a ``kind`` output ('.ts'), naming Matroska, which holds any."""
    if not lost:
        return []
    them = "them" if len(lost) > 1 else "it"
    hint = f"; a .mkv output keeps {them}" if kind not in (".mkv", ".mka") else ""
    return [f"{counted(len(lost), 'tag')} of the file ({', '.join(lost)}) not kept: a {kind} output cannot hold "
            f"{them}{hint}"]
