"""The device a run uses, checked against this machine, named without importing torch.

``Device`` is what plans and backend options hold; torch code turns it into a ``torch.device`` with
``.torch()``. 'auto' asks PyTorch about CUDA only where an NVIDIA driver is loaded (``/proc/driver/nvidia``):
elsewhere it is the CPU, and a CPU run never imports torch for it (1.2 s of start-up on 2 cores; issue 17).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from enlight.errors import EnlightError

NVIDIA_DRIVER = Path("/proc/driver/nvidia")  # present once the NVIDIA kernel driver is loaded


@dataclass(frozen=True)
class Device:
    """type: 'cpu' or 'cuda'; index: the CUDA device's number, None for the current one (or the CPU)."""

    type: str
    index: int | None = None

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def torch(self):
        """This device as a ``torch.device`` (imports torch)."""
        import torch

        return torch.device(str(self))


def _parse(name: str) -> Device:
    kind, _, index = name.partition(":")
    if kind not in ("cpu", "cuda") or (index and not index.isdigit()) or (kind == "cpu" and index):
        raise EnlightError(f"unknown device '{name}' (use auto, cpu, cuda or cuda:N)")
    return Device(kind, int(index) if index else None)


def _cuda_count() -> int:
    """CUDA devices PyTorch sees (0 without importing torch where no NVIDIA driver is loaded)."""
    if not NVIDIA_DRIVER.exists():
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve_device(name: str = "auto") -> Device:
    """'auto' -> cuda when available, else cpu; 'cpu', 'cuda', 'cuda:N' checked against this machine."""
    if name == "auto":
        return Device("cuda" if _cuda_count() else "cpu")
    device = _parse(name)
    if device.type == "cuda":
        count = _cuda_count()
        if not count:
            raise EnlightError(f"--device {name}: no CUDA GPU is visible to PyTorch on this machine")
        if device.index is not None and device.index >= count:
            raise EnlightError(f"--device {name}: only {count} CUDA device(s) here")
    return device
