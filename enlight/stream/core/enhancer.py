"""Enhancing batches of RGB frames: to the device, through the stages, back.

The stages (``enlight.stream.core.stages``) are chosen once, from the plan's scale and smoothing:

    [Denoise] -> [Deband] -> ModelInput -> [AttentionSmoothing] -> RunModel -> [CorrectionSmoothing] -> Combine
    -> [Exposure] -> [Detail] -> [Grey]

On the CPU each batch is done when ``submit`` returns; ``begin``, ``start`` and ``finish`` split it
around the model, so that a caller with threads (``enlight.stream.apps.pipeline``) can run the stages
before the model ([Denoise], [Deband], ModelInput, [AttentionSmoothing]) of batch n+1 and the stages after it (the
correction's smoothing, ``Combine``: OpenCV, no GIL) of batch n-1 on two other threads, each in order,
while the model runs on batch n (issue 17: 37 of 124 ms per 1080p frame off the model's thread after it,
the model input's 2 ms per 854x480 frame of ``fast`` before it). On CUDA the work is pipelined one batch
deep: the upload of batch n (from pinned memory, on a copy stream) and the download of batch n-1's
result (into pinned memory, on the same copy stream) overlap the compute of batch n, and ``submit``
hands back the batch that finished. ``drain`` returns what is still in flight.

On a CPU (with OpenCV) the stages are their numpy forms (``enlight.stream.core.cpu.stages``) and the backend takes
numpy arrays: nothing here imports torch (a CPU run with ONNX Runtime never loads it); on CUDA, the torch forms.
"""

from __future__ import annotations

from collections import deque
from contextlib import nullcontext
from dataclasses import replace
from importlib import import_module
from typing import Any

import numpy as np

from enlight.ops import simd
from enlight.stream.backends.base import Backend
from enlight.stream.core.denoise_config import DenoiseConfig
from enlight.stream.core.exposure import ExposureFloor
from enlight.stream.core.plan import InferencePlan
from enlight.stream.core.smoothing_config import SmoothingConfig
from enlight.stream.core.work import Stage, Work
from enlight.text import counted

# the stages' forms: numpy/OpenCV for CPU frames, torch for CUDA ones (module paths: imported when chosen)
CPU_FORMS = ("enlight.stream.core.cpu.stages", "enlight.stream.core.cpu.smoothing", "enlight.stream.core.cpu.denoise")
TORCH_FORMS = ("enlight.stream.core.stages", "enlight.stream.core.smoothing", "enlight.stream.core.denoise")
# (each stages module holds every stage, ``Denoise`` included)


class _Pending:
    """A batch on its way back (CUDA): pinned host output, the event that marks its copy done, a tag."""

    def __init__(self, host, done, keep: tuple, tag: Any) -> None:
        self.host, self.done, self.keep, self.tag = host, done, keep, tag

    def result(self) -> tuple[np.ndarray, Any]:
        self.done.synchronize()
        return self.host.numpy(), self.tag


def after_combine(forms, floor: ExposureFloor | None, detail: float) -> list[Stage]:
    """The stages after ``Combine``, in their order, from ``forms`` (a stages module: CPU or torch): ``Exposure``
    (``floor``, where there is one), then ``Detail`` (its share, where above 0). ``Grey`` comes last, per batch
    (``Enhancer._finish``); a photo enhanced in pieces runs these on the whole (``photo.finish_whole``)."""
    return ([forms.Exposure(floor)] if floor is not None else []) + ([forms.Detail(detail)] if detail > 0 else [])


class Enhancer:
    """frames (B, H, W, 3) uint8 RGB (numpy), in display order -> the same, enhanced.

    Keeps the smoothers' state between calls, so consecutive batches form one clip. ``submit``
    returns the finished ``(frames, tag)`` pairs, in order; ``__call__`` is the synchronous form.

    scale, upsample: run the model at 1/scale of the size, its correction carried back by upsample.
    grey: output the enhanced frames' BT.601 luma on all three channels (for sources without
    chroma, such as infrared night cameras: the generator would tint their dark areas). The
    caller decides it from the decoded chroma (``enlight.stream.io.chroma``) and may change it
    between batches. detail: the share of the input's luma detail put back at the local gain after the model
    (``enlight.ops.detail``; 0 = none, the bare network's output; plans carry the product's default). exposure:
    the mean luma (0-255) that darker frames are lifted to before that (``enlight.ops.exposure``; 0 = off).
    deband: smooth the codec's blocks and bands in dark flat regions before the model (``enlight.ops.deband``).
    """

    def __init__(self, backend: Backend, smoothing: SmoothingConfig = SmoothingConfig(), *, scale: float = 1.0,
                 upsample: str = "guided", grey: bool = False, denoise: DenoiseConfig = DenoiseConfig(),
                 detail: float = 0.0, exposure: float = 0.0, deband: bool = False) -> None:
        self.backend = backend
        self.grey = grey
        self.device = backend.device
        self.smoothing = smoothing
        self.cuda = self.device.type == "cuda"
        self.cpu_forms = not self.cuda and simd.available()
        stages, smoothers, denoisers = (import_module(name) for name in (CPU_FORMS if self.cpu_forms else TORCH_FORMS))
        self.attention_smoother = (smoothers.AttentionSmoother(smoothing)
                                   if smoothing.target in ("attention", "both") else None)
        self.correction_smoother = smoothers.CorrectionSmoother(smoothing) if smoothing.target != "attention" else None
        self.denoiser = denoisers.Denoiser(denoise) if denoise.enabled else None
        self.stages: list[Stage] = [stages.Denoise(self.denoiser)] if self.denoiser is not None else []
        self.deband = stages.Deband() if deband else None
        self.stages += [self.deband] if self.deband is not None else []
        self.stages.append(stages.ModelInput(scale))
        if self.attention_smoother is not None:
            self.stages.append(stages.AttentionSmoothing(self.attention_smoother))
        self._prepared = len(self.stages)  # stages[:n]: everything before the model, which ``begin`` runs
        self.stages.append(stages.RunModel(backend))
        self._after_model = len(self.stages)  # stages[:n] up to the model (start), stages[n:] after it (finish)
        if self.correction_smoother is not None:
            self.stages.append(stages.CorrectionSmoothing(self.correction_smoother))
        self.stages.append(stages.Combine(scale, upsample))
        self._forms, self._detail = stages, detail
        self._combined = len(self.stages)  # stages[n:]: ``after_combine``'s
        self.exposure_floor: ExposureFloor | None = None
        self.set_exposure(exposure)
        self._grey = stages.Grey()
        self._copy_stream = self._torch().cuda.Stream(self._torch_device()) if self.cuda else None
        self._pending: deque[_Pending] = deque()
        self._halted = False  # ``halt``

    @staticmethod
    def _torch():
        import torch

        return torch

    def _torch_device(self):
        return self._torch().device(str(self.device))

    def _mode(self):
        """torch's inference mode around the torch forms; nothing around the CPU forms."""
        return nullcontext() if self.cpu_forms else self._torch().inference_mode()

    @classmethod
    def from_plan(cls, plan: InferencePlan, backend: Backend, *, grey: bool = False) -> Enhancer:
        return cls(backend, plan.smoothing, scale=plan.scale, upsample=plan.upsample, grey=grey,
                   denoise=plan.denoise, detail=plan.detail, exposure=plan.exposure, deband=plan.deband)

    def set_smoothing(self, strength: float) -> None:
        """Change the smoothing strength of a running enhancer (live hotkeys); the state is kept."""
        self.smoothing = replace(self.smoothing, strength=strength)
        for smoother in (self.attention_smoother, self.correction_smoother):
            if smoother is not None:
                smoother.config = self.smoothing

    def set_exposure(self, level: float) -> None:
        """``--exposure``'s floor at ``level`` after ``Combine``, or none (0); in a running enhancer (the live
        hotkey), a new floor starts from the next frame's own power."""
        self.set_floor(ExposureFloor(level) if level > 0 else None)

    def set_floor(self, floor: ExposureFloor | None) -> None:
        """``set_exposure`` with a given ``ExposureFloor`` (whose ``describe`` then says what it did), or none."""
        self.exposure_floor = floor
        self.stages[self._combined:] = after_combine(self._forms, floor, self._detail)

    def halt(self) -> None:
        """End the work under way on a CPU run's helper threads (``begin``, ``finish``) before its next stage, or the
        denoiser's next frame, with KeyboardInterrupt: the run was stopped (Ctrl-C, SIGTERM) and waits for those
        threads, and one batch's stages at 1080p take seconds. The enhancer is done after it."""
        self._halted = True
        if hasattr(self.denoiser, "halt"):
            self.denoiser.halt()

    def _stage(self, stage: Stage, work: Work) -> Work:
        if self._halted:
            raise KeyboardInterrupt("the run was stopped")
        return stage(work)

    def _run(self, work: Work, first: int, last: int) -> Work:
        with self._mode():
            for stage in self.stages[first:last]:
                work = self._stage(stage, work)
            return work

    def _start(self, batch) -> Work:
        """(B, H, W, 3) uint8 on the device through the stages up to the model's (stateful stages included);
        records ``grey`` as it is now for ``_finish``."""
        return self._run(Work(pixels=batch, grey=self.grey), 0, self._after_model)

    def exposure_summary(self) -> str:
        """What ``--exposure`` did, e.g. 'to 100: 58 of 60 frames lifted'; '' when it is off."""
        return self.exposure_floor.describe() if self.exposure_floor is not None else ""

    def deband_summary(self) -> str:
        """What the deband step did, e.g. '12 of 150 frames'; '' when it is off."""
        return f"{self.deband.changed} of {counted(self.deband.frames, 'frame')}" if self.deband is not None else ""

    def denoise_summary(self, level: str) -> str:
        """``level`` (the --denoise level run) and, when the denoiser left frames unchanged, how many it
        denoised: e.g. 'light (0 of 83 frames: noise 0.81 under the floor 1)'."""
        report = self.denoiser.report() if self.denoiser is not None else ""
        return f"{level} ({report})" if report else level

    def _finish(self, work: Work):
        """The stages after the model (and ``Grey`` if ``work.grey``): -> (B, H, W, 3) uint8 on the device (numpy
        for the CPU forms)."""
        with self._mode():
            for stage in self.stages[self._after_model:]:
                work = self._stage(stage, work)
            return (self._grey(work) if work.grey else work).result

    def _enhance(self, batch):
        """(B, H, W, 3) uint8 on the device -> (B, H, W, 3) uint8 on the device."""
        return self._finish(self._start(batch))

    def begin(self, frames: np.ndarray, grey: bool) -> Work:
        """A CPU batch's first part, the stages before the model (the denoiser, the model's input and its
        attention smoothing): frames (B, H, W, 3) uint8 RGB (numpy) -> a ``Work`` for ``start``; ``grey`` is
        the batch's (``finish`` outputs luma). Call in display order; it keeps no state that ``start`` or
        ``finish`` touch, so it may run on its own thread, a batch ahead of the model."""
        if self.cuda:
            raise RuntimeError("begin/start/finish are for CPU enhancers; submit pipelines CUDA batches itself")
        pixels = np.ascontiguousarray(frames)
        work = Work(pixels=pixels if self.cpu_forms else self._torch().from_numpy(pixels), grey=grey)
        return self._run(work, 0, self._prepared)

    def start(self, frames: np.ndarray | Work) -> Work:
        """A CPU batch's second part: frames (B, H, W, 3) uint8 RGB (numpy; ``grey`` is read here; ``begin``
        is run on them first) or the ``Work`` that ``begin`` made, through the model. Call ``finish`` on the
        results in the order they were started (the smoothing after the model keeps state)."""
        work = frames if isinstance(frames, Work) else self.begin(frames, self.grey)
        return self._run(work, self._prepared, self._after_model)

    def finish(self, work: Work) -> np.ndarray:
        """A CPU batch's second half (thread-safe against ``start`` of later batches): the stages after the
        model -> (B, H, W, 3) uint8 RGB (numpy)."""
        result = self._finish(work)
        return result if self.cpu_forms else result.numpy()

    def submit(self, frames: np.ndarray, tag: Any = None) -> list[tuple[np.ndarray, Any]]:
        if not self.cuda:
            return [(self.finish(self.start(frames)), tag)]
        torch, device = self._torch(), self._torch_device()
        batch = torch.from_numpy(np.ascontiguousarray(frames))
        copy, compute = self._copy_stream, torch.cuda.current_stream(device)
        pinned = batch.pin_memory()
        with torch.cuda.stream(copy):
            on_device = pinned.to(device, non_blocking=True)
        compute.wait_stream(copy)
        on_device.record_stream(compute)
        out = self._enhance(on_device)
        host = torch.empty(out.shape, dtype=torch.uint8, pin_memory=True)
        copy.wait_stream(compute)
        with torch.cuda.stream(copy):
            host.copy_(out, non_blocking=True)
            done = torch.cuda.Event()
            done.record(copy)
        out.record_stream(copy)
        self._pending.append(_Pending(host, done, (pinned,), tag))
        finished = []
        while len(self._pending) > 1:  # one batch stays in flight
            finished.append(self._pending.popleft().result())
        return finished

    def drain(self) -> list[tuple[np.ndarray, Any]]:
        finished = [p.result() for p in self._pending]
        self._pending.clear()
        return finished

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        finished = self.submit(frames) + self.drain()
        return finished[-1][0]
