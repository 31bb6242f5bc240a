"""A JPEG's chroma blocks in a dark region (16x16 squares of colour a code value or two apart) came out of the
enhancer as a patchwork of greenish and greyish squares; they are smoothed first (``enlight.ops.chroma_blocks``,
part of --deband for JPEG photos)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from enlight.ops.chroma_blocks import smooth_dark_chroma
from enlight.quality.blocks import chroma_block_ratio


def _blocky(height: int = 96, width: int = 128, level: float = 22.0, seed: int = 0) -> np.ndarray:
    """A dark textured picture whose colour jumps by 1-3 code values from one 16x16 block to the next."""
    rng = np.random.default_rng(seed)
    luma = level + 6 * rng.standard_normal((height, width))
    cb = np.kron(rng.integers(-3, 4, (height // 16, width // 16)), np.ones((16, 16)))
    cr = np.kron(rng.integers(-3, 4, (height // 16, width // 16)), np.ones((16, 16)))
    rgb = np.stack([luma + 1.402 * cr, luma - 0.344 * cb - 0.714 * cr, luma + 1.772 * cb], -1)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def test_dark_chroma_blocks_are_smoothed_and_lit_colour_is_left():
    dark = _blocky()
    smoothed = smooth_dark_chroma(dark)
    assert chroma_block_ratio(dark, dark) > 2.0
    assert chroma_block_ratio(smoothed, dark) < chroma_block_ratio(dark, dark) - 0.8
    luma = lambda x: x.astype(float) @ [0.299, 0.587, 0.114]  # noqa: E731
    assert np.abs(luma(smoothed) - luma(dark)).max() <= 1.5  # the luma is the deband step's, not this one's
    lit = _blocky(level=160.0)
    assert np.array_equal(smooth_dark_chroma(lit), lit)


def test_a_coarse_dark_jpeg_comes_out_without_its_chroma_blocks(tmp_path, weights, cli):
    for quality in (70, 92):  # chroma DC steps 10 and 3: coarse, and fine enough to keep its own detail
        buffer = io.BytesIO()
        Image.fromarray(_blocky(192, 256)).save(buffer, "JPEG", quality=quality)
        (tmp_path / f"q{quality}.jpg").write_bytes(buffer.getvalue())
    source = np.asarray(Image.open(tmp_path / "q70.jpg").convert("RGB"))
    Image.fromarray(source).save(tmp_path / "q70.png")  # the same pixels: a PNG holds no JPEG blocks to expect
    ratios = {}
    cases = (("coarse", ("q70.jpg", "on.png")), ("off", ("q70.jpg", "off.png", "--deband", "off")),
             ("png", ("q70.png", "png.png")), ("fine", ("q92.jpg", "fine.png")),
             ("fine off", ("q92.jpg", "fine_off.png", "--deband", "off")))
    for name, args in cases:
        result = cli(tmp_path / args[0], "-o", tmp_path / args[1], *args[2:], "--weights", weights)
        assert result.returncode == 0, result.stderr
        read = np.asarray(Image.open(tmp_path / args[0]).convert("RGB"))
        ratios[name] = chroma_block_ratio(np.asarray(Image.open(tmp_path / args[1]).convert("RGB")), read)
    assert ratios["coarse"] < ratios["off"] - 0.3
    assert abs(ratios["png"] - ratios["off"]) < 0.15  # not a JPEG: left to the luma step alone
    assert abs(ratios["fine"] - ratios["fine off"]) < 0.15  # quality 92: its colour left as it is
