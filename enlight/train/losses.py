"""EnlightenGAN's losses: RaLSGAN (global), LSGAN (local patches), self feature preserving (VGG)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ralsgan_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Relativistic average LSGAN, discriminator side: real should beat the mean fake by 1 and vice versa."""
    real_wins = F.mse_loss(real - fake.mean(), torch.ones_like(real))
    return (real_wins + F.mse_loss(fake - real.mean(), torch.zeros_like(fake))) / 2


def ralsgan_g_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Relativistic average LSGAN, generator side (the targets swapped)."""
    fake_wins = F.mse_loss(fake - real.mean(), torch.ones_like(fake))
    return (F.mse_loss(real - fake.mean(), torch.zeros_like(real)) + fake_wins) / 2


def lsgan_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return (F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake))) / 2


def lsgan_g_loss(fake: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(fake, torch.ones_like(fake))


def feature_preserving_loss(vgg, output: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """Mean squared distance of instance-normalised VGG relu5_1 features of output and input.

    output, source: (B, 3, H, W) RGB in [-1, 1], H and W at least 16.
    """
    a = F.instance_norm(vgg(output))
    b = F.instance_norm(vgg(source))
    return torch.mean((a - b) ** 2)


def random_patch_boxes(
    size: tuple[int, int], patch: int, count: int, generator: torch.Generator
) -> list[tuple[int, int]]:
    """``count`` random top-left corners of ``patch`` x ``patch`` windows in an (H, W) image."""
    h, w = size
    ys = torch.randint(0, h - patch + 1, (count,), generator=generator).tolist()
    xs = torch.randint(0, w - patch + 1, (count,), generator=generator).tolist()
    return list(zip(ys, xs, strict=True))


def crop_patches(images: torch.Tensor, boxes: list[tuple[int, int]], patch: int) -> list[torch.Tensor]:
    return [images[..., y : y + patch, x : x + patch] for y, x in boxes]
