"""The device a run uses, checked against this machine, named without importing torch.

``Device`` is what plans and backend options hold; torch code turns it into a ``torch.device`` with
``.torch()``. 'auto' asks PyTorch about CUDA only where a GPU driver shows (``GPU_SIGNS``): elsewhere it is the
CPU, and a CPU run never imports torch for it (1.2 s of start-up on 2 cores; issue 17).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from enlight.errors import EnlightError

# what a machine whose PyTorch may see a GPU has: the NVIDIA driver (Linux, containers with the NVIDIA toolkit),
# WSL2's GPU device, Jetson's GPU, ROCm's (PyTorch's ROCm builds answer to 'cuda')
GPU_SIGNS = tuple(map(Path, ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/dxg", "/dev/nvhost-ctrl-gpu", "/dev/kfd")))


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
    """CUDA devices PyTorch sees (0 without importing torch where no GPU driver shows)."""
    if not any(sign.exists() for sign in GPU_SIGNS):
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
