"""A run's state in small files: compact encodings, split into shards with a manifest (issue 14).

The paper's recipe runs on a lent GPU in chunks of at most 10 minutes; between chunks its state
travels in files of at most 16 MiB (docs/training.md, "The paper's recipe on a lent GPU, in
chunks"). ``write_shards`` turns the newest checkpoint of a run folder (or a ``.safetensors``
file) into ``DIR/manifest.json`` plus ``DIR/shard_NNN.bin``; ``read_shards`` rebuilds the
checkpoint that ``enlight-train --resume`` continues from (or the ``.safetensors`` file).

The checkpoint (nested dicts, lists, tuples, numbers, strings, tensors) is walked once: every
tensor goes into one byte stream, the rest becomes a JSON skeleton in the manifest, so schedulers,
the AMP scaler, the step and every RNG state come back exactly. Encodings (``ShardPolicy``):

- networks' floating tensors of at least ``SMALL`` elements: ``weights``: ``fp32`` (exact),
  ``bf16`` / ``fp16`` (relative error 2^-9 / 2^-11), or ``int8`` (blocks of ``BLOCK`` elements,
  each ``round(x / s)`` with ``s = max|x| / 127`` in float32: error at most s / 2);
- Adam's moments (``exp_avg``, ``exp_avg_sq``): ``moments`` = ``fp32``, ``bf16``, or ``reset``
  (no optimiser state: Adam starts afresh, with its bias correction, at the next step);
- everything else (biases, BatchNorm statistics, RNG states, step counters): bytes as they are.

The stream is cut into shards of at most ``max_bytes``; the manifest records each shard's size
and sha256, the step, the run's config and the policy. Files ``losses.jsonl`` and
``config.json`` of the run folder travel in the stream too, so the loss history continues.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from enlight.errors import EnlightError
from enlight.files import write_named

FORMAT = 1
MANIFEST = "manifest.json"
MIB = 1 << 20
BLOCK = 128  # elements per int8 scale
SMALL = 1024  # tensors with fewer elements are stored as they are
WEIGHT_CODECS = ("fp32", "bf16", "fp16", "int8")
MOMENT_CODECS = ("fp32", "bf16", "reset")
MOMENT_KEYS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
RUN_FILES = ("losses.jsonl", "config.json")
_HALF = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class ShardPolicy:
    """How a state is stored: ``weights`` / ``moments`` codecs (module docstring), ``nets`` (None:
    all, resumable; else only these networks, no optimisers: for export, not for --resume) and the
    largest shard in bytes."""

    weights: str = "bf16"
    moments: str = "bf16"
    nets: tuple[str, ...] | None = None
    max_bytes: int = 16 * MIB

    def __post_init__(self) -> None:
        if self.weights not in WEIGHT_CODECS or self.moments not in MOMENT_CODECS:
            raise EnlightError(f"weights must be one of {WEIGHT_CODECS}, moments one of {MOMENT_CODECS}")
        if self.max_bytes < 1024:
            raise EnlightError(f"shards must hold at least 1 KiB, got {self.max_bytes} bytes")


# ---- tensor codecs ------------------------------------------------------------------------
def _raw(tensor: torch.Tensor) -> bytes:
    return tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def encode(tensor: torch.Tensor, codec: str) -> bytes:
    """A tensor's bytes in ``codec`` (``raw``: as it is; else one of ``WEIGHT_CODECS``)."""
    if codec == "raw":
        return _raw(tensor)
    values = tensor.detach().float().cpu().reshape(-1)
    if codec == "fp32":
        return _raw(values)
    if codec in _HALF:
        return _raw(values.to(_HALF[codec]))
    blocks = torch.nn.functional.pad(values, (0, -values.numel() % BLOCK)).view(-1, BLOCK)
    scales = blocks.abs().amax(1) / 127
    codes = torch.round(blocks / torch.where(scales > 0, scales, 1)[:, None]).clamp(-127, 127)
    return _raw(scales) + _raw(codes.reshape(-1)[: values.numel()].to(torch.int8))


def decode(data: bytes, codec: str, dtype: torch.dtype, shape: list[int]) -> torch.Tensor:
    """The inverse of ``encode``: a tensor of ``dtype`` and ``shape``."""
    if not data:
        return torch.empty(shape, dtype=dtype)
    buffer = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    count = 1
    for size in shape:
        count *= size
    if codec == "raw":
        return buffer.view(dtype).reshape(shape).clone()
    if codec == "fp32":
        values = buffer.view(torch.float32)
    elif codec in _HALF:
        values = buffer.view(_HALF[codec]).float()
    else:
        blocks = -(-count // BLOCK)
        scales = buffer[: 4 * blocks].view(torch.float32)
        codes = torch.nn.functional.pad(buffer[4 * blocks :].view(torch.int8).float(), (0, -count % BLOCK))
        values = (codes.view(blocks, BLOCK) * scales[:, None]).reshape(-1)[:count]
    return values.reshape(shape).to(dtype).clone()


def _dtype(name: str) -> torch.dtype:
    dtype = getattr(torch, name.removeprefix("torch."), None)
    if not isinstance(dtype, torch.dtype):
        raise EnlightError(f"unknown tensor type {name} in the manifest")
    return dtype


# ---- the state as skeleton + byte stream ----------------------------------------------------
class _Packer:
    """Walks a state: tensors go into ``blob`` (``entries`` say where), the rest into the skeleton."""

    def __init__(self, codec_of) -> None:
        self.codec_of, self.entries, self.parts, self.size = codec_of, [], [], 0

    def add(self, data: bytes, **meta) -> int:
        self.entries.append({"offset": self.size, "bytes": len(data), **meta})
        self.parts.append(data)
        self.size += len(data)
        return len(self.entries) - 1

    def walk(self, value, path: tuple = ()):
        if isinstance(value, torch.Tensor):
            codec = self.codec_of(path, value)
            return {"__tensor": self.add(encode(value, codec), codec=codec, dtype=str(value.dtype),
                                         shape=list(value.shape))}
        if isinstance(value, dict):
            return {"__dict": [[self.walk(k), self.walk(v, (*path, k))] for k, v in value.items()]}
        if isinstance(value, tuple):
            return {"__tuple": [self.walk(v, (*path, i)) for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.walk(v, (*path, i)) for i, v in enumerate(value)]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise EnlightError(f"cannot shard a {type(value).__name__} at {'/'.join(map(str, path))}")


def _unwalk(value, entries: list[dict], blob: bytes):
    if isinstance(value, list):
        return [_unwalk(v, entries, blob) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tensor" in value:
        entry = entries[value["__tensor"]]
        data = blob[entry["offset"] : entry["offset"] + entry["bytes"]]
        return decode(data, entry["codec"], _dtype(entry["dtype"]), entry["shape"])
    if "__tuple" in value:
        return tuple(_unwalk(v, entries, blob) for v in value["__tuple"])
    return {_unwalk(k, entries, blob): _unwalk(v, entries, blob) for k, v in value["__dict"]}


def _is_net(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, torch.Tensor) for v in value.values())


def compact_state(state: dict, policy: ShardPolicy) -> tuple[dict, set[str]]:
    """(the checkpoint as it will be stored, names of its networks): optimisers' moments dropped
    for ``moments="reset"``; only ``policy.nets`` and no optimisers when that is set."""
    nets = {k for k, v in state.items() if _is_net(v)}
    optimisers = {k for k, v in state.items() if isinstance(v, dict) and "param_groups" in v}
    out = {}
    for key, value in state.items():
        if policy.nets is not None and (key in optimisers or (key in nets and key not in policy.nets)):
            continue
        if key in optimisers and policy.moments == "reset":
            value = {**value, "state": {}}
        out[key] = value
    missing = set(policy.nets or ()) - nets
    if missing:
        raise EnlightError(f"no network {', '.join(sorted(missing))} in the state (it has {', '.join(sorted(nets))})")
    return out, nets


def _codec_chooser(policy: ShardPolicy, nets: set[str]):
    def codec_of(path: tuple, tensor: torch.Tensor) -> str:
        if not tensor.is_floating_point() or tensor.numel() < SMALL:
            return "raw"
        if path and path[0] in nets:
            return policy.weights
        if len(path) == 4 and path[1] == "state" and path[3] in MOMENT_KEYS:
            return policy.moments
        return "raw"

    return codec_of


# ---- writing and reading shard folders -----------------------------------------------------
def _write_folder(out: Path, blob: bytes, manifest: dict, max_bytes: int) -> Path:
    """Write ``blob`` as OUT/shard_NNN.bin and the manifest. Each file is written as a hidden temporary first and the
    set is renamed into place only when all of it is written, so a full disk or a stop part-way leaves a shard
    folder that was there before as it was (the partial files deleted)."""
    out.mkdir(parents=True, exist_ok=True)
    shards, written = [], []
    try:
        for index, start in enumerate(range(0, max(1, len(blob)), max_bytes)):
            part = blob[start : start + max_bytes]
            name = f"shard_{index:03d}.bin"
            written.append((_write_hidden(out, name, part), out / name))
            shards.append({"file": name, "bytes": len(part), "sha256": hashlib.sha256(part).hexdigest()})
        text = json.dumps({"format": FORMAT, **manifest, "shards": shards}, indent=1)
        if len(text.encode()) > max_bytes:
            raise EnlightError(f"the manifest alone ({len(text.encode())} bytes) is larger than a shard may be")
        written.append((_write_hidden(out, MANIFEST, text.encode()), out / MANIFEST))
    except BaseException:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        raise
    for old in out.glob("shard_*.bin"):
        if old.name not in {shard["file"] for shard in shards}:
            old.unlink()
    for tmp, final in written:  # the manifest last: until then the old one's checksums refuse a mixed set
        os.replace(tmp, final)
    return out / MANIFEST


def _write_hidden(folder: Path, name: str, data: bytes) -> Path:
    """``data`` in FOLDER/.NAME.tmp (deleted again if it cannot be written whole); its path."""
    tmp = folder / f".{name}.tmp"
    try:
        with open(tmp, "wb") as handle:
            write_named(handle, data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_shards(source: Path, out: Path, policy: ShardPolicy) -> Path:
    """Shard the newest checkpoint of run folder ``source`` (or a ``.safetensors`` file) into ``out``."""
    from enlight.train.loop import newest_checkpoint

    source = Path(source)
    if source.suffix == ".safetensors":
        return _write_safetensors(source, out, policy)
    state, nets = compact_state(newest_checkpoint(source), policy)
    packer = _Packer(_codec_chooser(policy, nets))
    skeleton = packer.walk(state)
    files = {name: packer.add((source / name).read_bytes()) for name in RUN_FILES if (source / name).is_file()}
    config = json.loads(state["config"])
    manifest = {"source": "checkpoint", "kind": state.get("kind"), "step": int(state["step"]),
                "resumable": policy.nets is None, "policy": asdict(policy), "config": config,
                "files": files, "entries": packer.entries, "state": skeleton}
    return _write_folder(Path(out), b"".join(packer.parts), manifest, policy.max_bytes)


def _write_safetensors(source: Path, out: Path, policy: ShardPolicy) -> Path:
    from safetensors import safe_open

    with safe_open(str(source), framework="pt") as handle:
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
        metadata = handle.metadata() or {}
    packer = _Packer(_codec_chooser(policy, {"tensors"}))
    skeleton = packer.walk({"tensors": tensors})
    manifest = {"source": "safetensors", "name": source.name, "metadata": metadata, "policy": asdict(policy),
                "entries": packer.entries, "state": skeleton}
    return _write_folder(Path(out), b"".join(packer.parts), manifest, policy.max_bytes)


def read_manifest(folder: Path) -> dict:
    """The manifest of a shard folder, with every shard checked (size, sha256): one-line errors."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise EnlightError(f"no {MANIFEST} in {folder}: not a shard folder") from None
    except (OSError, ValueError) as exc:
        raise EnlightError(f"cannot read {folder / MANIFEST}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise EnlightError(f"{folder / MANIFEST} is not a format-{FORMAT} shard manifest")
    for shard in manifest["shards"]:
        path = folder / shard["file"]
        if not path.is_file():
            raise EnlightError(f"shard {path} is missing ({len(manifest['shards'])} shards in the manifest)")
        data = path.read_bytes()
        if len(data) != shard["bytes"] or hashlib.sha256(data).hexdigest() != shard["sha256"]:
            raise EnlightError(f"shard {path} is corrupted: {len(data)} bytes, sha256 does not match the manifest")
    return manifest


def read_shards(folder: Path, out: Path) -> Path:
    """Rebuild what ``write_shards`` stored: a checkpoint in run folder ``out`` (its
    ``checkpoints/step_N.pt``, plus ``losses.jsonl`` and ``config.json``), or the ``.safetensors``
    file ``out``. Returns the path written."""
    from enlight.train.loop import write_checkpoint

    folder, out = Path(folder), Path(out)
    manifest = read_manifest(folder)
    _check_output(manifest, folder, out)
    blob = b"".join((folder / shard["file"]).read_bytes() for shard in manifest["shards"])
    state = _unwalk(manifest["state"], manifest["entries"], blob)
    if manifest["source"] == "safetensors":
        from safetensors.torch import save

        out.parent.mkdir(parents=True, exist_ok=True)
        data = save({k: v.contiguous() for k, v in state["tensors"].items()}, metadata=manifest["metadata"])
        os.replace(_write_hidden(out.parent, out.name, data), out)
        return out
    checkpoints = out / "checkpoints"
    newer = [p for p in checkpoints.glob("step_*.pt") if int(p.stem.split("_")[1]) > manifest["step"]]
    if newer:
        raise EnlightError(f"{out} already has {max(newer).name}, newer than the shards' step {manifest['step']}")
    checkpoints.mkdir(parents=True, exist_ok=True)
    for name, index in manifest["files"].items():
        entry = manifest["entries"][index]
        (out / name).write_bytes(blob[entry["offset"] : entry["offset"] + entry["bytes"]])
    path = checkpoints / f"step_{manifest['step']:07d}.pt"
    return write_checkpoint(state, path, kept=max(checkpoints.glob("step_*.pt"), default=None))


def _check_output(manifest: dict, folder: Path, out: Path) -> None:
    """Refuse an ``out`` of the other kind than the shards hold: a run's state went into a folder named
    ``W.safetensors`` (its checkpoints/ inside), a ``.safetensors`` file's tensors into a file without the suffix."""
    weights = manifest["source"] == "safetensors"
    if weights and out.suffix != ".safetensors":
        raise EnlightError(f"{folder} holds the tensors of {manifest.get('name', 'a .safetensors file')}: give -o a "
                           f".safetensors file to write, not {out}")
    if not weights and out.suffix == ".safetensors":
        raise EnlightError(f"{folder} holds a run's checkpoint (step {manifest.get('step')}), not weights: give -o a "
                           f"run folder, then `enlight-train export RUN_DIR -o {out.name}`")


__all__ = ["ShardPolicy", "decode", "encode", "read_manifest", "read_shards", "write_shards"]
