import av
import numpy as np
import pytest
import torch

from enlight.ops.pixels import to_model_input, to_uint8
from enlight.stream.io.frames import ColorInfo, frame_to_rgb, rgb_to_frame

KR_KB = {"bt709": (0.2126, 0.0722), "bt601": (0.299, 0.114)}
AVCOL = {"bt709": 1, "bt601": 6}


def expected_rgb(y, u, v, matrix, full):
    """Textbook YCbCr -> RGB for one pixel, 8-bit."""
    kr, kb = KR_KB[matrix]
    kg = 1 - kr - kb
    if full:
        yn, cb, cr = y / 255, (u - 128) / 255, (v - 128) / 255
    else:
        yn, cb, cr = (y - 16) / 219, (u - 128) / 224, (v - 128) / 224
    r = yn + 2 * (1 - kr) * cr
    b = yn + 2 * (1 - kb) * cb
    g = (yn - kr * r - kb * b) / kg
    return np.clip(np.array([r, g, b]) * 255, 0, 255)


def yuv_frame(y, u, v, matrix, color_range, size=(8, 8)):
    frame = av.VideoFrame(size[1], size[0], "yuv444p")
    for plane, value in zip(frame.planes, (y, u, v), strict=True):
        plane.update(np.full((size[0], plane.line_size), value, np.uint8).tobytes())
    frame.colorspace = AVCOL[matrix]
    frame.color_range = color_range
    return frame


@pytest.mark.parametrize("matrix", ["bt709", "bt601"])
@pytest.mark.parametrize("color_range", [1, 2])
def test_decoding_honours_matrix_and_range(matrix, color_range):
    y, u, v = 110, 90, 190
    frame = yuv_frame(y, u, v, matrix, color_range)
    color = ColorInfo.from_frame(frame)
    assert color.full_range == (color_range == 2)
    rgb = frame_to_rgb(frame, color)
    assert rgb.shape == (8, 8, 3) and rgb.dtype == np.uint8
    np.testing.assert_allclose(rgb[4, 4], expected_rgb(y, u, v, matrix, color_range == 2), atol=1.5)


def test_bt709_and_bt601_give_different_colours():
    a = frame_to_rgb(f := yuv_frame(110, 90, 190, "bt709", 1), ColorInfo.from_frame(f))
    b = frame_to_rgb(f := yuv_frame(110, 90, 190, "bt601", 1), ColorInfo.from_frame(f))
    assert np.abs(a.astype(int) - b.astype(int)).max() >= 5


def test_untagged_video_assumes_bt709_for_hd_and_bt601_below():
    sd = yuv_frame(110, 90, 190, "bt601", 0, size=(480, 640))
    hd = yuv_frame(110, 90, 190, "bt601", 0, size=(720, 1280))
    sd.colorspace = hd.colorspace = 2  # unspecified
    assert ColorInfo.from_frame(sd).sws_matrix.name.lower() == "itu601"
    assert ColorInfo.from_frame(hd).sws_matrix.name.lower() == "itu709"
    assert not ColorInfo.from_frame(sd).full_range


@pytest.mark.parametrize("pix_fmt", ["yuv444p", "yuv420p"])
@pytest.mark.parametrize("color_range", [1, 2])
def test_rgb_round_trip_through_encoder_format(pix_fmt, color_range):
    yy, xx = np.mgrid[0:16, 0:16]
    rgb = np.stack([20 + 12 * xx, 30 + 10 * yy, 200 - 5 * (xx + yy)], -1).astype(np.uint8)  # smooth
    color = ColorInfo.from_frame(yuv_frame(0, 128, 128, "bt709", color_range))
    frame = rgb_to_frame(rgb, pix_fmt, color)
    assert frame.format.name == pix_fmt and int(frame.colorspace) == 1 and int(frame.color_range) == color_range
    back = frame_to_rgb(frame, color)
    tolerance = 3 if pix_fmt == "yuv444p" else 8  # 4:2:0 halves chroma resolution
    inner = (slice(2, -2), slice(2, -2))
    assert np.abs(back[inner].astype(int) - rgb[inner].astype(int)).max() <= tolerance


def test_model_tensor_round_trip_is_exact():
    batch = torch.arange(256, dtype=torch.uint8).view(1, 16, 16, 1).expand(2, 16, 16, 3).contiguous()
    x = to_model_input(batch)
    assert x.shape == (2, 3, 16, 16) and x.min() == -1 and x.max() == 1
    assert torch.equal(to_uint8(x), batch)
    assert torch.equal(to_uint8(torch.full((1, 3, 2, 2), 5.0)), torch.full((1, 2, 2, 3), 255, dtype=torch.uint8))
