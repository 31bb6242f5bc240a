"""Networks and their weights. Imports only torch (torchvision for VGG, in training)."""

from enlight.models.generator import EnlightenGANGenerator, build_generator
from enlight.models.weights import WeightsError, default_weights, load_generator, save_weights
from enlight.ops.luma import attention_map

__all__ = [
    "EnlightenGANGenerator",
    "WeightsError",
    "attention_map",
    "build_generator",
    "default_weights",
    "load_generator",
    "save_weights",
]
