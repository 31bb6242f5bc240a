"""Issue 17's work around the model on a CPU: thread budgets that do not fight, the cached ONNX export."""

import os

import torch

from enlight.models import build_generator, onnx_export
from enlight.ops.threads import torch_threads
from enlight.stream.apps.pipeline import PipelineConfig, run
from enlight.stream.backends.onnxruntime import OnnxRuntimeBackend, OnnxRuntimeConfig, export_key
from enlight.stream.backends.torch import TorchBackend, TorchBackendConfig
from enlight.stream.core.plan import make_plan
from enlight.stream.io import sink as sink_module
from enlight.stream.io import source as source_module
from enlight.stream.io.sink import encoder_threads
from enlight.stream.io.source import VideoSource, decoder_threads
from tests.media import make_clip

CPU = torch.device("cpu")


def test_torch_threads_are_set_inside_and_restored_after():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(0):
        assert torch.get_num_threads() == before


class _Recorder:
    """A backend that records torch's thread count when it is called (output = input)."""

    name = "recorder"
    device = CPU

    def __init__(self) -> None:
        self.threads: list[int] = []

    def __call__(self, frames, attention):
        self.threads.append(torch.get_num_threads())
        return frames


def test_a_cpu_run_works_around_the_model_on_one_torch_thread_and_the_codecs_get_their_thread_counts(
        tmp_path, monkeypatch):
    clip = make_clip(tmp_path / "in.mp4", width=64, height=48, frames=6, audio=False)
    opened = []
    real_setup = sink_module.VideoSink._setup

    def setup(self, *args):
        real_setup(self, *args)
        opened.append(self.video_stream.codec_context.thread_count)

    monkeypatch.setattr(sink_module.VideoSink, "_setup", setup)
    monkeypatch.setattr(sink_module, "encoder_threads", lambda: 1)
    monkeypatch.setattr(source_module, "decoder_threads", lambda: 1)
    torch.set_num_threads(2)
    backend = _Recorder()
    stats = run(PipelineConfig(input=clip, output=tmp_path / "out.mp4", plan=make_plan(quality="fast", device="cpu"),
                               batch_size=2, progress=False), backend=backend)
    assert stats.frames == 6 and backend.threads == [1, 1, 1]
    assert torch.get_num_threads() == 2  # restored
    assert opened == [1]
    with VideoSource(clip) as source:
        assert source.video_stream.codec_context.thread_count == 1
    assert encoder_threads() == decoder_threads() == 0  # the defaults: FFmpeg's own choice


def test_the_torch_backend_runs_its_model_on_every_core_inside_a_one_thread_run():
    seen = []

    class Probe(torch.nn.Module):
        def forward(self, frames, attention):
            seen.append(torch.get_num_threads())
            return frames

    backend = TorchBackend(Probe(), TorchBackendConfig(device=CPU))
    with torch_threads(1):
        backend(torch.zeros(1, 3, 8, 8), torch.zeros(1, 1, 8, 8))
        assert torch.get_num_threads() == 1
    assert seen == [os.cpu_count()]


def _exported_once(tmp_path, monkeypatch):
    """A tiny generator run once by ONNX Runtime with the export cache in tmp_path: (generator, run, first output),
    run() building the backend again and running it on the same input."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    generator = build_generator(base_channels=8).eval()
    x = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(0)) * 2 - 1
    attention = torch.rand(1, 1, 32, 48)

    def run():
        return OnnxRuntimeBackend(generator, OnnxRuntimeConfig(device=CPU))(x, attention)

    return generator, run, run()


def test_the_onnx_export_is_cached_by_what_the_graph_depends_on(tmp_path, monkeypatch):
    generator, run, first = _exported_once(tmp_path, monkeypatch)
    cached = list((tmp_path / "enlight-video" / "onnx").iterdir())
    assert [p.name.rpartition("-")[0] for p in cached] == [export_key(generator)]  # KEY-DIGEST.onnx

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "export_onnx_bytes", no_export)
    again = run()
    assert torch.equal(first, again)
    other = build_generator(base_channels=8).eval()
    with torch.no_grad():
        other.load_state_dict(generator.state_dict())
        next(other.parameters()).add_(0.01)
    assert export_key(other) != export_key(generator)  # other weights: another file, never the cached graph


def test_a_cpu_run_runs_the_stages_after_the_model_on_the_combine_thread_with_the_same_frames(tmp_path, monkeypatch):
    """The file pipeline on a CPU: the model on the main thread for batch n while batch n-1's smoothing and
    Combine run on ``enlight-combine``; the frames handed to the encoder are the one-batch-at-a-time
    Enhancer's, in order."""
    import threading

    import numpy as np

    from enlight.stream.core.cpu import stages  # the CPU forms, which a CPU enhancer runs
    from enlight.stream.core.enhancer import Enhancer
    from enlight.stream.io.source_items import DecodedFrame

    clip = make_clip(tmp_path / "in.mp4", width=64, height=48, frames=7, audio=False)
    written = []
    real_write = sink_module.VideoSink.write_frame
    monkeypatch.setattr(sink_module.VideoSink, "write_frame", lambda self, rgb, pts, alpha=None, duration=None: (
        written.append(rgb.copy()), real_write(self, rgb, pts, alpha, duration))[1])
    backend = TorchBackend(build_generator(base_channels=8).eval(), TorchBackendConfig(device=CPU))
    plan = make_plan(quality="fast", device="cpu", backend="torch")
    ran_on: dict[str, set] = {}
    for name in ("RunModel", "CorrectionSmoothing", "Combine"):
        stage = getattr(stages, name)

        def record(self, work, _call=stage.__call__, _name=name):
            ran_on.setdefault(_name, set()).add(threading.current_thread().name.split("_")[0])
            return _call(self, work)

        monkeypatch.setattr(stage, "__call__", record)
    run(PipelineConfig(input=clip, output=tmp_path / "out.mp4", plan=plan, batch_size=2, progress=False),
        backend=backend)
    assert ran_on == {"RunModel": {"MainThread"}, "CorrectionSmoothing": {"enlight-combine"},
                      "Combine": {"enlight-combine"}}
    with VideoSource(clip) as source:
        decoded = np.stack([item.rgb for item in source if isinstance(item, DecodedFrame)])
    monkeypatch.undo()
    one_at_a_time = Enhancer.from_plan(plan, backend)
    expected = np.concatenate([one_at_a_time(decoded[i:i + 2]) for i in range(0, 7, 2)])
    assert len(written) == 7 and np.array_equal(np.stack(written), expected)
    assert np.abs(expected.astype(int) - decoded).mean() > 1  # the model changed the picture


def test_a_reduced_size_preset_on_a_cpu_leaves_one_core_to_the_work_around_its_model(monkeypatch):
    from enlight.stream.core import plan as plan_module

    for cores, threads in ((2, 1), (1, 1), (8, 7)):
        monkeypatch.setattr(plan_module.os, "sched_getaffinity", lambda _pid, n=cores: set(range(n)), raising=False)
        assert make_plan(quality="fast", device="cpu", backend="onnxruntime").options.threads == threads
        assert make_plan(quality="balanced", device="cpu", backend="onnxruntime").options.threads == 0  # every core


def test_a_damaged_cached_export_is_made_again_not_an_internal_error(tmp_path, monkeypatch):
    """A cached export cut short (a full disk, a crash of the machine) failed in ONNX Runtime ('protobuf parsing
    failed', an internal error) on every later run; its bytes no longer match the digest in its name, so it is
    removed and exported again."""
    _, run, first = _exported_once(tmp_path, monkeypatch)
    (cached,) = (tmp_path / "enlight-video" / "onnx").iterdir()
    cached.write_bytes(cached.read_bytes()[:1000])
    again = run()
    assert torch.equal(first, again)
    (remade,) = (tmp_path / "enlight-video" / "onnx").iterdir()
    assert remade.name == cached.name and remade.stat().st_size > 1000
