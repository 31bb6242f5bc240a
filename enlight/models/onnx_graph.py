"""The exported generator's graph as its callers see it, importable without torch: input and output names,
the metadata that says how it must be run, the smallest frame it takes and how smaller frames are fitted to it
(``enlight.models.onnx_export`` makes the graph).

Beside the graph, an exported model (`enlight-video export`'s, an int8 model of `enlight-train quantize`, the
cached exports ONNX Runtime runs) carries in its metadata what running it needs and the graph does not hold
(``graph_metadata``): its margin (``enlight.margin``: frames under ``graph_minimum`` are edge-padded to it first,
``fit_graph``), the reduced size a student was distilled to run at (``enlight.scale``, ``enlight.upsample``:
``enlight.models.run_size``; none at full size), and, said for other callers, whether it keeps the input's colours
(``enlight.keep_hue``: done inside the graph, so nothing is to be done outside) and which network it is.
"""

from __future__ import annotations

import numpy as np

from enlight.models.run_size import ONNX_PREFIX, RunSize, run_size_metadata

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


MARGIN_KEY = ONNX_PREFIX + "margin"  # ONNX metadata: the generator's margin (int8 models are not modules)
KEEP_HUE_KEY = ONNX_PREFIX + "keep_hue"  # "1": the graph keeps the input's colours (``enlight.ops.hue``), else "0"
MODEL_KEY = ONNX_PREFIX + "model"  # which network: enlightengan or retinexnet (``enlight.models.zoo.MODELS``)
EXPORTED_FROM_KEY = ONNX_PREFIX + "exported_from"  # `enlight-video export`'s: the name of the weights it exported
SOURCE_WEIGHTS_KEY = ONNX_PREFIX + "source_weights"  # `enlight-train quantize`'s: the weights it quantised
_METADATA_FIELD, _KEY_FIELD, _VALUE_FIELD = 14, 1, 2  # ModelProto.metadata_props; StringStringEntryProto's fields


def graph_metadata(model: str, *, margin: int, keep_hue: bool, run_size: RunSize | None) -> dict[str, str]:
    """The metadata entries that say how the graph of ``model`` runs: its margin, whether it keeps the input's
    colours, and the reduced size it was distilled for (``run_size``; None: full size, no entry)."""
    size = run_size_metadata(run_size.scale, run_size.upsample, ONNX_PREFIX) if run_size else {}
    return {MODEL_KEY: model, MARGIN_KEY: str(int(margin)), KEEP_HUE_KEY: "1" if keep_hue else "0", **size}


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        out.append(value & 0x7F | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def with_metadata(model: bytes, metadata: dict[str, str]) -> bytes:
    """The serialised ONNX model ``model`` with ``metadata`` added to its metadata_props, without the onnx package:
    protobuf reads fields appended to a message as part of it (a repeated field's entries are concatenated)."""
    entries = (_field(_KEY_FIELD, key.encode()) + _field(_VALUE_FIELD, value.encode())
               for key, value in metadata.items())
    return model + b"".join(_field(_METADATA_FIELD, entry) for entry in entries)


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
