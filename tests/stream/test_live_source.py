"""``LiveSource`` on its own: the frames a live run enhances, from a file played as a camera."""

from __future__ import annotations

import av
import numpy as np

from enlight.stream.io.live_source import LiveSource, LiveSourceConfig
from enlight.stream.io.locations import input_location

RED, GREEN = (200, 40, 40), (40, 180, 60)


def test_size_keeps_the_colours_of_an_untagged_hd_camera(tmp_path):
    """An untagged HD picture is BT.709 (as players read it); with --size 320x24 its colour matrix was guessed from
    the scaled size (BT.601 below 1280x720): red 200,40,40 came out 185,24,44 and green 40,180,60 as 53,202,65."""
    clip = tmp_path / "hd.mp4"
    picture = np.empty((96, 1280, 3), np.uint8)
    picture[:, :640], picture[:, 640:] = RED, GREEN
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 1280, 96, "yuv420p"
        for index in range(3):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(
                format="yuv420p", dst_colorspace=av.video.reformatter.Colorspace.ITU709)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    for size in (None, (320, 24)):
        with LiveSource(input_location(str(clip), camera=True), LiveSourceConfig(size=size)) as source:
            rgb = source.next(10).rgb.astype(int)
        height, width = rgb.shape[:2]
        assert (width, height) == (size or (1280, 96))
        for got, want in ((rgb[height // 2, width // 4], RED), (rgb[height // 2, 3 * width // 4], GREEN)):
            assert np.abs(got - want).max() <= 4, (size, got, want)


def test_an_hdr_clip_played_as_a_camera_is_converted_to_sdr_and_says_so(tmp_path):
    """A live run read an HLG (or PQ) source as if it were SDR, its signal taken for BT.709's, and showed and recorded
    it without a word in the wrong colours (a 10-bit HLG clip given to --camera: a lit window whose SDR picture is
    164,109,36 read as 133,101,45; the frame 9 levels off on average); a file run converts it to SDR with a note. Now
    the live source does the same."""
    from tests.stream.test_hdr import write_hlg_clip

    yy, xx = np.mgrid[0:48, 0:64]
    sdr = np.stack([xx * 2, 20 + yy, np.full_like(xx, 60)], axis=-1).astype(np.uint8)
    sdr[16:32, 24:40] = [180, 120, 40]  # a lit window, on even rows and columns
    clip = write_hlg_clip(tmp_path / "hlg.mkv", sdr, frames=3)
    notes: list[str] = []
    with LiveSource(input_location(str(clip), camera=True), log=notes.append) as source:
        rgb = source.next(10).rgb.astype(int)
    expected = np.round(255 * ((sdr / 255.0) ** 2.4 * 0.8) ** (1 / 2.4))
    diff = np.abs(rgb - expected)
    assert diff.mean() < 2 and np.median(diff) <= 1, (diff.mean(), rgb[24, 32], expected[24, 32])
    assert [line for line in notes if "HDR" in line] == [
        f"note: {clip} is HDR (HLG); its frames are converted to SDR BT.709 for the model, which learned on SDR "
        "pictures, and shown, recorded and streamed as SDR (a file run without --camera keeps HDR with --hdr keep)"]
