"""A run whose weights became NaN or infinite (too high a learning rate or loss weight) stops at once, in one line,
and saves nothing: before, it went on to its last step, said it was done, and its exported weights made every
picture black."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from enlight.errors import EnlightError


def non_finite_nets(nets: dict[str, torch.nn.Module]) -> list[str]:
    """The names of the networks with a NaN or infinite weight or buffer."""
    return [name for name, net in nets.items()
            if not all(bool(torch.isfinite(t).all()) for t in net.state_dict().values() if t.is_floating_point())]


def check_finite(nets: dict[str, torch.nn.Module], step: int, kept: Path | None,
                 losses: dict[str, float] | None = None) -> None:
    """Raise the one-line error when a network in ``nets`` is no longer finite at ``step`` (``losses``: that
    step's, a non-finite one is what calls this during training; ``kept``: the newest checkpoint on disk). A loss that
    is not finite while the weights are (fp16 AMP's loss scaler skips that step) is left to the scaler."""
    bad = non_finite_nets(nets)
    if not bad:
        return
    named = [f"{name} {value}" for name, value in (losses or {}).items() if not math.isfinite(value)]
    then = (f"the newest checkpoint, {kept.name}, is kept: continue from it with --resume and a lower --lr or lower "
            "loss weights" if kept else "no checkpoint was saved: start again with a lower --lr or lower loss weights")
    raise EnlightError(f"step {step}: the {' and '.join(bad)} weights became NaN or infinite"
                       f"{' (loss ' + ', '.join(named) + ')' if named else ''}; nothing of them is saved and {then}")


__all__ = ["check_finite", "non_finite_nets"]
