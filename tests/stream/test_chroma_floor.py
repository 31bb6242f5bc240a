"""The chroma floor: every chroma sample one code value nearer neutral before a frame is lifted, so the
codec's rounding near black does not become a purple or blue blotch, while real colour stays."""

from __future__ import annotations

import av
import numpy as np
import pytest

from enlight.stream.io.chroma import plane_array
from enlight.stream.io.chroma_floor import floor_chroma


def _frame(name: str, chroma: list[int], luma: int = 40) -> av.VideoFrame:
    """A 16x8 frame of ``name`` whose chroma samples take the values of ``chroma`` in turn."""
    frame = av.VideoFrame(16, 8, name)
    dtype = np.uint16 if name.endswith("le") else np.uint8
    for index in range(len(frame.planes)):
        plane = plane_array(frame, index, dtype)
        plane[...] = luma if index == 0 else np.resize(np.array(chroma, dtype), plane.shape)
    frame.pts, frame.colorspace, frame.color_range = 7, 1, 1
    return frame


@pytest.mark.parametrize("name", ["yuv420p", "yuvj444p", "nv12"])
def test_eight_bit_chroma_moves_one_code_towards_neutral(name):
    chroma = [120, 126, 127, 128, 129, 130, 200]
    frame = _frame(name, chroma)
    floored = floor_chroma(frame)
    expected = {120: 121, 126: 127, 127: 128, 128: 128, 129: 128, 130: 129, 200: 199}
    for index in range(1, len(frame.planes)):
        before, after = plane_array(frame, index, np.uint8), plane_array(floored, index, np.uint8)
        assert np.array_equal(after, np.vectorize(expected.get)(before).astype(np.uint8))
    assert np.array_equal(plane_array(floored, 0, np.uint8), plane_array(frame, 0, np.uint8))
    assert plane_array(frame, 1, np.uint8)[0, 0] == 120  # the decoded frame is not written
    assert (floored.pts, floored.colorspace, floored.color_range, floored.format.name) == (7, 1, 1, name)


def test_ten_bit_chroma_moves_four_codes():
    floored = floor_chroma(_frame("yuv420p10le", [500, 510, 512, 515, 517, 900], luma=300))
    assert plane_array(floored, 1, np.uint16)[0, :6].tolist() == [504, 512, 512, 512, 513, 896]


def test_an_alpha_plane_is_copied_as_it_is():
    """ProRes 4444 decodes with alpha after the chroma planes: transparency is not colour."""
    frame = av.VideoFrame(16, 8, "yuva444p10le")
    for index, value in enumerate((300, 520, 500, 700)):
        plane_array(frame, index, np.uint16)[...] = value
    floored = floor_chroma(frame)
    assert [int(plane_array(floored, i, np.uint16)[0, 0]) for i in range(4)] == [300, 516, 504, 700]


def test_rgb_and_grey_frames_are_left_as_they_are():
    for name in ("rgb24", "gray"):
        frame = av.VideoFrame(16, 8, name)
        assert floor_chroma(frame) is frame


def test_near_black_is_lifted_neutral_and_real_colour_stays(tmp_path, cli):
    """Through the command with the bundled weights: the left half is near black one Cb and one Cr code value
    off neutral (blue-purple rounding), the right half a dark red. Enhanced, the left half is grey (it came
    out tinted, spread 10+ levels, without the floor) and the red is still red."""
    src = tmp_path / "dusk.mkv"
    with av.open(str(src), "w") as out:
        stream = out.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv444p"
        for i in range(4):
            frame = av.VideoFrame(64, 48, "yuv444p")
            for index, (dark, red) in enumerate(((22, 50), (129, 110), (129, 180))):
                plane = plane_array(frame, index, np.uint8)
                plane[:, :32], plane[:, 32:] = dark, red
            frame.pts, frame.colorspace, frame.color_range = i, 6, 1
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    result = tmp_path / "day.mkv"
    run = cli(src, "-o", result, "--quality", "fast", "--denoise", "off", "--codec", "ffv1", "--pix-fmt", "bgr0")
    assert run.returncode == 0, run.stderr
    with av.open(str(result)) as c:
        rgb = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(float)
    dark, red = rgb[:, 8:40, 4:24].reshape(-1, 3).mean(0), rgb[:, 8:40, 40:60].reshape(-1, 3).mean(0)
    assert dark.mean() > 40  # lifted from near black
    assert dark.max() - dark.min() < 4, dark
    assert red[0] > red[1] + 30 and red[0] > red[2] + 30, red
