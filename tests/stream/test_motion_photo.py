"""A phone's motion photo (a JPEG with its short video appended, described in its XMP) keeps its motion: the clip is
enhanced too and appended to the enhanced JPEG, the XMP's lengths made true. Before, the clip was dropped and the
XMP carried over unchanged, so a viewer read the new picture's own bytes as the video. Where the output cannot hold
a clip, or the file appends a gain map made for the dark original, the XMP stops promising it and a note says so."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time

import av
import numpy as np
import pytest
from PIL import Image

from enlight.stream.apps.photo import PhotoConfig, enhance_photo
from enlight.stream.core.plan import make_plan
from tests.conftest import REPO
from tests.media import dark_frames, make_clip

NAMESPACES = ('xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" '
              'xmlns:Container="http://ns.google.com/photos/1.0/container/" '
              'xmlns:Item="http://ns.google.com/photos/1.0/container/item/" '
              'xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/"')


def _xmp(marks: str, items: list[tuple[str, str, int]]) -> bytes:
    """An XMP packet with ``marks`` (attributes) and a container directory of (semantic, mime, length) items after
    the primary picture."""
    listed = "".join(f'<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="{mime}" Item:Semantic="{semantic}"'
                     f' Item:Length="{length}" Item:Padding="0"/></rdf:li>' for semantic, mime, length in items)
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" {NAMESPACES} {marks}><Container:Directory><rdf:Seq>'
            '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" '
            f'Item:Length="0" Item:Padding="0"/></rdf:li>{listed}</rdf:Seq></Container:Directory></rdf:Description>'
            '</rdf:RDF></x:xmpmeta>').encode()


def _clip(frames: int = 24) -> bytes:
    """A dark 96x64 H.264 + AAC MP4, as a phone's motion clip (in memory)."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 96, 64, "yuv420p"
        audio = container.add_stream("aac", rate=48000)
        for i, rgb in enumerate(dark_frames(frames, 96, 64)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        for i in range(frames * 2):  # 1024-sample frames of a quiet tone: the clip's second of sound
            tone = (0.1 * np.sin(np.arange(1024) / 10.0)).astype(np.float32)[None]
            samples = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            samples.sample_rate, samples.pts = 48000, i * 1024
            container.mux(audio.encode(samples))
        container.mux(audio.encode(None))
    return out.getvalue()


def _jpeg(xmp: bytes) -> bytes:
    out = io.BytesIO()
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(out, "JPEG", quality=90, xmp=xmp)
    return out.getvalue()


def motion_photo(path, clip: bytes, *, legacy: bool = False):
    """A motion photo as a Pixel writes it (or in the older MicroVideo form): the JPEG, then the clip."""
    if legacy:
        xmp = _xmp(f'GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="{len(clip)}"', [])
    else:
        xmp = _xmp('GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1"', [("MotionPhoto", "video/mp4", len(clip))])
    path.write_bytes(_jpeg(xmp) + clip)
    return path


def _appended_clip(path) -> bytes | None:
    """The clip a viewer finds: the file's last N bytes, N from the XMP (read here, not by the code under test)."""
    data = path.read_bytes()
    with Image.open(path) as image:
        xmp = image.info.get("xmp", b"")
    length = re.search(rb'Item:Semantic="MotionPhoto"[^>]*Item:Length="(\d+)"', xmp) or \
        re.search(rb'GCamera:MicroVideoOffset="(\d+)"', xmp)
    return data[-int(length[1]):] if length else None


def _frames_and_sound(clip: bytes) -> tuple[np.ndarray, int]:
    with av.open(io.BytesIO(clip)) as container:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
        container.seek(0)
        return frames, len(container.streams.audio)


@pytest.fixture(scope="module")
def plan(weights):
    return make_plan(weights=weights, backend="torch", device="cpu")


@pytest.fixture(scope="module")
def plan_options(weights):
    return dict(weights=weights, backend="torch", device="cpu", quality="auto")


@pytest.mark.parametrize("legacy", [False, True], ids=["motion-photo", "micro-video"])
def test_the_clip_is_enhanced_and_appended(tmp_path, plan, plan_options, legacy):
    clip = _clip()
    source = motion_photo(tmp_path / "PXL_night.MP.jpg", clip, legacy=legacy)
    out = tmp_path / "day.MP.jpg"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan, plan_options=plan_options))
    assert "motion photo video was enhanced too (24 frames)" in stats.motion
    appended = _appended_clip(out)
    assert appended is not None and appended[4:8] == b"ftyp"
    before, _ = _frames_and_sound(clip)
    after, sounds = _frames_and_sound(appended)
    assert len(after) == len(before) and sounds == 1  # every frame, and its sound
    assert after.mean() > before.mean() + 10  # enhanced as the picture is
    with Image.open(out) as picture:
        assert np.asarray(picture).mean() > np.asarray(Image.open(source)).mean() + 10
        assert re.search(rb'GCamera:(MotionPhoto|MicroVideo)="1"', picture.info["xmp"])


def test_a_clip_followed_by_unlisted_data_is_found(tmp_path, plan, plan_options):
    """A Samsung file keeps its own records after the clip, which the XMP's directory does not list."""
    clip = _clip(8)
    source = motion_photo(tmp_path / "20261130_221000.jpg", clip)
    source.write_bytes(source.read_bytes() + b"SEFH" + bytes(200) + b"SEFT")
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan, plan_options=plan_options))
    assert "enhanced too (8 frames)" in stats.motion
    assert len(_frames_and_sound(_appended_clip(tmp_path / "day.jpg"))[0]) == 8


def test_a_png_output_says_it_holds_no_clip(tmp_path, plan, plan_options):
    source = motion_photo(tmp_path / "PXL_night.MP.jpg", _clip(8))
    out = tmp_path / "day.png"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan, plan_options=plan_options))
    assert "video was not kept: a .png file cannot hold one" in stats.motion
    with Image.open(out) as picture:
        xmp = picture.info.get("XML:com.adobe.xmp", picture.info.get("xmp", ""))
    xmp = xmp.encode() if isinstance(xmp, str) else xmp
    assert b'GCamera:MotionPhoto="0"' in xmp and b'Item:Semantic="MotionPhoto"' not in xmp
    assert b'Item:Semantic="Primary"' in xmp


def test_a_gain_map_made_for_the_original_is_left_out_and_unlisted(tmp_path, plan):
    """An Ultra HDR JPEG appends a gain map for its own tones; the enhanced picture is SDR and lists none."""
    gain = io.BytesIO()
    Image.fromarray(np.full((32, 48), 128, np.uint8)).save(gain, "JPEG")
    xmp = _xmp('hdrgm:Version="1.0"', [("GainMap", "image/jpeg", len(gain.getvalue()))])
    source = tmp_path / "uhdr.jpg"
    source.write_bytes(_jpeg(xmp) + gain.getvalue())
    out = tmp_path / "day.jpg"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert "HDR gain map was left out" in stats.motion
    data = out.read_bytes()
    assert data.endswith(b"\xff\xd9")  # nothing after the picture
    with Image.open(out) as picture:
        written = picture.info["xmp"]
    assert b"GainMap" not in written and b"hdrgm:Version" not in written and b'Item:Semantic="Primary"' in written


def test_an_appended_depth_map_is_named_for_what_it_is(tmp_path, plan):
    """A portrait's depth map appended after the picture was said to be left out because 'it was made for the
    original's tones' (a gain map's reason)."""
    depth = io.BytesIO()
    Image.fromarray(np.full((32, 48), 90, np.uint8)).save(depth, "JPEG")
    xmp = _xmp('GCamera:MotionPhoto="0"', [("Depth", "image/jpeg", len(depth.getvalue()))])
    source = tmp_path / "portrait.jpg"
    source.write_bytes(_jpeg(xmp) + depth.getvalue())
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan))
    assert stats.motion == "its depth map stored beside the picture was left out (the output holds the enhanced " \
        "picture alone)", stats.motion


def test_a_listed_clip_that_is_not_there_is_unlisted(tmp_path, plan):
    source = tmp_path / "cut.MP.jpg"  # a motion photo whose clip a tool cut off
    source.write_bytes(_jpeg(_xmp('GCamera:MotionPhoto="1"', [("MotionPhoto", "video/mp4", 5000)])))
    out = tmp_path / "day.jpg"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert "could not be found in the file" in stats.motion
    with Image.open(out) as picture:
        assert b'GCamera:MotionPhoto="0"' in picture.info["xmp"]
    assert _appended_clip(out) is None


def test_an_mpf_files_other_pictures_are_named(tmp_path, plan):
    source = tmp_path / "stereo.jpg"
    left, right = (Image.fromarray(dark_frames(1, 64, 48)[0]) for _ in range(2))
    left.save(source, "MPO", save_all=True, append_images=[right])
    stats = enhance_photo(PhotoConfig(source, tmp_path / "day.jpg", plan=plan))
    assert "1 other picture stored after it" in stats.motion


def test_the_command_line_says_the_clip_was_enhanced(tmp_path, weights, cli):
    source = motion_photo(tmp_path / "PXL_night.MP.jpg", _clip(8))
    out = tmp_path / "day.jpg"
    killed = tmp_path / ".day.enlight-0123abcd.mp4"  # the clip's temporary from a run killed an hour ago
    killed.write_bytes(b"half a clip")
    os.utime(killed, (time.time() - 3600, time.time() - 3600))
    result = cli(source, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "its motion photo video was enhanced too (8 frames)" in result.stderr
    assert _appended_clip(out)[4:8] == b"ftyp"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_a_heic_motion_photo_says_it_lost_its_clip(tmp_path, plan):
    """A Samsung HEIC motion photo keeps its clip inside the HEIF file, which is not carried; its XMP said it was."""
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    source = tmp_path / "20261130.heic"
    xmp = _xmp('GCamera:MotionPhoto="1"', [("MotionPhoto", "video/mp4", 5000)])
    Image.fromarray(dark_frames(1, 96, 64)[0]).save(source, "HEIF", xmp=xmp)
    out = tmp_path / "day.heic"
    stats = enhance_photo(PhotoConfig(source, out, plan=plan))
    assert "not a HEIF one" in stats.motion
    with Image.open(out) as picture:
        written = picture.info.get("xmp") or b""
    assert b'GCamera:MotionPhoto="0"' in written and b'Item:Semantic="MotionPhoto"' not in written


def test_sigterm_while_the_clip_is_enhanced_leaves_nothing(tmp_path, weights):
    """Stopped while its clip went through the pipeline, a motion photo left that clip's part behind as a hidden
    '.day.enlight-*.partial.mp4'; the photo is not written, so nothing of it is kept, and the last line says so."""
    clip = make_clip(tmp_path / "long.mp4", width=160, height=96, frames=1500).read_bytes()
    source = motion_photo(tmp_path / "PXL_long.MP.jpg", clip)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "enlight.cli.video", str(source), "-o", str(out_dir / "day.jpg"),
                             "--weights", str(weights)], cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not any(p.stat().st_size > 0 for p in out_dir.glob(".day.enlight-*.mp4")):
        time.sleep(0.05)  # the clip's output has its first frames
    assert proc.poll() is None, proc.stderr.read().decode()
    proc.send_signal(signal.SIGTERM)
    code, err = proc.wait(60), proc.stderr.read().decode()
    assert code == 143 and "interrupted" in err, (code, err)  # once under load: 0 (its stderr was not kept)
    assert list(out_dir.iterdir()) == []
    # it said only 'interrupted', where a video run says what became of its output
    assert err.strip().splitlines()[-1] == f"enlight-video: interrupted; nothing was written to {out_dir / 'day.jpg'}"
