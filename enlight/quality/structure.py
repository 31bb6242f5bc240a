"""Structure kept, border excess and hue change of an enhanced image against its input.

All take (H, W, 3) uint8 RGB arrays of one size: ``source`` (the low-light input) and ``output``
(the enhanced image). The first two follow ``../shared/tools/structure.py`` (the project's
reference; ``tests/quality/test_structure.py`` checks they agree):

- ``structure_kept``: SSIM (Gaussian 11x11, sigma 1.5, on the valid region) between the output's
  luma and the input's luma mapped by a global power so its mean equals the output's. A global
  tone curve scores about 1; milky blotches (flattened regions) and invented texture score low.
- ``border_excess``: for each side, ``|mean(outer 4 px) - mean(8..24 px band)|`` of the output's
  luma minus the same for the gamma-matched input; the maximum over the four sides, in 0-255
  levels. A bright (or dark) frame around the picture scores high.
- ``hue_change``: mean absolute CIELAB hue-angle difference, in degrees, between input and output
  over the pixels where both have chroma above ``min_chroma`` (hue is undefined on greys).

Luma is BT.601 Y of the sRGB values in [0, 1].
"""

from __future__ import annotations

import numpy as np

BAND_OUTER = 4
BAND_INNER = (8, 24)


def luma(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float64 BT.601 luma in [0, 1]."""
    x = rgb.astype(np.float64) / 255
    return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]


def gamma_match(y: np.ndarray, target_mean: float, *, iterations: int = 50) -> np.ndarray:
    """``y ** g`` with g (bisection in [0.05, 5]) such that its mean is ``target_mean``; y in [0, 1]."""
    lo, hi = 0.05, 5.0
    y = np.clip(y, 1e-6, 1)
    for _ in range(iterations):
        g = (lo * hi) ** 0.5
        if np.mean(y**g) < target_mean:
            hi = g
        else:
            lo = g
    return y ** ((lo * hi) ** 0.5)


def ssim_luma(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two (H, W) float64 images in [0, 1] (constants for range 1), mean over the valid region."""
    import cv2

    c1, c2 = 0.01**2, 0.03**2

    def blur(z):
        return cv2.GaussianBlur(z, (11, 11), 1.5)

    ma, mb = blur(a), blur(b)
    va, vb, cov = blur(a * a) - ma * ma, blur(b * b) - mb * mb, blur(a * b) - ma * mb
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    return float(s[5:-5, 5:-5].mean())


def _check(source: np.ndarray, output: np.ndarray) -> None:
    if source.shape != output.shape or source.ndim != 3 or source.shape[2] != 3:
        raise ValueError(f"need two (H, W, 3) images of one size, got {source.shape} and {output.shape}")


def structure_kept(source: np.ndarray, output: np.ndarray) -> float:
    """SSIM of the output's luma against the gamma-matched input luma (1 = a global tone curve)."""
    _check(source, output)
    y_out = luma(output)
    return ssim_luma(gamma_match(luma(source), float(y_out.mean())), y_out)


def _band_differences(y: np.ndarray) -> list[float]:
    """|outer band - inner band| of (H, W) luma in 0-255 levels, for the top, bottom, left, right sides."""
    y = y * 255
    o, (i0, i1) = BAND_OUTER, BAND_INNER
    return [abs(y[:o].mean() - y[i0:i1].mean()), abs(y[-o:].mean() - y[-i1:-i0].mean()),
            abs(y[:, :o].mean() - y[:, i0:i1].mean()), abs(y[:, -o:].mean() - y[:, -i1:-i0].mean())]


def border_excess(source: np.ndarray, output: np.ndarray) -> float:
    """Largest excess, over the four sides, of the output's edge-band difference over the input's (levels)."""
    _check(source, output)
    y_out = luma(output)
    y_ref = gamma_match(luma(source), float(y_out.mean()))
    return float(max(o - i for o, i in zip(_band_differences(y_out), _band_differences(y_ref), strict=True)))


def _srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 sRGB -> (H, W, 3) float64 CIELAB (D65)."""
    c = rgb.astype(np.float64) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear @ m.T / np.array([0.95047, 1.0, 1.08883])
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def hue_change(source: np.ndarray, output: np.ndarray, *, min_chroma: float = 5.0) -> float:
    """Mean |hue angle difference| in degrees (0-180) over pixels with chroma > ``min_chroma`` in both.

    NaN when no pixel has enough chroma in both images.
    """
    _check(source, output)
    a, b = _srgb_to_lab(source), _srgb_to_lab(output)
    chroma = np.minimum(np.hypot(a[..., 1], a[..., 2]), np.hypot(b[..., 1], b[..., 2]))
    mask = chroma > min_chroma
    if not mask.any():
        return float("nan")
    diff = np.arctan2(b[..., 2], b[..., 1]) - np.arctan2(a[..., 2], a[..., 1])
    diff = np.abs((diff + np.pi) % (2 * np.pi) - np.pi)
    return float(np.degrees(diff[mask]).mean())


__all__ = ["border_excess", "gamma_match", "hue_change", "luma", "ssim_luma", "structure_kept"]


def dark_tint(source: np.ndarray, output: np.ndarray, *, dark: float = 20.0) -> float:
    """Mean CIELAB chroma of ``output`` over the pixels whose input luma (BT.601, 0-255) is under ``dark``: how much
    colour the near-black regions were given (a codec's chroma rounding lifted into purple or blue blotches);
    NaN when the input has no such pixel."""
    _check(source, output)
    mask = luma(source) < dark
    if not mask.any():
        return float("nan")
    lab = _srgb_to_lab(output)
    return float(np.hypot(lab[..., 1], lab[..., 2])[mask].mean())
