"""The encoder's pixel format nearest a source's it cannot encode (enlight.stream.io.format_fit)."""

from __future__ import annotations

import av

from enlight.stream.io.format_fit import loses_detail, nearer_formats
from tests.media import make_clip


def _pix_fmt(path) -> str:
    with av.open(str(path)) as container:
        return container.streams.video[0].codec_context.pix_fmt


def test_a_12_bit_prores_4444_keeps_what_h264_can_hold_and_says_so(tmp_path, weights, cli):
    """ProRes 4444 (12-bit 4:4:4: cinema cameras, editors' masters) went to libx264, which has no 12 bits, as
    yuv420p without a word: 8 bits and a quarter of the colour samples. It is now yuv444p10le, with a note that
    names the encoder that keeps 12 bits."""
    source = make_clip(tmp_path / "master.mov", frames=6, codec="prores_ks", pix_fmt="yuv444p10le", audio=False)
    assert _pix_fmt(source) == "yuv444p12le"  # (ProRes 4444 decodes at 12 bits)
    out = tmp_path / "day.mov"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert _pix_fmt(out) == "yuv444p10le"
    assert ("encoded as yuv444p10le: libx264 cannot encode the input's yuv444p12le (--codec libx265 keeps it)"
            in result.stderr), result.stderr


def test_10_bit_video_into_mpeg_2_says_it_became_8_bits(tmp_path, weights, cli):
    """An .mpg output is MPEG-2, which has no 10 bits: the 8 bits it wrote are now said, with the codecs that
    keep 10."""
    source = make_clip(tmp_path / "phone.mp4", frames=6, rate=25, pix_fmt="yuv420p10le", audio=False)
    out = tmp_path / "day.mpg"
    result = cli(source, "-o", out, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    assert _pix_fmt(out) == "yuv420p"
    assert "encoded as yuv420p: mpeg2video cannot encode the input's yuv420p10le (--codec libx264" in result.stderr


def test_which_formats_are_nearer_and_which_lose_detail():
    assert nearer_formats("yuv444p12le") == ("yuv444p10le", "yuv444p9le", "yuv444p")
    assert nearer_formats("gray16le") == ("gray14le", "gray12le", "gray10le", "gray9le", "gray")
    assert nearer_formats("yuv420p") == () and nearer_formats("rgb48le") == ()
    assert loses_detail("yuv422p10le", "yuv422p") and loses_detail("yuv444p", "yuv420p")
    assert not loses_detail("yuv411p", "yuv420p")  # (a DV camcorder's: as many colour samples, laid out otherwise)
    assert not loses_detail("rgb24", "yuv420p")  # (an RGB source written as YUV: said where it is documented)
    assert not loses_detail("yuv420p10le", "yuv420p10le")
