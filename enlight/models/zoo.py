"""Which network enhances the frames: EnlightenGAN (default) or RetinexNet, and their weights.

Every model is returned behind one interface: ``model(frames, attention)`` with frames
(B, 3, H, W) RGB in [-1, 1] and attention (B, 1, H, W) in [0, 1] -> (B, 3, H, W), float32, eval
mode, on the CPU; the backends and the pipeline need nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from enlight.models.bundled import WEIGHTS_DIR, WeightsError, default_weights
from enlight.models.retinexnet import RetinexNet, RetinexVideoModel
from enlight.models.weights import ARCHITECTURE, load_generator, read_metadata

MODELS = ("enlightengan", "retinexnet")
RETINEX_ARCHITECTURE = "retinexnet"
DEFAULT_RETINEX_WEIGHTS = WEIGHTS_DIR / "retinexnet.safetensors"


def save_retinexnet(path: str | Path, net: RetinexNet, *, provenance: dict, fp16: bool = True,
                    keep_hue: bool = True) -> Path:
    """``net`` as our safetensors; ``keep_hue`` is recorded (``"keep_hue": "1"``): the model then runs in the
    input's colours (``RetinexVideoModel``), as the bundled weights do."""
    from enlight.models.weights import save_module

    channels = str(net.decom.shallow.out_channels)
    extra = {"keep_hue": "1"} if keep_hue else {}
    return save_module(path, net, architecture=RETINEX_ARCHITECTURE, provenance=json.dumps(provenance),
                       dtype=torch.float16 if fp16 else None, channels=channels, **extra)


def load_retinexnet(path: str | Path) -> RetinexNet:
    """RetinexNet (eval, float32, CPU) from one of our safetensors files; one-line WeightsError otherwise."""
    path = Path(path)
    metadata = retinex_metadata(path)
    from safetensors.torch import load_file

    net = RetinexNet(channels=int(metadata.get("channels", 64)))
    state = {k: v.float() for k, v in load_file(str(path)).items()}
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise WeightsError(f"{path} does not match RetinexNet: {str(exc).splitlines()[0]}") from None
    return net.eval()


def retinex_metadata(path: Path) -> dict[str, str]:
    """The metadata of RetinexNet weights; WeightsError where ``path`` holds another network's."""
    metadata = read_metadata(path)
    if metadata.get("architecture") != RETINEX_ARCHITECTURE:
        run = " (they run without --model retinexnet)" if metadata.get("architecture") == ARCHITECTURE else ""
        raise WeightsError(f"{path} holds {metadata.get('architecture') or 'unknown'} weights, not retinexnet{run}")
    return metadata


def default_model_weights(model: str) -> Path:
    if model == "enlightengan":
        return default_weights()
    if not DEFAULT_RETINEX_WEIGHTS.is_file():
        raise WeightsError("no RetinexNet weights are bundled with this build: pass --weights FILE")
    return DEFAULT_RETINEX_WEIGHTS


def load_model(model: str = "enlightengan", weights: str | Path | None = None) -> nn.Module:
    """The network ``model`` with ``weights`` (None = the bundled ones), behind the common interface."""
    if model not in MODELS:
        raise WeightsError(f"unknown model '{model}' (choose from {', '.join(MODELS)})")
    path = Path(weights) if weights is not None else default_model_weights(model)
    if model == "retinexnet":  # in the input's colours where the weights record keep_hue (the bundled ones do)
        kept = retinex_metadata(path).get("keep_hue", "0") == "1"
        return RetinexVideoModel(load_retinexnet(path), keep_hue=kept).eval()
    return load_generator(path)


__all__ = ["MODELS", "load_model", "load_retinexnet", "save_retinexnet"]
