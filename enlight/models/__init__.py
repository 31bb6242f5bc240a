"""Networks and their weights (torch; torchvision for VGG, in training). The names below are imported on first
use, so that torch-free modules of the package (``bundled``, ``onnx_graph``) load without torch."""

from importlib import import_module

_EXPORTS = {
    "EnlightenGANGenerator": "enlight.models.generator",
    "build_generator": "enlight.models.generator",
    "WeightsError": "enlight.models.bundled",
    "default_weights": "enlight.models.bundled",
    "load_generator": "enlight.models.weights",
    "save_weights": "enlight.models.weights",
    "attention_map": "enlight.ops.luma",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'enlight.models' has no attribute '{name}'")
    return getattr(import_module(_EXPORTS[name]), name)
