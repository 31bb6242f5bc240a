"""Whether the bench's ``--sizes`` fit this machine's memory, checked before any timing, and how a case that ran out
of memory at its row is named.

A size of which one frame cannot fit (``--sizes 100000x100000``: 10 gigapixels) was timed anyway: each model row
was skipped with a line naming the size as a Python tuple and the allocator's own text ('[enforce fail at
alloc_cpu.cpp:127] ...'), then the decode, encode and pipeline rows ran and the command exited 0. Now it is
refused in one line (exit 2) before any timing, with the memory a frame needs (``enlight.stream.core.memory``'s
per-pixel figures, the full network's, the ones `enlight-video IN -o OUT` plans with) and what is left.
On a GPU the model works in GPU memory: only the host's part (the frames the bench makes) is checked before; a
size the GPU cannot hold is skipped at its row with a one-line note.
"""

from __future__ import annotations

from enlight.errors import EnlightError
from enlight.stream.core.memory import WORK_BYTES_PER_PIXEL, Budget, gib_text, memory_budget

HOST_BYTES_PER_PIXEL_GPU = 40  # the bench's frames on the host: float32 RGB, float64 noise, uint8 in and out


def frame_bytes(size: tuple[int, int], on_gpu: bool, scale: float = 1.0) -> int:
    """Host memory one frame of ``size`` (W, H) needs to be timed, batch 1: the full network's working memory at
    1/``scale`` of the size on a CPU (``WORK_BYTES_PER_PIXEL['best']``), the frames only on a GPU."""
    pixels = size[0] * size[1]
    if on_gpu:
        return HOST_BYTES_PER_PIXEL_GPU * pixels
    return int(WORK_BYTES_PER_PIXEL["best"] * pixels / (scale * scale)) + HOST_BYTES_PER_PIXEL_GPU * pixels


def check_sizes_fit(sizes, on_gpu: bool, scale: float = 1.0, budget: Budget | None = None) -> None:
    """Refuse in one line the first of ``sizes`` ((W, H) each) of which one frame does not fit ``budget`` (default:
    80% of the memory available now); ``scale``: the largest the cases run the model smaller by."""
    budget = memory_budget(None) if budget is None else budget
    for size in sizes:
        need = frame_bytes(size, on_gpu, scale)
        if need > budget.left:
            available = f" of the {gib_text(budget.available_bytes)} available" if budget.available_bytes else ""
            raise EnlightError(f"--sizes {size[0]}x{size[1]}: one frame needs about {gib_text(need)} of memory to be "
                               f"timed; {gib_text(max(budget.left, 0))} is left (80%{available}): give smaller sizes")


def skip_reason(exc: BaseException) -> str:
    """One line for a case that failed at its row: 'out of memory' for the allocators' messages (torch's '[enforce
    fail at alloc_cpu.cpp:127] ... DefaultCPUAllocator: can't allocate memory', 'CUDA out of memory'), else the
    first line of ``exc``."""
    text = str(exc)
    if isinstance(exc, MemoryError) or "allocate" in text or "out of memory" in text.lower():
        return "out of memory"
    return text.splitlines()[0] if text else type(exc).__name__
