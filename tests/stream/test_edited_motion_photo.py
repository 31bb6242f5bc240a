"""A motion photo or an Ultra HDR JPEG whose XMP exiftool rewrote (``exiftool -gps:all=`` before it is shared, a
rating, a keyword): exiftool writes every value as an element, ``<GCamera:MotionPhoto>1</GCamera:MotionPhoto>`` and
``<Item:Length>71624</Item:Length>``, where the phone wrote attributes. Before, only attributes were read: the clip
was dropped without a word and the XMP kept promising 71624 bytes of video after the picture, so a gallery played
the new JPEG's own last bytes; an Ultra HDR file kept ``hdrgm:Version`` and its gain map's directory entry with no
gain map after it. Now both forms are read and rewritten."""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from tests.media import dark_frames
from tests.stream.test_motion_photo import _clip, _frames_and_sound, plan, plan_options  # noqa: F401 (fixtures)

_ITEM = ("<rdf:li rdf:parseType='Resource'><Container:Item rdf:parseType='Resource'>{length}<Item:Mime>{mime}"
         "</Item:Mime><Item:Padding>0</Item:Padding><Item:Semantic>{semantic}</Item:Semantic></Container:Item></rdf:li>")


def exiftool_xmp(marks: dict[str, str], items: list[tuple[str, str, int]]) -> bytes:
    """An XMP packet as exiftool 12 writes one back: each namespace in its own rdf:Description, every value an
    element, single quotes; ``marks`` ('GCamera:MotionPhoto': '1', 'hdrgm:Version': '1.0'), and a container
    directory of the primary picture then (semantic, mime, length) items."""
    listed = _ITEM.format(length="<Item:Length>0</Item:Length>", mime="image/jpeg", semantic="Primary") + "".join(
        _ITEM.format(length=f"<Item:Length>{length}</Item:Length>", mime=mime, semantic=semantic)
        for semantic, mime, length in items)
    spaces = {"GCamera": "http://ns.google.com/photos/1.0/camera/", "hdrgm": "http://ns.adobe.com/hdr-gain-map/1.0/"}
    described = "".join(f"<rdf:Description rdf:about='' xmlns:{prefix}='{spaces[prefix]}'>\n  <{name}>{value}</{name}>"
                        "\n </rdf:Description>" for name, value in marks.items() for prefix in [name.split(":")[0]])
    return ("<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>\n<x:xmpmeta xmlns:x='adobe:ns:meta/' "
            "x:xmptk='Image::ExifTool 12.57'>\n<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n"
            " <rdf:Description rdf:about='' xmlns:Container='http://ns.google.com/photos/1.0/container/'\n"
            "  xmlns:Item='http://ns.google.com/photos/1.0/container/item/'>\n"
            f"  <Container:Directory><rdf:Seq>{listed}</rdf:Seq></Container:Directory>\n </rdf:Description>\n"
            f" {described}\n <rdf:Description rdf:about='' xmlns:xmp='http://ns.adobe.com/xap/1.0/'>\n"
            "  <xmp:Rating>5</xmp:Rating>\n </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
            "<?xpacket end='w'?>").encode()


def _picture(xmp: bytes) -> bytes:
    out = io.BytesIO()
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(out, "JPEG", quality=90, xmp=xmp)
    return out.getvalue()


def _listed_length(xmp: bytes) -> int | None:
    """The MotionPhoto item's length as a gallery reads it, in either form (read here, not by the code tested)."""
    item = re.search(rb"<Container:Item\b(?:(?!</rdf:li>).)*?MotionPhoto(?:(?!</rdf:li>).)*</rdf:li>", xmp, re.S)
    length = item and re.search(rb"""Item:Length(?:>|\s*=\s*["'])(\d+)""", item[0])
    return int(length[1]) if length else None


def test_an_exiftool_edited_motion_photo_keeps_its_clip(tmp_path, plan, plan_options):  # noqa: F811
    clip = _clip(8)
    source = tmp_path / "PXL_20261130_221000000.MP.jpg"
    source.write_bytes(_picture(exiftool_xmp({"GCamera:MotionPhoto": "1", "GCamera:MotionPhotoVersion": "1"},
                                             [("MotionPhoto", "video/mp4", len(clip))])) + clip)
    out = tmp_path / "day.MP.jpg"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan, plan_options=plan_options))
    assert "motion photo video was enhanced too (8 frames)" in stats.motion  # before: '' (the clip dropped)
    with Image.open(out) as picture:
        xmp = picture.info["xmp"]
    length = _listed_length(xmp)
    assert length is not None and length != len(clip)  # before: 'Item:Length' still said the old clip's 71624 bytes
    appended = out.read_bytes()[-length:]
    assert appended[4:8] == b"ftyp" and len(_frames_and_sound(appended)[0]) == 8
    assert b"<GCamera:MotionPhoto>1</GCamera:MotionPhoto>" in xmp and b"<xmp:Rating>5</xmp:Rating>" in xmp


def test_an_exiftool_edited_motion_photo_into_png_stops_naming_its_clip(tmp_path, plan, plan_options):  # noqa: F811
    clip = _clip(4)
    source = tmp_path / "PXL.MP.jpg"
    source.write_bytes(_picture(exiftool_xmp({"GCamera:MotionPhoto": "1"},
                                             [("MotionPhoto", "video/mp4", len(clip))])) + clip)
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.png", plan=plan, plan_options=plan_options))
    assert "video was not kept: a .png file cannot hold one" in stats.motion
    with Image.open(tmp_path / "day.png") as picture:
        xmp = picture.info["XML:com.adobe.xmp"].encode()
    assert b"<GCamera:MotionPhoto>0</GCamera:MotionPhoto>" in xmp and _listed_length(xmp) is None


def test_an_exiftool_edited_ultra_hdr_jpeg_lists_no_gain_map(tmp_path, plan):  # noqa: F811
    """Its MPF makes Pillow read it as an MPO (an attribute hdrgm:Version would make it a JPEG)."""
    gain = Image.fromarray(np.full((16, 24), 180, np.uint8))
    source = tmp_path / "PXL_uhdr.jpg"
    xmp = exiftool_xmp({"hdrgm:Version": "1.0"}, [("GainMap", "image/jpeg", 900)])
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(source, "MPO", save_all=True, append_images=[gain], xmp=xmp)
    out = tmp_path / "day.jpg"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert stats.motion == "the HDR gain map was left out: it was made for the original's tones"
    with Image.open(out) as picture:
        written = picture.info["xmp"]
    assert b"hdrgm:Version" not in written and b"GainMap" not in written  # before: both kept, no gain map after it
    assert b"<Item:Semantic>Primary</Item:Semantic>" in written and out.read_bytes().endswith(b"\xff\xd9")
