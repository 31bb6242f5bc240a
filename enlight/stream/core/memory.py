"""Sizing batches and frame buffers by frame size, so that a run fits in the machine's memory.

A file run holds decoded frames in the decode queue, batches in flight, encoded batches waiting
for the encoder, and the model's working memory for one batch. At 640x360 none of that matters;
at 7680x4320 one uint8 frame is 100 MB and the model's float work per frame is gigabytes, so the
batch and the queues shrink with the frame size, and a frame that cannot fit even alone is
refused in one line before any work.

Working memory per frame pixel, measured on the CPU (peak RSS above the loaded process while one
batch is enhanced, ONNX Runtime, 1280x720 and 1920x1080, batch 1 and 4, 2026-12-03): fast 75-77
bytes, balanced 361-413, best 796-916. Measured again on single pictures up to 3840x2160 (2026-12-05,
after a 64x64 warm-up; ONNX Runtime's arena grows in steps, so the bytes per pixel rise with the size):
best 913 (1280x720), 1382 (1920x1080), 1555 (2560x1600), 1549 (3840x2160); balanced 450-457; fast 32-33.
At the earlier table's 1000 for best, a 24-megapixel photo was planned at 19 GB and killed for memory on a
24 GB machine. From the second frame on, ONNX Runtime also allocated a planned block per shape (its memory
pattern) on top of its arena: a 3-frame 4096x2160 run with best peaked at 21.1 GB with it and at 15.8 GB
without it (1.8 kB per pixel with the process), which the full-size presets now run. The table rounds the
highest up; RetinexNet does about
twice the full generator's work. On CUDA the model works in GPU memory: the host holds frames and their
pinned copies only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from enlight.errors import EnlightError

WORK_BYTES_PER_PIXEL = {"fast": 100, "balanced": 500, "best": 1900}
HOST_BYTES_PER_PIXEL_CUDA = 16  # uint8 frames in, out, and their pinned copies
MODEL_FACTOR = {"enlightengan": 1.0, "retinexnet": 2.0}
GiB = 1 << 30


def _proc_bytes(path: str, key: str) -> int | None:
    """The ``key:`` line of a Linux /proc file given in kB, in bytes; None where it cannot be read."""
    try:
        with open(path) as lines:
            for line in lines:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def available_bytes() -> int:
    """Memory this process may still use: Linux's MemAvailable, else physical memory, else 8 GiB."""
    available = _proc_bytes("/proc/meminfo", "MemAvailable")
    if available is not None:
        return available
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * GiB


def resident_bytes() -> int:
    """This process's resident memory now (Linux); 0 where it cannot be read."""
    return _proc_bytes("/proc/self/status", "VmRSS") or 0


def gib_text(nbytes: float) -> str:
    """A memory size for a message, in GiB as --max-memory takes it (``enlight.text.size_text`` gives file sizes,
    in powers of 1000): '12.4 GB', '0.45 GB' (two decimals below 10 GB, so that a need and what is left
    are not rounded to the same figure), or '35 MB' below a tenth of a GB (where '0.0 GB' would say nothing)."""
    if abs(nbytes) < GiB / 10:
        return f"{nbytes / (1 << 20):.0f} MB"
    return f"{nbytes / GiB:.1f} GB" if abs(nbytes) >= 10 * GiB else f"{nbytes / GiB:.2f} GB"


@dataclass(frozen=True)
class Budget:
    """What a run may still allocate, with the figures it comes from for messages. left: bytes; limit_gb:
    --max-memory, the whole process's limit (None: not given, the budget is 80% of the memory available);
    used_bytes: what this process held when it was measured; available_bytes: the machine's available memory
    then (0: not measured, a caller's own figure); workers: the processes sharing it (a --jobs pool's), this one's
    share being left."""

    left: int
    limit_gb: float | None = None
    used_bytes: int = 0
    available_bytes: int = 0
    workers: int = 1

    def explain(self) -> str:
        """Where the budget comes from, with its figures, for a message."""
        share = f"this worker's 1/{self.workers} share (--jobs {self.workers}) of " if self.workers > 1 else ""
        if self.limit_gb is None:
            if not self.available_bytes:
                return f"{gib_text(max(self.left, 0))} left"
            return (f"{gib_text(max(self.left, 0))} left: {share}80% of the {gib_text(self.available_bytes)} "
                    "available (--max-memory GB sets the run's limit)")
        used = f"the {gib_text(self.used_bytes)} this process already holds (libraries, the model)"
        limit = f"{share}--max-memory {self.limit_gb:g} GB"
        if self.left <= 0:
            return f"{limit} is used up by {used}: nothing is left"
        return f"{limit}, less {used}, leaves {gib_text(self.left)}"


_WORKERS = 1  # the processes that share the run's memory, this one among them (``share_memory``)


def share_memory(workers: int) -> None:
    """Make this process one of ``workers`` that share the run's memory (each of a ``--jobs N`` pool's workers):
    its budgets are then its share. Each worker planned for 80% of the memory free, so two workers that started big
    photos together (about 15 GB each at --quality best for 12 megapixels) could ask for more than there was."""
    global _WORKERS
    _WORKERS = max(1, int(workers))


def memory_budget(max_memory_gb: float | None) -> Budget:
    """What a run may still allocate: ``max_memory_gb`` for the whole run, less what this process already holds
    (libraries, the loaded model); None: 80% of the memory available now. In one of a pool's workers
    (``share_memory``), its share of either."""
    available, used, workers = available_bytes(), resident_bytes(), _WORKERS
    if max_memory_gb is None:
        return Budget(int(0.8 * available / workers), None, used, available, workers)
    return Budget(int(max_memory_gb * GiB / workers) - used, max_memory_gb, used, available, workers)


@dataclass(frozen=True)
class MemoryPlan:
    """batch_size: frames per inference batch; decode_queue: decoded frames buffered ahead;
    encode_batches: enhanced batches waiting for the encoder; estimate_bytes: the peak planned; budget: what it was
    planned to fit."""

    batch_size: int
    decode_queue: int
    encode_batches: int
    estimate_bytes: int
    budget: Budget = Budget(0)


def _remedies(quality: str, budget: Budget) -> str:
    """What would make a frame fit, for the message: a larger --max-memory where one was given, a lighter preset,
    a smaller picture."""
    ways = ["a larger --max-memory"] * (budget.limit_gb is not None) + ["--quality fast"] * (quality != "fast")
    return ", ".join(ways) + (" or " if ways else "") + "a smaller picture (--size)"


def plan_memory(width: int, height: int, *, quality: str, model: str = "enlightengan", batch_size: int = 4,
                on_cuda: bool = False, budget: Budget | None = None) -> MemoryPlan:
    """The largest batch (up to ``batch_size``) and queues for ``width`` x ``height`` frames that fit ``budget``
    (default: ``memory_budget(None)``). Raises ``EnlightError`` if one frame alone cannot."""
    given = memory_budget(None) if budget is None else budget
    budget = given.left
    pixels = width * height
    frame = 3 * pixels
    per_pixel = HOST_BYTES_PER_PIXEL_CUDA if on_cuda else WORK_BYTES_PER_PIXEL.get(quality, 1000)
    work = int(per_pixel * MODEL_FACTOR.get(model, 2.0) * pixels)

    def peak(batch: int, decode: int, encode: int) -> int:
        # the model's work for a batch, the batch and its output, the queues
        return batch * work + (2 * batch + decode + encode * batch) * frame

    batch = batch_size
    while batch > 1 and peak(batch, 2, 1) > budget:
        batch -= 1
    if peak(batch, 2, 1) > budget:
        raise EnlightError(
            f"a {width}x{height} frame needs about {gib_text(peak(1, 2, 1))} of working memory with --quality "
            f"{quality}; {given.explain()}; try {_remedies(quality, given)}"
        )
    # queues: what is left, up to the usual depths (16 frames ahead, 4 batches to the encoder)
    decode = 2
    while decode < max(16, 2 * batch) and peak(batch, decode + 1, 1) <= budget:
        decode += 1
    encode = 1
    while encode < 4 and peak(batch, decode, encode + 1) <= budget:
        encode += 1
    return MemoryPlan(batch, decode, encode, peak(batch, decode, encode), given)
