"""The TensorRT backend: an engine built from the exported ONNX graph, cached on disk.

- Optimisation profile from the video: batch 1..B (opt B) and a size range of multiples of 16
  around the frame size (opt = the frame size), see ``choose_profile``.
- fp16 by default (``--precision fp32`` to turn it off), a timing cache shared by all builds.
- Engines cached under ``$XDG_CACHE_HOME/enlight/tensorrt/`` with names that say what they were
  built for, keyed by TensorRT version, GPU name and compute capability, ONNX hash, profile and
  precision (``engine_key``): the second run with the same video size loads in seconds.
- Inference with the named-tensor API (``set_input_shape``, ``set_tensor_address``,
  ``execute_async_v3``) on the backend's own CUDA stream, reading and writing the torch CUDA
  tensors the pipeline already holds (no host round trip); the stream waits on the caller's
  stream through an event, and the caller's stream waits on the result the same way.

``tensorrt`` is imported only when an engine is built or loaded; everything else here is plain
Python so that the cache key and the profile choice are tested on machines without a GPU.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from enlight.errors import EnlightError
from enlight.models.generator import PAD_MULTIPLE, EnlightenGANGenerator
from enlight.models.onnx_export import export_onnx_bytes, onnx_digest
from enlight.models.onnx_graph import INPUT_NAMES, OUTPUT_NAME, fit_graph
from enlight.stream.backends.base import register_backend
from enlight.stream.backends.options import TensorRTConfig

WORKSPACE_BYTES = 4 << 30


@dataclass(frozen=True)
class Profile:
    """Input shape ranges (batch, height, width) of one optimisation profile."""

    min: tuple[int, int, int]
    opt: tuple[int, int, int]
    max: tuple[int, int, int]

    def contains(self, batch: int, height: int, width: int) -> bool:
        return all(lo <= v <= hi for lo, v, hi in zip(self.min, (batch, height, width), self.max, strict=True))

    def shapes(self, channels: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(min, opt, max) full NCHW shapes for an input with ``channels`` channels."""
        return tuple((b, channels, h, w) for b, h, w in (self.min, self.opt, self.max))


def choose_profile(batch: int, height: int, width: int, *, multiple: int = PAD_MULTIPLE) -> Profile:
    """A profile for a video of ``height`` x ``width`` enhanced in batches of up to ``batch``.

    Sizes span the multiples of ``multiple`` around the frame (floor .. ceil, at least one
    multiple), so the engine is tuned for this video yet takes its exact size; batch 1 .. batch
    covers a short last batch.
    """
    if batch < 1 or height < 1 or width < 1:
        raise ValueError(f"bad shape: batch {batch}, {width}x{height}")

    def low(v: int) -> int:
        return max(multiple, v // multiple * multiple) if v >= multiple else v

    def high(v: int) -> int:
        return -(-v // multiple) * multiple

    return Profile(min=(1, min(low(height), height), min(low(width), width)), opt=(batch, height, width),
                   max=(batch, high(height), high(width)))


@dataclass(frozen=True)
class EngineKey:
    tensorrt: str
    gpu: str
    compute_capability: str
    onnx: str
    profile: Profile
    precision: str

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    def filename(self) -> str:
        """A name that says what the engine is for, e.g. ``enlightengan_sm90_trt10.3_fp16_b1-4_720x1280_<hash>``."""
        gpu = "".join(c if c.isalnum() else "-" for c in self.gpu).strip("-").lower()
        b0, _, _ = self.profile.min
        _, h, w = self.profile.opt
        b1 = self.profile.max[0]
        return (f"enlightengan_{gpu}_sm{self.compute_capability.replace('.', '')}_trt{self.tensorrt}_"
                f"{self.precision}_b{b0}-{b1}_{h}x{w}_{self.digest()}.engine")


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "enlight" / "tensorrt"


def _import_tensorrt():
    try:
        import tensorrt as trt
    except ImportError:
        raise EnlightError("--backend tensorrt needs TensorRT: pip install 'enlight-video[tensorrt]'") from None
    return trt


def tensorrt_available() -> bool:
    if not torch.cuda.is_available():
        return False
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        return False
    return True


class _BuildProgress:
    """One stderr line per builder phase (TensorRT calls this from its own threads)."""

    def __new__(cls, trt):
        class Monitor(trt.IProgressMonitor):
            def __init__(self) -> None:
                trt.IProgressMonitor.__init__(self)

            def phase_start(self, phase_name, parent_phase, num_steps):
                if parent_phase is None:
                    print(f"tensorrt: building engine: {phase_name} ({num_steps} steps)", file=sys.stderr, flush=True)

            def step_complete(self, phase_name, step):
                return True  # never cancel

            def phase_finish(self, phase_name):
                pass

        return Monitor()


class TensorRTBackend:
    """frames (B, 3, H, W) float RGB in [-1, 1], attention (B, 1, H, W) on a CUDA device -> (B, 3, H, W) float32."""

    name = "tensorrt"

    def __init__(self, generator: EnlightenGANGenerator, config: TensorRTConfig) -> None:
        if config.device.type != "cuda":
            raise EnlightError("--backend tensorrt needs a CUDA device")
        self.trt = _import_tensorrt()
        self.config = config
        self.device = torch.device(str(config.device))
        self.onnx = export_onnx_bytes(generator)
        self.margin = int(getattr(generator, "margin", 0))  # small frames are padded up to the graph's minimum
        self.stream = torch.cuda.Stream(device=self.device)
        self.engine = None
        self.context = None
        self.profile: Profile | None = None  # the engine is built (or loaded) for the first batch's shape

    def key(self, profile: Profile) -> EngineKey:
        props = torch.cuda.get_device_properties(self.device)
        return EngineKey(tensorrt=self.trt.__version__, gpu=props.name,
                         compute_capability=f"{props.major}.{props.minor}", onnx=onnx_digest(self.onnx),
                         profile=profile, precision=self.config.precision)

    def _ensure_engine(self, batch: int, height: int, width: int) -> None:
        if self.profile is not None and self.profile.contains(batch, height, width):
            return
        profile = choose_profile(max(batch, self.config.max_batch), height, width)
        path = cache_dir() / self.key(profile).filename()
        trt = self.trt
        logger = trt.Logger(trt.Logger.WARNING)
        if path.is_file():
            data = path.read_bytes()
        else:
            data = self._build(profile, logger)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        runtime = trt.Runtime(logger)
        self.engine = runtime.deserialize_cuda_engine(data)
        if self.engine is None:
            raise EnlightError(f"TensorRT could not load the cached engine {path}; delete it to rebuild")
        self.context = self.engine.create_execution_context()
        self.profile = profile

    def _build(self, profile: Profile, logger) -> bytes:
        trt = self.trt
        builder = trt.Builder(logger)
        network = builder.create_network(0)
        parser = trt.OnnxParser(network, logger)
        if not parser.parse(self.onnx):
            errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
            raise EnlightError(f"TensorRT could not parse the exported graph: {errors}")
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
        if self.config.precision == "fp16":
            config.set_flag(trt.BuilderFlag.FP16)
        optimisation = builder.create_optimization_profile()
        for name, channels in zip(INPUT_NAMES, (3, 1), strict=True):
            optimisation.set_shape(name, *profile.shapes(channels))
        config.add_optimization_profile(optimisation)
        timing_path = cache_dir() / f"timing_{self.key(profile).gpu.replace(' ', '-')}_trt{trt.__version__}.cache"
        timing = config.create_timing_cache(timing_path.read_bytes() if timing_path.is_file() else b"")
        config.set_timing_cache(timing, ignore_mismatch=False)
        monitor = _BuildProgress(trt)
        config.progress_monitor = monitor
        serialized = builder.build_serialized_network(network, config)
        if serialized is None:
            raise EnlightError("TensorRT failed to build the engine (see the messages above)")
        timing_path.parent.mkdir(parents=True, exist_ok=True)
        timing_path.write_bytes(memoryview(config.get_timing_cache().serialize()))
        return bytes(memoryview(serialized))

    def __call__(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        frames, attention, size = fit_graph(frames, attention, self.margin)
        return self._run(frames, attention)[..., : size[0], : size[1]]

    def _run(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = frames.shape
        self._ensure_engine(batch, height, width)
        frames = frames.to(self.device, torch.float32).contiguous()
        attention = attention.to(self.device, torch.float32).contiguous()
        output = torch.empty_like(frames)
        caller = torch.cuda.current_stream(self.device)
        self.stream.wait_stream(caller)  # inputs were written on the caller's stream
        context = self.context
        context.set_input_shape(INPUT_NAMES[0], tuple(frames.shape))
        context.set_input_shape(INPUT_NAMES[1], tuple(attention.shape))
        for name, tensor in ((INPUT_NAMES[0], frames), (INPUT_NAMES[1], attention), (OUTPUT_NAME, output)):
            context.set_tensor_address(name, tensor.data_ptr())
            tensor.record_stream(self.stream)
        if not context.execute_async_v3(self.stream.cuda_stream):
            raise EnlightError("TensorRT inference failed")
        caller.wait_stream(self.stream)
        return output


register_backend("tensorrt", TensorRTConfig, TensorRTBackend)
