"""Non-reference losses for unpaired low-light training (Zero-DCE, Guo et al., CVPR 2020).

They need no normal-light image and no discriminator, so they train stably on a CPU. Each one
targets a fault of an exposure-only generator:

- ``spatial_consistency_loss``: local contrast kept. Luma pooled over 4x4 cells; the difference
  of every cell with its 4 neighbours in the output should equal the same difference in a
  reference (the input, as in Zero-DCE, or the input mapped by a global power to the output's
  mean, which is what ``enlight.quality.structure`` compares against).
- ``exposure_control_loss``: each 16x16 patch's mean luma pulled towards a well-exposed level
  (0.6 in Zero-DCE); optionally no higher than a maximum gain over the input's patch mean.
- ``color_constancy_loss``: the grey-world assumption, the channel means of each image close to
  each other (no colour cast).
- ``color_angle_loss`` (ours, not Zero-DCE's): the angle between output and input RGB vectors per
  4x4 cell, so the colours of the input are kept (a gain per cell is free).
- ``chromaticity_loss`` (ours): the same, as the L1 distance of the cells' chromaticities.
- ``border_loss`` (ours): no frame, the differentiable form of ``enlight.quality.structure``'s
  border excess: on each side, the difference between the outer 4-pixel band's mean luma and the
  8-24-pixel band's may not exceed the reference's.
- ``black_level_loss`` (ours): no grey veil over black, each 4x4 cell at most ``max_gain`` times
  as bright as in the input.
- ``black_point_loss`` (ours): black point kept, only where the input is at its darkest: the output's luma
  at the input's darkest pixels (a quantile of each image) at most ``gain`` times the input's. Unlike
  ``black_level_loss`` it leaves dark walls and mid-tones alone.
- ``structure_loss`` (ours): 1 - SSIM of the output's luma against the reference's (the input
  mapped by a global power to the output's mean), the differentiable form of
  ``enlight.quality.structure.structure_kept``: no milky blotches, no invented texture.
- ``halo_loss`` (ours): no halo, the coarse-scale gain over the reference (the gamma-matched input)
  the same everywhere: a dark ring around a bright window, where the network lifts the wall less
  because it sees the light, is a spatial change of that gain at a scale of tens of pixels.
- ``anchor_loss`` (ours): L1 of the output's luma to a frozen generator's (the weights a fine-tune
  starts from), so a fine-tune fixes what its other terms target and keeps the rest.
- ``illumination_smoothness_loss``: total variation of the correction (output - input), so the
  network brightens regions rather than painting texture.

All take tensors in [0, 1] (convert with ``(x + 1) / 2`` from the generator's [-1, 1]) and return
a scalar. Luma here is the channel mean, as Zero-DCE uses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _gray(images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 1, H, W) channel mean."""
    return images.mean(1, keepdim=True)


def _neighbour_differences(cells: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Horizontal and vertical differences of adjacent cells of a (B, 1, h, w) map."""
    return cells[..., :, 1:] - cells[..., :, :-1], cells[..., 1:, :] - cells[..., :-1, :]


def spatial_consistency_loss(output: torch.Tensor, reference: torch.Tensor, *, cell: int = 4) -> torch.Tensor:
    """Local contrast kept: squared change of neighbouring 4x4-cell luma differences.

    output, reference: (B, 3, H, W) in [0, 1], H and W at least ``2 * cell``. Each interior pair of
    adjacent cells counts twice (once from each side), as Zero-DCE's 4-neighbour sum does; unlike
    Zero-DCE, the image edge is not compared with zero padding (that pulled the outer cells of the
    output towards the input's darkness). Returns the mean over cells of the 4-neighbour sum.
    """
    out_cells = F.avg_pool2d(_gray(output), cell)
    ref_cells = F.avg_pool2d(_gray(reference), cell)
    (oh, ov), (rh, rv) = _neighbour_differences(out_cells), _neighbour_differences(ref_cells)
    cells = out_cells.shape[-1] * out_cells.shape[-2]
    total = 2 * ((oh - rh) ** 2).sum(dim=(1, 2, 3)) + 2 * ((ov - rv) ** 2).sum(dim=(1, 2, 3))
    return (total / cells).mean()


def exposure_control_loss(
    output: torch.Tensor,
    *,
    level: float = 0.6,
    patch: int = 16,
    source: torch.Tensor | None = None,
    max_gain: float | None = None,
) -> torch.Tensor:
    """Mean squared distance of each ``patch`` x ``patch`` mean luma from ``level``.

    output: (B, 3, H, W) in [0, 1], H and W at least ``patch``. With ``source`` (the input, same
    shape) and ``max_gain``, each patch's target is ``min(level, max_gain * source patch mean)``:
    Zero-DCE's curves cannot lift black (x + r (x^2 - x) is 0 at 0), but our residual network can,
    and pulling black patches to 0.6 paints flat grey where there is nothing to see.
    """
    target = torch.as_tensor(level, dtype=output.dtype, device=output.device)
    if source is not None and max_gain is not None:
        target = torch.clamp(max_gain * F.avg_pool2d(_gray(source), patch), max=level)
    return ((F.avg_pool2d(_gray(output), patch) - target) ** 2).mean()


def color_constancy_loss(output: torch.Tensor) -> torch.Tensor:
    """Grey world: ``sqrt(d_rg^2 + d_rb^2 + d_gb^2)`` with ``d_xy = (mean_x - mean_y)^2``, batch mean.

    output: (B, 3, H, W) RGB in [0, 1].
    """
    r, g, b = output.mean(dim=(2, 3)).unbind(1)
    d_rg, d_rb, d_gb = (r - g) ** 2, (r - b) ** 2, (g - b) ** 2
    return torch.sqrt(d_rg**2 + d_rb**2 + d_gb**2).mean()


def color_angle_loss(output: torch.Tensor, source: torch.Tensor, *, cell: int = 4, eps: float = 1e-4) -> torch.Tensor:
    """Hue kept: mean ``1 - cos`` of the angle between the output's and the input's RGB vectors.

    output, source: (B, 3, H, W) in [0, 1]; both averaged over ``cell`` x ``cell`` cells first (the
    dark input's per-pixel colour is mostly noise). Zero for any per-cell gain ``output = k * source``,
    so it allows brightening and changes of contrast but not a colour cast that the input lacks (the
    purple skies and blue speckle of an exposure-only generator). Not in Zero-DCE.
    """
    a = F.avg_pool2d(output, cell)
    b = F.avg_pool2d(source, cell)
    cos = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)
    return (1 - cos).mean()


def chromaticity_loss(
    output: torch.Tensor, source: torch.Tensor, *, cell: int = 4, dark: float = 0.02, eps: float = 1e-4
) -> torch.Tensor:
    """Hue kept, linearly: mean |rgb / (r + g + b)| difference between output and input per cell.

    output, source: (B, 3, H, W) in [0, 1], averaged over ``cell`` x ``cell`` cells first. Cells whose
    input mean is below ``dark`` count in proportion to their mean (their colour is mostly noise).
    Zero for any per-cell gain. Unlike ``color_angle_loss`` (1 - cos, quadratic in the angle, so a
    10-degree drift costs 0.015), it grows linearly with the drift, which is what hue on near-neutral
    colours needs: in run ``zerodce-1`` the angle loss at weight 10 let the output drift orange.
    """
    a = F.avg_pool2d(output, cell)
    b = F.avg_pool2d(source, cell)
    sa, sb = a.sum(1, keepdim=True), b.sum(1, keepdim=True)
    diff = (a / (sa + eps) - b / (sb + eps)).abs().sum(1, keepdim=True)
    weight = (sb / (3 * dark)).clamp(max=1.0)
    return (weight * diff).mean()


def _band_differences(y: torch.Tensor, band: int, inner: tuple[int, int]) -> torch.Tensor:
    """(B, 4): |mean(outer band) - mean(inner band)| of a (B, 1, H, W) map on the top, bottom, left, right."""
    a, b = inner
    sides = [
        y[..., :band, :].mean(dim=(1, 2, 3)) - y[..., a:b, :].mean(dim=(1, 2, 3)),
        y[..., -band:, :].mean(dim=(1, 2, 3)) - y[..., -b:-a, :].mean(dim=(1, 2, 3)),
        y[..., :, :band].mean(dim=(1, 2, 3)) - y[..., :, a:b].mean(dim=(1, 2, 3)),
        y[..., :, -band:].mean(dim=(1, 2, 3)) - y[..., :, -b:-a].mean(dim=(1, 2, 3)),
    ]
    return torch.stack(sides, 1).abs()


def border_loss(output: torch.Tensor, reference: torch.Tensor, *, band: int = 4,
                inner: tuple[int, int] = (8, 24)) -> torch.Tensor:
    """No frame: mean over sides and images of ``relu(d_out - d_ref)``, where d is the absolute
    difference between the mean luma of the outer ``band`` rows (columns) and of the ``inner`` band.

    output, reference: (B, 3, H, W) in [0, 1] (reference: the input mapped by a global power to
    the output's mean, as the measure uses), H and W at least ``inner[1]``. In [0, 1] luma units
    (x 255 for grey levels). Not in Zero-DCE.
    """
    excess = _band_differences(_gray(output), band, inner) - _band_differences(_gray(reference), band, inner)
    return F.relu(excess).mean()


def black_level_loss(output: torch.Tensor, source: torch.Tensor, *, max_gain: float = 10.0,
                     cell: int = 4) -> torch.Tensor:
    """Black stays black: mean L1 excess of each ``cell`` x ``cell`` cell's output luma over
    ``max_gain`` times its input luma.

    output, source: (B, 3, H, W) in [0, 1]. Zero wherever the lift is at most ``max_gain``; an
    exposure target cannot stop a grey veil over black (its squared distance to a small target
    is tiny), this L1 term does. Not in Zero-DCE (its curves keep 0 at 0 by construction).
    """
    out_cells = F.avg_pool2d(_gray(output), cell)
    cap = max_gain * F.avg_pool2d(_gray(source), cell)
    return F.relu(out_cells - cap).mean()


def black_point_loss(output: torch.Tensor, source: torch.Tensor, *, quantile: float = 0.01,
                     gain: float = 4.0) -> torch.Tensor:
    """No grey veil over black: mean L1 excess of the output's luma over ``gain`` times the input's, over the
    pixels whose input luma is at or below the image's ``quantile`` (its darkest 1% by default).

    output, source: (B, 3, H, W) in [0, 1]; luma is the channel mean. Zero for any output that keeps
    the input's darkest pixels within ``gain`` of it, whatever it does elsewhere: it moves the black
    point, not the dark regions that ``black_level_loss`` (a cap on every cell) pulled down with it.
    Not in Zero-DCE (its curves keep 0 at 0 by construction).
    """
    y_out, y_in = _gray(output).flatten(1), _gray(source).flatten(1)
    level = torch.quantile(y_in, quantile, dim=1, keepdim=True)
    darkest = (y_in <= level).to(output.dtype)
    excess = F.relu(y_out - gain * y_in) * darkest
    return (excess.sum(1) / darkest.sum(1)).mean()


def _gaussian_blur(x: torch.Tensor, size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """(B, 1, H, W) -> (B, 1, H - size + 1, W - size + 1): a separable Gaussian, valid region only."""
    t = torch.arange(size, dtype=x.dtype, device=x.device) - (size - 1) / 2
    k = torch.exp(-(t * t) / (2 * sigma * sigma))
    k = k / k.sum()
    return F.conv2d(F.conv2d(x, k.view(1, 1, 1, -1)), k.view(1, 1, -1, 1))


def structure_loss(output: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """1 - mean SSIM (11x11 Gaussian, sigma 1.5, constants for range 1) of the BT.601 luma of
    ``output`` against that of ``reference``, both (B, 3, H, W) in [0, 1], H and W >= 11.

    With the gamma-matched input as reference this is ``1 - structure_kept`` of
    ``enlight.quality.structure`` (which drops 5 more pixels at each edge). Not in Zero-DCE.
    """
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=output.dtype, device=output.device).view(1, 3, 1, 1)
    a, b = (output * weights).sum(1, keepdim=True), (reference * weights).sum(1, keepdim=True)
    c1, c2 = 0.01**2, 0.03**2
    ma, mb = _gaussian_blur(a), _gaussian_blur(b)
    va, vb = _gaussian_blur(a * a) - ma * ma, _gaussian_blur(b * b) - mb * mb
    cov = _gaussian_blur(a * b) - ma * mb
    ssim = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    return 1 - ssim.mean()


def halo_loss(output: torch.Tensor, reference: torch.Tensor, *, cell: int = 16, floor: float = 0.02) -> torch.Tensor:
    """No halo: mean |r - mean(r)| over each image, r = log(cell-mean luma of ``output`` + floor) - log(the
    same of ``reference``), on ``cell`` x ``cell`` cells. A global gain over the reference costs nothing;
    a gain that changes from region to region (a dark ring around a light) does.

    output, reference: (B, 3, H, W) in [0, 1], H and W at least ``cell`` (reference: the input mapped by a
    global power to the output's mean). ``floor`` keeps black cells from dominating. Not in Zero-DCE.
    """
    cells_out, cells_ref = F.avg_pool2d(_gray(output), cell), F.avg_pool2d(_gray(reference), cell)
    ratio = torch.log(cells_out + floor) - torch.log(cells_ref + floor)
    return (ratio - ratio.mean(dim=(2, 3), keepdim=True)).abs().mean()


def anchor_loss(output: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
    """Mean L1 between the channel-mean luma of ``output`` and of ``anchor`` (a frozen generator's
    output on the same input), both (B, 3, H, W) in [0, 1]. Not in Zero-DCE."""
    return (_gray(output) - _gray(anchor)).abs().mean()


def parse_anchor_curve(spec: str) -> tuple[str, tuple[float, ...]]:
    """'toe:P:KNEE' (KNEE in levels 0-255) or 'sm:S' -> (kind, values); ValueError when malformed or out of range."""
    kind, *args = spec.split(":")
    values = tuple(float(a) for a in args)
    if kind == "toe" and len(values) == 2 and 0 < values[0] < 50 and 0 < values[1] <= 255:
        return kind, values
    if kind == "sm" and len(values) == 1 and 0 < values[0] < 1:
        return kind, values
    raise ValueError(f"expected toe:P:KNEE (P in (0, 50), KNEE in (0, 255]) or sm:S (S in (0, 1)), got {spec!r}")


def tone_curve(images: torch.Tensor, spec: str) -> torch.Tensor:
    """An anchor's target with another tone curve: (B, 3, H, W) in [0, 1] -> the same, scaled per pixel so that
    its channel-mean luma y becomes f(y) (the colours' ratios kept). ``benchmarks/weights_eval.py --post`` has
    the same curves on BT.601 luma in levels. Not in Zero-DCE.

    - ``toe:P:KNEE``: ``y - b (1 - y / knee)^2`` below the knee (clipped at 0), unchanged above; b is the
      P-th percentile of each image's y: a darker black point, the knee and everything above kept;
    - ``sm:S``: an S-curve through 0, 1 and each image's mean luma m (clamped to [16, 239] levels): below m
      ``m (u - S u (1 - u))`` with u = y / m, above ``m + (1 - m)(v + S v (1 - v))`` with v = (y - m) / (1 - m):
      more contrast around the mean, the same mean level, nothing clipped.
    """
    kind, values = parse_anchor_curve(spec)
    y = _gray(images)
    if kind == "toe":
        b = torch.quantile(y.flatten(1).float(), values[0] / 100, dim=1).view(-1, 1, 1, 1).to(y.dtype)
        knee = values[1] / 255
        curve = torch.where(y < knee, (y - b * (1 - y.clamp(max=knee) / knee) ** 2).clamp(min=0), y)
    else:
        strength = values[0]
        m = y.mean(dim=(1, 2, 3), keepdim=True).clamp(16 / 255, 239 / 255)
        u, v = (y / m).clamp(0, 1), ((y - m) / (1 - m)).clamp(0, 1)
        curve = torch.where(y < m, m * (u - strength * u * (1 - u)), m + (1 - m) * (v + strength * v * (1 - v)))
    return images * curve / y.clamp(min=1e-4)


def illumination_smoothness_loss(correction: torch.Tensor) -> torch.Tensor:
    """Total variation ``2 * (mean dy^2 + mean dx^2)`` of a (B, C, H, W) map, as Zero-DCE's L_tv.

    Zero-DCE divides the sums by ``C * (H - 1) * W`` etc. and by the batch: the same as these means
    times C; we take plain means so the value does not depend on the channel count.
    """
    dy = correction[..., 1:, :] - correction[..., :-1, :]
    dx = correction[..., :, 1:] - correction[..., :, :-1]
    return 2 * ((dy**2).mean() + (dx**2).mean())


def gamma_matched(reference: torch.Tensor, target_mean: torch.Tensor, *, iterations: int = 30) -> torch.Tensor:
    """``reference ** g`` with one g per image so the mean of its channel-mean luma equals ``target_mean``.

    reference: (B, 3, H, W) in [0, 1]; target_mean: (B,). Bisection on log g in [0.05, 5]; no
    gradient flows through g (use it as a fixed target).
    """
    with torch.no_grad():
        x = reference.clamp(1e-6, 1)
        lo = torch.full_like(target_mean, 0.05)
        hi = torch.full_like(target_mean, 5.0)
        for _ in range(iterations):
            g = (lo * hi).sqrt()
            mean = _gray(x ** g.view(-1, 1, 1, 1)).mean(dim=(1, 2, 3))
            darker = mean < target_mean  # g too large: lower it
            hi = torch.where(darker, g, hi)
            lo = torch.where(darker, lo, g)
        return x ** (lo * hi).sqrt().view(-1, 1, 1, 1)


__all__ = [
    "anchor_loss",
    "parse_anchor_curve",
    "tone_curve",
    "halo_loss",
    "black_level_loss",
    "black_point_loss",
    "border_loss",
    "color_angle_loss",
    "chromaticity_loss",
    "color_constancy_loss",
    "exposure_control_loss",
    "gamma_matched",
    "illumination_smoothness_loss",
    "spatial_consistency_loss",
    "structure_loss",
]
