"""The ONNX Runtime backend: the exported generator on ORT's CPU provider (CUDA / TensorRT providers
when the installed onnxruntime has them and the device is CUDA).

It takes numpy arrays (what the CPU forms of the stages hand it) or torch tensors and returns the same
kind. The network comes as a torch module (exported here, the export cached by ``export_key``) or as ONNX
bytes: an int8 model, or a bundled network's export cached by its weights file (``cached_weights_export``),
which a CPU run reads without importing torch."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import numpy as np

from enlight.errors import EnlightError, reason
from enlight.models.onnx_graph import INPUT_NAMES, MARGIN_KEY, fit_graph
from enlight.ops.device import Device
from enlight.stream.backends.base import register_backend
from enlight.stream.backends.options import OnnxRuntimeConfig
from enlight.stream.backends.stoppable import stoppable

QUICK_S = 0.25  # a model call this short is not run on the helper thread that lets Ctrl-C stop it in the middle


def providers_for(device: Device, available: list[str]) -> list:
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


def _code_digest(digest) -> None:
    """Adds the source of ``enlight.models`` and ``enlight.ops`` (the traced code) to ``digest``."""
    package = Path(__file__).resolve().parents[2]
    for source in sorted([*package.glob("models/*.py"), *package.glob("ops/*.py")]):
        digest.update(source.read_bytes())


def export_key(generator) -> str:
    """What the exported graph of ``generator`` (a torch module) depends on: the network's structure, plain
    attributes (margin, flags) and tensors, the source of ``enlight.models`` and ``enlight.ops``, torch's version."""
    import torch

    digest = hashlib.sha256(f"{torch.__version__}\n{generator!r}".encode())
    for module in generator.modules():
        plain = {k: v for k, v in vars(module).items() if isinstance(v, (bool, int, float, str, tuple))}
        digest.update(repr(sorted(plain.items())).encode())
    for name, tensor in generator.state_dict().items():
        digest.update(f"{name}{tuple(tensor.shape)}{tensor.dtype}".encode())
        digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    _code_digest(digest)
    return digest.hexdigest()[:32]


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "enlight-video" / "onnx"


def _digest(model: bytes) -> str:
    return hashlib.sha256(model).hexdigest()[:16]


def _read_cached(key: str) -> bytes | None:
    """The model cached under ``key`` whose bytes still match the digest in its name; a file that does not (cut
    short by a full disk, damaged) is removed, so that it is made again."""
    try:
        paths = sorted(cache_dir().glob(f"{key}-*.onnx"))
    except OSError:
        return None
    for path in paths:
        try:
            model = path.read_bytes()
            if path.stem.rpartition("-")[2] == _digest(model):
                return model
            path.unlink()
        except OSError:
            continue
    return None


def _cached(key: str, make) -> bytes:
    """The ONNX model cached in ``cache_dir()`` under ``key`` (as ``KEY-DIGEST.onnx``, the digest of its bytes),
    made by ``make()`` and stored when missing or damaged. A cache that cannot be read or written is skipped."""
    model = _read_cached(key)
    if model is not None:
        return model
    model = make()
    path = cache_dir() / f"{key}-{_digest(model)}.onnx"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(model)
        os.replace(partial, path)
    except OSError:
        pass
    return model


def cached_export(generator) -> bytes:
    """``export_onnx_bytes(generator)`` (a torch module), cached by ``export_key``: tracing the network costs
    0.8 s of a run's start-up on 2 cores; reading it back, milliseconds."""
    from enlight.models.onnx_export import export_onnx_bytes

    return _cached(export_key(generator), lambda: export_onnx_bytes(generator))


def weights_key(model: str, weights: Path) -> str:
    """What the export of ``model`` with the weights file ``weights`` depends on, read without torch: the model's
    name, the file's bytes, the source of ``enlight.models`` and ``enlight.ops``, the installed torch's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        torch_version = "none"
    digest = hashlib.sha256(f"{torch_version}\n{model}\n".encode())
    digest.update(weights.read_bytes())
    _code_digest(digest)
    return "w" + digest.hexdigest()[:31]


def cached_weights_export(model: str, weights: Path) -> bytes:
    """The ONNX model of ``model`` loaded from ``weights``, with the metadata `enlight-video export` writes (its
    margin, ``MARGIN_KEY``, as an int8 model has it: ``onnx_export.export_metadata``), cached by ``weights_key``: a
    run that finds it imports no torch."""

    def make() -> bytes:
        from enlight.models.onnx_export import export_metadata, export_onnx_bytes
        from enlight.models.zoo import load_model

        network = load_model(model, weights)
        return export_onnx_bytes(network, metadata=export_metadata(model, network, weights))

    return _cached(weights_key(model, weights), make)


def model_metadata(path: Path) -> dict[str, str]:
    """The metadata of the ONNX model in ``path`` (its margin, run size, source weights: ``onnx_graph``), read by ONNX
    Runtime without optimising the graph (20 ms for the bundled int8 model); a one-line EnlightError where ONNX
    Runtime is not installed, or the file is missing or not a model it reads."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise EnlightError(f"{path} is an ONNX model, which needs onnxruntime: pip install 'enlight-video[onnx]'"
                           ) from None
    if not path.is_file():
        raise EnlightError(f"weights file not found: {path}")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT's own types (InvalidProtobuf, Fail, ...) for every kind of bad file
        raise EnlightError(f"{path} is not an ONNX model that ONNX Runtime reads ({reason(exc)})") from None
    return dict(session.get_modelmeta().custom_metadata_map)


class OnnxRuntimeBackend:
    """frames (B, 3, H, W) float RGB in [-1, 1], attention (B, 1, H, W) -> (B, 3, H, W) float32: numpy arrays
    in, numpy arrays out; torch tensors in, torch tensors on the backend's device out."""

    def __init__(self, generator, config: OnnxRuntimeConfig) -> None:
        """generator: the network (a torch module, exported here), or a serialised ONNX model of it (an int8
        model, `enlight-video export`'s, or ``cached_weights_export``'s), whose margin its metadata holds."""
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
        self._quick: set[tuple[int, ...]] = set()  # input shapes whose call took under QUICK_S (``_stoppable_run``)
        self.providers = self.session.get_providers()
        stored = self.session.get_modelmeta().custom_metadata_map.get(MARGIN_KEY, "0")
        self.margin = int(stored) if isinstance(generator, bytes) else int(getattr(generator, "margin", 0))

    def __call__(self, frames, attention):
        if isinstance(frames, np.ndarray):
            return self._run(frames, attention)
        import torch

        out = self._run(frames.detach().float().cpu().numpy(), attention.detach().float().cpu().numpy())
        return torch.from_numpy(out).to(str(self.device))

    def _run(self, frames: np.ndarray, attention: np.ndarray) -> np.ndarray:
        frames, attention, (height, width) = fit_graph(frames, attention, self.margin)
        feeds = {
            INPUT_NAMES[0]: np.ascontiguousarray(frames, dtype=np.float32),
            INPUT_NAMES[1]: np.ascontiguousarray(attention, dtype=np.float32),
        }
        out = self._stoppable_run(feeds)[0][..., :height, :width]
        return np.ascontiguousarray(out)

    def _stoppable_run(self, feeds: dict) -> list:
        """``session.run``, ended early by Ctrl-C or SIGTERM (``stoppable``: ONNX Runtime's terminate flag, checked
        between the graph's nodes): one call on a big photo runs for a minute. Inputs of a shape whose call took
        under QUICK_S are run directly: a stop waits no longer for such a call, and the helper thread adds two
        hand-overs of the GIL to each call (each up to Python's 5 ms switch interval while the run's other threads
        hold it)."""
        shape = feeds[INPUT_NAMES[0]].shape
        if shape in self._quick:
            return self.session.run(None, feeds)
        import onnxruntime as ort

        run_options = ort.RunOptions()

        def stop() -> None:
            run_options.terminate = True

        start = time.perf_counter()
        out = stoppable(lambda: self.session.run(None, feeds, run_options), stop)
        if time.perf_counter() - start < QUICK_S:
            self._quick.add(shape)
        return out


register_backend("onnxruntime", OnnxRuntimeConfig, OnnxRuntimeBackend)
