"""The EnlightenGAN generator: the released ``Unet_resize_conv`` with self-attention.

Structure, op order and parameter names follow the released model, so its checkpoint loads
with strict key checking (see ``enlight.models.weights``):

- input: RGB in [-1, 1] concatenated with the attention map (4 channels);
- five levels of two 3x3 convolutions, each ``conv -> LeakyReLU(0.2) -> BatchNorm`` (the norm
  comes after the activation), max-pooling between levels;
- decoder: bilinear x2 upsampling with ``align_corners=True`` (PyTorch 0.3 semantics, which the
  released weights were trained under), a 3x3 ``deconvN`` convolution, concatenation with the
  attention-weighted skip feature, two convolutions; the last level has no norm after conv9_2;
- a 1x1 ``conv10`` to 3 channels gives the residual; ``output = input + attention * residual``
  (no tanh);
- the attention map, max-pooled to 1/2 .. 1/16, multiplies the bottleneck input and the skip
  features conv1 .. conv4;
- inputs are reflection-padded to a multiple of 16 and cropped back (edge-replicated when a
  frame is too small to reflect).

``margin`` (ours; 0 = as released) reflection-pads that many more pixels on every side before
the network and crops them off after, so the zero padding of the 3x3 convolutions falls on
reflected context instead of the picture's outer rows: a cheap cure for a bright frame that
changes no weight (see docs/training.md, "The frame").

``keep_hue`` (ours; False = as released) keeps only the output's luma and gives it the input's
colours (``enlight.ops.hue``): weights trained that way (the ``zerodce`` recipe) say so in their
metadata, and every runtime (PyTorch, the ONNX export) then runs the same network.
"""

import torch
import torch.nn.functional as F
from torch import nn

from enlight.ops.hue import keep_hue

PAD_MULTIPLE = 16
RELEASED_BASE_CHANNELS = 32


def pad_amounts(height: int, width: int, multiple: int = PAD_MULTIPLE, margin: int = 0) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) reflection padding that makes the size a multiple of ``multiple``.

    The extra pixels are split as the release does: the smaller half on the left/top. ``margin``
    adds that many pixels on every side first (see ``EnlightenGANGenerator``).
    """
    pad_w = (-(width + 2 * margin)) % multiple
    pad_h = (-(height + 2 * margin)) % multiple
    return (margin + pad_w // 2, margin + pad_w - pad_w // 2, margin + pad_h // 2, margin + pad_h - pad_h // 2)


class EnlightenGANGenerator(nn.Module):
    """U-Net generator with attention-guided skips and an attention-weighted residual.

    Call with ``frames`` (B, 3, H, W) float RGB in [-1, 1] and ``attention`` (B, 1, H, W) in
    [0, 1] (see ``enlight.models.attention_map``); any H, W. Returns the
    enhanced frames (B, 3, H, W), float, nominally in [-1, 1] but not clamped (the release has no
    tanh). ``forward_with_latent`` also returns the attention-weighted residual.
    """

    def __init__(self, *, base_channels: int = RELEASED_BASE_CHANNELS, margin: int = 0,
                 keep_hue: bool = False) -> None:
        super().__init__()
        if base_channels < 1:
            raise ValueError(f"base_channels must be positive, got {base_channels}")
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        self.base_channels = base_channels
        self.margin = margin
        self.keep_hue = keep_hue
        w = [base_channels * 2**i for i in range(5)]  # 32, 64, 128, 256, 512 in the release
        encoder_in = [4, w[0], w[1], w[2], w[3]]
        for level in range(1, 6):
            self._conv_block(f"{level}_1", encoder_in[level - 1], w[level - 1])
            self._conv_block(f"{level}_2", w[level - 1], w[level - 1])
        for level in range(6, 10):  # decoder levels 6..9 work at widths w[3] .. w[0]
            width = w[9 - level]
            setattr(self, f"deconv{level - 1}", nn.Conv2d(width * 2, width, 3, padding=1))
            self._conv_block(f"{level}_1", width * 2, width)
            self._conv_block(f"{level}_2", width, width, norm=level != 9)
        self.conv10 = nn.Conv2d(w[0], 3, 1)

    def _conv_block(self, name: str, in_ch: int, out_ch: int, *, norm: bool = True) -> None:
        setattr(self, f"conv{name}", nn.Conv2d(in_ch, out_ch, 3, padding=1))
        if norm:
            setattr(self, f"bn{name}", nn.BatchNorm2d(out_ch))

    def _block(self, name: str, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(getattr(self, f"conv{name}")(x), 0.2)
        bn = getattr(self, f"bn{name}", None)
        return bn(x) if bn is not None else x

    def _level(self, level: int, x: torch.Tensor) -> torch.Tensor:
        return self._block(f"{level}_2", self._block(f"{level}_1", x))

    def forward(self, frames: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        return self.forward_with_latent(frames, attention)[0]

    def forward_with_latent(
        self, frames: torch.Tensor, attention: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(output, latent), both (B, 3, H, W); ``latent`` is ``attention * residual`` (before
        ``keep_hue``, which, when on, replaces the output by its luma in the input's colours)."""
        height, width = frames.shape[-2:]
        source = frames
        left, right, top, bottom = pad_amounts(height, width, margin=self.margin)
        padded = (left, right, top, bottom) != (0, 0, 0, 0)
        if padded:
            # reflection as released; frames too small to reflect repeat their edge instead
            mode = "reflect" if max(left, right) < width and max(top, bottom) < height else "replicate"
            frames = F.pad(frames, (left, right, top, bottom), mode=mode)
            attention = F.pad(attention, (left, right, top, bottom), mode=mode)

        gray = [attention]  # attention at full, 1/2, 1/4, 1/8, 1/16 resolution
        for _ in range(4):
            gray.append(F.max_pool2d(gray[-1], 2))

        skips = []
        x = torch.cat((frames, attention), 1)
        for level in range(1, 5):
            skip = self._level(level, x)
            skips.append(skip)
            x = F.max_pool2d(skip, 2)
        x = self._block("5_1", x) * gray[4]
        x = self._block("5_2", x)
        for level in range(6, 10):
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            skip = skips[9 - level] * gray[9 - level]
            x = torch.cat((getattr(self, f"deconv{level - 1}")(x), skip), 1)
            x = self._level(level, x)
        latent = self.conv10(x) * attention
        output = latent + frames

        if padded:
            output = output[..., top : top + height, left : left + width]
            latent = latent[..., top : top + height, left : left + width]
        if self.keep_hue:
            output = keep_hue(output, source)
        return output, latent


def build_generator(*, base_channels: int = RELEASED_BASE_CHANNELS) -> EnlightenGANGenerator:
    """A generator with fresh (untrained) weights; 32 channels is the released size."""
    return EnlightenGANGenerator(base_channels=base_channels)
