"""The Zero-DCE non-reference losses on tiny hand-computed cases."""

import numpy as np
import pytest
import torch

from enlight.train.nonref_losses import (
    color_constancy_loss,
    exposure_control_loss,
    gamma_matched,
    illumination_smoothness_loss,
    spatial_consistency_loss,
)


def grey(values):
    """(1, 3, H, W) image with every channel equal to ``values`` (H, W)."""
    return torch.tensor(values, dtype=torch.float32)[None, None].repeat(1, 3, 1, 1)


def test_spatial_consistency_hand_computed():
    # 2x2 cells of 1 pixel (cell=1): output cells [[0, 1], [0, 0]], reference all 0.
    out = grey([[0.0, 1.0], [0.0, 0.0]])
    ref = grey([[0.0, 0.0], [0.0, 0.0]])
    # horizontal diffs: row0 1-0 = 1, row1 0; vertical: col0 0, col1 0-1 = -1 -> squares sum 2;
    # each pair counted twice -> 4; mean over the 4 cells -> 1.0
    assert spatial_consistency_loss(out, ref, cell=1).item() == pytest.approx(1.0)


def test_spatial_consistency_ignores_offsets_and_pools():
    ref = torch.rand(2, 3, 16, 16)
    assert spatial_consistency_loss(ref + 0.3, ref).item() == pytest.approx(0.0, abs=1e-10)
    # a checkerboard inside each 4x4 cell averages away
    board = ((torch.arange(16)[:, None] + torch.arange(16)[None]) % 2).float().expand(1, 3, 16, 16)
    assert spatial_consistency_loss(board, torch.full_like(board, 0.5)).item() == pytest.approx(0.0, abs=1e-10)


def test_exposure_control_hand_computed():
    # two 16x16 patches side by side with mean 0.2 and 0.6 (level 0.6): ((0.4)^2 + 0) / 2 = 0.08
    image = torch.cat([torch.full((1, 3, 16, 16), 0.2), torch.full((1, 3, 16, 16), 0.6)], dim=3)
    assert exposure_control_loss(image).item() == pytest.approx(0.08, rel=1e-5)
    assert exposure_control_loss(image, level=0.2).item() == pytest.approx(0.08, rel=1e-5)


def test_color_constancy_hand_computed():
    image = torch.zeros(1, 3, 4, 4)
    image[:, 0] = 0.5  # means r 0.5, g 0, b 0: d_rg = d_rb = 0.25, d_gb = 0
    assert color_constancy_loss(image).item() == pytest.approx((2 * 0.25**2) ** 0.5)
    assert color_constancy_loss(torch.full((2, 3, 4, 4), 0.3)).item() == pytest.approx(0.0)


def test_illumination_smoothness_hand_computed():
    x = torch.tensor([[0.0, 1.0], [0.0, 1.0]])[None, None]  # dx = 1 twice, dy = 0 -> 2 * (0 + 1) = 2
    assert illumination_smoothness_loss(x).item() == pytest.approx(2.0)
    assert illumination_smoothness_loss(torch.full((1, 3, 5, 5), 0.7)).item() == 0.0


def test_gamma_matched_reaches_the_target_mean_without_gradient():
    low = torch.rand(2, 3, 8, 8, requires_grad=True) * 0.3
    target = torch.tensor([0.5, 0.4])
    matched = gamma_matched(low, target)
    assert not matched.requires_grad
    torch.testing.assert_close(matched.mean(dim=(1, 2, 3)), target, atol=1e-4, rtol=0)


def test_losses_have_gradients():
    out = torch.rand(1, 3, 32, 32, requires_grad=True)
    ref = torch.rand(1, 3, 32, 32)
    total = (spatial_consistency_loss(out, ref) + exposure_control_loss(out) + color_constancy_loss(out)
             + illumination_smoothness_loss(out - ref))
    total.backward()
    assert out.grad is not None and out.grad.abs().sum() > 0


def test_color_angle_hand_computed():
    from enlight.train.nonref_losses import color_angle_loss

    src = torch.zeros(1, 3, 4, 4)
    src[:, 0] = 0.1  # pure red
    assert color_angle_loss(src * 5, src, eps=0).item() == pytest.approx(0.0, abs=1e-6)  # a gain is free
    out = torch.zeros(1, 3, 4, 4)
    out[:, 0] = 0.5
    out[:, 1] = 0.5  # yellow: 45 degrees from red
    assert color_angle_loss(out, src, eps=0).item() == pytest.approx(1 - 2**-0.5, abs=1e-6)


def test_chromaticity_hand_computed():
    from enlight.train.nonref_losses import chromaticity_loss

    src = torch.zeros(1, 3, 4, 4)
    src[:, 0], src[:, 1] = 0.2, 0.1  # chromaticity (2/3, 1/3, 0), bright enough to count fully
    assert chromaticity_loss(src * 3, src, eps=0).item() == pytest.approx(0.0, abs=1e-6)  # a gain is free
    out = torch.full((1, 3, 4, 4), 0.5)  # grey: (1/3, 1/3, 1/3) -> |1/3| + 0 + |1/3|
    assert chromaticity_loss(out, src, eps=0).item() == pytest.approx(2 / 3, abs=1e-6)
    # a dark input cell (mean 0.01 < dark 0.02) counts in proportion: weight 0.5
    assert chromaticity_loss(out, src / 10, eps=0).item() == pytest.approx(2 / 3 * 0.5, abs=1e-6)


def test_border_loss_sees_a_bright_frame_and_not_a_real_edge():
    from enlight.train.nonref_losses import border_loss

    torch.manual_seed(0)
    reference = torch.rand(2, 3, 48, 64) * 0.02 + 0.4
    assert border_loss(reference, reference).item() == 0
    framed = reference.clone()
    framed[..., :4, :] += 10 / 255  # the top 4 rows 10 grey levels brighter
    loss = border_loss(framed, reference)
    assert loss.item() == pytest.approx(10 / 255 / 4, rel=0.05)  # one side of four
    framed.requires_grad_(True)
    border_loss(framed, reference).backward()
    assert framed.grad[..., :4, :].abs().sum() > 0
    edged = reference.clone()
    edged[..., :4, :] += 0.2  # a real bright edge in the reference and the output alike: not a frame
    assert border_loss(edged, edged).item() == 0


def test_black_level_loss_stops_a_grey_veil_over_black():
    from enlight.train.nonref_losses import black_level_loss

    source = torch.full((1, 3, 16, 16), 0.004)
    source[..., :, 8:] = 0.2  # right half: lit
    lifted = source * 8  # within the gain cap everywhere
    assert black_level_loss(lifted.clamp(0, 1), source, max_gain=10).item() == 0
    veiled = lifted.clone()
    veiled[..., :, :8] = 0.1  # a grey veil over the black half: 25x its input
    assert black_level_loss(veiled, source, max_gain=10).item() == pytest.approx((0.1 - 0.04) / 2, rel=1e-3)


def test_black_point_loss_moves_the_black_point_and_leaves_dark_walls_alone():
    """A veil over the input's black corner costs; a dark wall lifted 10x (which black_level_loss at gain 4
    would pull down) and a bright image's darkest pixels lifted within the gain are free."""
    from enlight.train.nonref_losses import black_level_loss, black_point_loss

    source = torch.full((1, 3, 20, 20), 0.03)  # a dark wall
    source[..., :2, :2] = 0.002  # its black corner: 4 of 400 pixels, the darkest 1%
    lifted = (source * 10).clamp(0, 1)
    lifted[..., :2, :2] = 0.006  # the corner within 4x its input
    assert black_point_loss(lifted, source, quantile=0.01, gain=4).item() == 0
    assert black_level_loss(lifted, source, max_gain=4, cell=2).item() > 0
    veiled = lifted.clone()
    veiled[..., :2, :2] = 0.1  # a grey veil over black
    assert black_point_loss(veiled, source, quantile=0.01, gain=4).item() == pytest.approx(0.1 - 0.008, rel=1e-3)
    veiled.requires_grad_(True)
    black_point_loss(veiled, source).backward()
    assert veiled.grad[..., 2:, :].abs().sum() == 0 and veiled.grad[..., :2, :2].abs().sum() > 0
    bright = torch.linspace(0.2, 0.8, 400).view(1, 1, 20, 20).expand(1, 3, 20, 20)
    assert black_point_loss((bright * 1.5).clamp(0, 1), bright).item() == 0


def test_structure_loss_is_one_minus_the_structure_measure():
    """On a real-sized image with texture, the loss is 1 - enlight.quality.structure.structure_kept
    (the measure drops 5 more pixels at each edge and matches the gamma with BT.601 luma)."""
    from enlight.quality.structure import structure_kept
    from enlight.train.nonref_losses import gamma_matched, structure_loss

    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:96, 0:128]
    texture = 0.02 + 0.06 * (x / 128) + 0.02 * np.sin(y / 3.0) + 0.01 * rng.random((96, 128))
    dark = texture[..., None] * [1.0, 0.9, 0.8]
    milky = np.clip(0.45 + 0.05 * np.sin(x / 20.0), 0, 1)[..., None] * np.ones(3)  # flat: its texture lost
    low = torch.from_numpy(dark).permute(2, 0, 1)[None].float()
    out = torch.from_numpy(milky).permute(2, 0, 1)[None].float()
    reference = gamma_matched(low, out.mean(dim=(1, 2, 3)))
    loss = structure_loss(out, reference).item()
    to8 = lambda t: (t[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)  # noqa: E731
    assert loss == pytest.approx(1 - structure_kept(to8(low), to8(out)), abs=0.01)
    assert loss > 0.2 and structure_loss(reference, reference).item() < 1e-6


def test_anchor_loss_is_the_luma_distance():
    from enlight.train.nonref_losses import anchor_loss

    a = torch.full((1, 3, 8, 8), 0.4)
    b = a.clone()
    b[:, 0] += 0.3  # same luma up to the channel mean: 0.1 brighter
    assert anchor_loss(a, a).item() == 0
    assert anchor_loss(b, a).item() == pytest.approx(0.1, abs=1e-6)


def test_halo_loss_is_free_for_a_global_gain_and_costs_a_dark_ring():
    """A dark wall with a lit window lifted 2x everywhere costs next to nothing (the floor that keeps black
    cells from dominating makes it not exactly scale-free); the same wall lifted less around the window
    (a dark ring, tens of pixels wide) costs more, the more so the deeper the ring."""
    from enlight.train.nonref_losses import halo_loss

    y, x = np.mgrid[0:128, 0:128]
    wall = 0.04 + 0.01 * np.sin(x / 5.0)
    wall[48:80, 48:80] = 0.45  # the window
    reference = grey(wall)
    lifted = grey(np.clip(wall * 2, 0, 1))
    ring = np.exp(-(((y - 64) ** 2 + (x - 64) ** 2) / (2 * 30.0**2)))  # 1 at the window, fading out
    shallow = grey(np.clip(wall * 2 * (1 - 0.3 * ring), 0, 1))
    deep = grey(np.clip(wall * 2 * (1 - 0.6 * ring), 0, 1))
    assert halo_loss(reference, reference).item() == 0
    flat, low, high = (halo_loss(image, reference).item() for image in (lifted, shallow, deep))
    assert flat < 0.03 and 1.5 * flat < low and 2 * low < high


def test_toe_curve_lowers_the_black_point_and_keeps_the_rest_and_the_colours():
    from enlight.train.nonref_losses import tone_curve

    y = torch.linspace(0.1, 0.9, 9)  # b, the 0th percentile... of P 1e-9: 0.1; knee 127.5 levels = 0.5
    image = torch.stack([y, y * 0.5, y * 1.5]).reshape(1, 3, 1, 9)  # channel mean y, the hue of (1, 0.5, 1.5)
    out = tone_curve(image, "toe:1e-9:127.5")
    mean = out.mean(1)[0, 0]
    expected = torch.where(y < 0.5, (y - 0.1 * (1 - y / 0.5) ** 2).clamp(min=0), y)
    torch.testing.assert_close(mean, expected)
    assert mean[0] == pytest.approx(0.1 - 0.1 * 0.8**2)  # the darkest pixel: down by b (1 - 0.2)^2
    torch.testing.assert_close(mean[4:], y[4:])  # the knee and above unchanged
    torch.testing.assert_close(out[:, 1] / out[:, 0], torch.full((1, 1, 9), 0.5))  # ratios kept
    flat = torch.full((2, 3, 4, 4), 0.7)
    torch.testing.assert_close(tone_curve(flat, "toe:1:127.5"), flat)  # all above the knee


def test_s_curve_adds_contrast_around_the_mean_and_keeps_the_ends():
    from enlight.train.nonref_losses import parse_anchor_curve, tone_curve

    y = torch.tensor([0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0])  # mean 0.5
    out = tone_curve(grey(y[None].tolist()), "sm:0.2").mean(1)[0, 0]
    u = y[:3] / 0.5
    torch.testing.assert_close(out[:3], 0.5 * (u - 0.2 * u * (1 - u)))  # darker below the mean
    v = (y[4:] - 0.5) / 0.5
    torch.testing.assert_close(out[4:], 0.5 + 0.5 * (v + 0.2 * v * (1 - v)))  # brighter above it
    assert out[1] < y[1] and out[5] > y[5] and out[3] == pytest.approx(0.5) and out[-1] == pytest.approx(1.0)
    assert parse_anchor_curve("toe:0.5:128") == ("toe", (0.5, 128.0))
    for bad in ("toe:0.5", "sm:1.5", "gamma:2", "toe:60:128", "sm:x"):
        with pytest.raises(ValueError):
            parse_anchor_curve(bad)
