"""A Samsung JPEG ends with its own records after the picture (the 'SEF' trailer: the time in UTC, the country code,
and in a Galaxy S7 to S9 motion photo the clip, 'MotionPhoto_Data', which no XMP names). Before, the trailer was
dropped without a word: such a motion photo came out as a still, its 1.5 s clip gone. Now the clip is enhanced and
appended, named in the XMP as Google's motion photos are, and a note names the records left out."""

from __future__ import annotations

import re
import struct

from PIL import Image

from enlight.cli.unused import MOVING, STILL, photo_work
from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from tests.stream.test_edited_motion_photo import _listed_length, _picture
from tests.stream.test_motion_photo import _clip, _frames_and_sound, plan, plan_options  # noqa: F401 (fixtures)


def sef(records: list[tuple[int, bytes, bytes]]) -> bytes:
    """A Samsung trailer of (type, name, data) records: each record, then the directory (SEFH, version, count,
    entries of type, distance back from SEFH and length), its length and SEFT."""
    body, placed = b"", []
    for kind, name, data in records:
        record = b"\0\0" + struct.pack("<HI", kind, len(name)) + name + data
        placed.append((kind, len(body), len(record)))
        body += record
    directory = b"SEFH" + struct.pack("<II", 107, len(records)) + b"".join(
        b"\0\0" + struct.pack("<HII", kind, len(body) - at, length) for kind, at, length in placed)
    return body + directory + struct.pack("<I", len(directory)) + b"SEFT"


SHOT = [(0x0A01, b"Image_UTC_Data", b"1543700000000"), (0x0AA1, b"MCC_Data", b"262")]


def test_an_older_galaxy_motion_photo_keeps_its_clip(tmp_path, plan, plan_options):  # noqa: F811
    clip = _clip(8)
    source = tmp_path / "20181201_221000.jpg"  # a Galaxy S9's: no XMP at all
    source.write_bytes(_picture(None) + sef([(0x0A30, b"MotionPhoto_Data", clip), *SHOT]))
    out = tmp_path / "day.jpg"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan, plan_options=plan_options))
    assert "motion photo video was enhanced too (8 frames)" in stats.motion  # before: '' (the clip dropped)
    assert "records of its Samsung trailer were left out (Image_UTC_Data, MCC_Data)" in stats.motion
    with Image.open(out) as picture:
        xmp = picture.info["xmp"]
    assert re.search(rb'GCamera:MotionPhoto="1"', xmp)
    appended = out.read_bytes()[-_listed_length(xmp):]
    assert appended[4:8] == b"ftyp" and len(_frames_and_sound(appended)[0]) == 8
    assert photo_work(source, out).inputs == {MOVING}  # --smoothing is used on its clip
    assert photo_work(source, tmp_path / "day.png").inputs == {STILL}


def test_a_galaxy_photo_says_its_records_were_left_out(tmp_path, plan):  # noqa: F811
    source = tmp_path / "20261130_221000.jpg"
    source.write_bytes(_picture(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
                                b'02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/'
                                b'xap/1.0/" xmp:Rating="3"/></rdf:RDF></x:xmpmeta>') + sef(SHOT))
    out = tmp_path / "day.jpg"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert stats.motion == "the records of its Samsung trailer were left out (Image_UTC_Data, MCC_Data)"  # before: ''
    with Image.open(out) as picture:
        assert b"GCamera" not in picture.info["xmp"] and b'xmp:Rating="3"' in picture.info["xmp"]
    assert out.read_bytes().endswith(b"\xff\xd9")
