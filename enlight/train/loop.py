"""The machinery every enlight-train run shares: checkpoints, resume, logging, samples, the loop.

A run is a subclass of ``TrainLoop`` that, in its ``__init__``, calls ``_setup(config)`` with its
config (a ``RunSettings`` subclass that adds ``out``, ``batch_size`` and its own settings), and sets

- ``dataset`` (items are dicts of tensors), ``steps_per_epoch``, ``total_steps``;
- ``nets`` (name -> module), ``optimizers`` (name -> optimiser), ``schedulers`` (a list),
  ``scaler`` (a GradScaler), ``generators`` (name -> extra ``torch.Generator`` to checkpoint);

and implements ``train_step(batch) -> {loss name: float}`` and ``sample_rows(batch)`` (rows of
images for the sample grid). Checkpoints hold every net, optimiser, scheduler, the scaler, the
step and all RNG states, so ``fit(resume=True)`` continues as if never stopped.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from enlight.errors import EnlightError, disk_full
from enlight.train.data import EpochSampler
from enlight.train.diverged import check_finite
from enlight.train.resume import changed_settings, check_resumable, keep_configured_lr
from enlight.train.stop import HeldStop, ignore_stops_in_worker, shut_down_workers

CHECKPOINT_VERSION = 1
RUN_NAMES = frozenset({"checkpoints", "samples", "tb", "config.json", "losses.jsonl", "teacher_cache.npz"})


def check_run_folder_contents(out: Path) -> None:
    """Refuse an existing --out that is not a run folder (no checkpoints/ or losses.jsonl of a run) and holds
    anything but a run's own names (hidden files aside): a run writes config.json and its folders there, over the
    user's own, and a folder of photos (``--out`` the ``--low`` folder) would have its sample grids read as training
    images by the next run. An earlier run's folder may hold more (its exported weights)."""
    if not out.is_dir() or (out / "checkpoints").is_dir() or (out / "losses.jsonl").is_file():
        return
    foreign = sorted(p.name for p in out.iterdir() if p.name not in RUN_NAMES and not p.name.startswith("."))
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise EnlightError(f"--out {out} is not a run folder: it holds {', '.join(foreign[:3])}{more}; give a new or "
                           "empty folder, or an earlier run's")


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """What every training run shares: where it runs and how often it logs, samples and saves."""

    device: str = "auto"
    amp: bool = False
    workers: int = 2
    seed: int = 0
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    log_every: int = 10
    sample_every: int = 200
    max_minutes: float | None = None  # time box: stop at the first step boundary after this, checkpointed

    def to_json(self) -> dict:
        """The settings as JSON values (paths as strings, tuples as lists)."""

        def plain(value):
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            return value

        return {k: plain(v) for k, v in asdict(self).items()}


def numpy_state() -> dict:
    """numpy's legacy global RNG state in types that ``torch.load(weights_only=True)`` accepts."""
    _, key, pos, has_gauss, cached = np.random.get_state()
    return {"key": torch.from_numpy(key.astype(np.int64)), "rest": [int(pos), int(has_gauss), float(cached)]}


def linear_decay(flat_steps: int, decay_steps: int):
    """LambdaLR factor: 1 for ``flat_steps``, then linearly down to 0 over ``decay_steps``."""

    def factor(step: int) -> float:
        if step < flat_steps:
            return 1.0
        return max(0.0, 1.0 - (step - flat_steps) / max(1, decay_steps))

    return factor


class TrainLoop:
    """Base class of the trainers (see the module docstring for what a subclass provides)."""

    config = None
    kind = "enlightengan"  # what the run trains; stored in checkpoints, read by the exporters

    def generator_step(self, loss: torch.Tensor) -> None:
        """One optimiser step of a trainer with the generator alone (``opt_g``, ``schedulers[0]``, the
        AMP ``scaler``): backward, step, scheduler, and the step counter."""
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt_g)
        self.scaler.update()
        with warnings.catch_warnings():  # a skipped fp16 step makes the scheduler warn
            warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
            self.schedulers[0].step()
        self.step += 1

    def _setup(self, config: RunSettings) -> None:
        """Keep ``config``, pick the device and seed torch (AMP: fp16 on CUDA, bf16 on a CPU)."""
        from enlight.ops.device import resolve_device

        self.config = config
        self.device = resolve_device(config.device).torch()
        self.amp = config.amp and self.device.type in ("cuda", "cpu")
        torch.manual_seed(config.seed)

    def autocast(self) -> torch.autocast:
        """Mixed precision for the forward passes when ``amp``: fp16 on CUDA; bf16 on a CPU, which is
        fast only where the CPU has AMX or AVX-512 BF16 (bf16 needs no loss scaling)."""
        dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        return torch.autocast(self.device.type, dtype=dtype, enabled=self.amp)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """The loss scaler of fp16 AMP; a pass-through elsewhere."""
        return torch.amp.GradScaler("cuda", enabled=self.amp and self.device.type == "cuda")

    def _init_loop(self) -> None:
        self.step = 0
        self.mid_step = False  # a stop raised now leaves a half-done step (not to be saved)
        self.stopped_checkpoint: Path | None = None  # saved at the step boundary where a held stop was raised
        self.resumed_changes: list[str] = []  # settings other than the resumed checkpoint's ('lr 0.0001 -> 0.001')
        self._writer = None
        self.generators: dict[str, torch.Generator] = getattr(self, "generators", {})

    # ---- to implement -------------------------------------------------------------------
    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        raise NotImplementedError

    def sample_rows(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """Rows of the sample grid: each (n, 3, H, W) in [0, 1], on any device."""
        raise NotImplementedError

    def set_train(self) -> None:
        """Put the networks in training mode (a trainer may keep parts, e.g. BatchNorm statistics, frozen)."""
        for net in self.nets.values():
            net.train()

    # ---- learning-rate helpers ----------------------------------------------------------
    @property
    def lr(self) -> float:
        return next(iter(self.optimizers.values())).param_groups[0]["lr"]

    # ---- checkpoints --------------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        return Path(self.config.out) / "checkpoints"

    def state_dict(self) -> dict:
        cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
        state = {
            "version": CHECKPOINT_VERSION,
            "kind": self.kind,
            "step": self.step,
            "config": json.dumps(self.config.to_json()),
            "keep_hue": bool(getattr(self.nets.get("generator"), "keep_hue", False)),  # how to rebuild it
            "margin": int(getattr(self.nets.get("generator"), "margin", 0)),
            "schedulers": [s.state_dict() for s in self.schedulers],
            "scaler": self.scaler.state_dict(),
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": cuda_rng,
                "python": json.dumps(random.getstate()),
                "numpy": numpy_state(),
                **{name: g.get_state() for name, g in self.generators.items()},
            },
        }
        state.update({name: net.state_dict() for name, net in self.nets.items()})
        state.update({name: opt.state_dict() for name, opt in self.optimizers.items()})
        return state

    def save_checkpoint(self) -> Path:
        check_finite(self.nets, self.step, self.latest_checkpoint())
        folder = self.checkpoint_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"step_{self.step:07d}.pt"
        write_checkpoint(self.state_dict(), path, kept=self.latest_checkpoint())
        for old in sorted(folder.glob("step_*.pt"))[: -self.config.keep_checkpoints]:
            old.unlink()
        return path

    def latest_checkpoint(self) -> Path | None:
        found = sorted(self.checkpoint_dir.glob("step_*.pt"))
        return found[-1] if found else None

    def resume(self) -> Path:
        """Load the newest checkpoint of ``config.out`` (``load_checkpoint``); its path."""
        latest = self.latest_checkpoint()
        if latest is None:
            raise EnlightError(f"--resume: no checkpoint in {self.checkpoint_dir}")
        self.load_checkpoint(latest)
        return latest

    def load_checkpoint(self, path: Path) -> None:
        """Continue from ``path``: networks, optimisers, schedulers (at this config's learning rate), scaler, RNGs and
        step; ``resumed_changes`` lists the settings that differ from the checkpoint's."""
        state = read_checkpoint(path, map_location=self.device)
        if state.get("kind", "enlightengan") != self.kind:
            raise EnlightError(f"{path} is a {state.get('kind')} run, not {self.kind}")
        check_resumable(state, path, self.nets, self.optimizers, self.schedulers)
        configured = [list(scheduler.base_lrs) for scheduler in self.schedulers]
        for name, net in self.nets.items():
            try:
                net.load_state_dict(state[name])
            except RuntimeError:  # a width (--base-channels, --d-channels) other than the run's
                raise EnlightError(f"--resume: the {name} in {path.name} has other sizes than these settings make; "
                                   f"resume with the run's own (its config.json)") from None
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state[name])
        for scheduler, saved, base_lrs in zip(self.schedulers, state["schedulers"], configured, strict=True):
            scheduler.load_state_dict(saved)
            keep_configured_lr(scheduler, base_lrs)
        self.scaler.load_state_dict(state["scaler"])
        rng = state["rng"]
        torch.set_rng_state(rng["torch"].cpu())
        if rng["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([s.cpu() for s in rng["cuda"]])
        for name, generator in self.generators.items():
            generator.set_state(rng[name].cpu())
        python_state = json.loads(rng["python"])
        random.setstate((python_state[0], tuple(python_state[1]), python_state[2]))
        np.random.set_state(("MT19937", rng["numpy"]["key"].cpu().numpy().astype(np.uint32), *rng["numpy"]["rest"]))
        self.step = int(state["step"])
        self.resumed_changes = changed_settings(state["config"], self.config.to_json())

    # ---- logging ------------------------------------------------------------------------
    def _log(self, losses: dict[str, float]) -> None:
        out = Path(self.config.out)
        record = {"step": self.step, "lr": self.lr, "time": time.time(), **losses}
        with open(out / "losses.jsonl", "a") as handle:
            handle.write(json.dumps(record) + "\n")
        writer = self.writer
        if writer is not None:
            for key, value in losses.items():
                writer.add_scalar(f"loss/{key}", value, self.step)
            writer.add_scalar("lr", self.lr, self.step)

    @property
    def writer(self):
        """A TensorBoard SummaryWriter in RUN_DIR/tb, or None when tensorboard is not installed."""
        if self._writer is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                self._writer = False
            else:
                self._writer = SummaryWriter(str(Path(self.config.out) / "tb"))
        return self._writer or None

    def _samples(self, batch: dict[str, torch.Tensor]) -> None:
        from PIL import Image

        for net in self.nets.values():
            net.eval()
        with torch.no_grad():
            rows = [torch.cat(list(row.float().clamp(0, 1).cpu()), 2) for row in self.sample_rows(batch)]
        self.set_train()
        grid = torch.cat(rows, 1)  # (3, rows * H, n * W)
        image = (grid * 255).round().byte().permute(1, 2, 0).numpy()
        folder = Path(self.config.out) / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"step_{self.step:07d}.png")
        if self.writer is not None:
            self.writer.add_image("samples", grid, self.step)

    # ---- the loop -----------------------------------------------------------------------
    def fit(self, *, resume: bool = False, progress: bool = True) -> Path:
        """Train to ``total_steps`` (continuing from the last checkpoint when ``resume``)."""
        from torch.utils.data import DataLoader

        from enlight.progress_bar import progress_bar

        cfg = self.config
        out = Path(cfg.out)
        out.mkdir(parents=True, exist_ok=True)
        if resume:
            self.resume()
        if self.step >= self.total_steps:  # resumed at or past these settings' last step: nothing to train or write
            return self._saved(self.latest_checkpoint())
        (out / "config.json").write_text(json.dumps(cfg.to_json(), indent=2))
        sampler = EpochSampler(len(self.dataset), batch_size=cfg.batch_size, seed=cfg.seed, start_step=self.step,
                               epochs=-(-self.total_steps // self.steps_per_epoch))
        loader = DataLoader(self.dataset, batch_size=cfg.batch_size, sampler=sampler, num_workers=cfg.workers,
                            pin_memory=self.device.type == "cuda", drop_last=True,
                            persistent_workers=cfg.workers > 0, worker_init_fn=ignore_stops_in_worker)
        self.set_train()
        bar = progress_bar(total=self.total_steps, initial=self.step, unit="step", disable=not progress)
        last = None
        deadline = time.monotonic() + 60 * cfg.max_minutes if cfg.max_minutes else None
        batches = iter(loader)
        try:
            with HeldStop() as stop:  # Ctrl-C / SIGTERM: at the end of the step under way, with a checkpoint
                for batch in batches:
                    self.mid_step = True
                    losses = self.train_step(batch)
                    self.mid_step = False
                    if not all(math.isfinite(value) for value in losses.values()):
                        check_finite(self.nets, self.step, self.latest_checkpoint(), losses)
                    bar.update(1)
                    if self.step % cfg.log_every == 0 or self.step == 1:
                        self._log(losses)
                        bar.set_postfix({k: f"{v:.3f}" for k, v in list(losses.items())[:4]}, refresh=False)
                    if self.step % cfg.sample_every == 0:
                        self._samples(batch)
                    if self.step % cfg.checkpoint_every == 0:
                        last = self.save_checkpoint()
                    if stop.pending:
                        self.stopped_checkpoint = last = self._saved(last)
                        stop.act()
                    if self.step >= self.total_steps or (deadline and time.monotonic() >= deadline):
                        break
        finally:
            bar.close()
            if self.writer is not None:
                self.writer.flush()
            shut_down_workers(batches)
        return self._saved(last)

    def _saved(self, last: Path | None) -> Path:
        """``last`` if it is this step's checkpoint, else a checkpoint saved now."""
        if last is None or int(last.stem.split("_")[1]) != self.step:
            last = self.save_checkpoint()
        return last


def freeze_batchnorm(net: torch.nn.Module) -> None:
    """Put every BatchNorm of ``net`` in eval mode: its statistics stay fixed while the rest trains."""
    for module in net.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.eval()


def initial_generator(init: Path | None, *, base_channels: int, cut_wider: bool = False):
    """A generator to train: the weights in ``init`` (checked to have ``base_channels``), or fresh ones.
    cut_wider: a wider ``init`` is cut to ``base_channels`` (``enlight.train.prune``: a narrower student
    starts from a trained wider one) instead of refused."""
    from enlight.models.generator import build_generator
    from enlight.models.weights import load_generator
    from enlight.train.prune import prune_generator

    if init is None:
        return build_generator(base_channels=base_channels)
    generator = load_generator(init)
    if cut_wider and generator.base_channels > base_channels:
        return prune_generator(generator, base_channels)
    if generator.base_channels != base_channels:
        raise EnlightError(f"--init has base channels {generator.base_channels}, not {base_channels}")
    return generator


def frozen_generator(init: Path, *, base_channels: int, device: torch.device):
    """The generator in ``init`` as it runs when shipped (eval mode, no gradients), on ``device``: what
    ``--w-anchor`` keeps a fine-tune close to."""
    return initial_generator(init, base_channels=base_channels).to(device).eval().requires_grad_(False)


def write_checkpoint(state: dict, path: Path, *, kept: Path | None = None) -> Path:
    """Write ``state`` to ``path`` through a temporary file renamed when complete. On a full disk the partial file
    is deleted and the error is one line that names ``kept`` (the newest checkpoint still there) or says there is
    none: torch reports the full disk as its own RuntimeError, the OSError behind it only as its context."""
    tmp = path.with_suffix(".tmp")
    try:
        with open(tmp, "wb") as handle:
            torch.save(state, handle)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        full = next((e for e in (exc, exc.__context__) if disk_full(e) is not None), None)
        if full is None:
            raise
        then = (f"the newest checkpoint, {kept.name}, is kept: free some space and continue with --resume" if kept
                else "there is no earlier checkpoint: free some space and start the run again")
        raise EnlightError(f"no space left for checkpoint {path.name} in {path.parent} ({os.strerror(full.errno)}); "
                           f"the partial file was deleted and {then}") from None
    return path


def read_checkpoint(path: Path, *, map_location="cpu") -> dict:
    """A checkpoint written by ``TrainLoop.save_checkpoint`` (one-line error otherwise)."""
    from enlight.models.weights import unreadable

    try:
        state = torch.load(str(path), map_location=map_location, weights_only=True)
    except Exception as exc:  # torch's own message runs to many lines
        raise EnlightError(f"cannot read checkpoint {path} ({unreadable(path, exc)})") from None
    if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
        raise EnlightError(f"{path} is not an enlight-train checkpoint")
    return state


def newest_checkpoint(run_dir: Path) -> dict:
    """The newest checkpoint of a run folder, read on the CPU; or, where ``run_dir`` names one of its checkpoints
    (``RUN/checkpoints/step_N.pt``), that one: a step other than the newest (``enlight-train export``, ``shard``)."""
    if Path(run_dir).is_file():  # was 'no checkpoint in RUN/checkpoints/step_N.pt/checkpoints'
        return read_checkpoint(Path(run_dir))
    checkpoints = sorted((Path(run_dir) / "checkpoints").glob("step_*.pt"))
    if not checkpoints:
        raise EnlightError(f"no checkpoint in {Path(run_dir) / 'checkpoints'}")
    return read_checkpoint(checkpoints[-1])


def run_provenance(state: dict) -> dict:
    """What a checkpoint was trained on, for the metadata of exported weights."""
    config = json.loads(state["config"])
    info = {"trained_by": "enlight-train", "kind": state.get("kind", "enlightengan"), "step": int(state["step"])}
    for key in ("low", "normal", "pairs_low", "pairs_high", "images", "teacher", "crop", "batch_size"):
        value = config.get(key)
        if value is not None:
            info[key] = [Path(v).name for v in value] if isinstance(value, list) else (
                Path(value).name if isinstance(value, str) else value)
    return info
