import math

import pytest
import torch

from enlight.models.retinexnet import DecomNet, EnhanceNet, build_retinexnet
from enlight.models.weights import read_metadata
from enlight.models.zoo import load_model, save_retinexnet
from enlight.ops.hue import keep_hue
from enlight.train.retinex_losses import (
    DecomWeights,
    decom_loss,
    gradient,
    recon_loss,
    reflectance_loss,
    relight_loss,
    smoothness_loss,
)


@pytest.mark.parametrize("size", [(96, 96), (37, 53)])
def test_decomposition_shapes_and_ranges(size):
    x = torch.rand(2, 3, *size)
    r, i = DecomNet(channels=16)(x)
    assert r.shape == (2, 3, *size) and i.shape == (2, 1, *size)
    assert 0 <= r.min() and r.max() <= 1 and 0 <= i.min() and i.max() <= 1
    new = EnhanceNet(channels=16)(r, i)
    assert new.shape == (2, 1, *size)
    assert build_retinexnet(channels=16)(x).shape == x.shape


def test_gradient_by_hand():
    img = torch.tensor([[1.0, 3.0, 6.0], [1.0, 1.0, 1.0]]).view(1, 1, 2, 3)
    assert gradient(img, "x")[0, 0].tolist() == [[2, 3, 0], [0, 0, 0]]
    assert gradient(img, "y")[0, 0].tolist() == [[0, 2, 5], [0, 0, 0]]


def test_recon_loss_by_hand():
    ones = torch.ones(1, 3, 2, 2)
    low, high = 0.2 * ones, 0.8 * ones
    r = 0.5 * ones
    i_low, i_high = torch.full((1, 1, 2, 2), 0.4), torch.full((1, 1, 2, 2), 1.6)
    # same-pair terms are exact (0.5*0.4 = 0.2, 0.5*1.6 = 0.8): only the 0.001-weighted cross terms remain
    assert recon_loss(r, i_low, r, i_high, low, high).item() == pytest.approx(0.0)
    r_high = 0.25 * ones  # r_high*i_high = 0.4 vs 0.8: |.| 0.4; r_high*i_low = 0.1 vs 0.2: 0.1; r_low*i_high = 0.8 ok
    expected = 0.4 + 0.001 * (0.1 + 0.0)
    assert recon_loss(r, i_low, r_high, i_high, low, high).item() == pytest.approx(expected)


def test_reflectance_loss_stops_gradient_to_normal():
    r_low = torch.full((1, 3, 2, 2), 0.3, requires_grad=True)
    r_high = torch.full((1, 3, 2, 2), 0.5, requires_grad=True)
    loss = reflectance_loss(r_low, r_high)
    assert loss.item() == pytest.approx(0.2)
    loss.backward()
    assert r_high.grad is None and r_low.grad is not None


def test_smoothness_by_hand():
    flat_r = torch.full((1, 3, 4, 4), 0.5)
    step = torch.zeros(1, 1, 4, 4)
    step[..., 2:] = 1.0  # one vertical edge: x-gradient 1 on column 1 of 4 rows -> mean 4/16
    assert smoothness_loss(step, flat_r).item() == pytest.approx(4 / 16)
    edged_r = flat_r.clone()
    edged_r[..., 2:] = 1.0  # the same edge in the reflectance makes it cheaper:
    # grey-R x-gradient 0.5 on column 1; its 3x3 average (zeros padded) is 1.5/9 on rows 1-2, 1.0/9 on rows 0 and 3
    expected = (2 * math.exp(-10 * 1.0 / 9) + 2 * math.exp(-10 * 1.5 / 9)) / 16
    assert smoothness_loss(step, edged_r).item() == pytest.approx(expected, rel=1e-5)
    assert smoothness_loss(torch.full((1, 1, 4, 4), 0.7), flat_r).item() == 0


def test_relight_loss_by_hand():
    r = torch.full((1, 3, 2, 2), 0.5)
    high = torch.full((1, 3, 2, 2), 0.6)
    assert relight_loss(r, torch.full((1, 1, 2, 2), 1.0), high).item() == pytest.approx(0.1)


def test_a_few_steps_reduce_the_loss_on_a_tiny_pair():
    torch.manual_seed(0)
    high = torch.rand(1, 3, 24, 24) * 0.6 + 0.3
    low = high * 0.15
    decom, enhance = DecomNet(channels=16), EnhanceNet(channels=16)
    opt = torch.optim.Adam([*decom.parameters(), *enhance.parameters()], lr=1e-3)
    losses = []
    for _ in range(40):
        r_low, i_low = decom(low)
        r_high, i_high = decom(high)
        loss = decom_loss(r_low, i_low, r_high, i_high, low, high, DecomWeights())
        loss = loss + relight_loss(r_low, enhance(r_low, i_low), high)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_weights_record_whether_the_colours_are_kept(tmp_path):
    """Saved RetinexNet weights record ``keep_hue`` (the bundled ones do): the model then runs in the input's colours;
    weights without the record (exported before it existed) run in the network's own."""
    net = build_retinexnet(channels=8).eval()
    kept = save_retinexnet(tmp_path / "kept.safetensors", net, provenance={}, fp16=False)
    free = save_retinexnet(tmp_path / "free.safetensors", net, provenance={}, fp16=False, keep_hue=False)
    assert read_metadata(kept)["keep_hue"] == "1" and "keep_hue" not in read_metadata(free)
    frames = torch.rand(1, 3, 24, 32) * 0.2 - 1  # dark
    frames[:, 0] += 0.1  # reddish
    attention = torch.zeros(1, 1, 24, 32)
    with torch.no_grad():
        out_kept, out_free = load_model("retinexnet", kept)(frames, attention), load_model("retinexnet", free)(
            frames, attention)
        own = net((frames + 1) / 2).clamp(0, 1) * 2 - 1
    assert torch.allclose(out_free, own, atol=1e-6)
    assert torch.allclose(out_kept, keep_hue(own, frames), atol=1e-6) and not torch.allclose(out_kept, own, atol=1e-2)
