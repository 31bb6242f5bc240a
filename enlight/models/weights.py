"""Generator weights: our safetensors format, the released ``.pth`` format, the bundled default.

Our format is a safetensors file whose metadata says what it holds::

    architecture   "enlightengan-generator"
    base_channels  "32"
    provenance     free text: where the weights came from (training run, conversion, ...)
    format_version "1"

The released EnlightenGAN checkpoint (``200_net_G_A.pth``) is a pickled state dict, possibly
with a ``module.`` prefix (DataParallel) and without ``num_batches_tracked`` buffers (it was
saved by PyTorch 0.3). It is read with ``torch.load(weights_only=True)`` only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

import torch

from enlight.errors import reason
from enlight.files import write_whole
from enlight.models.bundled import WeightsError
from enlight.models.generator import EnlightenGANGenerator
from enlight.models.run_size import RunSize, recorded_run_size, run_size_metadata

ARCHITECTURE = "enlightengan-generator"
FORMAT_VERSION = "1"
_TINY = torch.finfo(torch.float32).tiny  # smallest normal float32, ~1.2e-38


def zero_denormals(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A copy with subnormal floating-point values set to 0.

    Denormal weights make CPU convolutions tens of times slower; they carry no useful signal.
    """
    cleaned = {}
    for name, tensor in state_dict.items():
        if tensor.is_floating_point():
            tensor = torch.where(tensor.abs() < _TINY, torch.zeros_like(tensor), tensor)
        cleaned[name] = tensor
    return cleaned


def save_weights(
    path: str | os.PathLike,
    generator: EnlightenGANGenerator,
    *,
    provenance: str,
    dtype: torch.dtype | None = None,
    run_size: RunSize | None = None,
) -> Path:
    """Write a generator's weights as safetensors with metadata, atomically.

    dtype: cast floating-point tensors (e.g. ``torch.float16`` for shipping); None keeps them.
    run_size: the reduced size a student was distilled to run at (``enlight.models.run_size``; None: full size).
    ``num_batches_tracked`` buffers are not stored (inference does not use them).
    """
    extra = {"keep_hue": "1"} if generator.keep_hue else {}
    if generator.margin:
        extra["margin"] = str(generator.margin)
    if run_size is not None:
        extra.update(run_size_metadata(run_size.scale, run_size.upsample))
    return save_module(path, generator, architecture=ARCHITECTURE, provenance=provenance, dtype=dtype,
                       base_channels=str(generator.base_channels), **extra)


def save_module(
    path: str | os.PathLike,
    module: torch.nn.Module,
    *,
    architecture: str,
    provenance: str,
    dtype: torch.dtype | None = None,
    **metadata: str,
) -> Path:
    """Any network's state dict as one of our safetensors files (metadata: architecture, provenance,
    format_version and ``metadata``), written to a temporary file and renamed."""
    from safetensors.torch import save

    tensors = {}
    for name, tensor in module.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        tensor = tensor.detach().to("cpu")
        if dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(dtype)
        tensors[name] = tensor.contiguous()
    _check_finite(tensors, f"{path} not written: the network has")
    metadata = {"architecture": architecture, **metadata, "provenance": provenance,
                "format_version": FORMAT_VERSION}
    data = save(zero_denormals(tensors), metadata=metadata)  # bytes: a full disk is then an OSError (ENOSPC)
    return write_whole(path, data)  # (our helper, for the command line's one line, not safetensors' own error type)


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The metadata of one of our safetensors files."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            return dict(handle.metadata() or {})
    except FileNotFoundError:
        raise WeightsError(f"weights file not found: {path}") from None
    except Exception as exc:  # safetensors raises its own types for every kind of corruption
        raise WeightsError(f"{path} is not a readable safetensors file ({reason(exc)})") from None


def load_generator(path: str | os.PathLike) -> EnlightenGANGenerator:
    """A generator in eval mode, float32, on the CPU, with the weights in ``path``.

    Accepts our ``.safetensors`` files and released-format ``.pth``/``.pt`` checkpoints. Raises
    ``WeightsError`` (one line) when the file is missing, corrupt or for another network.
    """
    path = Path(path)
    if path.is_dir():  # was 'weights file not found'
        run = " (an enlight-train run folder: `enlight-train export` writes its weights as one file)" if (
            path / "checkpoints").is_dir() else ""
        raise WeightsError(f"{path} is a folder, not a weights file{run}")
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    if path.suffix.lower() == ".onnx":  # was read as safetensors: 'header too large'
        raise WeightsError(f"{path} is an ONNX model, not weights: give the .safetensors file it was made from "
                           "(`enlight-train export` writes one) or a released .pth")
    options = {}
    if path.suffix in (".pth", ".pt"):
        state_dict = import_released_checkpoint(path)
        base_channels = _base_channels_of(state_dict, path)
    else:
        metadata = read_metadata(path)
        if metadata.get("architecture") != ARCHITECTURE:
            run = " (--model retinexnet runs them)" if metadata.get("architecture") == "retinexnet" else ""
            raise WeightsError(
                f"{path} holds {metadata.get('architecture') or 'unknown'} weights, "
                f"not an {ARCHITECTURE}{run}"
            )
        from safetensors.torch import load_file

        state_dict = load_file(str(path))
        try:
            base_channels = int(metadata["base_channels"])
        except (KeyError, ValueError):
            raise WeightsError(f"{path} metadata has no valid base_channels") from None
        options = _generator_options(metadata, path)
    generator = EnlightenGANGenerator(base_channels=base_channels, **options)
    _load_strict(generator, state_dict, path)
    _check_finite(generator.state_dict(), f"{path} holds")
    return generator.float().eval()


def _check_finite(tensors: Mapping[str, torch.Tensor], holder: str) -> None:
    """Refuse weights with NaN or infinite values (a training run that diverged): they made every picture black,
    with no more than a NumPy warning about a cast."""
    bad = sum(int((~torch.isfinite(t)).sum()) for t in tensors.values() if t.is_floating_point())
    if bad:
        total = sum(t.numel() for t in tensors.values() if t.is_floating_point())
        raise WeightsError(f"{holder} {bad:,} NaN or infinite values among its {total:,} weights (its training "
                           "diverged): they would make every picture black")


def _generator_options(metadata: dict[str, str], path: Path) -> dict:
    """The generator's ``keep_hue`` and ``margin`` as the weights' metadata records them (absent: as released)."""
    recorded = metadata.get("margin", "0")
    try:
        margin = int(recorded)
    except ValueError:
        margin = -1
    if margin < 0:  # (a negative one was 'internal error: ValueError: margin must be >= 0')
        raise WeightsError(f"{path} metadata has an invalid margin {recorded!r} (a whole number of pixels, 0 or "
                           "more)")
    return {"keep_hue": metadata.get("keep_hue", "0") == "1", "margin": margin}


def unreadable(path: str | os.PathLike, exc: Exception) -> str:
    """Why ``torch.load`` (tensors only) failed on ``path``, in words: its own message opens with how its
    ``weights_only`` default changed, whatever the file was, and is cut off by ``reason``. A file that holds Python
    objects (a whole pickled model, a checkpoint with its training options) is told apart first: PyTorch's zip
    archives were all called damaged, and such files are whole."""
    found = re.search(r"unsupported global:?\s*(?:GLOBAL\s+)?([\w.]+)", str(exc), re.IGNORECASE)
    if found:
        return (f"it holds Python objects besides tensors ({found[1]}), which are not read, for safety: save the "
                "tensors alone, torch.save(model.state_dict(), F), and give that file")
    try:
        with open(path, "rb") as file:
            head = file.read(2)
    except OSError as error:
        return reason(error)
    if head == b"PK":
        return "a damaged or cut-short zip archive"
    if head[:1] != b"\x80":
        return "neither a zip archive nor a pickle: another kind of file, or damaged"
    return "a damaged pickle"


def import_released_checkpoint(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The state dict of a released-format checkpoint, normalised to our key names.

    ``module.`` prefixes are stripped. Key and shape checks happen when it is loaded.
    """
    try:
        raw = torch.load(str(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise WeightsError(f"weights file not found: {path}") from None
    except Exception as exc:
        raise WeightsError(f"{path} is not a readable PyTorch checkpoint ({unreadable(path, exc)})") from None
    if isinstance(raw, Mapping) and {"version", "kind", "config"} <= set(raw):  # was 'no state dict of tensors'
        raise WeightsError(f"{path} is an enlight-train checkpoint, not weights: `enlight-train export RUN_DIR -o "
                           "W.safetensors` writes its run's newest as weights (RUN_DIR: the folder above "
                           f"checkpoints/), `enlight-train export {path} -o W.safetensors` this one")
    if isinstance(raw, Mapping) and "state_dict" in raw and isinstance(raw["state_dict"], Mapping):
        raw = raw["state_dict"]
    if not isinstance(raw, Mapping) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise WeightsError(f"{path} does not hold a state dict of tensors")
    return {key.removeprefix("module."): value for key, value in raw.items()}


def _base_channels_of(state_dict: Mapping[str, torch.Tensor], path: Path) -> int:
    first = state_dict.get("conv1_1.weight")
    if first is None or first.dim() != 4:
        raise WeightsError(f"{path} is not an EnlightenGAN generator (no conv1_1.weight)")
    return int(first.shape[0])


def _load_strict(
    generator: EnlightenGANGenerator, state_dict: Mapping[str, torch.Tensor], path: Path
) -> None:
    """Load with exact key and shape checks; only ``num_batches_tracked`` may be absent."""
    expected = generator.state_dict()
    missing = [k for k in expected if k not in state_dict and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state_dict if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {_names(missing)}")
        if unexpected:
            parts.append(f"unexpected {_names(unexpected)}")
        raise WeightsError(f"{path} does not match the generator: {'; '.join(parts)}")
    wrong = [
        f"{k} {tuple(state_dict[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state_dict and tuple(state_dict[k].shape) != tuple(v.shape)
    ]
    if wrong:
        raise WeightsError(f"{path} does not match the generator: shape {_names(wrong)}")
    full = dict(zero_denormals({k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()}))
    for key, value in expected.items():
        full.setdefault(key, value)  # absent num_batches_tracked keeps its fresh value
    generator.load_state_dict(full, strict=True)


def _names(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def convert_checkpoint(src: str | os.PathLike, dst: str | os.PathLike, *, dtype: torch.dtype | None = None) -> Path:
    """Convert a released ``.pth`` (or one of our files, keeping the size it runs at) to our safetensors format."""
    generator = load_generator(src)
    provenance = json.dumps({"converted_from": Path(src).name})
    run_size = None if Path(src).suffix in (".pth", ".pt") else recorded_run_size(read_metadata(src), str(src))
    return save_weights(dst, generator, provenance=provenance, dtype=dtype, run_size=run_size)
