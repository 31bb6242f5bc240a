"""Detail at the brightness it is shown at: the input's fine detail, scaled by the local gain of the enhancement,
put back into the enhanced picture's luma. Written once for torch tensors and numpy maps alike (arithmetic only; the
window mean is passed in), importable without torch.

The generator adds a correction to its input (``output = input + attention * residual``), so the input's fine
detail reaches the output at gain 1 while the region around it is lifted 3 to 5 times: dark regions come out
brighter but flat, a grey haze (docs/training.md, "Detail at the brightness it is shown at"). This replaces a
share ``strength`` of the output luma's band below ``radius`` pixels by the input luma's band times the local gain
G = window mean of the output's luma / window mean of the input's luma. The band's weight falls to 0 over
``TAPER`` pixels towards the picture's edges, and is 0 up to ``INNER`` pixels in from them, so that the outer rows
keep the generator's output (no frame).

Chosen on the validation split, the synthetic set and Fusion, never on LIME, MEF or LOL15 (docs/training.md):
strength 0.35, radius 8; NIQE on validation 4.221 -> 3.994, synthetic 4.166 -> 3.574, Fusion 3.334 -> 3.280.
"""

from __future__ import annotations

STRENGTH = 0.35  # the product's default share (``--detail``)
RADIUS = 8  # the band: what the (2r+1)^2 window mean leaves out
TAPER = 20  # pixels over which the band's weight rises from 0 (4 pixels in from the edge) to 1
INNER = 4  # rows and columns this close to an edge keep the output as it is
FLOOR = 2.0  # levels: the input's window mean luma below which the gain stops growing (black stays black)


def detail_band(result_luma, source_luma, *, box, radius: int = RADIUS):
    """The luma to add to every channel of the result for all of the input's detail at the local gain:
    G * (y_in - box(y_in)) - (y_out - box(y_out)), G = box(y_out) / box(y_in) (the latter at least ``FLOOR``).

    result_luma, source_luma: BT.601 luma of the enhanced picture and of the input, in levels 0..255: numpy
    (h, w) float32 maps, or torch (B, 1, H, W); box(x, radius): their window mean (both reflect the picture at
    its edges). Only the luma's detail is taken: the input's chroma noise stays out, and the hue is the output's.
    """
    mean_out, mean_in = box(result_luma, radius), box(source_luma, radius)
    return mean_out / mean_in.clip(min=FLOOR) * (source_luma - mean_in) - (result_luma - mean_out)


def edge_weight(distance, *, taper: int = TAPER):
    """The band's weight from a pixel's distance in pixels to the nearest edge (0 on the edge row): 0 up to
    ``INNER``, rising linearly to 1 over ``taper`` more pixels. distance: an array (numpy or torch)."""
    return ((distance - INNER) / taper).clip(min=0, max=1)
