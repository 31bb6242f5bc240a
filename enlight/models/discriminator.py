"""The EnlightenGAN discriminators: plain conv stacks without normalisation (``NoNormDiscriminator``).

Global: 5 layers on the whole crop; local: 4 layers on 32x32 patches (release options
``n_layers_D 5``, ``n_layers_patchD 4``). Each is 4x4 convolutions with LeakyReLU(0.2): ``n_layers``
strided ones (widths 64, 128, 256, 512, 512, ...), one more at stride 1, and a 1-channel output
conv at stride 1; no sigmoid (the losses are least squares).
"""

from __future__ import annotations

import torch
from torch import nn


class NoNormDiscriminator(nn.Module):
    """images (B, 3, H, W) float RGB in [-1, 1] -> patch scores (B, 1, h, w), unbounded."""

    def __init__(self, *, n_layers: int, in_channels: int = 3, base_channels: int = 64) -> None:
        super().__init__()
        kernel, pad = 4, 2
        layers: list[nn.Module] = [nn.Conv2d(in_channels, base_channels, kernel, 2, pad), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            layers += [nn.Conv2d(base_channels * prev, base_channels * mult, kernel, 2, pad), nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2**n_layers, 8)
        layers += [nn.Conv2d(base_channels * prev, base_channels * mult, kernel, 1, pad), nn.LeakyReLU(0.2, True)]
        layers += [nn.Conv2d(base_channels * mult, 1, kernel, 1, pad)]
        self.model = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)


def build_global_discriminator(base_channels: int = 64) -> NoNormDiscriminator:
    return NoNormDiscriminator(n_layers=5, base_channels=base_channels)


def build_local_discriminator(base_channels: int = 64) -> NoNormDiscriminator:
    return NoNormDiscriminator(n_layers=4, base_channels=base_channels)
