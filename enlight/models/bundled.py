"""Where the bundled weights live, and the check that the default is there (importable without torch: a run on
ONNX Runtime checks it before any work without loading torch)."""

from pathlib import Path

from enlight.errors import EnlightError

WEIGHTS_DIR = Path(__file__).with_name("weights")
DEFAULT_WEIGHTS = WEIGHTS_DIR / "enlightengan.safetensors"


class WeightsError(EnlightError):
    """A weights file that cannot be used: missing, corrupt, or for another network."""


def default_weights() -> Path:
    """The bundled default weights; ``WeightsError`` when this build ships none yet."""
    if not DEFAULT_WEIGHTS.is_file():
        raise WeightsError(
            "no default weights are bundled with this build yet: pass --weights FILE "
            "(.safetensors, or a released .pth; enlight-video convert-weights converts one)"
        )
    return DEFAULT_WEIGHTS
