"""A stream's tags and flags as another file is to hold them: a MOV or MP4 track's name read back as its title; a
language in the spelling a MOV output holds.

FFmpeg's MOV/MP4 muxer writes a stream's ``title`` as the track's ``name`` box, and its demuxer reads that box
back as a tag called ``name``, which no muxer writes as a title: copied as it was, an MP4's 'Commentary' or
'Director's cut' audio track lost its name in an MP4 output and became a NAME tag, no track name, in a Matroska
one (FFmpeg's own ``-c copy`` loses it the same way).

FFmpeg's MOV muxer (not MP4's) writes a language only as a QuickTime language code, from a table that spells some
languages by ISO 639-2/B ('ger', 'dut', 'gre'), others by 639-2/T ('fra', 'ces') and Swedish as 'sve'; a language
spelt otherwise was left out: a German DVB recording's 'deu' sound track had no language in a .mov output, and a
note said that a .mov file cannot hold it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
from av.stream import Disposition

from enlight.text import listed

# the demuxers whose ``name`` tag is the track's title (PyAV's container.format.name)
TRACK_NAME_DEMUXERS = ("mov,mp4,m4a,3gp,3g2,mj2",)


# a language's other ISO 639-2 spelling (or FFmpeg's own, Swedish's 'sve') where only that one is in FFmpeg's table
# of QuickTime language codes, the one a MOV output holds (libavformat/isom.c, ff_mov_iso639_to_lang)
MOV_SPELLINGS = {"deu": "ger", "nld": "dut", "swe": "sve", "ell": "gre", "isl": "ice", "zho": "chi", "fre": "fra",
                 "cze": "ces", "slo": "slk", "rum": "ron", "sqi": "alb", "mkd": "mac", "hye": "arm", "kat": "geo",
                 "bod": "tib", "mya": "bur", "msa": "may", "cym": "wel", "eus": "baq"}


def track_tags(stream: av.stream.Stream, muxer: str | None = None) -> dict[str, str]:
    """An input ``stream``'s tags, a MOV/MP4 track's ``name`` given as its ``title`` (where it has none), which
    every muxer writes as the track's name; for a ``muxer`` ('mov', FFmpeg's name), its language spelt as that
    muxer holds it (``spelt_for``)."""
    tags = dict(stream.metadata)
    if stream.container.format.name in TRACK_NAME_DEMUXERS and "name" in tags and "title" not in tags:
        tags["title"] = tags.pop("name")
    return spelt_for(tags, muxer)


def spelt_for(tags: dict[str, str], muxer: str | None) -> dict[str, str]:
    """``tags`` with their ``language`` spelt as a MOV output holds it (``MOV_SPELLINGS``: 'deu' as 'ger') where
    ``muxer`` is FFmpeg's 'mov'; as they are for any other."""
    language = tags.get("language", "").lower()
    if muxer == "mov" and language in MOV_SPELLINGS:
        return {**tags, "language": MOV_SPELLINGS[language]}
    return tags


def _same_name(key: str, had: str, found: str | None) -> bool:
    """Whether the ``found`` value of a ``NAMED_TAGS`` ``key`` read back is the ``had`` one: a language in either
    of its spellings."""
    if key == "language" and found is not None:
        return MOV_SPELLINGS.get(had.lower(), had.lower()) == MOV_SPELLINGS.get(found.lower(), found.lower())
    return found == had


# a track's flags a player chooses or labels it by (FFmpeg's AV_DISPOSITION bits), with the words for them; 'default'
# is left out, as muxers give it to a track of their own choosing, and 'dub' and 'original', which Matroska holds as one
# flag. WebM holds only 'default' and 'forced': FFmpeg's muxer dropped an audio track's 'commentary' and 'hearing
# impaired' flags there without a word
FLAG_WORDS = {Disposition.comment: "commentary", Disposition.lyrics: "lyrics", Disposition.karaoke: "karaoke",
              Disposition.forced: "forced", Disposition.hearing_impaired: "hearing impaired",
              Disposition.visual_impaired: "visually impaired", Disposition.clean_effects: "clean effects",
              Disposition.captions: "captions", Disposition.descriptions: "descriptions"}
NOTED_FLAGS = sum(int(flag) for flag in FLAG_WORDS)


def flags_note(stream: av.stream.Stream | Track, lost: int, kind: str, keepers: list[str]) -> str | None:
    """The note for the ``lost`` flags (AV_DISPOSITION bits) of an input ``stream`` in a ``kind`` output ('.webm'),
    naming the ``keepers`` (kinds of file that hold them: '.mkv'); None where none were lost."""
    words = [word for flag, word in FLAG_WORDS.items() if lost & int(flag)]
    if not words:
        return None
    them = "them" if len(words) > 1 else "it"
    hint = f" (a {' or '.join(keepers)} output keeps {them})" if keepers else ""
    flag = "flags were" if len(words) > 1 else "flag was"
    return (f"{stream.type} stream #{stream.index}'s {listed(words)} {flag} not kept: a {kind} file cannot "
            f"hold {them}{hint}")


def flags_gained_note(stream: Track, gained: int, kind: str) -> str | None:
    """The note for the ``gained`` flags (AV_DISPOSITION bits) that an input ``stream`` did not have and a ``kind``
    output ('.mp4') is read back with: MP4 holds 'hearing impaired' as the captions role and 'visually impaired' as
    the descriptions one, read back as both flags; None where none were gained."""
    words = [word for flag, word in FLAG_WORDS.items() if gained & int(flag)]
    if not words:
        return None
    flag = "flags" if len(words) > 1 else "flag"
    return (f"{stream.type} stream #{stream.index} was given the {listed(words)} {flag} it did not have: a {kind} file "
            "holds its flags in a form that reads back so (a .mkv output keeps them as they were)")


NAMED_TAGS = ("language", "title")  # a track's tags a player lists it by ('und': no language, nothing to keep)


def _names(stream: av.stream.Stream) -> dict[str, str]:
    """``stream``'s ``NAMED_TAGS``, a MOV/MP4 track's name as its title (``track_tags``)."""
    tags = {key.lower(): value for key, value in track_tags(stream).items()}
    return {key: tags[key] for key in NAMED_TAGS if tags.get(key) and tags[key] != "und"}


def _read_back(path: Path) -> list[tuple[str, int, dict[str, str]]]:
    """(track kind, flags, ``_names``) of each stream of the file at ``path``, by index; [] where it cannot be
    read."""
    try:
        with av.open(str(path)) as back:
            return [(stream.type, int(stream.disposition), _names(stream)) for stream in back.streams]
    except (OSError, ValueError, av.error.FFmpegError):
        return []


@dataclass(frozen=True)
class Track:
    """What a note says of an input stream, kept apart from it (a stream read after its file is closed crashed the
    process): its kind ('audio'), index, flags (AV_DISPOSITION bits) and ``NAMED_TAGS`` ((key, value) pairs)."""

    type: str
    index: int
    flags: int
    names: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, stream: av.stream.Stream) -> Track:
        return cls(stream.type, stream.index, int(stream.disposition), tuple(_names(stream).items()))


def names_note(stream: Track, lost: dict[str, str], kind: str) -> str | None:
    """The note for an input ``stream``'s ``NAMED_TAGS`` ``lost`` ({key: value}) in a ``kind`` output ('.mxf')."""
    if not lost:
        return None
    words = [f"{key} ({value})" for key, value in lost.items()]
    them, were = ("them", "were") if len(words) > 1 else ("it", "was")
    hint = f" (a .mkv output keeps {them})" if kind != ".mkv" else ""
    what = f"{stream.type} stream #{stream.index}'s {listed(words)}"
    return f"{what} {were} not kept: a {kind} file cannot hold {them}{hint}"


def read_back_notes(path: Path, written: Sequence[tuple[Track, int]], kind: str, kept_by_mkv: int) -> list[str]:
    """What became of the ``NOTED_FLAGS`` and ``NAMED_TAGS`` of the input tracks of ``written`` ((input track, the
    index of its output stream) pairs) in the finished ``kind`` file at ``path`` ('.mov'), read back: a
    ``flags_note`` for the flags lost, a ``flags_gained_note`` for those added, a ``names_note`` for a language or
    title lost (MXF, FLV and MPEG-PS hold neither, AVI no language, MPEG-TS no title). An output stream is the one
    read back at its index, where that is of its kind (nothing is said otherwise). ``kept_by_mkv``: the flags a
    .mkv output keeps, for the hint."""
    found = _read_back(path) if written else []
    notes = []
    for source, index in written:
        if index >= len(found) or found[index][0] != source.type:
            continue
        _, flags, names = found[index]
        had = source.flags & NOTED_FLAGS
        lost, gained = had & ~flags, flags & NOTED_FLAGS & ~had
        keepers = [".mkv"] if kind != ".mkv" and not lost & ~kept_by_mkv else []
        lost_names = {key: value for key, value in source.names if not _same_name(key, value, names.get(key))}
        notes += [note for note in (flags_note(source, lost, kind, keepers), flags_gained_note(source, gained, kind),
                                    names_note(source, lost_names, kind)) if note]
    return notes
