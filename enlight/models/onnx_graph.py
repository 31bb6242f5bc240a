"""The exported generator's graph as its callers see it, importable without torch: input and output names,
the metadata key of its margin, the smallest frame it takes and how smaller frames are fitted to it
(``enlight.models.onnx_export`` makes the graph)."""

from __future__ import annotations

import numpy as np

INPUT_NAMES = ("frames", "attention")
OUTPUT_NAME = "enhanced"
DEFAULT_OPSET = 17
# the opsets the generator exports at with torch 2.14's exporter: below 11 its padding (sized by the input) has no
# ONNX form, above 23 the exporter has none
MIN_OPSET, MAX_OPSET = 11, 23
# traced at a size that is not a multiple of 16, so the padding ops are recorded in the graph, plus
# twice the generator's margin, so that the trace takes the reflection branch of its padding
_TRACE_SIZE = (37, 53)


def trace_size(margin: int) -> tuple[int, int]:
    """(height, width) of the example frames the export traces a generator with ``margin`` at."""
    return _TRACE_SIZE[0] + 2 * margin, _TRACE_SIZE[1] + 2 * margin


MARGIN_KEY = "enlight.margin"  # ONNX metadata: the generator's margin (int8 models are not modules)


def graph_minimum(margin: int) -> int:
    """The smallest height and width an exported generator with ``margin`` accepts: its graph
    reflection-pads margin + up to 8 pixels on a side, which must be less than the side itself (with no margin too:
    the released generator's graph, or one trained here, refused a 17x3 photo, or a photo 16 pixels high that
    --quality fast takes at 4)."""
    return margin + 9


def _pad_edges(x, extra_h: int, extra_w: int):
    """(B, C, H, W) numpy array or torch tensor, its last row and column repeated extra_h and extra_w times."""
    if isinstance(x, np.ndarray):
        return np.pad(x, ((0, 0), (0, 0), (0, extra_h), (0, extra_w)), mode="edge")
    import torch

    return torch.nn.functional.pad(x, (0, extra_w, 0, extra_h), mode="replicate")


def fit_graph(frames, attention, margin: int):
    """Frames and attention edge-replicated on the right and bottom up to ``graph_minimum(margin)``
    (unchanged when large enough), and the (height, width) to crop the output back to.

    frames (B, 3, H, W), attention (B, 1, H, W): numpy arrays or torch tensors. The PyTorch generator
    replicates instead of reflecting by itself for such small frames; a traced graph cannot choose, so callers do this.
    """
    height, width = frames.shape[-2:]
    least = graph_minimum(margin)
    extra_h, extra_w = max(0, least - height), max(0, least - width)
    if extra_h or extra_w:
        frames, attention = _pad_edges(frames, extra_h, extra_w), _pad_edges(attention, extra_h, extra_w)
    return frames, attention, (height, width)
