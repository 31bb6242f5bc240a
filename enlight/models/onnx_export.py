"""Exporting the generator to ONNX: two inputs, dynamic batch, height and width.

Graph inputs: ``frames`` (B, 3, H, W) float32 RGB in [-1, 1] and ``attention`` (B, 1, H, W) in
[0, 1]; output ``enhanced`` (B, 3, H, W). The reflection padding to a multiple of 16 and the crop
back are inside the graph (computed from the input shape), so callers pass frames of any size
of at least 9x9 pixels. The attention map is an input so that temporal smoothing stays outside.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

import torch

from enlight.models.generator import EnlightenGANGenerator
from enlight.ops.luma import attention_map

INPUT_NAMES = ("frames", "attention")
OUTPUT_NAME = "enhanced"
DEFAULT_OPSET = 17
# traced at a size that is not a multiple of 16, so the padding ops are recorded in the graph, plus
# twice the generator's margin, so that the trace takes the reflection branch of its padding
_TRACE_SIZE = (37, 53)


def trace_size(margin: int) -> tuple[int, int]:
    """(height, width) of the example frames the export traces a generator with ``margin`` at."""
    return _TRACE_SIZE[0] + 2 * margin, _TRACE_SIZE[1] + 2 * margin


MARGIN_KEY = "enlight.margin"  # ONNX metadata: the generator's margin (int8 models are not modules)


def graph_minimum(margin: int) -> int:
    """The smallest height and width an exported generator with ``margin`` accepts: its graph
    reflection-pads margin + up to 8 pixels on a side, which must be less than the side itself."""
    return margin + 9 if margin else 1


def fit_graph(frames: torch.Tensor, attention: torch.Tensor, margin: int):
    """Frames and attention edge-replicated on the right and bottom up to ``graph_minimum(margin)``
    (unchanged when large enough), and the (height, width) to crop the output back to.

    frames (B, 3, H, W), attention (B, 1, H, W). The PyTorch generator replicates instead of
    reflecting by itself for such small frames; a traced graph cannot choose, so callers do this.
    """
    height, width = frames.shape[-2:]
    least = graph_minimum(margin)
    extra_h, extra_w = max(0, least - height), max(0, least - width)
    if extra_h or extra_w:
        frames = torch.nn.functional.pad(frames, (0, extra_w, 0, extra_h), mode="replicate")
        attention = torch.nn.functional.pad(attention, (0, extra_w, 0, extra_h), mode="replicate")
    return frames, attention, (height, width)


def export_onnx_bytes(generator: EnlightenGANGenerator, *, opset: int = DEFAULT_OPSET) -> bytes:
    """The serialised ONNX model of ``generator`` (float32, eval mode, on the CPU)."""
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
    return buffer.getvalue()


def export_onnx(generator: EnlightenGANGenerator, path: str | Path, *, opset: int = DEFAULT_OPSET) -> Path:
    path = Path(path)
    path.write_bytes(export_onnx_bytes(generator, opset=opset))
    return path


def onnx_digest(data: bytes) -> str:
    """Short content hash of an ONNX model (engine cache keys use it)."""
    return hashlib.sha256(data).hexdigest()[:16]
