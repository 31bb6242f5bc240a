"""End to end through the real CLI: PyAV-made clips in, files checked with PyAV."""

import struct
from fractions import Fraction

import av
import numpy as np
import pytest
import torch

from enlight.models import attention_map, build_generator, load_generator, save_weights
from enlight.ops.pixels import to_model_input, to_uint8
from enlight.stream.apps.pipeline import PipelineConfig, run
from enlight.stream.core.plan import make_plan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.stream.io.chroma_floor import floor_chroma
from enlight.stream.io.encoder_settings import EncoderConfig
from enlight.stream.io.fields import field_order
from enlight.stream.io.frames import ColorInfo, frame_to_rgb
from tests.media import chaptered_clip, dark_frames, make_clip, read_video
from tests.stream.sei import sei_unit, with_sei

TB = Fraction(1, 90000)
VFR_PTS = [0, 3000, 4500, 9000, 12000, 13500, 18000, 21000, 22500, 27000, 30000, 31500, 36000]
BT709 = {"colorspace": 1, "color_range": 1, "color_primaries": 1, "color_trc": 1}


@pytest.fixture(scope="module")
def vfr_clip(tmp_path_factory):
    """853x479, variable frame rate, AAC audio, rotated 90 degrees, BT.709 tags."""
    path = tmp_path_factory.mktemp("clips") / "night.mp4"
    return make_clip(path, width=853, height=479, pts=VFR_PTS, pix_fmt="yuv444p", rotation=90, color=BT709)


def test_output_keeps_frames_size_timestamps_audio_rotation_colour(vfr_clip, weights, tmp_path, cli):
    out = tmp_path / "day.mp4"
    result = cli(vfr_clip, "-o", out, "--weights", weights, "--batch-size", "4")
    assert result.returncode == 0, result.stderr
    assert "13 frames" in result.stderr_lines[-1] and "decode" in result.stderr_lines[-1]
    src, dst = read_video(vfr_clip), read_video(out)
    assert (dst["width"], dst["height"]) == (853, 479)
    assert len(dst["times"]) == len(src["times"]) == len(VFR_PTS)
    tick = dst["time_base"]
    assert all(abs(a - b) <= tick for a, b in zip(src["times"], dst["times"], strict=True))
    assert [float(t) for t in src["times"]] == [p / 90000 for p in VFR_PTS]
    assert len(src["audio_packets"]) > 5 and dst["audio_packets"] == src["audio_packets"]
    assert dst["rotation"] == src["rotation"] == 90
    for key in ("colorspace", "color_range", "color_primaries", "color_trc"):
        assert dst[key] == BT709[key], key
    assert [p.name for p in tmp_path.iterdir()] == ["day.mp4"]  # no temporary file left


def test_pixels_are_the_models_output(vfr_clip, weights, tmp_path):
    """Lossless encode, smoothing and the detail step off: the file holds generator(frame) up to YUV rounding."""
    out = tmp_path / "lossless.mkv"
    config = PipelineConfig(
        input=vfr_clip, output=out, plan=make_plan(weights=weights, smoothing=SmoothingConfig(strength=0), detail=0),
        batch_size=3, progress=False, encoder=EncoderConfig(crf=0, pix_fmt="yuv444p"),
    )
    stats = run(config)
    assert stats.frames == len(VFR_PTS) and stats.enhance_s > 0 and stats.output == out
    generator = load_generator(weights)
    with av.open(str(vfr_clip)) as src, av.open(str(out)) as dst:
        pairs = zip(src.decode(video=0), dst.decode(video=0), strict=True)
        for i, (a, b) in enumerate(pairs):
            rgb = frame_to_rgb(floor_chroma(a), ColorInfo.from_frame(a))  # as the source decodes it
            x = to_model_input(torch.from_numpy(rgb)[None])
            with torch.no_grad():
                expected = to_uint8(generator(x, attention_map(x)))[0].numpy().astype(int)
            got = frame_to_rgb(b, ColorInfo.from_frame(b)).astype(int)
            assert np.abs(got - expected).mean() < 1.0, i
            assert np.percentile(np.abs(got - expected), 99.9) <= 4, i
            assert np.abs(got - rgb).mean() > 2, "the model changed nothing"


def test_batch_size_does_not_change_the_result(vfr_clip, weights, tmp_path):
    outputs = []
    for batch in (1, 5):
        out = tmp_path / f"b{batch}.mkv"
        run(PipelineConfig(input=vfr_clip, output=out, plan=make_plan(weights=weights), batch_size=batch,
                           progress=False, encoder=EncoderConfig(crf=0, pix_fmt="yuv444p")))
        outputs.append(np.stack(read_video(out)["images"]))
    assert np.abs(outputs[0].astype(int) - outputs[1]).max() <= 1


def test_subtitles_and_audio_copied_into_mkv(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "a.mp4", frames=10)
    srt = tmp_path / "s.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:00,200\nHello night\n\n2\n00:00:00,250 --> 00:00:00,400\nBye\n")
    src = tmp_path / "subbed.mkv"
    with av.open(str(clip)) as video, av.open(str(srt)) as subs, av.open(str(src), "w") as out:
        streams = {}
        for s in [*video.streams, *subs.streams]:
            streams[(s.container.name, s.index)] = out.add_stream_from_template(s)
        streams[(subs.name, 0)].metadata["language"] = "eng"
        for container in (video, subs):
            for packet in container.demux():
                if packet.size:
                    packet.stream = streams[(container.name, packet.stream.index)]
                    out.mux(packet)
    out_path = tmp_path / "out.mkv"
    result = cli(src, "-o", out_path, "--weights", weights, "-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --quiet

    def packets(path, kind):
        with av.open(str(path)) as c:
            stream = getattr(c.streams, kind)[0]
            lang = stream.metadata.get("language")
            return lang, [(bytes(p), p.pts) for p in c.demux(stream) if p.size]

    assert packets(out_path, "subtitles") == packets(src, "subtitles")
    assert packets(out_path, "subtitles")[1][0][0] == b"Hello night"
    assert packets(out_path, "audio")[1] and [b for b, _ in packets(out_path, "audio")[1]] == [
        b for b, _ in packets(src, "audio")[1]
    ]
    assert read_video(out_path)["streams"] == ["video", "audio", "subtitle"]
    # an MP4 cannot hold them as SRT: they are converted to its own mov_text, with a note (tests/stream/test_subtitles)
    mp4 = tmp_path / "out.mp4"
    result = cli(src, "-o", mp4, "--weights", weights)
    assert result.returncode == 0 and "was converted to mov_text" in result.stderr, result.stderr
    assert read_video(mp4)["streams"] == ["video", "audio", "subtitle"]


@pytest.mark.parametrize(
    "args, pix_fmt",
    [(["--codec", "libx265", "--preset", "ultrafast"], "yuv420p"), (["--codec", "mpeg4"], "yuv420p"),
     (["--pix-fmt", "yuv444p", "--crf", "30"], "yuv444p")],
)
def test_encoder_options(tmp_path, weights, cli, args, pix_fmt):
    clip = make_clip(tmp_path / "c.mp4", width=64, height=48, frames=6, audio=False)
    out = tmp_path / "o.mkv"
    result = cli(clip, "-o", out, "--weights", weights, "-q", *args)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.pix_fmt == pix_fmt
        assert sum(1 for _ in c.decode(s)) == 6
        if "libx265" in args:
            assert s.codec_context.name == "hevc"


@pytest.mark.parametrize("quality, preset, subme", [("fast", "auto", 2), ("fast", "fast", 6), ("balanced", "auto", 6)])
def test_auto_preset_is_veryfast_for_the_fast_quality(tmp_path, weights, quality, preset, subme):
    """x264 writes its settings into the stream: veryfast searches sub-pixels at level 2, fast at 6."""
    clip = make_clip(tmp_path / "c.mp4", width=64, height=48, frames=4, audio=False)
    out = tmp_path / "o.mp4"
    plan = make_plan(quality=quality, weights=weights, device="cpu", backend="torch")
    run(PipelineConfig(input=clip, output=out, plan=plan, progress=False, encoder=EncoderConfig(preset=preset)))
    assert f" subme={subme} ".encode() in out.read_bytes()


def test_odd_size_defaults_to_444_and_rejects_420(tmp_path, weights, cli):
    clip = make_clip(tmp_path / "odd.mp4", width=33, height=17, frames=3, pix_fmt="yuv444p", audio=False)
    bad = cli(clip, "-o", tmp_path / "o.mp4", "--weights", weights, "--pix-fmt", "yuv420p")
    assert bad.returncode == 2 and "even" in bad.stderr and not (tmp_path / "o.mp4").exists()
    assert cli(clip, "-o", tmp_path / "o.mp4", "--weights", weights, "-q").returncode == 0
    assert read_video(tmp_path / "o.mp4")["width"] == 33


def test_smoothing_steadies_the_enhancement_of_a_noisy_static_scene(tmp_path):
    """A generator whose residual is a constant 0.5 gives output = input + 0.5 * attention, so the
    change the pipeline adds (output - input) flickers exactly as much as the attention it is fed."""
    generator = build_generator(base_channels=8)
    with torch.no_grad():
        generator.conv10.weight.zero_()
        generator.conv10.bias.fill_(0.5)
    weights = save_weights(tmp_path / "const.safetensors", generator, provenance="test")
    clip = tmp_path / "static.mkv"
    rng = np.random.default_rng(0)
    base = rng.integers(10, 60, (48, 64, 3))
    with av.open(str(clip), "w") as c:
        s = c.add_stream("ffv1", rate=24)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv444p"
        for i in range(16):
            img = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv444p")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    with av.open(str(clip)) as c:  # as the source decodes it: chroma floored
        source = np.stack([frame_to_rgb(floor_chroma(f), ColorInfo.from_frame(f)) for f in c.decode(video=0)])
    source = source.astype(float)
    flicker = {}
    for strength, target in ((0.0, "correction"), (0.9, "correction"), (0.9, "attention"), (0.9, "both")):
        out = tmp_path / f"s{strength}{target}.mkv"
        plan = make_plan(weights=weights, smoothing=SmoothingConfig(strength=strength, target=target), detail=0)
        run(PipelineConfig(input=clip, output=out, plan=plan, progress=False, encoder=EncoderConfig(crf=0)))
        added = np.stack(read_video(out)["images"]).astype(float) - source
        assert added.mean() > 40  # 0.5 * attention (~0.85) * 127.5 code values
        flicker[strength, target] = added[4:].std(axis=0).mean()
    for target in ("correction", "attention", "both"):
        assert flicker[0.9, target] < 0.6 * flicker[0.0, "correction"], target


def test_help_documents_every_option(cli):
    result = cli("--help")
    assert result.returncode == 0
    for option in ("--output", "--weights", "--backend", "--device", "--batch-size", "--smoothing", "--codec",
                   "--crf", "--preset", "--pix-fmt", "--force", "--quiet", "--precision", "convert-weights"):
        assert option in result.stdout, option


def test_the_encoder_queue_holds_one_item_per_batch_with_its_audio(vfr_clip, weights, tmp_path, monkeypatch):
    """Audio packets ride with their batch's frames: the encoder queue's bound counts batches (one item per
    packet filled it with audio and blocked the model's thread, issue 17), and every packet still arrives."""
    from enlight.stream.apps import pipeline

    items = []
    put = pipeline._EncoderThread.put
    monkeypatch.setattr(pipeline._EncoderThread, "put", lambda self, item: (items.append(item), put(self, item))[1])
    out = tmp_path / "day.mp4"
    stats = run(PipelineConfig(input=vfr_clip, output=out, plan=make_plan(weights=weights), batch_size=4,
                               progress=False))
    batches = -(-len(VFR_PTS) // 4)
    frame_items = [frames for frames, _ in items if frames]
    assert stats.frames == len(VFR_PTS) and len(frame_items) == batches
    assert len(items) <= batches + 1  # at most one more: the packets after the last frame
    src, dst = read_video(vfr_clip), read_video(out)
    assert sum(len(packets) for _, packets in items) == len(src["audio_packets"]) > 5
    assert dst["audio_packets"] == src["audio_packets"]


def test_hdr_is_converted_to_sdr_or_kept_and_hevc_mp4_plays_on_apple(weights, tmp_path, cli):
    """A 10-bit PQ (HDR10-tagged) clip: by default converted to SDR BT.709 and written as 8-bit BT.709, with a
    note; with --hdr keep enhanced in its coded values, its tags kept, as 10-bit HEVC (10-bit H.264, written before,
    plays almost nowhere), with notes on both. x265 into .mp4 gets the hvc1 tag QuickTime needs."""
    pq = {"colorspace": 9, "color_range": 1, "color_primaries": 9, "color_trc": 16}
    clip = make_clip(tmp_path / "hdr.mkv", width=64, height=48, frames=6, pix_fmt="yuv420p10le", color=pq)
    sdr_out, kept_out = tmp_path / "sdr.mp4", tmp_path / "kept.mp4"
    result = cli(clip, "-o", sdr_out, "--weights", weights, "--denoise", "off")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr_lines if ": note: " in line]
    assert len(notes) == 1 and "HDR (PQ)" in notes[0] and "converted to SDR BT.709" in notes[0], result.stderr
    dst = read_video(sdr_out)
    assert len(dst["times"]) == 6 and all(dst[key] == 1 for key in pq), dst  # BT.709, limited range
    with av.open(str(sdr_out)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"

    result = cli(clip, "-o", kept_out, "--weights", weights, "--denoise", "off", "--hdr", "keep")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr_lines if ": note: " in line]
    assert any("HDR (PQ)" in line and "--hdr keep" in line for line in notes), result.stderr
    assert any("encoded with libx265: HDR is kept" in line for line in notes), result.stderr
    with av.open(str(kept_out)) as container:
        video = container.streams.video[0].codec_context
        assert (video.name, video.pix_fmt, container.streams.video[0].codec_tag) == ("hevc", "yuv420p10le", "hvc1")
    kept = read_video(kept_out)
    assert len(kept["times"]) == 6 and all(kept[key] == value for key, value in pq.items())
    # PQ code values read as SDR are brighter than the same light shown on SDR: the two paths differ
    assert np.mean(kept["images"][0]) != pytest.approx(np.mean(dst["images"][0]), abs=2)

    sdr = make_clip(tmp_path / "sdr_in.mp4", width=64, height=48, frames=6, color=BT709)
    hevc = tmp_path / "hevc.mp4"
    result = cli(sdr, "-o", hevc, "--weights", weights, "--codec", "libx265", "--denoise", "off")
    assert result.returncode == 0, result.stderr
    assert not any(": note: " in line for line in result.stderr_lines), result.stderr
    with av.open(str(hevc)) as container:
        assert container.streams.video[0].codec_tag == "hvc1"
        assert sum(1 for _ in container.decode(video=0)) == 6


def _hdr10_clip(path, frames: int = 4):
    """A 10-bit PQ HEVC clip with HDR10's static metadata, as a camera or a grading tool writes it."""
    params = ("master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50):"
              "max-cll=1000,400:log-level=error")
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx265", rate=25, options={"x265-params": params})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p10le"
        ctx = stream.codec_context
        ctx.colorspace, ctx.color_range, ctx.color_primaries, ctx.color_trc = 9, 1, 9, 16
        for i, rgb in enumerate(dark_frames(frames, 64, 48)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p10le")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _light_levels(path) -> tuple[int, int] | None:
    """(MaxCLL, MaxFALL) of the first frame's side data, read from FFmpeg's struct (two unsigned int32)."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    found = [bytes(d) for d in frame.side_data if d.type == av.sidedata.sidedata.Type.CONTENT_LIGHT_LEVEL]
    return struct.unpack_from("=II", found[0]) if found else None


def test_hdr10_metadata_is_kept_with_hdr_keep(weights, tmp_path, cli):
    """HDR10's mastering display and light levels were dropped with --hdr keep (PyAV cannot attach them to the
    frames): a TV then tone-mapped the picture for a master it did not have. libx265 is given them."""
    clip = _hdr10_clip(tmp_path / "graded.mp4")
    assert _light_levels(clip) == (1000, 400)
    out = tmp_path / "kept.mkv"
    result = cli(clip, "-o", out, "--weights", weights, "--hdr", "keep")
    assert result.returncode == 0, result.stderr
    assert _light_levels(out) == (1000, 400)
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
    kinds = [d.type for d in frame.side_data]
    assert av.sidedata.sidedata.Type.MASTERING_DISPLAY_METADATA in kinds
    h264 = tmp_path / "kept_h264.mp4"
    result = cli(clip, "-o", h264, "--weights", weights, "--hdr", "keep", "--codec", "libx264")
    assert result.returncode == 0, result.stderr
    assert _light_levels(h264) is None
    assert any("HDR10 metadata (mastering display 1000/0.005 cd/m2, MaxCLL 1000, MaxFALL 400) was not kept"
               in line for line in result.stderr_lines), result.stderr
    webm = tmp_path / "kept.webm"  # this FFmpeg's VP9 has no 10 bits: AV1, given them too
    result = cli(clip, "-o", webm, "--weights", weights, "--hdr", "keep")
    assert result.returncode == 0, result.stderr
    assert any("encoded with libsvtav1" in line for line in result.stderr_lines), result.stderr
    assert "Svt[" not in result.stderr  # its banner, printed by the trial that found the .webm takes it
    assert _light_levels(webm) == (1000, 400)
    result = cli(clip, "-o", tmp_path / "sdr.mp4", "--weights", weights)  # converted to SDR: nothing to say of it
    assert result.returncode == 0 and "HDR10 metadata" not in result.stderr, result.stderr


def _bit_fields(fields: list[tuple[int, int]]) -> bytes:
    """(value, width in bits) fields written MSB first, padded with zeros to a whole byte."""
    acc = width = 0
    for value, bits in fields:
        acc, width = (acc << bits) | value, width + bits
    pad = -width % 8
    return (acc << pad).to_bytes((width + pad) // 8, "big")


def _hdr10_plus_sei() -> bytes:
    """An HEVC prefix SEI NAL unit holding one window of HDR10+ (SMPTE ST 2094-40, ITU-T T.35) metadata: what a
    Samsung phone or an HDR10+ grade writes before each frame (this FFmpeg's libx265 is built without it)."""
    fields = [(0xB5, 8), (0x003C, 16), (0x0001, 16), (4, 8), (1, 8), (1, 2), (400, 27), (0, 1)]  # US, Samsung
    fields += [(40000, 17)] * 3 + [(5000, 17), (9, 4)]  # maxscl, average maxrgb, 9 percentiles
    fields += [f for percentage, i in zip((1, 5, 10, 25, 50, 75, 90, 95, 99), range(9), strict=True)
               for f in ((percentage, 7), (i * 1000, 17))]
    payload = _bit_fields(fields + [(0, 10), (0, 1), (0, 1), (0, 1)])
    return sei_unit(b"\x4e\x01", 4, payload)  # HEVC prefix SEI (NAL type 39), payload type 4: ITU-T T.35


def test_hdr10_plus_metadata_gets_a_note_with_hdr_keep(weights, tmp_path, cli):
    """HDR10+ (per-scene tone mapping) was dropped without a word with --hdr keep; it describes the dark original's
    brightness, so it is not carried over, and the note says so. Converted to SDR, there is nothing to say."""
    sei = _hdr10_plus_sei()
    clip = with_sei(tmp_path / "samsung.mp4", _hdr10_clip(tmp_path / "graded.mp4"), lambda i: sei)
    with av.open(str(clip)) as container:
        frame = next(container.decode(video=0))
    assert av.sidedata.sidedata.Type.DYNAMIC_HDR_PLUS in [d.type for d in frame.side_data]
    result = cli(clip, "-o", tmp_path / "kept.mp4", "--weights", weights, "--hdr", "keep")
    assert result.returncode == 0, result.stderr
    assert any("note: its HDR10+ metadata (the display's tone mapping, scene by scene) was not kept" in line
               for line in result.stderr_lines), result.stderr
    assert _light_levels(tmp_path / "kept.mp4") == (1000, 400)  # the static metadata is
    result = cli(clip, "-o", tmp_path / "sdr.mp4", "--weights", weights)
    assert result.returncode == 0 and "HDR10+" not in result.stderr, result.stderr


def _anamorphic_chaptered_clip(path, frames=50):
    """A QuickTime file of 720x480-style non-square pixels (SAR 32:27), a timecode and two chapters."""
    return chaptered_clip(path, frames=frames, width=96, height=64, gop=10, chapter_ms=1000,
                          sample_aspect=Fraction(32, 27))


def _kept(path):
    with av.open(str(path)) as c:
        video = c.streams.video[0]
        timecodes = [s.metadata.get("timecode") for s in c.streams]
        return (video.sample_aspect_ratio, [(ch["start"] * ch["time_base"], ch["metadata"]["title"])
                                            for ch in c.chapters()], "01:02:03:04" in timecodes)


@pytest.mark.parametrize("args", [[], ["--segments", "2"]], ids=["one", "segments"])
def test_pixel_aspect_chapters_and_timecode_are_kept(tmp_path, weights, cli, args):
    src = _anamorphic_chaptered_clip(tmp_path / "cctv.mov")
    assert _kept(src) == (Fraction(32, 27), [(0, "Gate"), (1, "Yard")], True)
    out = tmp_path / "out.mov"
    result = cli(src, "-o", out, "--weights", weights, "--quality", "best", *args)
    assert result.returncode == 0, result.stderr
    assert "not copied" not in result.stderr  # the timecode track is written again, not reported lost
    assert _kept(out) == _kept(src)
    assert read_video(out)["streams"] == read_video(src)["streams"]  # the chapter track is not copied as subtitles
    # stopped early: only the chapters that start inside the output, cut at its end
    short = tmp_path / "short.mp4"
    assert cli(src, "-o", short, "--weights", weights, "--max-frames", "20", "-q").returncode == 0
    with av.open(str(short)) as c:
        chapters = [(ch["metadata"]["title"], ch["end"] * ch["time_base"]) for ch in c.chapters()]
    assert chapters == [("Gate", Fraction(4, 5))]


def _interlaced_clip(path, field: str, frames=6, *, colours: tuple[int, int] | None = None):
    """An interlaced H.264 clip of 64x48, fields coded and flagged ``field`` ('tff' or 'bff') first, the two fields
    40 codes apart, as when something moved. ``colours``: (AVColorSpace, AVColorRange) its frames and stream are
    tagged with, and then the picture is coloured noise (a matrix conversion changes its luma), not grey."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        if colours is not None:
            stream.codec_context.colorspace, stream.codec_context.color_range = colours
        stream.codec_context.flags |= av.codec.context.Flags.interlaced_dct | av.codec.context.Flags.interlaced_me
        graph = av.filter.Graph()
        chain = [graph.add_buffer(width=64, height=48, format="yuv420p", time_base=Fraction(1, 25)),
                 graph.add("setfield", field), graph.add("buffersink")]
        chain[0].link_to(chain[1])
        chain[1].link_to(chain[2])
        graph.configure()
        rows = np.arange(48)[:, None, None] % 2 * 40
        picture = 20 if colours is None else np.random.default_rng(0).integers(0, 120, (48, 64, 3))
        for i in range(frames):
            rgb = np.broadcast_to(rows + picture + 3 * i, (48, 64, 3)).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            if colours is not None:
                frame.colorspace, frame.color_range = colours
            graph.push(frame)
            out.mux(stream.encode(graph.pull()))
        out.mux(stream.encode())
    return path


def _fields(path):
    """(interlaced, FFmpeg's field order) of the first frame, by its flags (the stream-level order is not
    reliable for bottom-first H.264)."""
    with av.open(str(path)) as c:
        first = next(c.decode(c.streams.video[0]))
        return first.interlaced_frame, field_order(first)


@pytest.mark.parametrize("field, order", [("tff", 2), ("bff", 3)])
def test_interlaced_video_stays_interlaced_in_its_field_order(tmp_path, weights, cli, field, order):
    src = _interlaced_clip(tmp_path / "dvd.mkv", field)
    assert _fields(src) == (True, order)
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert _fields(out) == (True, order)  # written progressive, a player would show the combs
    hevc = tmp_path / "out265.mkv"  # an encoder that cannot code fields says so
    result = cli(src, "-o", hevc, "--weights", weights, "--codec", "libx265", "--preset", "ultrafast")
    assert result.returncode == 0 and "interlaced" in result.stderr and _fields(hevc)[0] is False


def test_a_killed_runs_temporary_is_removed_by_the_next_run(tmp_path, weights, cli):
    """``kill -9`` (or running out of memory) leaves the hidden temporary; the next run for the same output
    deletes it, but not one that another run is writing now."""
    import os
    import time

    clip = make_clip(tmp_path / "night.mp4", frames=4)
    out = tmp_path / "day.mp4"
    stale, live = tmp_path / ".day.enlight-0123abcd.mp4", tmp_path / ".day.enlight-89abcdef.mp4"
    for path in (stale, live):
        path.write_bytes(b"half a file")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    assert cli(clip, "-o", out, "--weights", weights, "-q").returncode == 0
    assert out.exists() and not stale.exists() and live.exists()


def test_pcm_audio_into_mp4_is_copied_with_a_note(tmp_path, weights, cli):
    """A DVR's AVI or MKV with PCM audio whose two channels have no order (a WAV without a channel mask): into
    .mp4 the samples are kept (MP4 refused the unordered layout when the file was closed, after all the work),
    and the note says how to keep them playable in common players; into .mov there is nothing to say."""
    src = tmp_path / "dvr.mkv"
    with av.open(str(src), "w") as out:
        video, audio = out.add_stream("libx264", rate=25), out.add_stream("pcm_s16le", rate=8000)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.codec_context.gop_size = 5  # keyframes to split at, for --segments
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 + i, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
            samples = av.AudioFrame.from_ndarray(np.full((1, 320), 100 * i, np.int16), format="s16", layout="mono")
            samples.sample_rate, samples.pts = 8000, i * 320
            out.mux(audio.encode(samples))
        out.mux(video.encode())
        out.mux(audio.encode())

    def pcm(path):
        with av.open(str(path)) as c:
            return b"".join(bytes(p) for p in c.demux(c.streams.audio[0]) if p.size)

    with av.open(str(src)) as c:
        assert c.streams.audio[0].codec_context.layout.name == "2 channels"  # no order

    for suffix, noted in ((".mp4", True), (".mov", False)):
        result = cli(src, "-o", tmp_path / f"out{suffix}", "--weights", weights)
        assert result.returncode == 0, result.stderr
        assert ("'ipcm'" in result.stderr) == noted and pcm(tmp_path / f"out{suffix}") == pcm(src)
    joined = tmp_path / "joined.mp4"  # the segments' join copies the audio too
    assert cli(src, "-o", joined, "--weights", weights, "--segments", "2", "-q").returncode == 0
    assert pcm(joined) == pcm(src)


def test_a_stream_an_output_cannot_hold_names_one_that_can(tmp_path, weights, cli):
    """An IP camera's G.711 (mu-law) audio fits a .mov but neither an .mp4 nor a .mkv: it is encoded again as AAC
    there (tests/stream/test_audio_convert.py), and the note says a .mov keeps it as it is."""
    src = tmp_path / "ipcam.mov"
    with av.open(str(src), "w") as out:
        video, audio = out.add_stream("libx264", rate=25), out.add_stream("pcm_mulaw", rate=8000, layout="mono")
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 30, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
            samples = av.AudioFrame.from_ndarray(np.zeros((1, 320), np.int16), format="s16", layout="mono")
            samples.sample_rate, samples.pts = 8000, i * 320
            out.mux(audio.encode(samples))
        out.mux(video.encode())
        out.mux(audio.encode())
    for suffix in (".mp4", ".mkv"):
        result = cli(src, "-o", tmp_path / f"out{suffix}", "--weights", weights)
        assert result.returncode == 0, result.stderr
        assert f"(pcm_mulaw) was encoded again as AAC 48 kb/s: a {suffix} file cannot hold pcm_mulaw; a .mov " \
               "output keeps it as it is" in result.stderr


def test_a_size_change_mid_stream_is_scaled_to_the_first_size(tmp_path, weights, cli):
    """A recorder that switched resolution (or two MPEG-TS clips joined end to end): the frames of the second
    size are scaled to the first, as FFmpeg does, with a note; it was an internal error."""
    parts = [make_clip(tmp_path / f"{w}.ts", width=w, height=h, frames=6, audio=False) for w, h in ((64, 48), (96, 64))]
    src = tmp_path / "joined.ts"
    src.write_bytes(b"".join(p.read_bytes() for p in parts))
    out = tmp_path / "out.mp4"
    result = cli(src, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    assert "picture size changed from 64x48 to 96x64" in result.stderr
    # 96x64 is another shape: it was stretched to fill the picture; it is fitted inside it, its shape kept
    assert "frame 7 and others of another shape (96x64) were scaled to fit inside 64x48, keeping their shape, with " \
           "black bars above and below" in result.stderr
    video = read_video(out)
    assert (video["width"], video["height"]) == (64, 48) and len(video["times"]) == 12


def test_mpeg2_video_at_its_frame_rates_and_a_clear_error_otherwise(tmp_path, weights, cli):
    """MPEG-2 (DVD) takes one tick per frame at a standard rate: it failed on every input ('Invalid argument',
    the source's 1/12800 time base); a 15 fps source is told which rates it takes."""
    pal = make_clip(tmp_path / "pal.mp4", frames=6, rate=25)
    out = tmp_path / "dvd.mkv"
    result = cli(pal, "-o", out, "--weights", weights, "--codec", "mpeg2video", "-q")
    assert result.returncode == 0, result.stderr
    assert len(read_video(out)["times"]) == 6
    # an MPEG program stream refuses the AAC only when its header is written (it was an error that named the
    # stream); the sound is now encoded again as MPEG audio layer 2 (tests/stream/test_audio_convert.py)
    result = cli(pal, "-o", tmp_path / "dvd.mpg", "--weights", weights, "--codec", "mpeg2video")
    assert result.returncode == 0 and "audio stream #1 (aac) was encoded again as MPEG audio layer 2" in result.stderr
    assert "a .mkv or .mov or .mp4 output keeps it as it is" in result.stderr
    slow = make_clip(tmp_path / "cctv.mp4", frames=6, rate=15)
    result = cli(slow, "-o", tmp_path / "cctv.mpg", "--weights", weights, "--codec", "mpeg2video")
    assert result.returncode == 2 and "takes only the frame rates" in result.stderr and "15 fps" in result.stderr


def test_a_container_that_does_not_take_the_codec_names_one_it_does(tmp_path, weights, cli):
    """``-o out.webm --codec libx264`` was an internal error; now one line that names VP9."""
    clip = make_clip(tmp_path / "night.mp4", frames=4, audio=False)
    out = tmp_path / "day.webm"
    result = cli(clip, "-o", out, "--weights", weights, "--codec", "libx264")
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert "cannot hold libx264 video: use --codec libvpx-vp9" in result.stderr and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["night.mp4"]  # no temporary left


def test_an_ogv_output_has_the_videos_frame_rate_and_times(tmp_path, weights, cli):
    """An .ogv was written in the source's ticks (1/12800 s): its readers took that for the frame rate (12800 fps)
    and the first frame came out 1 tick before the second (511 and 512, where 0 and 512 were written)."""
    clip = make_clip(tmp_path / "night.mp4", frames=6, rate=25, audio=False)
    out = tmp_path / "day.ogv"
    result = cli(clip, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as c:
        assert c.streams.video[0].guessed_rate == 25
    assert read_video(out)["times"] == [Fraction(i, 25) for i in range(6)]


@pytest.mark.parametrize("suffix, codec", [(".webm", "vp9"), (".ogv", "vp8"), (".gif", "gif"), (".mp4", "h264")])
def test_the_default_codec_is_one_the_output_takes(tmp_path, weights, cli, suffix, codec):
    """Without --codec, H.264 where the kind of file holds it, else its own (as FFmpeg picks): one note says so."""
    clip = make_clip(tmp_path / "night.mp4", frames=4, audio=False)
    out = tmp_path / f"day{suffix}"
    result = cli(clip, "-o", out, "--weights", weights)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == codec
        assert sum(1 for _ in c.decode(video=0)) == 4
    notes = [line for line in result.stderr_lines if "cannot hold H.264" in line]
    assert len(notes) == (codec != "h264") and "x265" not in result.stderr
