"""What a damaged or cut-short input lost (``Damage``, which ``VideoSource.damage`` reports): the packets a file's
index places past its end (a cut-off download, ``missing_packets``), and the test decode that finds the damaged
packets of a passthrough audio stream (``PacketCheck``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from enlight.stream.io.matroska import CutShort
from enlight.text import counted


@dataclass(frozen=True)
class Damage:
    """What a damaged or cut-short input lost. packets: by stream type ("video", "audio", ...), the
    packets skipped because they could not be read or decoded, or missing past the end of a cut
    file; frames: video frames lost (packets read or indexed minus frames decoded), of ``expected``."""

    packets: dict[str, int]
    frames: int
    expected: int
    cut_short: bool
    read_errors: int = 0
    cut: CutShort | None = None  # a Matroska/WebM file that ends before its Segment: frames then estimated

    @property
    def packets_lost(self) -> int:
        return sum(self.packets.values())

    def __str__(self) -> str:
        order = sorted(self.packets, key=lambda kind: (kind != "video", kind))
        kinds = ", ".join(f"{self.packets[kind]} {kind}" for kind in order if self.packets[kind])
        how = " and cut short" if self.cut_short else ""
        errors = f", {counted(self.read_errors, 'read error')}" if self.read_errors else ""
        lost = [f"{counted(self.packets_lost, 'packet')} lost ({kinds}{errors})"] if self.packets_lost or not self.cut \
            else []
        if self.cut:
            lost.append(f"{self.cut.missing} bytes missing at its end (its Matroska header declares "
                        f"{self.cut.declared}, the file has {self.cut.present})")
        about = "about " if self.cut else ""
        sound = ", and the sound that survived," if any(kind == "audio" for kind in self.packets) else ""
        return (f"the input is damaged{how}: {', '.join(lost)}, {about}{self.frames} of {self.expected} frames lost; "
                f"every decodable frame{sound} was kept")


def missing_packets(path: Path | str, streams: list) -> dict[str, int]:
    """Per stream type, the packets a file's index (e.g. an MP4 moov atom) places at or past its end:
    a cut-off download or copy. Empty for a complete file or one without such an index."""
    if not isinstance(path, Path) or not path.is_file():
        return {}
    size = path.stat().st_size
    missing: dict[str, int] = {}
    for stream in streams:
        entries = stream.index_entries
        count = len(entries)
        if not count or entries[count - 1].pos + entries[count - 1].size <= size:
            continue  # a quick look at the last entry first: most files are complete
        n = sum(1 for i in range(count) if entries[i].pos >= size and not entries[i].is_discard)
        if n:
            missing[stream.type] = missing.get(stream.type, 0) + n
    return missing


class PacketCheck:
    """Test-decodes a passthrough audio stream's packets on a decoder of its own (the packets are
    still copied unchanged), to find the damaged ones. Until the decoder has taken one packet, none
    is rejected: a decoder that cannot be set up right must not drop a whole soundtrack."""

    def __init__(self, stream) -> None:
        source = stream.codec_context
        self.works = False
        try:
            self.ctx = av.CodecContext.create(source.name, "r")
            if source.extradata:
                self.ctx.extradata = source.extradata
            if source.sample_rate:
                self.ctx.sample_rate = source.sample_rate
            self.ctx.layout = source.layout
        except (av.error.FFmpegError, ValueError, TypeError, AttributeError):
            self.ctx = None

    def ok(self, packet: av.Packet) -> bool:
        if self.ctx is None:
            return True
        try:
            self.ctx.decode(packet)
        except av.error.FFmpegError:
            return not self.works
        self.works = True
        return True

