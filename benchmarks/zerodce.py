"""Zero-DCE (Guo et al., CVPR 2020) for side-by-side evaluation only: never shipped.

DCE-Net: seven 3x3 convolutions of 32 channels with ReLU and symmetric skip concatenations
(e_conv5 takes [x3, x4], e_conv6 [x2, x5], e_conv7 [x1, x6]), a 24-channel tanh output = eight
curve maps r_k of 3 channels; the image x (RGB in [0, 1]) is enhanced by x <- x + r_k (x^2 - x)
for k = 1..8. Load the authors' released weights (../shared/baselines/zerodce_Epoch99.pth,
CC BY-NC 4.0, research only) with ``load_zerodce``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class DCENet(nn.Module):
    def __init__(self, width: int = 32) -> None:
        super().__init__()
        ins = [3, width, width, width, 2 * width, 2 * width, 2 * width]
        outs = [width] * 6 + [24]
        for i, (a, b) in enumerate(zip(ins, outs, strict=True), start=1):
            setattr(self, f"e_conv{i}", nn.Conv2d(a, b, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 3, H, W) RGB in [0, 1] -> the enhanced image, same shape."""
        x1 = F.relu(self.e_conv1(x))
        x2 = F.relu(self.e_conv2(x1))
        x3 = F.relu(self.e_conv3(x2))
        x4 = F.relu(self.e_conv4(x3))
        x5 = F.relu(self.e_conv5(torch.cat([x3, x4], 1)))
        x6 = F.relu(self.e_conv6(torch.cat([x2, x5], 1)))
        curves = torch.tanh(self.e_conv7(torch.cat([x1, x6], 1)))
        for r in torch.split(curves, 3, dim=1):
            x = x + r * (x * x - x)
        return x


def load_zerodce(path: Path) -> DCENet:
    torch.set_flush_denormal(True)  # the released weights hold many denormal floats
    net = DCENet()
    net.load_state_dict(torch.load(str(path), map_location="cpu", weights_only=True))
    return net.eval()


def zerodce_method(path: Path):
    """(H, W, 3) uint8 RGB -> the same, enhanced by Zero-DCE."""
    net = load_zerodce(path)

    def run(rgb: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255
        with torch.no_grad():
            y = net(x)
        return (y[0].permute(1, 2, 0).clamp(0, 1) * 255).round().byte().numpy()

    return run
