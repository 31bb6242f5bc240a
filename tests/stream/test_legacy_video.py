"""The older codecs and containers (enlight.stream.io.legacy_video): their quality, .mpg's MPEG-2, AVI's rate."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from enlight.stream.io import legacy_video
from tests.media import make_clip, read_video


def _psnr(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    mse = np.mean([np.mean((x.astype(np.float64) - y) ** 2) for x, y in zip(a, b, strict=True)])
    return float(10 * np.log10(255 ** 2 / mse))


@pytest.fixture(scope="module")
def textured(tmp_path_factory):
    """A 640x360 clip of fine texture, where FFmpeg's 200 kb/s default for MPEG-4 and VP8 shows."""
    folder = tmp_path_factory.mktemp("textured")
    return make_clip(folder / "texture.mp4", width=640, height=360, frames=8, rate=25, audio=False)


@pytest.mark.parametrize(("codec", "suffix", "floor"), [("mpeg4", ".avi", 38), ("mpeg2video", ".mkv", 38),
                                                        ("auto", ".ogv", 38), ("mjpeg", ".avi", 38),
                                                        ("dnxhd", ".mov", 35)])
def test_older_codecs_are_not_left_at_ffmpegs_200_kbs(textured, tmp_path, weights, cli, codec, suffix, floor):
    """--codec mpeg4 or mpeg2video, and a .ogv's VP8, ran at their encoders' default bit rate (200 and 256 kb/s):
    blocks everywhere (30.4-33.1 dB on the real night clips). They now hold a quantiser (VP8: a crf) and come out
    near the lossless enhanced frames: 39.1-40.4 dB here, where the defaults gave 33.6-36.7. Motion JPEG, which
    takes YUV in the full range only, refused the frames ('Invalid argument'); it is now written in full range.
    DNxHD refused every size but a few broadcast ones; it now writes DNxHR HQ, which takes any (37.6 dB on this
    noise: its bit rate is set by the size)."""
    lossless = tmp_path / "lossless.mkv"
    assert cli(textured, "-o", lossless, "--weights", weights, "--codec", "ffv1", "-q").returncode == 0
    out = tmp_path / f"out{suffix}"
    result = cli(textured, "-o", out, "--weights", weights, "--codec", codec, "-q")
    assert result.returncode == 0, result.stderr
    psnr = _psnr(read_video(lossless)["images"], read_video(out)["images"])
    assert psnr > floor, psnr


def test_the_quality_options(tmp_path):
    assert legacy_video.quality("mpeg4", None) == {"qmin": "2", "qmax": "2"}
    assert legacy_video.quality("libvpx", None) == {"crf": "10", "b": legacy_video.VP8_CEILING}
    assert legacy_video.quality("libvpx", 20)["crf"] == "20"
    assert legacy_video.quality("libx264", None) == {}


def test_an_mpg_output_is_mpeg2_video_where_mpeg2_takes_the_rate(tmp_path, weights, cli):
    """-o out.mpg wrote H.264 into the program stream, which only FFmpeg-based players play (its frames decode
    without timestamps); it is now MPEG-2, as a DVD's; at a rate MPEG-2 does not have, H.264 with a note."""
    pal = make_clip(tmp_path / "pal.mp4", frames=6, rate=25)
    out = tmp_path / "out.mpg"
    result = cli(pal, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "encoded with mpeg2video at quantiser 2" in result.stderr
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name == "mpeg2video"
        assert [s.type for s in container.streams] == ["video", "audio"]
    assert len(read_video(out)["times"]) == 6
    kept = tmp_path / "kept.mpg"
    assert cli(pal, "-o", kept, "--weights", weights, "--codec", "libx264", "-q").returncode == 0
    with av.open(str(kept)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    cctv = make_clip(tmp_path / "cctv.mp4", frames=6, rate=15)
    result = cli(cctv, "-o", tmp_path / "cctv.mpg", "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "encoded with libx264: MPEG-2, the video of an MPEG program stream, takes only the frame" in result.stderr
    assert "this video has 15 fps" in result.stderr


def test_mpeg2_that_cannot_take_the_size_falls_back_to_h264():
    assert legacy_video.program_stream_codec("mpeg", 4096, 64, Fraction(25))[0] == "libx264"
    assert legacy_video.program_stream_codec("mpeg", 1920, 1080, Fraction(30000, 1001))[0] == "mpeg2video"
    assert legacy_video.program_stream_codec("matroska", 1920, 1080, Fraction(25)) is None


def test_a_constant_rate_avi_says_its_rate(tmp_path, weights, cli):
    """A 29.97 fps source into .avi was written at 600 fps with an empty chunk in every slot without a frame (its
    header: 600 fps, 20 index entries a frame); it now has one tick a frame, as FFmpeg's own command writes AVI."""
    clip = make_clip(tmp_path / "ntsc.mp4", frames=10, rate=30, time_base=Fraction(1, 30000),
                     pts=[i * 1001 for i in range(10)], audio=False)
    out = tmp_path / "out.avi"
    assert cli(clip, "-o", out, "--weights", weights, "--codec", "mpeg4", "-q").returncode == 0
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == Fraction(30000, 1001) and stream.frames == 10
        times = [frame.time for frame in container.decode(stream)]
    assert np.allclose(times, [i * 1001 / 30000 for i in range(10)], atol=1e-4)


def test_a_variable_rate_avi_keeps_its_timing(tmp_path, weights, cli):
    """A source whose timestamps are not one a slot keeps them in the source's ticks (AVI's empty chunks)."""
    pts = [0, 3600, 7200, 10800, 20000, 23600, 27200, 30000]
    clip = make_clip(tmp_path / "vfr.mp4", frames=8, pts=pts, audio=False)
    out = tmp_path / "out.avi"
    assert cli(clip, "-o", out, "--weights", weights, "--codec", "mpeg4", "-q").returncode == 0
    with av.open(str(out)) as container:
        times = [frame.time for frame in container.decode(video=0)]
    assert np.allclose(times, [p / 90000 for p in pts], atol=2e-3)


def _sound_from(path, start_s: int, frames: int = 75):
    """A 25 fps MP4 whose AAC tone begins ``start_s`` seconds after its first frame (a microphone that starts late)
    and lasts to its end."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("aac", rate=48000, layout="mono")
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 + i, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        tone = (0.3 * np.sin(np.arange(48000 * (frames // 25 - start_s)) / 10)).astype(np.float32)[None]
        for at in range(0, tone.shape[1] - 1023, 1024):
            sound = av.AudioFrame.from_ndarray(tone[:, at:at + 1024].copy(), format="fltp", layout="mono")
            sound.sample_rate, sound.pts = 48000, 48000 * start_s + at
            out.mux(audio.encode(sound))
        out.mux(audio.encode())
    return path


def test_sound_that_starts_late_starts_as_late_in_an_avi(tmp_path, weights, cli):
    """FFmpeg's AVI muxer starts every stream at 0: sound that begins 2 s into the picture played from 0, 2 s ahead
    of it all through (its first sound at 0.0 s). Its stream header's start now says 2 s."""
    source = _sound_from(tmp_path / "late.mp4", start_s=2)
    with av.open(str(source)) as container:
        assert next(container.decode(audio=0)).time == pytest.approx(2.0, abs=0.03)  # (the case)
    out = tmp_path / "out.avi"
    result = cli(source, "-o", out, "--weights", weights, "--codec", "mpeg4", "--quality", "fast")
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        times = [frame.time for frame in container.decode(video=0)]
    with av.open(str(out)) as container:
        first_sound = next(container.decode(audio=0)).time
    assert len(times) == 75 and times[0] == 0 and times[-1] == pytest.approx(74 / 25)
    assert first_sound == pytest.approx(2.0, abs=0.03)


def test_a_dvds_mpeg2_into_mpg_keeps_one_tick_a_frame(tmp_path, weights, cli):
    """A DVD's program stream starts its frames between two 25 fps ticks (48600/90000 s: 13.5 frames); rounding each
    frame alone sent every other one onto its neighbour's tick ('moved 1 tick later'). Counted from the first frame,
    each keeps its own."""
    source = tmp_path / "dvd.mpg"
    with av.open(str(source), "w") as container:
        stream = container.add_stream("mpeg2video", rate=25)
        stream.width, stream.height, stream.pix_fmt = 176, 144, "yuv420p"
        for index, picture in enumerate(np.random.default_rng(0).integers(0, 60, (12, 144, 176, 3), np.uint8)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with av.open(str(source)) as container:
        first = next(container.decode(video=0)).pts
    assert first % 3600, first  # (the case: not on a tick of the output's 1/25 s)
    out = tmp_path / "out.mpg"
    result = cli(source, "-o", out, "--weights", weights)
    assert result.returncode == 0 and "moved 1 tick later" not in result.stderr, result.stderr
    with av.open(str(out)) as container:
        times = [frame.pts for frame in container.decode(video=0)]
    assert len(times) == 12 and set(np.diff(times)) == {3600}


@pytest.mark.parametrize("name", ["out.mxf", "out.wmv", "out.avi"])
def test_outputs_that_keep_no_frame_reordering_get_no_b_frames(tmp_path, weights, cli, name):
    """MXF and ASF (.wmv) keep no reordering of frames, AVI no presentation times at all: H.264 with B-frames
    (x264's default) came back with its frames out of order (0, 0.12, 0.08, 0.16, 0.04 s ...), as FFmpeg's own
    output does."""
    clip = make_clip(tmp_path / "a.mp4", frames=20, rate=25, audio=False)
    result = cli(clip, "-o", tmp_path / name, "--weights", weights, "--quality", "fast")
    assert result.returncode == 0, result.stderr
    with av.open(str(tmp_path / name)) as container:
        times = [float(frame.time) for frame in container.decode(video=0)]
    assert len(times) == 20
    assert times == sorted(times), times  # (ASF gives the last frame the time of the one before: as it muxes)
