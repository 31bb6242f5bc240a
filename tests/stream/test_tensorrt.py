"""What the TensorRT backend decides without TensorRT; the engine itself runs only where it is installed."""

import re

import pytest
import torch

from enlight.stream.backends.tensorrt import EngineKey, TensorRTConfig, choose_profile


def test_profile_spans_multiples_of_16_around_the_frame():
    p = choose_profile(4, 479, 853)
    assert p.min == (1, 464, 848) and p.opt == (4, 479, 853) and p.max == (4, 480, 864)
    assert p.contains(1, 479, 853) and p.contains(4, 479, 853) and not p.contains(5, 479, 853)
    assert p.shapes(1)[2] == (4, 1, 480, 864)
    exact = choose_profile(8, 720, 1280)
    assert exact.min == (1, 720, 1280) and exact.max == (8, 720, 1280)
    tiny = choose_profile(1, 9, 30)
    assert tiny.min == (1, 9, 16) and tiny.max == (1, 16, 32)
    with pytest.raises(ValueError):
        choose_profile(0, 10, 10)


def key(**changes):
    base = dict(tensorrt="10.3.0", gpu="NVIDIA H100 80GB HBM3", compute_capability="9.0", onnx="abcd1234",
                profile=choose_profile(4, 720, 1280), precision="fp16")
    base.update(changes)
    return EngineKey(**base)


@pytest.mark.parametrize("change", [dict(tensorrt="10.4.0"), dict(gpu="NVIDIA L4"), dict(compute_capability="8.9"),
                                    dict(onnx="ffff0000"), dict(profile=choose_profile(8, 720, 1280)),
                                    dict(precision="fp32")])
def test_engine_key_changes_with_everything_it_depends_on(change):
    assert key(**change).digest() != key().digest()
    assert key(**change).filename() != key().filename()


def test_engine_filename_says_what_it_was_built_for():
    name = key().filename()
    assert name == f"enlightengan_nvidia-h100-80gb-hbm3_sm90_trt10.3.0_fp16_b1-4_720x1280_{key().digest()}.engine"
    assert re.fullmatch(r"[0-9a-f]{12}", key().digest())
    assert key().filename() == name  # stable


@pytest.mark.parametrize("change, before, after", [
    (dict(tensorrt="10.4.1"), "_trt10.3.0_", "_trt10.4.1_"),
    (dict(gpu="NVIDIA L4"), "_nvidia-h100-80gb-hbm3_", "_nvidia-l4_"),
    (dict(compute_capability="8.9"), "_sm90_", "_sm89_"),
    (dict(precision="fp32"), "_fp16_", "_fp32_"),
    (dict(profile=choose_profile(8, 720, 1280)), "_b1-4_", "_b1-8_"),
    (dict(profile=choose_profile(4, 480, 854)), "_720x1280_", "_480x854_"),
    (dict(onnx="ffff0000"), None, None),  # the network itself: only the hash says it
])
def test_engine_filename_changes_in_the_part_that_names_the_change(change, before, after):
    base, changed = key().filename(), key(**change).filename()
    assert changed != base
    assert changed.endswith(f"_{key(**change).digest()}.engine") and key(**change).digest() != key().digest()
    readable = base.removesuffix(f"_{key().digest()}.engine")
    changed_readable = changed.removesuffix(f"_{key(**change).digest()}.engine")
    if before is None:
        assert changed_readable == readable
    else:
        assert before in base and after in changed and f"{changed_readable}_" == f"{readable}_".replace(before, after)


@pytest.mark.tensorrt
@pytest.mark.gpu
def test_tensorrt_matches_torch(tmp_path, monkeypatch):
    from enlight.models import attention_map, build_generator
    from enlight.stream.backends import create_backend
    from enlight.stream.backends.torch import TorchBackendConfig

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    generator = build_generator(base_channels=8).eval()
    x = torch.rand(2, 3, 45, 70, device="cuda") * 2 - 1
    a = attention_map(x)
    cuda = torch.device("cuda")
    trt_out = create_backend(TensorRTConfig(device=cuda, precision="fp32"), generator)(x, a)
    torch_out = create_backend(TorchBackendConfig(device=cuda, precision="fp32"), generator)(x, a)
    assert (trt_out - torch_out).abs().max() < 1e-3
    assert list((tmp_path / "enlight" / "tensorrt").glob("*.engine"))
