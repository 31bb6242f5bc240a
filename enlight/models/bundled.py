"""Where the bundled weights live (importable without torch)."""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).with_name("weights")
DEFAULT_WEIGHTS = WEIGHTS_DIR / "enlightengan.safetensors"
