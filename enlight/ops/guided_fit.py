"""The guided filter's local linear fit (He & Sun 2015), written once for torch tensors and numpy maps alike
(arithmetic only; the window mean is passed in), importable without torch; ``enlight.ops.guided`` has the
torch forms of the window mean and the upsampling."""

from __future__ import annotations

# Measured on LIME/MEF (the full model's own correction taken to 1/4 size and back): radius 1 and
# eps 1e-4 keep 35.8/38.7 dB against full size, radius 2 / eps 1e-3 33.3/35.8, bilinear 31.5/36.0.
RADIUS, EPS = 1, 1e-4


def fit_coefficients(delta_low, guide_low, *, radius: int, eps: float, box) -> tuple:
    """The guided filter's local linear model of ``delta_low`` in ``guide_low``: both (B, C, h, w) torch tensors,
    or (h, w, C) float32 numpy maps with ``box = enlight.ops.simd.box_mean``.

    Per channel: a = cov(I, d) / (var(I) + eps), b = mean(d) - a * mean(I) over windows of radius
    ``radius``, each then box-averaged; returns (a, b), each of their shape, so that d ~ a * I + b.
    box(x, radius): the window mean (``enlight.ops.guided.box_filter`` for tensors).
    """
    mean_i = box(guide_low, radius)
    mean_d = box(delta_low, radius)
    cov = box(guide_low * delta_low, radius) - mean_i * mean_d
    var = box(guide_low * guide_low, radius) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_d - a * mean_i
    return box(a, radius), box(b, radius)
