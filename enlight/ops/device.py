"""The torch device a run uses, checked against this machine."""

import torch

from enlight.errors import EnlightError


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' -> cuda when available, else cpu; 'cpu', 'cuda', 'cuda:N' checked against this machine."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise EnlightError(f"unknown device '{name}' (use auto, cpu, cuda or cuda:N)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise EnlightError(f"--device {name}: no CUDA GPU is visible to PyTorch on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise EnlightError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) here")
    elif device.type != "cpu":
        raise EnlightError(f"unsupported device '{name}' (use auto, cpu, cuda or cuda:N)")
    return device
