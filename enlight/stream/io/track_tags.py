"""A stream's tags as another file is to hold them: a MOV or MP4 track's name read back as its title.

FFmpeg's MOV/MP4 muxer writes a stream's ``title`` as the track's ``name`` box, and its demuxer reads that box
back as a tag called ``name``, which no muxer writes as a title: copied as it was, an MP4's 'Commentary' or
'Director's cut' audio track lost its name in an MP4 output and became a NAME tag, no track name, in a Matroska
one (FFmpeg's own ``-c copy`` loses it the same way).
"""

from __future__ import annotations

import av

# the demuxers whose ``name`` tag is the track's title (PyAV's container.format.name)
TRACK_NAME_DEMUXERS = ("mov,mp4,m4a,3gp,3g2,mj2",)


def track_tags(stream: av.stream.Stream) -> dict[str, str]:
    """An input ``stream``'s tags, a MOV/MP4 track's ``name`` given as its ``title`` (where it has none), which
    every muxer writes as the track's name."""
    tags = dict(stream.metadata)
    if stream.container.format.name in TRACK_NAME_DEMUXERS and "name" in tags and "title" not in tags:
        tags["title"] = tags.pop("name")
    return tags
