"""The ONNX Runtime backend: the exported generator on ORT's CPU provider (CUDA / TensorRT providers
when the installed onnxruntime has them and the device is CUDA)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from enlight.errors import EnlightError
from enlight.models.onnx_export import INPUT_NAMES, MARGIN_KEY, export_onnx_bytes, fit_graph
from enlight.stream.backends.base import register_backend


@dataclass(frozen=True)
class OnnxRuntimeConfig:
    """device: where frames live; threads 0 = ORT's default (all cores); int8: the model it runs is an
    int8-quantised one (named so in the summary). ORT runs fp32 (fp16 comes from its TensorRT provider).
    memory_pattern: ORT's planned block per input shape, allocated on top of its arena from the second run on
    (the full generator at 1920x1080 on a CPU: 3.4 GB peak without it, 4.8 GB with it, the same speed; at
    854x480 1.0 against 1.3 GB and 1% slower). ``make_plan`` leaves it on only for the reduced-size preset,
    whose model input is small and whose frame rate counts most."""

    device: torch.device
    threads: int = 0
    int8: bool = False
    memory_pattern: bool = True


def providers_for(device: torch.device, available: list[str]) -> list:
    """ORT execution providers in preference order for ``device``."""
    if device.type == "cuda":
        wanted = []
        if "TensorrtExecutionProvider" in available:
            wanted.append(("TensorrtExecutionProvider", {"device_id": device.index or 0, "trt_fp16_enable": True}))
        if "CUDAExecutionProvider" in available:
            wanted.append(("CUDAExecutionProvider", {"device_id": device.index or 0}))
        if not wanted:
            raise EnlightError("this onnxruntime has no CUDA provider; install onnxruntime-gpu or use --device cpu")
        return [*wanted, "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def export_key(generator: nn.Module) -> str:
    """What the exported graph depends on: the network's structure, plain attributes (margin, flags) and
    tensors, the source of ``enlight.models`` and ``enlight.ops`` (the traced code), torch's version."""
    digest = hashlib.sha256(f"{torch.__version__}\n{generator!r}".encode())
    for module in generator.modules():
        plain = {k: v for k, v in vars(module).items() if isinstance(v, (bool, int, float, str, tuple))}
        digest.update(repr(sorted(plain.items())).encode())
    for name, tensor in generator.state_dict().items():
        digest.update(f"{name}{tuple(tensor.shape)}{tensor.dtype}".encode())
        digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    package = Path(__file__).resolve().parents[2]
    for source in sorted([*package.glob("models/*.py"), *package.glob("ops/*.py")]):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:32]


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "enlight-video" / "onnx"


def cached_export(generator: nn.Module) -> bytes:
    """``export_onnx_bytes(generator)``, kept in ``cache_dir()`` by ``export_key``: tracing the network
    costs 0.8 s of a run's start-up on 2 cores; reading it back, milliseconds. A cache that cannot be
    read or written is skipped."""
    path = cache_dir() / f"{export_key(generator)}.onnx"
    try:
        return path.read_bytes()
    except OSError:
        pass
    model = export_onnx_bytes(generator)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(model)
        os.replace(partial, path)
    except OSError:
        pass
    return model


class OnnxRuntimeBackend:
    """frames (B, 3, H, W) float RGB in [-1, 1], attention (B, 1, H, W) -> (B, 3, H, W) float32."""

    def __init__(self, generator: nn.Module | bytes, config: OnnxRuntimeConfig) -> None:
        """generator: the network (exported here), or a serialised ONNX model of it (e.g. int8-quantised)."""
        try:
            import onnxruntime as ort
        except ImportError:
            raise EnlightError("--backend onnxruntime needs onnxruntime: pip install 'enlight-video[onnx]'") from None
        self.config = config
        self.device = config.device
        self.name = "onnxruntime int8" if config.int8 else "onnxruntime"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.enable_mem_pattern = config.memory_pattern
        if config.threads:
            options.intra_op_num_threads = config.threads
        # ORT's pool threads otherwise spin for a while after each run, taking the cores from the torch
        # work around the model (attention, guided upsampling, smoothing) and from the codec threads:
        # measured on 2 cores, fast preset 45 -> 26 ms/frame, balanced 144 -> 104, best 1117 -> 1068
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = providers_for(config.device, ort.get_available_providers())
        model = generator if isinstance(generator, bytes) else cached_export(generator)
        self.session = ort.InferenceSession(model, options, providers=providers)
        self.providers = self.session.get_providers()
        stored = self.session.get_modelmeta().custom_metadata_map.get(MARGIN_KEY, "0")
        self.margin = int(stored) if isinstance(generator, bytes) else int(getattr(generator, "margin", 0))

    def __call__(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        frames, attention, (height, width) = fit_graph(frames, attention, self.margin)
        feeds = {
            INPUT_NAMES[0]: np.ascontiguousarray(frames.detach().float().cpu().numpy()),
            INPUT_NAMES[1]: np.ascontiguousarray(attention.detach().float().cpu().numpy()),
        }
        out = self.session.run(None, feeds)[0][..., :height, :width]
        return torch.from_numpy(np.ascontiguousarray(out)).to(self.device)


register_backend("onnxruntime", OnnxRuntimeConfig, OnnxRuntimeBackend)
