"""The size a generator was trained to run at, as its weights file records it, read without torch.

`enlight-train distill --scale 4` trains a student through the reduced-size path (``enlight.ops.scaled``): it sees
the frame at 1/4 of its size and its correction is carried back to full size by ``upsample``. Its exported weights
say so in their metadata (``scale`` "4", ``upsample`` "guided"; an int8 ONNX model of it, `enlight-train quantize`'s,
``enlight.scale`` and ``enlight.upsample``), and `enlight-video --weights` runs it at that size. Weights trained at
full size record neither (as the bundled files, whose sizes their presets hold: ``enlight.stream.core.presets``).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

from enlight.errors import EnlightError

SCALE_KEY, UPSAMPLE_KEY = "scale", "upsample"
ONNX_PREFIX = "enlight."  # an int8 ONNX model's metadata keys (as ``onnx_graph.MARGIN_KEY``)
UPSAMPLES = ("guided", "bilinear")
_LARGEST_HEADER = 100 << 20  # bytes: a safetensors header is JSON of a few kB; more is another kind of file


@dataclass(frozen=True)
class RunSize:
    """scale: the network runs at 1/scale of the frame's size (above 1); upsample: how its correction is carried
    back to full size (``enlight.ops.scaled``)."""

    scale: float
    upsample: str = "guided"

    def words(self) -> str:
        """'1/4 size'."""
        return f"1/{self.scale:g} size"


def run_size_metadata(scale: float, upsample: str, prefix: str = "") -> dict[str, str]:
    """The metadata entries that record ``scale`` and ``upsample`` (keys after ``prefix``); none at full size."""
    if scale == 1:
        return {}
    return {prefix + SCALE_KEY: f"{scale:g}", prefix + UPSAMPLE_KEY: upsample}


def recorded_run_size(metadata: dict[str, str], name: str, prefix: str = "") -> RunSize | None:
    """The size ``metadata`` records (None: none, or full size); an EnlightError naming the file (``name``) where
    its scale is not a number of 1 or more, or its upsampling is not one of ``UPSAMPLES``."""
    text = metadata.get(prefix + SCALE_KEY)
    if text is None:
        return None
    upsample = metadata.get(prefix + UPSAMPLE_KEY, "guided")
    try:
        scale = float(text)
    except ValueError:
        scale = math.nan
    if not (1 <= scale < math.inf) or upsample not in UPSAMPLES:
        raise EnlightError(f"{name} metadata has an invalid {SCALE_KEY} or {UPSAMPLE_KEY} ({text!r}, {upsample!r})")
    return None if scale == 1 else RunSize(scale, upsample)


def safetensors_metadata(path: str | Path) -> dict[str, str]:
    """The metadata in a safetensors file's JSON header, read without torch; {} where the file cannot be read so
    (missing, of another format, damaged: loading the weights says which, in its own line)."""
    try:
        with open(path, "rb") as handle:
            (size,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(size)) if size <= _LARGEST_HEADER else {}
    except (OSError, struct.error, ValueError):  # (UnicodeDecodeError and JSONDecodeError are ValueErrors)
        return {}
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    return {str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict) else {}


__all__ = ["ONNX_PREFIX", "UPSAMPLES", "RunSize", "recorded_run_size", "run_size_metadata", "safetensors_metadata"]
