"""A camera's EXIF comes out as the standard types it: the fields EXIF 2.32 types UNDEFINED stay UNDEFINED (Pillow
wrote them as BYTE, which `exiftool -validate` flags), and a TIFF output's Exif IFD holds no stale pointer to the
interoperability IFD (Pillow's TIFF writer copied the source file's offset: exiftool read "Bad format" there), nor
the fields EXIF allows in compressed pictures only."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib

import av
import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from tests.media import dark_frames

BYTE, ASCII, LONG, UNDEFINED = 1, 2, 4, 7
UNDEFINED_FIELDS = {0x9000: b"0232", 0x9101: b"\x01\x02\x03\x00", 0x9286: b"ASCII\x00\x00\x00night walk"}


def _ifd(entries: list[tuple[int, int, bytes]], at: int) -> tuple[bytes, bytes]:
    """(IFD, its values area) of little-endian ``entries`` (tag, type, value bytes), the IFD at TIFF offset ``at``;
    values over 4 bytes go after it. Counts are in bytes for BYTE/ASCII/UNDEFINED, values for LONG."""
    data_at = at + 2 + 12 * len(entries) + 4
    table, data = struct.pack("<H", len(entries)), b""
    for tag, kind, value in sorted(entries):
        count = len(value) // 4 if kind == LONG else len(value)
        if len(value) <= 4:
            table += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
        else:
            table += struct.pack("<HHII", tag, kind, count, data_at + len(data))
            data += value + b"\0" * (len(value) % 2)
    return table + struct.pack("<I", 0), data


def camera_exif() -> bytes:
    """EXIF as a camera writes it: IFD0 (Make), the Exif IFD with its UNDEFINED fields typed UNDEFINED, and the
    interoperability IFD (R98) that the Exif IFD points to."""
    exif_at = 8 + 2 + 12 * 2 + 4 + 6  # IFD0's two entries, then 'Canon\0' (6 bytes: after the IFD)
    fields = [(tag, UNDEFINED, value) for tag, value in UNDEFINED_FIELDS.items()]
    interop_at = exif_at + 2 + 12 * (len(fields) + 1) + 4 + len(UNDEFINED_FIELDS[0x9286])
    ifd0, ifd0_data = _ifd([(0x010F, ASCII, b"Canon\0"), (0x8769, LONG, struct.pack("<I", exif_at))], 8)
    exif, exif_data = _ifd(fields + [(0xA005, LONG, struct.pack("<I", interop_at))], exif_at)
    interop, _ = _ifd([(0x0001, ASCII, b"R98\0"), (0x0002, UNDEFINED, b"0100")], interop_at)
    tiff = b"II*\0" + struct.pack("<I", 8) + ifd0 + ifd0_data
    assert len(tiff) == exif_at
    tiff += exif + exif_data
    assert len(tiff) == interop_at
    return b"Exif\0\0" + tiff + interop


def walk(tiff: bytes) -> dict[str, dict[int, tuple[int, bytes]]]:
    """{IFD name: {tag: (type, value bytes)}} of a little- or big-endian TIFF structure's IFD0, Exif IFD and
    interoperability IFD (read here, not with the code under test)."""
    order = "<" if tiff[:2] == b"II" else ">"
    sizes = {BYTE: 1, ASCII: 1, 3: 2, LONG: 4, 5: 8, UNDEFINED: 1, 10: 8}

    def read(at: int) -> dict[int, tuple[int, bytes]]:
        fields = {}
        for i in range(struct.unpack_from(order + "H", tiff, at)[0]):
            tag, kind, count = struct.unpack_from(order + "HHI", tiff, at + 2 + 12 * i)
            size = sizes.get(kind, 1) * count
            where = at + 2 + 12 * i + 8
            if size > 4:
                where = struct.unpack_from(order + "I", tiff, where)[0]
            fields[tag] = (kind, tiff[where:where + size])
        return fields

    found = {"ifd0": read(struct.unpack_from(order + "I", tiff, 4)[0])}
    found["exif"] = read(struct.unpack_from(order + "I", found["ifd0"][0x8769][1])[0])
    if 0xA005 in found["exif"]:
        found["interop"] = read(struct.unpack_from(order + "I", found["exif"][0xA005][1])[0])
    return found


def test_the_hand_built_camera_exif_reads_as_a_camera_writes_it():
    fields = walk(camera_exif()[6:])
    assert fields["ifd0"][0x010F] == (ASCII, b"Canon\0")
    assert {tag: fields["exif"][tag] for tag in UNDEFINED_FIELDS} == {t: (UNDEFINED, v) for t, v in
                                                                       UNDEFINED_FIELDS.items()}
    assert fields["interop"][0x0001] == (ASCII, b"R98\0")


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


def _camera_jpeg(path):
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(path, "JPEG", quality=90, exif=camera_exif())
    return path


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp"])
def test_undefined_fields_stay_undefined(tmp_path, plan, suffix):
    out = tmp_path / f"day{suffix}"
    enhance_photo(PhotoConfig(_camera_jpeg(tmp_path / "dusk.jpg"), out, plan=plan))
    with Image.open(out) as result:
        raw = result.info["exif"]
    fields = walk(raw[6:] if raw.startswith(b"Exif\0\0") else raw)
    assert fields["ifd0"][0x010F] == (ASCII, b"Canon\0")
    for tag, value in UNDEFINED_FIELDS.items():
        assert fields["exif"][tag] == (UNDEFINED, value), hex(tag)
    assert fields["interop"][0x0001] == (ASCII, b"R98\0")
    assert fields["interop"][0x0002] == (UNDEFINED, b"0100")


def _camera_png16(path):
    """A 16-bit PNG (FFmpeg's) with the camera EXIF in an eXIf chunk before its pixels."""
    pixels = (np.random.default_rng(4).random((24, 32, 3)) * 6000 + 300).astype(np.uint16)
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("png")
        stream.height, stream.width, stream.pix_fmt = 24, 32, "rgb48be"
        container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb48le").reformat(format="rgb48be")))
        container.mux(stream.encode(None))
    data, body = path.read_bytes(), camera_exif()[6:]
    at = data.index(b"IDAT") - 4
    chunk = struct.pack(">I", len(body)) + b"eXIf" + body + struct.pack(">I", zlib.crc32(b"eXIf" + body))
    path.write_bytes(data[:at] + chunk + data[at:])
    return path


@pytest.mark.parametrize("bits", [8, 16])
def test_a_tiff_output_holds_no_stale_interoperability_pointer(tmp_path, plan, bits):
    """The Exif IFD's pointer to the interoperability IFD was copied as the source's offset; in the TIFF it pointed
    into the pixels. It is left out (its R98 index is a DCF JPEG's rule); the other fields are kept. A 16-bit TIFF
    is written by the photo writer's own IFD code, an 8-bit one by Pillow's."""
    out = tmp_path / "day.tif"
    source = _camera_jpeg(tmp_path / "dusk.jpg") if bits == 8 else _camera_png16(tmp_path / "dusk.png")
    assert enhance_photo(PhotoConfig(source, out, plan=plan)).bits == bits
    fields = walk(out.read_bytes())
    assert fields["ifd0"][0x010F][1].rstrip(b"\0") == b"Canon"
    assert 0xA005 not in fields["exif"]
    # Pillow's TIFF writers typed the UNDEFINED fields BYTE; ComponentsConfiguration (a JPEG's) is not a TIFF's
    assert fields["exif"][0x9286] == (UNDEFINED, UNDEFINED_FIELDS[0x9286])
    assert fields["exif"][0x9000] == (UNDEFINED, UNDEFINED_FIELDS[0x9000])
    assert 0x9101 not in fields["exif"]


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
@pytest.mark.parametrize("suffix", [".jpg", ".tif"])
def test_exiftool_finds_nothing_non_standard(tmp_path, plan, suffix):
    out = tmp_path / f"day{suffix}"
    enhance_photo(PhotoConfig(_camera_jpeg(tmp_path / "dusk.jpg"), out, plan=plan))
    report = subprocess.run(["exiftool", "-validate", "-warning", "-a", str(out)], capture_output=True, text=True)
    for fault in ("Non-standard format", "Bad", "not allowed"):
        assert fault not in report.stdout, report.stdout


def test_the_picture_size_in_the_exif_is_the_upright_one(tmp_path, plan):
    """A phone's portrait shot is stored on its side with orientation 6; written upright, its EXIF still said
    PixelXDimension 96, PixelYDimension 64 for a 64x96 picture. A file without them gets none."""
    image = Image.fromarray(dark_frames(1, 96, 64)[0])  # 96 wide, 64 high as stored
    exif = image.getexif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769).update({0xA002: 96, 0xA003: 64})
    source = tmp_path / "portrait.jpg"
    image.save(source, "JPEG", exif=exif.tobytes())
    out = tmp_path / "day.jpg"
    enhance_photo(PhotoConfig(source, out, plan=plan))
    with Image.open(out) as result:
        assert result.size == (64, 96)
        sizes = result.getexif().get_ifd(0x8769)
        assert (sizes.get(0xA002), sizes.get(0xA003)) == (64, 96)
    plain = tmp_path / "plain.jpg"
    enhance_photo(PhotoConfig(_camera_jpeg(tmp_path / "dusk.jpg"), plain, plan=plan))
    with Image.open(plain) as result:
        assert 0xA002 not in result.getexif().get_ifd(0x8769)


def _maker_note_exif(note: bytes, note_value_at: int | None) -> tuple[bytes, int]:
    """EXIF whose IFD0 holds a tag the photo path drops (ImageWidth: the picture's layout), so that the maker note
    moves when it is written again; ``note`` goes at the returned TIFF offset, and where ``note_value_at`` is given
    its first entry's value offset is set to that offset plus it (absolute, as Canon's are)."""
    exif_at = 8 + 2 + 12 * 3 + 4 + 6
    note_at = exif_at + 2 + 12 + 4
    if note_value_at is not None:
        note = note[:10] + struct.pack("<I", note_at + note_value_at) + note[14:]
    ifd0 = (struct.pack("<H", 3) + struct.pack("<HHII", 0x010F, ASCII, 6, exif_at - 6)
            + struct.pack("<HHII", 0x0100, LONG, 1, 96) + struct.pack("<HHII", 0x8769, LONG, 1, exif_at)
            + struct.pack("<I", 0) + b"Canon\0")
    exif = struct.pack("<H", 1) + struct.pack("<HHII", 0x927C, UNDEFINED, len(note), note_at) + struct.pack("<I", 0)
    return b"Exif\0\0" + b"II*\0" + struct.pack("<I", 8) + ifd0 + exif + note, note_at


def _note_and_value(path) -> tuple[bytes, bytes]:
    """(the maker note's bytes, the 20 bytes its first entry's offset points at, from the TIFF header)."""
    with Image.open(path) as image:
        tiff = image.info["exif"][6:]
    fields = walk(tiff)
    note = fields["exif"][0x927C][1]
    at = tiff.index(note)
    return note, tiff[struct.unpack_from("<I", tiff, at + 10)[0]:][:20]


def test_a_canon_maker_note_still_finds_its_values(tmp_path, plan):
    """A Canon maker note is an IFD whose values are found by offsets from the TIFF header: written at another
    place, its lens and body fields pointed at other bytes."""
    text = b"Canon EOS R6 night\0\0"
    note = struct.pack("<H", 1) + struct.pack("<HHII", 0x0006, ASCII, 20, 0) + struct.pack("<I", 0) + text
    raw, note_at = _maker_note_exif(note, 18)
    source = tmp_path / "IMG_0001.jpg"
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(source, "JPEG", exif=raw)
    assert _note_and_value(source)[1] == text
    out = tmp_path / "day.jpg"
    enhance_photo(PhotoConfig(source, out, plan=plan))
    with Image.open(out) as result:
        moved = result.info["exif"][6:].index(b"Canon EOS R6 night") - 18
    assert moved != note_at  # the test means something: the maker note did move
    assert _note_and_value(out)[1] == text


def test_a_maker_note_with_its_own_header_is_left_as_it_was(tmp_path, plan):
    """Nikon's maker note carries its own TIFF header: its offsets count from there and it moves whole."""
    inner = b"MM\0\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + struct.pack(">HHII", 0x0002, 3, 2, 0) \
        + struct.pack(">I", 0)
    note = b"Nikon\0\x02\x10\0\0" + inner
    raw, _ = _maker_note_exif(note, None)
    source = tmp_path / "DSC_0001.jpg"
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(source, "JPEG", exif=raw)
    out = tmp_path / "day.jpg"
    enhance_photo(PhotoConfig(source, out, plan=plan))
    with Image.open(out) as result:
        assert note in result.info["exif"]


def _enhanced_with_exif(raw: bytes | bytearray, tmp_path, plan):
    """A dark 96x64 JPEG carrying the EXIF ``raw`` (damaged on purpose), enhanced into tmp_path/day.jpg: (that path,
    the run's stats)."""
    source = tmp_path / "damaged.jpg"
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(source, "JPEG", exif=bytes(raw))
    out = tmp_path / "day.jpg"
    return out, enhance_photo(PhotoConfig(source, out, plan=plan))


def test_a_field_pillow_cannot_write_again_is_left_out_not_the_photo(tmp_path, plan):
    """A damaged EXIF whose Make field carries ColorMap's tag (0x0140, typed SHORT by TIFF): Pillow reads the text but
    cannot write it again as SHORT, which stopped the photo with an internal error. That field is left out; the
    rest of the EXIF is kept."""
    raw = bytearray(camera_exif())
    assert raw[6 + 10:6 + 12] == b"\x0f\x01"  # IFD0's first entry: Make
    raw[6 + 10:6 + 12] = b"\x40\x01"
    out, _ = _enhanced_with_exif(raw, tmp_path, plan)
    with Image.open(out) as result:
        fields = walk(result.info["exif"][6:])
    assert 0x0140 not in fields["ifd0"]
    assert fields["exif"][0x9286] == (UNDEFINED, UNDEFINED_FIELDS[0x9286])
    assert fields["interop"][0x0001] == (ASCII, b"R98\0")  # the IFD the Exif IFD points to, written again


def test_pillows_warning_on_a_cut_short_exif_is_one_line(tmp_path, weights, cli):
    """Pillow warns of a cut-short EXIF: it came out as two lines of Pillow's own file and source."""
    source = tmp_path / "short.jpg"
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(source, "JPEG", exif=camera_exif()[:-10])
    result = cli(source, "-o", tmp_path / "day.jpg", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "UserWarning" not in result.stderr and "TiffImagePlugin" not in result.stderr, result.stderr
    warned = [line for line in result.stderr_lines if line.startswith("enlight-video: warning: ")]
    assert len(warned) == 1 and "Corrupt EXIF data" in warned[0], result.stderr


def test_a_batch_workers_warning_is_one_line_too(tmp_path, weights, cli):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(folder / "short.jpg", "JPEG", exif=camera_exif()[:-10])
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(folder / "plain.jpg", "JPEG")
    result = cli(folder, "-o", tmp_path / "out", "--weights", weights, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert "UserWarning" not in result.stderr and "TiffImagePlugin" not in result.stderr, result.stderr
    assert "enlight-video: warning: Corrupt EXIF data" in result.stderr  # (the bar's line may run before it)


def test_a_field_stored_as_another_type_is_left_out_not_the_photo(tmp_path, plan):
    """A damaged EXIF whose Make field is stored as a FLOAT (its type bytes hit): Pillow reads a number and cannot
    write it again as the ASCII its tag is (AttributeError), which stopped the photo with an internal error. That
    field is left out; the rest of the EXIF is kept."""
    raw = bytearray(camera_exif())
    order = ">" if raw[6:8] == b"MM" else "<"
    assert struct.unpack_from(order + "H", raw, 6 + 10)[0] == 0x010F  # IFD0's first entry: Make
    struct.pack_into(order + "HI", raw, 6 + 12, 11, 1)  # FLOAT, one value (in the entry itself)
    out, _ = _enhanced_with_exif(raw, tmp_path, plan)
    with Image.open(out) as result:
        fields = walk(result.info["exif"][6:])
    assert 0x010F not in fields["ifd0"]
    assert fields["exif"][0x9286] == (UNDEFINED, UNDEFINED_FIELDS[0x9286])


def test_a_photo_whose_orientation_field_holds_no_number_is_shown_as_stored(tmp_path, plan):
    """A damaged Orientation field holding the text 'x': viewers show the photo as stored; it was refused as 'not
    an image, or truncated/corrupt (invalid literal for int() ...)'. Written upright as stored, tagged 1."""
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = 6, "enlight test camera"
    raw = bytearray(exif.tobytes())
    order = ">" if raw[6:8] == b"MM" else "<"
    entries = [6 + 10 + 12 * i for i in range(struct.unpack_from(order + "H", raw, 6 + 8)[0])]
    at = next(at for at in entries if struct.unpack_from(order + "H", raw, at)[0] == 0x0112)
    struct.pack_into(order + "HI4s", raw, at + 2, 2, 2, b"x\0\0\0")  # ASCII, 2 bytes in the entry: 'x'
    out, stats = _enhanced_with_exif(raw, tmp_path, plan)
    assert (stats.width, stats.height) == (96, 64)
    with Image.open(out) as result:
        assert result.getexif()[0x0112] == 1 and result.getexif()[0x010F] == "enlight test camera"


def test_a_field_with_too_many_values_is_said_in_words(tmp_path):
    """Pillow's 'Metadata Warning, tag 271 had too many entries: 6, expected 1' reached the terminal as it was; it is
    said as the photo's field, by name, and what became of it (Pillow keeps the first value)."""
    import warnings

    from enlight.stream.io.photo_reader import read_photo

    source = tmp_path / "meta.tif"
    Image.fromarray(np.full((24, 32, 3), 30, np.uint8)).save(source, tiffinfo={271: "Canon"})
    data = bytearray(source.read_bytes())
    directory = struct.unpack("<I", data[4:8])[0]
    for i in range(struct.unpack("<H", data[directory:directory + 2])[0]):
        entry = directory + 2 + 12 * i
        if struct.unpack("<H", data[entry:entry + 2])[0] == 271:
            struct.pack_into("<HI", data, entry + 2, 3, 6)  # Make as six SHORTs
    bad = tmp_path / "bad.tif"
    bad.write_bytes(bytes(data))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_photo(bad)
    said = [str(w.message) for w in caught]
    assert said == ["bad.tif: its metadata field Make (tag 271) holds 6 values where 1 belongs; the first is kept"]
