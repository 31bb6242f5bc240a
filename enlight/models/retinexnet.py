"""RetinexNet (Wei et al., BMVC 2018): Decom-Net splits an image into reflectance and illumination,
Enhance-Net relights the illumination; result = R_low * I_new.

Structure as in the released code:

- Decom-Net: input = per-pixel max over RGB concatenated with RGB (4 channels), a 9x9 conv
  (no activation), five 3x3 convs of 64 channels with ReLU, a 3x3 conv to 4 channels; sigmoid
  gives R (3 channels) and I (1 channel), both in [0, 1].
- Enhance-Net: input (R_low, I_low), a 3x3 conv, three stride-2 3x3 convs with ReLU (down), three
  blocks of nearest-neighbour resize + 3x3 conv + ReLU with additive skips (up, "resize
  convolution"), the three up-sampled levels resized to full size and concatenated (multi-scale),
  a 1x1 fusion conv and a 3x3 conv to one channel: the new illumination.

Images are (B, 3, H, W) float RGB in [0, 1] here (not [-1, 1] as for EnlightenGAN).

``RetinexVideoModel`` runs it behind the generator's interface; with ``keep_hue`` (recorded in the weights'
metadata, as EnlightenGAN's: the bundled weights have it) only the output's luma is kept, in the input's colours
(``enlight.ops.hue``): the reflectance of near-black pixels, which the Decom-Net cannot tell from noise, lifted
them olive-brown (docs/retinexnet.md, "Colour").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from enlight.ops.hue import keep_hue


class DecomNet(nn.Module):
    """images (B, 3, H, W) in [0, 1] -> (R (B, 3, H, W), I (B, 1, H, W)), both in [0, 1]."""

    def __init__(self, *, channels: int = 64, layers: int = 5, kernel: int = 3) -> None:
        super().__init__()
        self.shallow = nn.Conv2d(4, channels, kernel * 3, padding=kernel * 3 // 2)
        body: list[nn.Module] = []
        for _ in range(layers):
            body += [nn.Conv2d(channels, channels, kernel, padding=kernel // 2), nn.ReLU(True)]
        self.body = nn.Sequential(*body)
        self.recon = nn.Conv2d(channels, 4, kernel, padding=kernel // 2)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.cat([images.amax(dim=1, keepdim=True), images], 1)
        out = torch.sigmoid(self.recon(self.body(self.shallow(x))))
        return out[:, :3], out[:, 3:4]


class EnhanceNet(nn.Module):
    """(R (B, 3, H, W), I (B, 1, H, W)) -> new illumination (B, 1, H, W), unbounded."""

    def __init__(self, *, channels: int = 64, kernel: int = 3) -> None:
        super().__init__()
        pad = kernel // 2
        self.conv0 = nn.Conv2d(4, channels, kernel, padding=pad)
        self.down = nn.ModuleList([nn.Conv2d(channels, channels, kernel, stride=2, padding=pad) for _ in range(3)])
        self.up = nn.ModuleList([nn.Conv2d(channels, channels, kernel, padding=pad) for _ in range(3)])
        self.fusion = nn.Conv2d(channels * 3, channels, 1)
        self.output = nn.Conv2d(channels, 1, kernel, padding=pad)

    def forward(self, reflectance: torch.Tensor, illumination: torch.Tensor) -> torch.Tensor:
        x0 = self.conv0(torch.cat([reflectance, illumination], 1))
        skips = [x0]
        for conv in self.down:
            skips.append(F.relu(conv(skips[-1])))
        x = skips[3]
        ups = []
        for conv, skip in zip(self.up, (skips[2], skips[1], skips[0]), strict=True):
            x = F.relu(conv(F.interpolate(x, size=skip.shape[-2:], mode="nearest"))) + skip
            ups.append(x)
        size = ups[-1].shape[-2:]
        gathered = torch.cat([F.interpolate(u, size=size, mode="nearest") for u in ups], 1)
        return self.output(self.fusion(gathered))


class RetinexNet(nn.Module):
    """images (B, 3, H, W) RGB in [0, 1] -> enhanced (B, 3, H, W), nominally [0, 1] (not clamped)."""

    def __init__(self, *, channels: int = 64) -> None:
        super().__init__()
        self.decom = DecomNet(channels=channels)
        self.enhance = EnhanceNet(channels=channels)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        reflectance, illumination = self.decom(images)
        return reflectance * self.enhance(reflectance, illumination)


def build_retinexnet(*, channels: int = 64) -> RetinexNet:
    return RetinexNet(channels=channels)


class RetinexVideoModel(nn.Module):
    """RetinexNet behind the generator's interface, so every backend and the pipeline can run it.

    frames (B, 3, H, W) RGB in [-1, 1], attention (B, 1, H, W) -> enhanced (B, 3, H, W) in [-1, 1].
    RetinexNet needs no attention map; it is accepted and ignored (the ONNX graph keeps both inputs).
    ``keep_hue``: the output is the network's luma (never under the input's) in the input's colours
    (``enlight.ops.hue.keep_hue``; then not clamped above white); False: the network's own colours.
    """

    def __init__(self, net: RetinexNet, *, keep_hue: bool = False) -> None:
        super().__init__()
        self.net = net
        self.keep_hue = keep_hue

    def forward(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        enhanced = self.net((frames + 1) / 2).clamp(0, 1) * 2 - 1
        if self.keep_hue:
            enhanced = keep_hue(enhanced, frames)
        # "+ 0 * attention" ties the (unused) input into the graph so exporters keep it
        return enhanced + 0 * attention.mean()
