"""A video whose picture changes midway (``enlight.stream.io.picture_changes``): each frame read with its own colour
and made into the first frame's size and shape, in a file run, a live run and a run in segments."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from enlight.stream.io.live_source import LiveSource, LiveSourceConfig
from enlight.stream.io.locations import input_location
from enlight.stream.io.source import VideoSource
from enlight.stream.io.source_items import DecodedFrame
from tests.stream.changing_clips import DISC, QUARTERS, Part, changing_clip

CHANGES = {"full range": Part(6, full=True), "BT.709": Part(6, matrix=1)}


def _frames(path) -> tuple[list[np.ndarray], list[str]]:
    """(the RGB frames a file run enhances, its source's notes)."""
    with VideoSource(path) as source:
        frames = [item.rgb.astype(int) for item in source if isinstance(item, DecodedFrame)]
    return frames, source.notes


def _colours(rgb: np.ndarray) -> np.ndarray:
    """(4, 3): the middle of each quarter of a picture, as ``QUARTERS`` lists them."""
    height, width = rgb.shape[:2]
    return np.array([rgb[row, col] for row in (height // 8, 7 * height // 8) for col in (width // 8, 7 * width // 8)])


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_stretch_of_another_range_or_matrix_keeps_its_colours(change, tmp_path):
    """A recorder that switched to full range (or from BT.601 to BT.709) midway: its frames were read with the first
    frame's range and matrix; the full-range stretch came out with its levels stretched (the disc's grey 220 as 236,
    dark 40 as 30), the BT.709 one with its colours shifted (green 40,160,40 as 51,179,47)."""
    clip = changing_clip(tmp_path / "switch.ts", [Part(6), CHANGES[change], Part(6)])
    frames, _ = _frames(clip)
    assert len(frames) == 18
    for frame in frames:
        assert np.abs(_colours(frame) - np.array(QUARTERS)).max() <= 4, change
        assert np.abs(frame[24, 32] - np.array(DISC)).max() <= 4, change


def test_a_camera_that_switches_range_keeps_its_colours_live(tmp_path):
    """The same in a live run (--camera): a camera that switched to full range at night was shown and recorded with
    its levels stretched (red 160,40,40 as 162,31,30)."""
    clip = changing_clip(tmp_path / "camera.ts", [Part(4), Part(4, full=True)])
    seen = []
    with LiveSource(input_location(str(clip), camera=True), LiveSourceConfig()) as source:
        while (frame := source.next(10)) is not None:
            seen.append(frame.rgb.astype(int))
    assert len(seen) == 8
    for rgb in seen:
        assert np.abs(_colours(rgb) - np.array(QUARTERS)).max() <= 4


def _disc(rgb: np.ndarray) -> tuple[int, int]:
    """(width, height) of the disc: how many pixels of the picture's middle row, and column, are its grey."""
    near = np.abs(rgb - np.array(DISC)).max(axis=2) <= 12
    height, width = near.shape
    return int(np.count_nonzero(near[height // 2])), int(np.count_nonzero(near[:, width // 2]))


@pytest.mark.parametrize("suffix", [".mkv", ".ts"])
def test_a_16_9_stretch_in_a_4_3_picture_is_letterboxed_not_squeezed(tmp_path, suffix):
    """A DVB recording of a 4:3 advert, then a 16:9 film in the same 64x48 (pixels 4:3 wide): the film's frames
    were read as square pixels, the picture played squeezed to 3/4 of its width without a word (the disc 18 wide
    and 24 high). They are now scaled to fit, 64x36 with black bars above and below, the disc round. (An MPEG-TS
    whose advert lasts less than FFmpeg's probe has the film's ratio as its stream's: that is no ratio of its own,
    and the advert was shown stretched, all at 16:9, without a word.)"""
    clip = changing_clip(tmp_path / f"dvb{suffix}", [Part(4), Part(4, aspect=Fraction(4, 3)), Part(4)])
    frames, notes = _frames(clip)
    assert len(frames) == 12 and all(frame.shape == (48, 64, 3) for frame in frames)
    width, height = _disc(frames[0])
    assert abs(width - height) <= 2 and height >= 22
    film = frames[5]
    assert film[:5].max() <= 16 and film[-5:].max() <= 16 and film[7:41].min() > 20  # bars of 6 rows
    width, height = _disc(film)
    assert abs(width - height) <= 2 and height <= 20, (width, height)  # (squeezed: 18 wide, 24 high)
    assert "the pixel aspect ratio changed from 1:1 to 4:3 at frame 5 (the picture shown 4:3, then 16:9)" in notes
    assert "frame 5 and others of another shape (64x48 shown 16:9) were scaled to fit inside 64x48, keeping their " \
           "shape, with black bars above and below" in notes
    assert np.abs(frames[-1] - frames[0]).max() <= 4  # back to the first shape: as it was


def test_a_camera_that_switches_to_another_shape_is_letterboxed_live(tmp_path):
    """A camera that switched from 64x48 (4:3) to 96x48 (2:1) mid-run: its frames were stretched to 64x48 (the disc
    24 high and 16 wide). They are now scaled to fit, 64x32 with black bars above and below, the disc round."""
    clip = changing_clip(tmp_path / "camera.ts", [Part(4), Part(4, width=96, height=48)])
    notes: list[str] = []
    with LiveSource(input_location(str(clip), camera=True), LiveSourceConfig(), log=notes.append) as source:
        seen = []
        while (frame := source.next(10)) is not None:
            seen.append(frame.rgb.astype(int))
    assert len(seen) == 8 and all(rgb.shape == (48, 64, 3) for rgb in seen)
    wide = seen[-1]
    assert wide[:6].max() <= 16 and wide[-6:].max() <= 16 and wide[10:38].min() > 20
    width, height = _disc(wide)
    assert abs(width - height) <= 2 and height <= 18, (width, height)  # (stretched: 16 wide, 24 high)
    assert notes == [f"note: {clip} changed its picture size from 64x48 to 96x48 at frame 5; its frames are scaled to "
                     "fit inside 64x48, the size the run started at (--size sets the size), keeping their shape, with "
                     "black bars above and below"]


def test_a_size_of_the_same_shape_is_scaled_without_bars(tmp_path):
    """An HLS recording switching quality (64x48, then 128x96): scaled to the first size, as FFmpeg does."""
    clip = changing_clip(tmp_path / "hls.ts", [Part(4), Part(4, width=128, height=96)])
    frames, notes = _frames(clip)
    assert all(frame.shape == (48, 64, 3) for frame in frames)
    assert np.abs(_colours(frames[-1]) - np.array(QUARTERS)).max() <= 4 and frames[-1][:3].min() > 20
    assert notes == ["the picture size changed from 64x48 to 128x96 at frame 5; frames of another size were scaled "
                     "to 64x48, as FFmpeg does"]


@pytest.mark.parametrize("second", [Part(16, width=96, height=72), Part(16, aspect=Fraction(4, 3))],
                         ids=["size", "pixel aspect"])
def test_segments_that_start_after_a_change_join(second, tmp_path, weights, cli):
    """--segments: a segment whose first frame came after a change (an HLS recording's 96x72 stretch; a 16:9 film
    after a 4:3 advert) was written at that size or shape, and the join failed after all the work ('the segments'
    encoder headers differ', exit 2). Each segment now makes its frames into the file's first frame's picture."""
    clip = changing_clip(tmp_path / "recording.mkv", [Part(16), second, Part(16)])
    out = tmp_path / "day.mkv"
    result = cli(clip, "-o", out, "--weights", weights, "--segments", "3", "--denoise", "off", "--quality", "fast")
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        sizes = {(frame.width, frame.height) for frame in container.decode(video=0)}
        assert container.streams.video[0].frames in (0, 48)
    assert sizes == {(64, 48)}


def _square_coded_clip(path, *, aspect: Fraction) -> None:
    """A 64x48 H.264 MP4 whose pictures code square pixels and whose container says ``aspect`` ('pasp'), as
    ``ffmpeg -i in.mp4 -c copy -aspect 16:9 out.mp4`` makes it."""
    square = path.with_name("square.mp4")
    with av.open(str(square), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.sample_aspect_ratio = Fraction(1)
        for i in range(6):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 30, np.uint8), format="rgb24")
            frame = frame.reformat(format="yuv420p")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with av.open(str(square)) as source, av.open(str(path), "w") as output:
        video = source.streams.video[0]
        copied = output.add_stream_from_template(video)
        copied.codec_context.sample_aspect_ratio = aspect
        for packet in source.demux(video):
            if packet.dts is not None:
                packet.stream = copied
                output.mux(packet)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_the_containers_pixel_aspect_ratio_over_the_pictures_is_kept(tmp_path, weights, cli, suffix):
    """``ffmpeg -c copy -aspect 16:9``, the usual fix for a clip that plays squeezed, sets the container's ratio only;
    the pictures still code square pixels. The output took the pictures' and played squeezed at 4:3 again (players
    and FFmpeg take the container's)."""
    clip = tmp_path / "wide.mp4"
    _square_coded_clip(clip, aspect=Fraction(4, 3))
    with av.open(str(clip)) as container:  # (as the fix makes it)
        video = container.streams.video[0]
        assert (video.sample_aspect_ratio, video.codec_context.sample_aspect_ratio) == (Fraction(4, 3), 1)
    out = tmp_path / f"day{suffix}"
    result = cli(clip, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "shape" not in result.stderr and "aspect ratio changed" not in result.stderr, result.stderr
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height, video.sample_aspect_ratio) == (64, 48, Fraction(4, 3))
        frame = next(container.decode(video))
    assert np.ptp(frame.to_ndarray(format="rgb24").mean(axis=(0, 2))) < 8  # no bars: one level across
