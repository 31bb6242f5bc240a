"""Int8 ONNX models of a generator, for ONNX Runtime on a CPU (``enlight-train quantize``).

Static quantisation in ONNX Runtime's QDQ format: weights int8 per output channel, activations
uint8 with ranges calibrated on real low-light images (the 99.99th percentile of each tensor's
histogram, so a few outlier pixels do not stretch the range). The output head stays float32:
the last convolution, its product with the attention map and the skip connection's addition
(``output = input + attention * residual``), where 8-bit steps would land on the picture directly.

Measured with the base-16 student on this 2-core CPU (AVX-512 VNNI), 854x480: 307 -> 190 ms per
frame. The calibration is chosen on the zerodce recipe's 40 validation images (``--holdout``; PSNR of
the preset against the full model, ``benchmarks/student_eval.py --quality balanced STUDENT.onnx``). For
the students distilled from the stage-3 weights, with 48 shots at 384x288, the percentile gave
99.9: 36.68 dB, 99.99: 36.88, **99.999: 37.58**, 100 (min/max): 36.75 on the first 20 images, against
39.04 for the float student; 32 shots at 512x384 at 99.999 gave 36.97. On all 40: 36.67 at 99.99, 37.22 at
99.999. For the students distilled from the stage-4 weights, on all 40: 99.99: **37.54**, 99.999: 36.67, 99.9999: 37.07
against 39.98 (first 20) for the float student: the percentile's effect is not monotonic and moves with each
student, so it is chosen again for each. For the stage-5 students, on all 40: 99.99: 37.88 (worst 34.94),
99.999: 38.37 (worst 33.62), 99.9999: 37.09; 99.99 stays, for its worst image. (The first calibration had
been picked on LIME and MEF themselves, the test sets; no longer.)
The result ships as ``enlight/models/weights/enlightengan_c16_int8.onnx`` (the ``balanced`` preset); one of a
user's own student runs with ``enlight-video --weights Q.onnx`` (``enlight.stream.core.own_weights``). Its metadata
holds what running it needs beside the graph (``onnx_graph.graph_metadata``, as `enlight-video export` writes it): the
margin, and a reduced-size student's scale and upsampling.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from enlight.errors import EnlightError
from enlight.ops.luma import attention_map

HEAD_MODULE = "conv10"  # the generator's last convolution; it and everything after it stay float
FIRST_MODULE = "conv1_1"  # its first: what does not depend on it (input preparation) stays float too


@dataclass(frozen=True)
class QuantizeConfig:
    weights: Path  # an EnlightenGAN generator (.safetensors)
    images: tuple[Path, ...]  # folders of low-light images for calibration
    out: Path  # the .onnx file to write
    calibration_images: int = 48  # the first N images (sorted by name) across the folders
    max_side: int = 384  # calibration images are centre-cropped to 4:3 and resized to max_side x 3/4 of it
    percentile: float = 99.99
    # images held out as the zerodce recipe's validation split (never calibrated on); None: as many as the recipe
    # holds out of so many (``data.default_validation``: 40 of the project's folder)
    holdout: int | None = None


def calibration_paths(config: QuantizeConfig) -> tuple[list[Path], str]:
    """The images calibrated on (the first ``calibration_images`` by name, the validation split left out), and
    what was held out, in words for the summary line."""
    from enlight.train.data import default_validation, list_images, validation_split

    paths = sorted(p for folder in config.images for p in list_images(folder))
    if not paths:
        raise EnlightError(f"no calibration images in {', '.join(str(f) for f in config.images)}")
    holdout = default_validation(len(paths)) if config.holdout is None else config.holdout
    if config.holdout == 0:
        held = "none held out (--holdout 0)"
    elif not holdout:
        held = f"none held out: the zerodce recipe holds out none of {len(paths)} images (fewer than 10)"
    elif len(paths) > holdout:
        paths, held = validation_split(paths, holdout)[0], f"the {holdout} validation images held out"
    else:  # the zerodce recipe refuses to hold out so many
        held = f"none held out: --holdout {holdout} needs more than {holdout} images and the folders have {len(paths)}"
    return paths[: config.calibration_images], held


def calibration_inputs(config: QuantizeConfig) -> list[dict[str, np.ndarray]]:
    """ONNX feeds ``{frames: (1, 3, H, W), attention: (1, 1, H, W)}`` float32, frames in [-1, 1].

    All of one size, (H, W) = (3/4 max_side, max_side): the percentile calibration stacks every
    image's activations, so they must match (and that stack is what costs memory: 24 images at
    512x384 peaked at 12.7 GB; 48 at 384x288, the default, fit in 24 GiB)."""
    from enlight.models.onnx_graph import INPUT_NAMES
    from enlight.train.data import load_rgb

    size = (round(config.max_side * 3 / 4), config.max_side)
    feeds = []
    for path in calibration_paths(config)[0]:
        x = torch.from_numpy(load_rgb(path)).permute(2, 0, 1)[None].float() / 127.5 - 1
        h, w = x.shape[-2:]
        ch, cw = min(h, round(w * 3 / 4)), min(w, round(h * 4 / 3))  # centre crop to 4:3
        x = x[..., (h - ch) // 2:(h - ch) // 2 + ch, (w - cw) // 2:(w - cw) // 2 + cw]
        x = F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False).clamp(-1, 1)
        feeds.append({INPUT_NAMES[0]: x.numpy(), INPUT_NAMES[1]: attention_map(x).numpy()})
    return feeds


def _descendants(model, start: list) -> list[str]:
    """Names of ``start``'s nodes and of every node that consumes their outputs, transitively."""
    consumers: dict[str, list] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    found, todo = [], list(start)
    while todo:
        node = todo.pop()
        if node.name in found:
            continue
        found.append(node.name)
        for output in node.output:
            todo.extend(consumers.get(output, []))
    return found


def _conv(model, module: str) -> list:
    return [n for n in model.graph.node if n.op_type == "Conv" and f"/{module}/" in n.name]


def head_nodes(model) -> list[str]:
    """Names of the ONNX nodes kept in float32: from the head convolution to the output, and every
    node that does not depend on the first convolution (the input's padding and attention pooling,
    and the ``keep_hue`` colour branch, whose ratios 8-bit steps would put straight on the picture)."""
    start = _conv(model, HEAD_MODULE)
    first = _conv(model, FIRST_MODULE)
    if len(start) != 1 or len(first) != 1:
        raise EnlightError(f"cannot find the generator's head convolution ({HEAD_MODULE}) in the ONNX graph")
    network = set(_descendants(model, first))
    keep = _descendants(model, start)
    return keep + [n.name for n in model.graph.node if n.name not in network and n.name not in keep]


class _PerTensorFallback(logging.Filter):
    """Drops ONNX Runtime's warning that a rank-1 weight (each BatchNorm's scale: 17 lines) has no axis 1 to
    quantize per channel along: it quantizes those per tensor, as intended, and said so once a layer."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "is out-of-range for weight" not in record.getMessage()


@contextmanager
def _quantizer_quiet() -> Iterator[None]:
    """ONNX Runtime's quantizer without its per-tensor warnings and without the calibration steps it prints on
    stdout ("Collecting tensor data and making histogram ...": a script reading our stdout gets none of it)."""
    log, quiet = logging.getLogger(), _PerTensorFallback()
    log.addFilter(quiet)
    try:
        with redirect_stdout(io.StringIO()):
            yield
    finally:
        log.removeFilter(quiet)


def quantize_generator(config: QuantizeConfig) -> Path:
    """Write ``config.out``: the int8 QDQ ONNX model of ``config.weights``; returns its path."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from enlight.models.onnx_export import export_onnx_bytes
    from enlight.models.onnx_graph import SOURCE_WEIGHTS_KEY, graph_metadata
    from enlight.models.run_size import recorded_run_size, safetensors_metadata
    from enlight.models.zoo import load_model

    feeds = calibration_inputs(config)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(feeds)

        def get_next(self):
            return next(self._it, None)

    generator = load_model("enlightengan", config.weights)
    with tempfile.TemporaryDirectory() as tmp:
        plain, prepared = Path(tmp) / "fp32.onnx", Path(tmp) / "prepared.onnx"
        plain.write_bytes(export_onnx_bytes(generator))
        quant_pre_process(str(plain), str(prepared), skip_symbolic_shape=True)
        keep = head_nodes(onnx.load(str(prepared)))
        quantized = Path(tmp) / "int8.onnx"
        with _quantizer_quiet():
            quantize_static(str(prepared), str(quantized), Reader(), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            calibrate_method=CalibrationMethod.Percentile, nodes_to_exclude=keep,
                            extra_options={"CalibPercentile": config.percentile})
        model = onnx.load(str(quantized))
    digest = hashlib.sha256(Path(config.weights).read_bytes()).hexdigest()
    size = recorded_run_size(safetensors_metadata(config.weights), str(config.weights))  # a student's reduced size
    for key, value in {SOURCE_WEIGHTS_KEY: Path(config.weights).name, "enlight.source_sha256": digest,
                       "enlight.calibration": f"{len(feeds)} images, percentile {config.percentile}",
                       "enlight.float_head": ",".join(keep),
                       **graph_metadata("enlightengan", margin=generator.margin, keep_hue=generator.keep_hue,
                                        run_size=size)}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    config.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(config.out))
    return config.out


__all__ = ["QuantizeConfig", "calibration_inputs", "calibration_paths", "head_nodes", "quantize_generator"]
