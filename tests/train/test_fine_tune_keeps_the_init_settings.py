"""`enlight-train --recipe zerodce --init W` trains and exports W's own colour handling (keep_hue) and reflection
margin unless --colour or --margin says otherwise. Before, it took the recipe's defaults (colour kept, margin 0)
whatever W was: a fine-tune of the shipped weights (margin 16) was trained and exported at margin 0, so the product
ran it with the convolutions' zero padding at the picture's edges, the bright frame the margin is there to prevent."""

import pytest
from safetensors import safe_open

from enlight.cli.train import main
from enlight.models.generator import build_generator
from enlight.models.weights import load_generator, save_weights


@pytest.fixture(scope="module")
def init(tmp_path_factory):
    """A base-8 generator with free colour and a margin of 12."""
    generator = build_generator(base_channels=8)
    generator.keep_hue, generator.margin = False, 12
    return save_weights(tmp_path_factory.mktemp("init") / "w.safetensors", generator, provenance="test")


def fine_tuned(low, init, out, *extra):
    argv = ["--recipe", "zerodce", "--low", str(low), "--init", str(init), "--out", str(out), "--base-channels", "8",
            "--steps", "1", "--decay-steps", "0", "--validation", "0", "--w-vgg", "0", "--crop", "32", "--batch-size",
            "2", "--workers", "0", "--device", "cpu", "--quiet", *extra]
    assert main(argv) == 0
    assert main(["export", str(out), "-o", str(out / "w.safetensors")]) == 0
    with safe_open(str(out / "w.safetensors"), framework="pt") as handle:
        metadata = handle.metadata()
    generator = load_generator(out / "w.safetensors")
    return metadata.get("keep_hue"), metadata.get("margin"), generator.keep_hue, generator.margin


def test_the_init_weights_own_settings_are_kept(low_folder, init, tmp_path):
    assert fine_tuned(low_folder, init, tmp_path / "run") == (None, "12", False, 12)  # was ('1', None, True, 0)


def test_colour_and_margin_given_still_win(low_folder, init, tmp_path):
    assert fine_tuned(low_folder, init, tmp_path / "run", "--colour", "kept", "--margin", "4") == ("1", "4", True, 4)


def test_without_init_the_recipe_defaults_stay(low_folder, tmp_path):
    argv = ["--recipe", "zerodce", "--low", str(low_folder), "--out", str(tmp_path / "run"), "--base-channels", "8",
            "--steps", "1", "--decay-steps", "0", "--validation", "0", "--w-vgg", "0", "--crop", "32", "--workers",
            "0", "--device", "cpu", "--quiet"]
    assert main(argv) == 0
    assert main(["export", str(tmp_path / "run"), "-o", str(tmp_path / "w.safetensors")]) == 0
    generator = load_generator(tmp_path / "w.safetensors")
    assert (generator.keep_hue, generator.margin) == (True, 0)
