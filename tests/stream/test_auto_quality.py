"""--quality auto (the default) and balanced's runtime by the CPU: the choice from a given cost table,
size and device (no timing), the runtime from given CPU flags, the first line and summary, --dry-run."""

import subprocess
import sys

import pytest
import torch

from enlight.stream.core.auto_quality import Workload, choose_quality, duration
from enlight.stream.core.cpu_kind import FLAGS_ENV, balanced_runtime, cpu_flags, cpu_kind, has_int8_dot
from enlight.stream.core.preset_costs import COSTS, CostTable, PresetCost
from tests.conftest import REPO
from tests.media import make_clip

# made-up costs: best 1 s per megapixel, balanced 0.2 s (int8) or 0.39 s (float), fast 0.02 s; 2 s to start
TABLE = CostTable(where="costs measured on a test machine", kind="avx512_vnni", costs={
    ("best", "onnxruntime"): PresetCost(ms_per_mp=1000.0, startup_s=2.0),
    ("balanced", "onnxruntime int8"): PresetCost(ms_per_mp=200.0, startup_s=2.0),
    ("balanced", "onnxruntime"): PresetCost(ms_per_mp=390.0, startup_s=2.0),
    ("fast", "onnxruntime"): PresetCost(ms_per_mp=20.0, startup_s=2.0),
})
INT8 = {"best": "onnxruntime", "balanced": "onnxruntime int8", "fast": "onnxruntime"}
FLOAT = {**INT8, "balanced": "onnxruntime"}


def video(width, height, frames=300, fps=25.0):
    return Workload("video", width, height, frames, fps)


@pytest.mark.parametrize("workload, runtimes, quality", [
    (video(200, 100), INT8, "best"),         # 0.02 MP: best 50 fps >= 12.5
    (video(500, 400), INT8, "balanced"),     # 0.2 MP: best 5 fps, balanced 25 fps
    (video(500, 400), FLOAT, "balanced"),    # balanced float 12.8 fps: just reaches it
    (video(500, 400, fps=60), FLOAT, "fast"),  # target 30 fps: balanced float no longer reaches it
    (video(854, 480), INT8, "fast"),         # 0.41 MP: balanced 12.2 fps < 12.5, fast 122 fps
    (video(3840, 2160), INT8, "fast"),       # 8.3 MP: none reaches 12.5 fps: the fastest
])
def test_auto_picks_the_best_preset_that_reaches_half_the_frame_rate(workload, runtimes, quality):
    choice = choose_quality(workload, runtimes, "cpu", TABLE)
    assert choice.quality == quality, choice.why
    assert dict(choice.seconds_per_frame) == pytest.approx(
        {q: TABLE.costs[q, runtimes[q]].ms_per_mp * workload.megapixels / 1000 for q in runtimes})


def test_the_reason_names_the_target_the_estimates_and_where_the_costs_come_from():
    choice = choose_quality(video(854, 480, fps=30.0), INT8, "cpu", TABLE)
    assert choice.why == ("quality auto -> fast, the best preset reaching 15 fps (0.5 x 30 fps) at 854x480 here: "
                          "estimated best 2.4, balanced 12, fast 122 fps (costs measured on a test machine)")
    elsewhere = choose_quality(video(854, 480, fps=30.0), INT8, "cpu", TABLE, speed=0.1, cpu="avx2")
    assert elsewhere.quality == "balanced" and "reaching 3 fps (0.1 x 30 fps)" in elsewhere.why
    assert elsewhere.why.endswith("fps (costs measured on a test machine)")
    assert elsewhere.first_line.endswith(
        "(costs measured on a test machine; this CPU has AVX2 (no AVX-512, no VNNI): expect other speeds)")
    none = choose_quality(Workload("video", 3840, 2160), INT8, "cpu", TABLE)
    assert none.why.startswith("quality auto -> fast, the fastest, though none reaches 12.5 fps "
                               "(0.5 x 25 fps, assumed) at 3840x2160 here")


def test_the_first_line_gives_the_estimate_and_the_flags_of_the_better_presets():
    choice = choose_quality(video(1000, 1000, frames=300), INT8, "cpu", TABLE)  # 1 MP
    # fast: 2 s + 300 x 0.02 s = 8 s; balanced: 2 + 60 = 62 s; best: 2 + 300 = 302 s = 5 min
    assert choice.first_line == ("quality auto -> fast: about 8 s for 300 frames at 1000x1000 on this CPU; "
                                 "--quality balanced for the base-16 student at full size (about 62 s), "
                                 "--quality best for the full generator (about 5 min)")
    small = choose_quality(video(200, 100, frames=30), INT8, "cpu", TABLE)
    assert small.first_line == ("quality auto -> best: about 3 s for 30 frames at 200x100 on this CPU "
                                "(the full generator)")
    unknown = choose_quality(Workload("video", 1000, 1000, None, 25.0), INT8, "cpu", TABLE)
    assert "about 20 ms per frame at 1000x1000" in unknown.first_line and "about 1.0 s per frame" in unknown.first_line
    narrow = choose_quality(video(1000, 1000, frames=300), INT8, "cpu", TABLE, narrow=frozenset({"balanced"}))
    assert "--quality balanced for the base-12 student at full size (about 62 s)" in narrow.first_line


def test_a_video_no_preset_keeps_up_with_is_offered_a_smaller_size():
    """A 4K phone clip on a laptop: every preset under half its frame rate, and the line said so and no more; it
    now offers the largest --size NNNp at which the fastest reaches it."""
    slow = TableWithFast(ms_per_mp=60.0)  # fast 2 fps at 4K (8.3 MP), 8 fps at 1080p, 18 fps at 720p: >= 12.5
    choice = choose_quality(video(3840, 2160, frames=300), INT8, "cpu", slow)
    assert choice.quality == "fast"
    assert choice.first_line.endswith("; at --size 720p, fast near half the frame rate (about 19 s)")  # 2 + 300 x 0.055
    portrait = choose_quality(video(2160, 3840, frames=None), INT8, "cpu", slow)
    assert portrait.first_line.endswith("; at --size 720p, fast near half the frame rate (about 18 fps)")
    hopeless = choose_quality(video(3840, 2160, fps=1000.0), INT8, "cpu", slow)
    assert "--size" not in hopeless.first_line  # (not even at 360p)
    kept_up = choose_quality(video(1000, 1000, frames=300), INT8, "cpu", TABLE)
    assert "--size" not in kept_up.first_line


def TableWithFast(ms_per_mp: float) -> CostTable:  # noqa: N802 (a table like TABLE, fast at another cost)
    return CostTable(where=TABLE.where, kind=TABLE.kind,
                     costs={**TABLE.costs, ("fast", "onnxruntime"): PresetCost(ms_per_mp=ms_per_mp, startup_s=2.0)})


def test_auto_names_the_student_balanced_runs_on_this_kind_of_cpu(monkeypatch):
    """On a CPU without int8 dot products balanced runs its base-12 float student: the first line says so."""
    from enlight.stream.core.plan import resolve_auto

    for flags, student in (("avx2 fma", "base-12"), ("avx2 fma avx512f avx512_vnni", "base-16")):
        monkeypatch.setenv("ENLIGHT_CPU_FLAGS", flags)
        choice = resolve_auto(video(854, 480, frames=300), model="enlightengan", weights=None, precision="auto",
                              device=torch.device("cpu"), runtime="onnxruntime", live=False)
        assert f"--quality balanced for the {student} student at full size" in choice.first_line


@pytest.mark.parametrize("workload, device, quality, words", [
    (video(3840, 2160), "cuda", "best", "on a GPU"),
    (Workload("photo"), "cpu", "best", "for one photo"),
    (Workload("live"), "cpu", "fast", "a live run on a CPU"),
    (Workload("stream"), "cpu", "fast", "a stream on a CPU"),
])
def test_without_estimates_gpu_photo_live_and_streams(workload, device, quality, words):
    choice = choose_quality(workload, INT8, device, TABLE)
    assert choice.quality == quality and words in choice.why and choice.seconds_per_frame == ()
    assert "--quality" in choice.first_line


def test_a_runtime_without_measured_costs_keeps_best():
    choice = choose_quality(video(854, 480), {q: "tensorrt" for q in INT8}, "cpu", TABLE)
    assert choice.quality == "best" and "no measured costs for tensorrt" in choice.why


def test_durations_read_naturally():
    assert [duration(s) for s in (0.2, 12.4, 89, 95, 3000, 5400, 9000)] == [
        "1 s", "12 s", "89 s", "2 min", "50 min", "1.5 h", "2.5 h"]


def test_the_package_table_is_measured_for_every_cpu_runtime_of_every_preset():
    from enlight.stream.core.choices import QUALITIES

    for quality in QUALITIES:
        assert (quality, "onnxruntime") in COSTS.costs and COSTS.costs[quality, "onnxruntime"].ms_per_mp > 0
    assert ("balanced", "onnxruntime int8") in COSTS.costs
    assert "measured on" in COSTS.where and COSTS.kind == cpu_kind(frozenset(["avx512_vnni"]))
    per_frame = {q: COSTS.costs[q, r].ms_per_mp for q, r in INT8.items()}
    assert per_frame["best"] > per_frame["balanced"] > per_frame["fast"]


# --- balanced's runtime by the CPU's flags --------------------------------------------------------

ZEN4 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma avx512f avx512_vnni avx512_bf16\n"
LAPTOP = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n"
ALDER = "flags\t\t: avx2 fma avx_vnni\n"
SAPPHIRE = "flags\t\t: avx2 avx512f avx512_vnni amx_tile amx_int8 amx_bf16\n"
GRAVITON = "processor\t: 0\nFeatures\t: fp asimd crc32 atomics asimddp\n"


@pytest.mark.parametrize("cpuinfo, kind, runtime", [
    (ZEN4, "avx512_vnni", "int8"), (LAPTOP, "avx2", "float"), (ALDER, "avx_vnni", "int8"),
    (SAPPHIRE, "amx", "int8"), (GRAVITON, "arm_dot", "int8"), ("", "other", "float"),
])
def test_balanced_runs_int8_only_where_the_cpu_has_int8_dot_products(cpuinfo, kind, runtime):
    flags = cpu_flags(cpuinfo)
    assert cpu_kind(flags) == kind and balanced_runtime(flags) == runtime
    assert has_int8_dot(flags) == (runtime == "int8")


def test_the_environment_overrides_the_flags(monkeypatch):
    monkeypatch.setenv(FLAGS_ENV, "avx2,fma")
    assert cpu_flags() == {"avx2", "fma"} and balanced_runtime(cpu_flags()) == "float"
    monkeypatch.delenv(FLAGS_ENV)
    assert cpu_flags() == cpu_flags(open("/proc/cpuinfo").read()) if sys.platform == "linux" else True


@pytest.mark.parametrize("flags, int8, label", [("avx2 fma", False, "onnxruntime"),
                                                ("avx2 avx512f avx512_vnni", True, "onnxruntime int8"),
                                                ("avx2 avx_vnni", True, "onnxruntime int8")])
def test_the_plan_follows_the_flags(flags, int8, label, monkeypatch):
    pytest.importorskip("onnxruntime")
    from enlight.models.bundled import WEIGHTS_DIR
    from enlight.stream.core.plan import make_plan

    monkeypatch.setenv(FLAGS_ENV, flags)
    plan = make_plan(quality="balanced", backend="onnxruntime", device="cpu")
    assert (plan.int8_model is not None) == int8 and plan.label == label
    # int8: made from the base-16 student; no int8 dot products: the narrower base-12 float student
    assert plan.weights == WEIGHTS_DIR / ("enlightengan_c16.safetensors" if int8 else "enlightengan_c12.safetensors")
    auto = make_plan(quality="auto", backend="onnxruntime", device="cpu", workload=video(500, 400))
    assert auto.auto.quality == auto.quality
    assert auto.auto == choose_quality(video(500, 400), {**FLOAT, "balanced": label}, "cpu", COSTS,
                                       cpu=cpu_kind(frozenset(flags.split())),
                                       narrow=frozenset() if int8 else frozenset({"balanced"}))


def test_plans_for_own_weights_live_runs_and_old_callers(weights):
    from enlight.stream.core.plan import make_plan

    own = make_plan(quality="auto", device="cpu", backend="torch", weights=weights, workload=video(3840, 2160))
    assert own.quality == "best" and f"--weights {weights.name} runs at full size (it records no reduced size)" in \
        own.auto.why
    assert make_plan(quality="auto", device="cpu", backend="torch", live=True).quality == "fast"
    assert make_plan(device="cpu", backend="torch").auto is None  # quality None: the old default, no auto
    torch_plan = make_plan(quality="auto", device="cpu", backend="torch", workload=video(854, 480))
    assert torch_plan.quality == "best" and "no measured costs for torch" in torch_plan.auto.why
    assert torch_plan.auto.why in torch_plan.describe() and "estimate:" not in torch_plan.describe()
    pytest.importorskip("onnxruntime")
    plan = make_plan(quality="auto", device="cpu", backend="onnxruntime", workload=video(854, 480))
    assert plan.auto.why in plan.describe() and f"estimate: {plan.auto.first_line}" in plan.describe()


# --- the command line ---------------------------------------------------------------------------

def test_probing_a_file_reads_its_header_without_torch(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", width=96, height=64, frames=10, rate=30)
    code = ("import sys; from enlight.cli.video import probe_workload; "
            "from enlight.stream.io.locations import input_location; "
            f"w = probe_workload(input_location({str(clip)!r})); print(w.kind, w.width, w.height, w.frames, w.fps); "
            f"print(probe_workload(input_location({str(clip)!r}), 4).frames); "
            "print('torch imported' if 'torch' in sys.modules else 'no torch')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.stdout.split("\n")[:3] == ["video 96 64 10 30.0", "4", "no torch"], out.stderr


def test_dry_run_shows_the_choice_and_the_estimate(tmp_path, cli):
    clip = make_clip(tmp_path / "c.mp4", width=854, height=480, frames=3, audio=False)
    result = cli(clip, "-o", tmp_path / "o.mp4", "--device", "cpu", "--dry-run")
    assert result.returncode == 0, result.stderr
    want = choose_quality(Workload("video", 854, 480, 3, 24.0), INT8 if has_int8_dot(cpu_flags()) else FLOAT,
                          "cpu", COSTS, cpu=cpu_kind(cpu_flags()))
    lines = result.stdout.splitlines()
    assert lines[0] == want.why and lines[1] == f"estimate: {want.first_line}"
    assert f"model: enlightengan ({want.quality})" in result.stdout
    assert not (tmp_path / "o.mp4").exists()
    named = cli(clip, "-o", tmp_path / "o.mp4", "--device", "cpu", "--dry-run", "--quality", "balanced",
                env={FLAGS_ENV: "avx2 fma"})
    assert "quality auto" not in named.stdout and "runtime: onnxruntime on cpu" in named.stdout
    assert "the base-12 float student: this CPU has no int8 dot products" in named.stdout
    assert "enlightengan_c12.safetensors" in named.stdout


def test_a_run_prints_the_estimate_first_and_the_choice_in_its_summary(tmp_path, cli):
    clip = make_clip(tmp_path / "c.mp4", width=64, height=48, frames=3, audio=False)
    result = cli(clip, "-o", tmp_path / "o.mp4", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    lines = result.stderr_lines
    assert lines[0].startswith("enlight-video: quality auto -> best: about ") and "3 frames at 64x48" in lines[0]
    assert lines[-1].startswith("enlight-video: quality auto -> best, the best preset reaching 12 fps (0.5 x 24 fps)")
    assert "; 3 frames in " in lines[-1] and lines[-1].endswith("o.mp4")
    quiet = cli(clip, "-o", tmp_path / "q.mp4", "--device", "cpu", "--quality", "best")
    assert "quality auto" not in quiet.stderr


def test_a_photo_keeps_best_and_says_so(tmp_path, cli):
    import av
    import numpy as np

    photo = tmp_path / "dusk.png"
    with av.open(str(photo), "w", format="image2") as container:
        stream = container.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 32, 24, "rgb24"
        container.mux(stream.encode(av.VideoFrame.from_ndarray(np.full((24, 32, 3), 20, np.uint8), format="rgb24")))
        container.mux(stream.encode(None))
    result = cli(photo, "-o", tmp_path / "day.png", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert result.stderr_lines[-1].startswith("enlight-video: quality auto -> best: the full generator for one "
                                              "photo; 32x24 8-bit photo in ")


def test_a_big_photo_gets_an_estimate_and_the_faster_flag():
    """A 12-megapixel phone photo takes a while with best on a CPU: the first line says how long, and what
    --quality fast would take; a small photo keeps the plain choice."""
    big = choose_quality(Workload("photo", 4000, 3000), INT8, "cpu", TABLE)
    assert big.quality == "best" and dict(big.seconds_per_frame)["best"] == pytest.approx(2.0 + 12.0)
    assert "about 14 s for this 4000x3000 photo" in big.first_line and "--quality fast" in big.first_line
    assert "--quality balanced for the base-16 student at full size (about 4 s)" in big.first_line  # 2 + 12 x 0.2
    narrow = choose_quality(Workload("photo", 4000, 3000), FLOAT, "cpu", TABLE, narrow=frozenset({"balanced"}))
    assert "--quality balanced for the base-12 student at full size (about 7 s)" in narrow.first_line  # 2 + 12 x 0.39
    elsewhere = choose_quality(Workload("photo", 4000, 3000), FLOAT, "cpu", TABLE, cpu="avx2")
    assert elsewhere.first_line.endswith(
        "(costs measured on a test machine; this CPU has AVX2 (no AVX-512, no VNNI): expect other speeds)")
    small = choose_quality(Workload("photo", 640, 480), INT8, "cpu", TABLE)
    assert small.quality == "best" and small.seconds_per_frame == ()


def test_a_16_bit_photo_is_estimated_with_its_16_bit_pass():
    """A 16-bit photo written 16-bit runs the model twice more at full size (photo_deep): 136.6 s where its 8-bit
    estimate said 57 for a 12 MP RAW. best and balanced get the pass (1.5 times their model time), fast does not."""
    eight = dict(choose_quality(Workload("photo", 4000, 3000), INT8, "cpu", TABLE).seconds_per_frame)
    deep = choose_quality(Workload("photo", 4000, 3000, sixteen_bit=True), INT8, "cpu", TABLE)
    seconds = dict(deep.seconds_per_frame)
    assert seconds["best"] == pytest.approx(eight["best"] + 1.5 * 12.0)  # 2 s start-up + 12 s of model, + 18
    assert seconds["balanced"] == pytest.approx(eight["balanced"] + 1.5 * 2.4) and seconds["fast"] == eight["fast"]
    assert "about 32 s for this 4000x3000 16-bit photo" in deep.first_line


def test_probe_workload_tells_a_photo_made_at_16_bits(tmp_path):
    import av
    import numpy as np
    from PIL import Image

    from enlight.stream.apps.workload import probe_workload
    from enlight.stream.io.locations import input_location
    from tests.dng import write_dng

    raw = write_dng(tmp_path / "night.dng", np.full((48, 64, 3), 0.02))
    deep_png = tmp_path / "deep.png"
    with av.open(str(deep_png), "w", format="image2") as container:
        stream = container.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "rgb48be"
        container.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint16), format="rgb48le")))
        container.mux(stream.encode(None))
    flat_png = tmp_path / "flat.png"
    Image.new("RGB", (64, 48)).save(flat_png)

    def sixteen(path, output=None):
        return probe_workload(input_location(str(path)), output=output).sixteen_bit

    assert sixteen(raw) and sixteen(raw, tmp_path / "day.tif") and not sixteen(raw, tmp_path / "day.jpg")
    assert sixteen(deep_png) and not sixteen(deep_png, tmp_path / "day.webp") and not sixteen(flat_png)
    assert probe_workload(input_location(str(raw))).width == 64


def test_a_photo_is_estimated_from_the_photo_line_or_the_video_cost_whichever_is_longer():
    """A photo costs more per megapixel than a video frame, and more the bigger it is: its own line (measured at two
    sizes, below zero at 0 MP) where that is the longer estimate, the video cost where the line falls under it."""
    table = CostTable(where=TABLE.where, kind=TABLE.kind, costs=TABLE.costs, photo={
        ("best", "onnxruntime"): PresetCost(ms_per_mp=2000.0, startup_s=-6.0),
        ("fast", "onnxruntime"): PresetCost(ms_per_mp=50.0, startup_s=0.5)})
    big = choose_quality(Workload("photo", 4000, 3000), INT8, "cpu", table)
    assert dict(big.seconds_per_frame) == pytest.approx({"best": 18.0, "balanced": 2.0 + 2.4,  # the line; the video's
                                                         "fast": 2.0 + 0.24})
    assert "about 18 s for this 4000x3000 photo" in big.first_line
    assert table.photo_seconds("best", "onnxruntime", 3.0) == pytest.approx(5.0)  # the video cost: 2 + 3 > 6 - 6
    assert table.photo_seconds("best", "torch", 3.0) is None  # neither line for this runtime
    video = COSTS.costs["best", "onnxruntime"]  # the table as measured: a 12-megapixel photo costs more than a frame
    assert COSTS.photo_seconds("best", "onnxruntime", 12.0) > video.startup_s + video.seconds_per_frame(12.0)
