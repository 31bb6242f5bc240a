"""Exporting the generator to ONNX: two inputs, dynamic batch, height and width.

Graph inputs: ``frames`` (B, 3, H, W) float32 RGB in [-1, 1] and ``attention`` (B, 1, H, W) in
[0, 1]; output ``enhanced`` (B, 3, H, W). The reflection padding to a multiple of 16 and the crop
back are inside the graph (computed from the input shape), so callers pass frames of any size
of at least 9x9 pixels (more with a margin: ``onnx_graph.graph_minimum``). The attention map is an input so that
temporal smoothing stays outside.

What the graph does not hold is in its metadata (``export_metadata``, ``onnx_graph.graph_metadata``): the margin,
the colour handling, the reduced size a student records, and which weights it was exported from. `enlight-video
export` writes it (for other runtimes; `enlight-video --weights G.onnx` runs it on ONNX Runtime), and so does the
export ONNX Runtime runs for a weights file (``stream.backends.onnxruntime.cached_weights_export``).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

import torch

from enlight.files import write_whole
from enlight.models.generator import EnlightenGANGenerator
from enlight.models.onnx_graph import (
    DEFAULT_OPSET,
    EXPORTED_FROM_KEY,
    INPUT_NAMES,
    OUTPUT_NAME,
    graph_metadata,
    trace_size,
    with_metadata,
)
from enlight.models.run_size import recorded_run_size, safetensors_metadata
from enlight.ops.luma import attention_map


def export_metadata(model: str, network, weights: Path) -> dict[str, str]:
    """What running the export of ``network`` (``model``, loaded from ``weights``) needs beside its graph: its
    margin and colour handling (the module's), the reduced size ``weights`` records, and the weights' name."""
    size = recorded_run_size(safetensors_metadata(weights), str(weights))
    return {**graph_metadata(model, margin=getattr(network, "margin", 0), keep_hue=getattr(network, "keep_hue", False),
                             run_size=size), EXPORTED_FROM_KEY: Path(weights).name}


def export_onnx_bytes(generator: EnlightenGANGenerator, *, opset: int = DEFAULT_OPSET,
                      metadata: dict[str, str] | None = None) -> bytes:
    """The serialised ONNX model of ``generator`` (float32, eval mode, on the CPU), ``metadata`` in its
    metadata_props (``export_metadata``'s; None: none)."""
    import copy

    model = copy.deepcopy(generator).float().eval().cpu()
    frames = torch.rand(1, 3, *trace_size(getattr(model, "margin", 0))) * 2 - 1  # RetinexNet has none
    attention = attention_map(frames)
    dynamic = {0: "batch", 2: "height", 3: "width"}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python ints from shapes (handled above)
        torch.onnx.export(
            model,
            (frames, attention),
            buffer,
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes={name: dynamic for name in (*INPUT_NAMES, OUTPUT_NAME)},
            opset_version=opset,
            dynamo=False,
        )
    return with_metadata(buffer.getvalue(), metadata or {})


def export_onnx(generator: EnlightenGANGenerator, path: str | Path, *, opset: int = DEFAULT_OPSET,
                metadata: dict[str, str] | None = None) -> Path:
    """``export_onnx_bytes`` written to ``path`` whole or not at all (a full disk or Ctrl-C leaves no part of it)."""
    return write_whole(path, export_onnx_bytes(generator, opset=opset, metadata=metadata))


def onnx_digest(data: bytes) -> str:
    """Short content hash of an ONNX model (engine cache keys use it)."""
    return hashlib.sha256(data).hexdigest()[:16]
