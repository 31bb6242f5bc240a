"""A narrower generator cut out of a wider one: the starting point for distilling a student of a width
that was never trained (issue 17: a base-12 student for ``balanced`` on CPUs without int8 dot products).

Every convolution's output channels form a group; each group keeps the same fraction of its channels,
those that carry the most: for a block with BatchNorm (conv -> leaky ReLU -> BatchNorm), the largest
``|gamma|`` (network slimming, Liu et al. 2017: a channel whose scale is small adds little beyond its
constant ``beta``); for the decoder's up-convolutions and the last block, which have none, the largest
L1 norm of the filter. Each convolution then takes the kept rows of its weight for its own group and the
kept columns for the group(s) it reads (the decoder's concatenation: the up-convolution's channels, then
the skip's). The cut network is an approximation to fine-tune, not an equal: its output moves by what the
dropped channels added (measured in docs/benchmarks.md).
"""

from __future__ import annotations

import torch

from enlight.models.generator import EnlightenGANGenerator

INPUT_CHANNELS = 4  # RGB and the attention map


def _inputs(level: int, part: int) -> list[str]:
    """The groups (by the conv that makes them) that conv{level}_{part} reads, in channel order."""
    if part == 2:
        return [f"conv{level}_1"]
    if level == 1:
        return []  # the input image and attention, all kept
    if level <= 5:
        return [f"conv{level - 1}_2"]
    return [f"deconv{level - 1}", f"conv{10 - level}_2"]  # the up-convolution, then the encoder's skip


def _readers() -> dict[str, list[str]]:
    """Every conv of the generator and the groups it reads."""
    reads = {f"conv{level}_{part}": _inputs(level, part) for level in range(1, 10) for part in (1, 2)}
    for level in range(6, 10):
        reads[f"deconv{level - 1}"] = [f"conv{level - 1}_2"]
    reads["conv10"] = ["conv9_2"]
    return reads


def _importance(generator: EnlightenGANGenerator, name: str) -> torch.Tensor:
    bn = getattr(generator, name.replace("conv", "bn", 1), None) if name.startswith("conv") else None
    if bn is not None:
        return bn.weight.detach().abs()
    return getattr(generator, name).weight.detach().abs().sum(dim=(1, 2, 3))


def prune_generator(generator: EnlightenGANGenerator, base_channels: int) -> EnlightenGANGenerator:
    """``generator`` cut to ``base_channels`` (at most its own): a new generator, same margin and
    ``keep_hue``, in eval mode. Each group keeps its ``base_channels / generator.base_channels`` most
    important channels (see the module), in their original order."""
    wide = generator.base_channels
    if not 1 <= base_channels <= wide:
        raise ValueError(f"cannot cut a base-{wide} generator to base {base_channels}")
    reads = _readers()
    kept = {}
    for name in reads:
        if name == "conv10":
            continue
        out = getattr(generator, name).out_channels
        keep = out * base_channels // wide
        kept[name] = torch.topk(_importance(generator, name), keep).indices.sort().values
    kept["conv10"] = torch.arange(3)
    narrow = EnlightenGANGenerator(base_channels=base_channels, margin=generator.margin, keep_hue=generator.keep_hue)
    source = generator.state_dict()
    target = narrow.state_dict()
    for name, inputs in reads.items():
        rows = kept[name]
        columns = torch.arange(INPUT_CHANNELS) if not inputs else _columns(generator, inputs, kept)
        target[f"{name}.weight"] = source[f"{name}.weight"][rows][:, columns].clone()
        target[f"{name}.bias"] = source[f"{name}.bias"][rows].clone()
        bn = name.replace("conv", "bn", 1)
        if f"{bn}.weight" in source:
            for field in ("weight", "bias", "running_mean", "running_var"):
                target[f"{bn}.{field}"] = source[f"{bn}.{field}"][rows].clone()
            target[f"{bn}.num_batches_tracked"] = source[f"{bn}.num_batches_tracked"].clone()
    narrow.load_state_dict(target)
    return narrow.eval()


def _columns(generator: EnlightenGANGenerator, inputs: list[str], kept: dict[str, torch.Tensor]) -> torch.Tensor:
    """The input channels kept, over the concatenation of ``inputs``' groups."""
    parts, offset = [], 0
    for name in inputs:
        parts.append(kept[name] + offset)
        offset += getattr(generator, name).out_channels
    return torch.cat(parts)
