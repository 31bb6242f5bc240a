"""Cutting a narrower generator out of a wider one (``enlight.train.prune``), the start of a new student."""

import pytest
import torch

from enlight.errors import EnlightError
from enlight.models.generator import build_generator
from enlight.models.weights import save_weights
from enlight.train.loop import initial_generator
from enlight.train.prune import _readers, prune_generator


def _random_generator(base: int, seed: int = 0):
    torch.manual_seed(seed)
    generator = build_generator(base_channels=base)
    for module in generator.modules():
        if isinstance(module, torch.nn.BatchNorm2d):  # statistics as after training, not 0 / 1
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return generator.eval()


def _silence_half(generator) -> None:
    """Make half of every group's channels contribute exactly nothing downstream: BatchNorm scale and shift
    0 where there is one, else a zero filter (conv -> leaky ReLU of 0 -> 0)."""
    for name in _readers():
        if name == "conv10":
            continue
        conv = getattr(generator, name)
        dead = torch.randperm(conv.out_channels)[: conv.out_channels // 2]
        bn = getattr(generator, name.replace("conv", "bn", 1), None) if name.startswith("conv") else None
        with torch.no_grad():
            if bn is not None:
                bn.weight[dead] = 0.0
                bn.bias[dead] = 0.0
            else:
                conv.weight[dead] = 0.0
                conv.bias[dead] = 0.0


def _inputs(seed: int = 1):
    torch.manual_seed(seed)
    frames = torch.rand(2, 3, 48, 64) * 2 - 1
    return frames, (1 - (frames.mean(1, keepdim=True) + 1) / 2)


def test_the_channels_that_carry_nothing_are_the_ones_cut_and_the_output_stays_the_same():
    generator = _random_generator(8)
    _silence_half(generator)
    narrow = prune_generator(generator, 4)
    assert narrow.base_channels == 4
    assert sum(p.numel() for p in narrow.parameters()) < sum(p.numel() for p in generator.parameters()) / 3
    frames, attention = _inputs()
    with torch.no_grad():
        torch.testing.assert_close(narrow(frames, attention), generator(frames, attention), atol=1e-5, rtol=1e-5)


def test_cutting_to_the_same_width_is_the_identity_and_wider_is_refused():
    generator = _random_generator(8)
    same = prune_generator(generator, 8)
    frames, attention = _inputs()
    with torch.no_grad():
        assert torch.equal(same(frames, attention), generator(frames, attention))
    with pytest.raises(ValueError):
        prune_generator(generator, 16)


def test_a_distillation_from_a_wider_init_starts_from_its_cut(tmp_path):
    wide = _random_generator(8)
    _silence_half(wide)
    path = save_weights(tmp_path / "wide.safetensors", wide, provenance="test")
    student = initial_generator(path, base_channels=4, cut_wider=True)
    assert student.base_channels == 4
    frames, attention = _inputs()
    with torch.no_grad():
        torch.testing.assert_close(student.eval()(frames, attention), wide(frames, attention), atol=1e-5, rtol=1e-5)
    assert initial_generator(path, base_channels=8, cut_wider=True).base_channels == 8  # as they are
    with pytest.raises(EnlightError, match="base channels 8, not 4"):
        initial_generator(path, base_channels=4)  # other trainers still refuse a wider --init
