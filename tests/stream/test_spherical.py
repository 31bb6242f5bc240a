"""A 360 camera's MP4 stays 360: its projection boxes (Spherical Video V2's st3d and sv3d in the video's sample
entry, V1's uuid box in its track) are copied into the enhanced MP4 or MOV, where PyAV could not give the encoded
stream FFmpeg's side data; the media still plays, with the index first (faststart) or last."""

from __future__ import annotations

import struct

import av
import pytest

from enlight.stream.io.spherical import SPHERICAL_V1, Spherical, add_spherical
from tests.media import make_clip, read_video


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full(kind: bytes, payload: bytes) -> bytes:
    return _box(kind, b"\0\0\0\0" + payload)


ST3D = _full(b"st3d", b"\0")  # monoscopic
SV3D = _box(b"sv3d", _full(b"svhd", b"night cam\0") + _box(b"proj", _full(b"prhd", struct.pack(">iii", 0, 0, 0))
                                                              + _full(b"equi", struct.pack(">IIII", 0, 0, 0, 0))))
V1 = _box(b"uuid", SPHERICAL_V1 + b"<rdf:SphericalVideo><GSpherical:Spherical>true</GSpherical:Spherical>"
          b"<GSpherical:ProjectionType>equirectangular</GSpherical:ProjectionType></rdf:SphericalVideo>")


def _children(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    out, at = {}, start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        out.setdefault(kind, (at, at + size))
        out.setdefault(kind + b"*", [])
        out[kind + b"*"].append((at, at + size))
        at += size
    return out


def _video_boxes(path) -> tuple[list[bytes], list[bytes]]:
    """(the child box types of the video's sample entry, the uuid boxes of its track), walked here by hand."""
    data = path.read_bytes()
    top = _children(data, 0, len(data))
    moov = top[b"moov"]
    for trak in _children(data, moov[0] + 8, moov[1])[b"trak*"]:
        kids = _children(data, trak[0] + 8, trak[1])
        mdia = _children(data, kids[b"mdia"][0] + 8, kids[b"mdia"][1])
        if data[mdia[b"hdlr"][0] + 16:mdia[b"hdlr"][0] + 20] != b"vide":
            continue
        minf = _children(data, mdia[b"minf"][0] + 8, mdia[b"minf"][1])
        stbl = _children(data, minf[b"stbl"][0] + 8, minf[b"stbl"][1])
        stsd = stbl[b"stsd"]
        entry = next(iter(_children(data, stsd[0] + 16, stsd[1]).values()))
        entry_kids = [k for k in _children(data, entry[0] + 8 + 78, entry[1]) if not k.endswith(b"*")]
        uuids = [data[a:b] for a, b in kids.get(b"uuid*", [])]
        return entry_kids, uuids
    raise AssertionError("no video track")


@pytest.mark.parametrize("faststart", [False, True], ids=["index-last", "faststart"])
def test_injected_boxes_keep_the_file_playable(tmp_path, faststart):
    clip = make_clip(tmp_path / "plain.mp4", frames=12, audio=True)
    source = tmp_path / "360.mp4"
    with av.open(str(clip)) as src, av.open(str(source), "w", options={"movflags": "+faststart"} if faststart
                                            else {}) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.size:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    before = read_video(source)
    assert add_spherical(source, Spherical(ST3D + SV3D, V1))
    kids, uuids = _video_boxes(source)
    assert kids[-2:] == [b"st3d", b"sv3d"] and uuids == [V1]
    after = read_video(source)
    assert after["times"] == before["times"] and after["audio_packets"] == before["audio_packets"]
    assert all((a == b).all() for a, b in zip(after["images"], before["images"], strict=True))


@pytest.mark.parametrize("suffix, args", [(".mp4", []), (".mov", []), (".mp4", ["--segments", "2"])],
                         ids=["mp4", "mov", "segments"])
def test_a_360_clip_stays_360(tmp_path, weights, cli, suffix, args):
    source = make_clip(tmp_path / "VID_360.mp4", frames=24, audio=True)
    add_spherical(source, Spherical(ST3D + SV3D, V1))
    out = tmp_path / f"day{suffix}"
    result = cli(source, "-o", out, "--weights", weights, *args)
    assert result.returncode == 0, result.stderr
    kids, uuids = _video_boxes(out)
    assert b"sv3d" in kids and b"st3d" in kids and uuids == [V1]
    assert len(read_video(out)["times"]) == 24
    mkv = tmp_path / "day.mkv"
    result = cli(source, "-o", mkv, "--weights", weights, *args)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr_lines if "360 projection" in line]
    assert len(notes) == 1 and "a .mkv output" in notes[0] and ".mp4" in notes[0], result.stderr
