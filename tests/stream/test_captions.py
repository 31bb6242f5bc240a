"""Closed captions inside the video stream (CEA-608 in ATSC A/53 SEI) survive the re-encode: the same bytes on the
same frames, and FFmpeg's own caption decoder reads the same text from the output as from the source."""

from __future__ import annotations

import re
from fractions import Fraction

import av
import pytest

from enlight.stream.io import nal
from enlight.stream.io.captions import (
    CaptionTrack,
    CaptionWriter,
    caption_sei,
    frame_captions,
    mpeg2_user_data,
    with_captions,
)
from tests.media import dark_frames, make_clip
from tests.stream.sei import packet_with, sei_unit, with_sei

TEXT = "HELLO NIGHT"


def _odd_parity(byte: int) -> int:
    return byte | (0x80 if bin(byte).count("1") % 2 == 0 else 0)


def _pair(first: int, second: int) -> bytes:
    """One CEA-608 field-1 byte pair as a cc_data triplet (marker bits, cc_valid, cc_type 0)."""
    return bytes([0xFC, _odd_parity(first), _odd_parity(second)])


def _caption_triplets(frames: int) -> list[bytes]:
    """Per frame, the byte pairs of a pop-on caption showing ``TEXT``: resume caption loading, the characters, end
    of caption (each control code twice, as broadcasters send them), then padding pairs."""
    text = TEXT + "\0" * (len(TEXT) % 2)
    pairs = [_pair(0x14, 0x20)] * 2 + [_pair(ord(text[i]), ord(text[i + 1]) if text[i + 1] != "\0" else 0)
                                       for i in range(0, len(text), 2)] + [_pair(0x14, 0x2F)] * 2
    return [pairs[i] if i < len(pairs) else _pair(0, 0) for i in range(frames)]


def _a53(triplets: bytes) -> bytes:
    """The A/53 cc_data payload of an ITU-T T.35 SEI message (written here independently of the product)."""
    return bytes([0xB5, 0x00, 0x31]) + b"GA94" + bytes([0x03, 0xC0 | len(triplets) // 3, 0xFF]) + triplets + b"\xff"


def _captioned_clip(tmp_path, codec="libx264", frames=24, gop=None):
    """A clip whose every frame carries one CEA-608 byte pair, as a broadcast or camcorder recording does."""
    source = make_clip(tmp_path / "plain.mp4", frames=frames, codec=codec, width=64, height=48, gop=gop)
    header = b"\x06" if codec == "libx264" else b"\x4e\x01"
    per_frame = _caption_triplets(frames)
    return with_sei(tmp_path / "captioned.mp4", source, lambda i: sei_unit(header, 4, _a53(per_frame[i]))), per_frame


def _broadcast_clip(path, frames=12):
    """An MPEG-2 transport stream as a TV or cable recorder writes it: each picture's CEA-608 pair in ATSC A/53
    user data (start code B2, ``GA94``) after its picture header, before its first slice."""
    per_frame = _caption_triplets(frames)
    plain = path.with_name("plain.ts")
    with av.open(str(plain), "w") as out:
        stream = out.add_stream("mpeg2video", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i, rgb in enumerate(dark_frames(frames, 64, 48)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with av.open(str(plain)) as reader, av.open(str(path), "w") as writer:
        video = reader.streams.video[0]
        out = writer.add_stream_from_template(video)
        for i, packet in enumerate(p for p in reader.demux(video) if p.size):  # no B-pictures: in display order
            data = bytes(packet)
            first_slice = next(m.start() for m in re.finditer(b"\x00\x00\x01[\x01-\xaf]", data))
            user_data = b"\x00\x00\x01\xb2" + _a53(per_frame[i])[3:]  # no T.35 country and provider here
            writer.mux(packet_with(data[:first_slice] + user_data + data[first_slice:], packet, out))
    return path, per_frame


def _frame_captions(path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [frame_captions(frame) for frame in container.decode(video=0)]


def _caption_text(path) -> list[str]:
    """The caption text FFmpeg's CEA-608 decoder (``cc_dec``, through lavfi's ``subcc``) reads from ``path``."""
    texts = []
    with av.open(f"movie={path}[out0+subcc]", format="lavfi") as container:
        stream = next(s for s in container.streams if s.type == "subtitle")
        for packet in container.demux(stream):
            texts += [bytes(sub.dialogue).decode() for sub in packet.decode()]
    return texts


def test_the_source_clip_carries_its_captions(tmp_path):
    clip, per_frame = _captioned_clip(tmp_path)
    assert _frame_captions(clip) == per_frame
    assert [t for t in _caption_text(clip) if TEXT in t]


@pytest.mark.parametrize("name, codec_args", [("day.mp4", ()), ("day.mkv", ("--codec", "libx265"))])
def test_closed_captions_are_kept(weights, tmp_path, cli, name, codec_args):
    """They were dropped without a word: the encoder never sees the decoder's caption side data."""
    clip, per_frame = _captioned_clip(tmp_path)
    result = cli(clip, "-o", tmp_path / name, "--weights", weights, *codec_args)
    assert result.returncode == 0, result.stderr
    assert _frame_captions(tmp_path / name) == per_frame
    assert [t for t in _caption_text(tmp_path / name) if TEXT in t]
    assert "closed captions" not in result.stderr


def test_captions_of_an_mpeg2_broadcast_recording_are_kept_in_h264(weights, tmp_path, cli):
    clip, per_frame = _broadcast_clip(tmp_path / "recording.ts")
    assert _frame_captions(clip) == per_frame
    result = cli(clip, "-o", tmp_path / "day.ts", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _frame_captions(tmp_path / "day.ts") == per_frame
    assert [t for t in _caption_text(tmp_path / "day.ts") if TEXT in t]


@pytest.mark.parametrize("name", ["day.mpg", "day.ts"])
def test_captions_are_kept_in_an_mpeg2_output(weights, tmp_path, cli, name):
    """MPEG-2 carries them in each picture's user data, as the recorder wrote them (they were dropped, with a
    note, until 2026-12-06)."""
    clip, per_frame = _broadcast_clip(tmp_path / "recording.ts")
    result = cli(clip, "-o", tmp_path / name, "--weights", weights, "--codec", "mpeg2video")
    assert result.returncode == 0, result.stderr
    with av.open(str(tmp_path / name)) as container:
        assert container.streams.video[0].codec_context.name == "mpeg2video"
    assert _frame_captions(tmp_path / name) == per_frame
    assert [t for t in _caption_text(tmp_path / name) if TEXT in t]
    assert "closed captions" not in result.stderr


def test_captions_from_hevc_are_kept_in_h264(weights, tmp_path, cli):
    clip, per_frame = _captioned_clip(tmp_path, codec="libx265", frames=16)
    assert _frame_captions(clip) == per_frame
    result = cli(clip, "-o", tmp_path / "day.mp4", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _frame_captions(tmp_path / "day.mp4") == per_frame


@pytest.mark.parametrize("name", ["day.ts", "day.mp4"])
def test_captions_are_kept_through_segments(weights, tmp_path, cli, name):
    """--segments encodes parts in parallel and joins their packets: the captions ride in the packets."""
    clip, per_frame = _captioned_clip(tmp_path, frames=30, gop=5)
    result = cli(clip, "-o", tmp_path / name, "--weights", weights, "--segments", "3")
    assert result.returncode == 0, result.stderr
    assert _frame_captions(tmp_path / name) == per_frame


def test_an_output_that_cannot_carry_captions_says_so(weights, tmp_path, cli):
    clip, _ = _captioned_clip(tmp_path, frames=12)
    result = cli(clip, "-o", tmp_path / "day.webm", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert any("closed captions" in line and "were not kept" in line and "vp9 video" in line
               for line in result.stderr_lines), result.stderr


def test_a_clip_without_captions_gets_no_caption_note(weights, tmp_path, cli):
    clip = make_clip(tmp_path / "plain.mp4", frames=8)
    result = cli(clip, "-o", tmp_path / "day.webm", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "closed captions" not in result.stderr


def test_the_sei_goes_after_the_parameter_sets_and_before_the_picture():
    sps, pps, sei, idr = b"\x67\x64\x00\x0a", b"\x68\xee\x3c\x80", b"\x06\x05\x01\xff\x80", b"\x65\x88\x84\x00\x21"
    data = b"\x00\x00\x00\x01" + sps + b"\x00\x00\x01" + pps + b"\x00\x00\x01" + sei + b"\x00\x00\x00\x01" + idr
    assert nal.units(data) == [sps, pps, sei, idr]
    triplets = _pair(0x14, 0x20)
    units = nal.units(with_captions("h264", data, triplets))
    assert units == [sps, pps, sei, caption_sei("h264", triplets), idr]
    assert with_captions("h264", data[:-len(idr) - 4], triplets) is None  # no picture: nothing to attach to
    assert with_captions("h264", b"\x00\x00\x00\x10" + idr, triplets) is None  # length-prefixed, not Annex B


def test_many_triplets_are_split_into_messages_and_escaped():
    """cc_count has 5 bits: 40 triplets take two messages; zero bytes in them get emulation prevention."""
    triplets = bytes([0xFC, 0x00, 0x00]) * 40
    unit = caption_sei("h264", triplets)
    assert b"\x00\x00\x00" not in unit and b"\x00\x00\x01" not in unit
    assert unit.count(b"GA94") == 2
    assert nal.escaped(b"\x00\x00\x01\x00\x00") == b"\x00\x00\x03\x01\x00\x00"


def test_mpeg2_user_data_goes_before_the_first_slice_in_structures_of_31():
    triplets = b"".join(bytes([0xFC, 0x00, i]) for i in range(40))  # zero bytes that must not make a start code
    data = mpeg2_user_data(triplets)
    assert data.count(b"\x00\x00\x01") == 2 and data.startswith(b"\x00\x00\x01\xb2GA94\x03")
    first, second = data.split(b"\x00\x00\x01\xb2")[1:]
    assert first[5] == 0xC0 | 31 and second[5] == 0xC0 | 9
    assert first[7:-1] + second[7:-1] == triplets
    picture = b"\x00\x00\x01\x00\x01\x02" + b"\x00\x00\x01\xb5\x8f" + b"\x00\x00\x01\x01\x22"
    carried = with_captions("mpeg2video", picture, triplets[:3])
    assert carried == picture[:11] + mpeg2_user_data(triplets[:3]) + picture[11:]
    assert with_captions("mpeg2video", b"\x00\x00\x01\xb3\x04", triplets[:3]) is None  # no picture data


def test_a_packet_that_cannot_take_its_captions_is_left_as_it_is_and_counted():
    """An encoder whose packets are not Annex B (none that PyAV drives here) gets its packets unchanged and a note."""
    track = CaptionTrack()
    track.put(7, _pair(0x14, 0x20))
    writer = CaptionWriter(track, "h264")
    writer.sent(7, 2, Fraction(1, 25))
    packet = av.Packet(b"\x00\x00\x00\x05\x65\x88\x84\x00\x21")  # one length-prefixed IDR slice
    packet.pts, packet.time_base = 2, Fraction(1, 25)
    assert [bytes(p) for p in writer.packets([packet])] == [bytes(packet)]
    assert writer.notes() == ["the closed captions of 1 frame could not be put back into the video"]
