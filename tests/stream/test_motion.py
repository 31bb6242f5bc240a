import pytest
import torch

from enlight.stream.core.motion import global_shift, translate


def texture(h=96, w=128, seed=0):
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(1, 1, h // 8, w // 8, generator=g)
    return torch.nn.functional.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)[0]


@pytest.mark.parametrize("dx,dy", [(3.0, -2.0), (0.0, 0.0), (-5.0, 4.0), (1.5, 0.5)])
def test_global_shift_finds_a_translation(dx, dy):
    image = texture()
    moved = translate(image, torch.tensor([dx, dy]))
    crop = (slice(None), slice(8, -8), slice(8, -8))  # away from the replicated border
    shift = global_shift(image[crop][None], moved[crop][None])[0]
    assert shift[0].item() == pytest.approx(dx, abs=0.25)
    assert shift[1].item() == pytest.approx(dy, abs=0.25)


def test_flat_or_unrelated_frames_give_no_shift():
    flat = torch.full((1, 1, 64, 64), 0.3)
    assert global_shift(flat, flat).abs().max() == 0
    noise = torch.rand(2, 1, 64, 64, generator=torch.Generator().manual_seed(1))
    assert global_shift(noise[:1], noise[1:]).abs().max() == 0


def test_translate_moves_content_by_whole_pixels_exactly():
    image = texture()
    moved = translate(image, torch.tensor([2.0, 1.0]))
    torch.testing.assert_close(moved[:, 1:, 2:], image[:, :-1, :-2], atol=1e-5, rtol=0)


def _grid_sample_translate(image, shift):
    """The reference: torch's bilinear ``grid_sample`` with border padding, by an affine grid."""
    c, h, w = image.shape
    theta = torch.tensor([[1.0, 0.0, -2 * float(shift[0]) / w], [0.0, 1.0, -2 * float(shift[1]) / h]])[None]
    grid = torch.nn.functional.affine_grid(theta, [1, c, h, w], align_corners=False)
    return torch.nn.functional.grid_sample(image[None], grid, mode="bilinear", padding_mode="border",
                                           align_corners=False)[0]


@pytest.mark.parametrize("dx,dy", [(1.3, -2.7), (0.0, 0.0), (-0.25, 0.5), (7.0, 3.0), (500.0, -3.2), (-2.5, 90.0)])
@pytest.mark.parametrize("channels", [1, 3])
def test_translate_is_grid_samples_bilinear_border_sampling(dx, dy, channels):
    image = torch.rand(channels, 37, 53, generator=torch.Generator().manual_seed(2))
    shift = torch.tensor([dx, dy])
    torch.testing.assert_close(translate(image, shift), _grid_sample_translate(image, shift), atol=2e-5, rtol=0)
