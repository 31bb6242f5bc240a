"""A stream's tags and flags as another file is to hold them: a MOV or MP4 track's name read back as its title.

FFmpeg's MOV/MP4 muxer writes a stream's ``title`` as the track's ``name`` box, and its demuxer reads that box
back as a tag called ``name``, which no muxer writes as a title: copied as it was, an MP4's 'Commentary' or
'Director's cut' audio track lost its name in an MP4 output and became a NAME tag, no track name, in a Matroska
one (FFmpeg's own ``-c copy`` loses it the same way).
"""

from __future__ import annotations

import av
from av.stream import Disposition

# the demuxers whose ``name`` tag is the track's title (PyAV's container.format.name)
TRACK_NAME_DEMUXERS = ("mov,mp4,m4a,3gp,3g2,mj2",)


def track_tags(stream: av.stream.Stream) -> dict[str, str]:
    """An input ``stream``'s tags, a MOV/MP4 track's ``name`` given as its ``title`` (where it has none), which
    every muxer writes as the track's name."""
    tags = dict(stream.metadata)
    if stream.container.format.name in TRACK_NAME_DEMUXERS and "name" in tags and "title" not in tags:
        tags["title"] = tags.pop("name")
    return tags


# a track's flags a player chooses or labels it by (FFmpeg's AV_DISPOSITION bits), with the words for them; 'default'
# is left out, as muxers give it to a track of their own choosing, and 'dub' and 'original', which Matroska holds as one
# flag. WebM holds only 'default' and 'forced': FFmpeg's muxer dropped an audio track's 'commentary' and 'hearing
# impaired' flags there without a word
FLAG_WORDS = {Disposition.comment: "commentary", Disposition.lyrics: "lyrics", Disposition.karaoke: "karaoke",
              Disposition.forced: "forced", Disposition.hearing_impaired: "hearing impaired",
              Disposition.visual_impaired: "visually impaired", Disposition.clean_effects: "clean effects",
              Disposition.captions: "captions", Disposition.descriptions: "descriptions"}
NOTED_FLAGS = sum(int(flag) for flag in FLAG_WORDS)


def flags_note(stream: av.stream.Stream, lost: int, kind: str, keepers: list[str]) -> str | None:
    """The note for the ``lost`` flags (AV_DISPOSITION bits) of an input ``stream`` in a ``kind`` output ('.webm'),
    naming the ``keepers`` (kinds of file that hold them: '.mkv'); None where none were lost."""
    words = [word for flag, word in FLAG_WORDS.items() if lost & int(flag)]
    if not words:
        return None
    them = "them" if len(words) > 1 else "it"
    hint = f" (a {' or '.join(keepers)} output keeps {them})" if keepers else ""
    flag = "flags were" if len(words) > 1 else "flag was"
    return (f"{stream.type} stream #{stream.index}'s {' and '.join(words)} {flag} not kept: a {kind} file cannot "
            f"hold {them}{hint}")
