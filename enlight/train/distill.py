"""Distillation: a narrow generator (base_channels 16 or 8) learns to reproduce a full one.

Student and teacher see the same low-light crop and the same attention map (1 - luminance);
the loss is ``L1(student, teacher) + structure_weight * L1(grad student, grad teacher)`` (the
gradient term keeps edges and textures where a plain L1 would settle for a blurred average).
No labels are needed: any low-light images, and frames of low-light clips, will do.

``scale`` > 1 trains the student for reduced-resolution inference: it sees the crop downscaled
by ``scale`` and its correction is carried back to full size exactly as the fast preset does
at run time (``scaled_enhance``), and the loss compares that with the teacher's FULL-resolution
output. (The generator is not scale-invariant: run at 1/2 size, the full model's output differs
from its full-size output by ~20 dB PSNR, mostly in smooth areas; a student trained this way
learns the difference.)

``cache_teacher`` runs the teacher once per image (whole image, at its stored size) and crops
its output with the same window as the input: on a CPU that removes the teacher's cost (a full
generator pass per crop) from every step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from enlight.errors import EnlightError, reason
from enlight.models.weights import load_generator
from enlight.ops.luma import attention_map
from enlight.train.data import list_images, load_rgb, random_crop, random_flip, to_tensor
from enlight.train.loop import RunSettings, TrainLoop, freeze_batchnorm, initial_generator, linear_decay
from enlight.train.teacher_cache import NAME, read_cache, source_key, write_cache

ClipReader = Callable[..., list[np.ndarray]]  # (path, every=, limit=) -> (H, W, 3) uint8 RGB frames


@dataclass(frozen=True, kw_only=True)
class DistillConfig(RunSettings):
    """A distillation run. ``images``: folders of low-light images; ``clips``: videos whose every
    ``clip_every``-th frame (up to ``clip_frames`` each) joins the images."""

    teacher: Path
    images: tuple[Path, ...]
    out: Path
    clips: tuple[Path, ...] = field(default_factory=tuple)
    clip_every: int = 10
    clip_frames: int = 200
    base_channels: int = 16
    steps: int = 4000
    decay_steps: int = 2000
    batch_size: int = 16
    crop: int = 256
    lr: float = 5e-4
    structure_weight: float = 1.0
    scale: float = 1.0
    upsample: str = "guided"
    init: Path | None = None  # start the student from these weights (e.g. a full-size student)
    freeze_bn: bool = False  # keep BatchNorm statistics fixed (train exactly the eval-mode network)
    cache_teacher: bool = False
    sample_every: int = 500

    def __post_init__(self) -> None:
        if self.base_channels not in (8, 12, 16, 32):
            raise EnlightError(f"--base-channels must be 8, 12, 16 or 32, got {self.base_channels}")
        if self.crop < 16 or self.batch_size < 1 or self.steps < 1:
            raise EnlightError("--crop must be >= 16, --batch-size and --steps >= 1")
        if not 0 <= self.decay_steps <= self.steps:  # more ended the run before the rate had come down to 0
            raise EnlightError(f"--decay-steps {self.decay_steps} is not 0 to --steps {self.steps} (the decay is the "
                               f"last of the steps): give --decay-steps 0 to {self.steps} with --steps {self.steps}")
        if self.structure_weight < 0:
            raise EnlightError(f"--structure-weight must be 0 or more, got {self.structure_weight}")
        if self.scale < 1 or self.crop / self.scale < 9:
            raise EnlightError(f"--scale must be >= 1 and leave at least 9 pixels of the crop, got {self.scale}")
        if self.upsample not in ("guided", "bilinear"):
            raise EnlightError(f"--upsample must be guided or bilinear, got {self.upsample}")

def clip_frames(path: Path, read: ClipReader, *, every: int, limit: int) -> list[np.ndarray]:
    """Every ``every``-th frame of a video as (H, W, 3) uint8 RGB, at most ``limit`` frames, as ``read`` gives them
    (the file command's conversion: ``enlight.stream.io.clip_stills.sampled_frames``, which the CLI passes); a
    file without pictures, or not media, refused in one line first."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:  # an audio file: decode(video=0) raised IndexError, an 'internal error'
                raise EnlightError(f"{path} has no video stream: --clips takes videos")
    except (av.error.FFmpegError, OSError) as exc:
        raise EnlightError(f"cannot read clip {path}: {reason(exc)}") from None
    frames = read(path, every=every, limit=limit)
    if not frames:
        raise EnlightError(f"no video frames in {path}")
    return frames


class LowLightCrops(Dataset):
    """Item ``epoch * len(self) + i``: {low (3, crop, crop) in [-1, 1], attention (1, crop, crop) in [0, 1]}
    and, when ``targets`` (the teacher's output per item, (H, W, 3) uint8) are given, target
    (3, crop, crop) in [-1, 1]: the same window of it.

    Sources are image files (read on demand) and decoded clip frames (held in memory).
    """

    def __init__(self, images: list[Path], frames: list[np.ndarray], *, crop: int, seed: int = 0) -> None:
        self.items: list[Path | np.ndarray] = [*images, *frames]
        if not self.items:
            raise EnlightError("no training images")
        self.crop, self.seed = crop, seed
        self.targets: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.items)

    def image(self, index: int) -> np.ndarray:
        item = self.items[index]
        return load_rgb(item) if isinstance(item, Path) else item

    def target(self, index: int, image: np.ndarray) -> np.ndarray | None:
        """Item ``index``'s target, (H, W, 3) uint8 like its ``image``; None without targets."""
        return None if self.targets is None else self.targets[index]

    def __getitem__(self, code: int) -> dict[str, torch.Tensor]:
        epoch, index = divmod(int(code), len(self.items))
        rng = np.random.default_rng([self.seed, epoch, index])
        image = self.image(index)
        target = self.target(index, image)
        if target is None:
            low = to_tensor(random_flip(random_crop(image, self.crop, rng), rng))
            return {"low": low, "attention": attention_map(low[None])[0]}
        both = np.concatenate([image, target], axis=2)  # one window and flips for both
        both = random_flip(random_crop(both, self.crop, rng), rng)
        low = to_tensor(both[..., :3])
        return {"low": low, "attention": attention_map(low[None])[0], "target": to_tensor(both[..., 3:])}


def image_gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward differences of (B, C, H, W) along x (B, C, H, W-1) and y (B, C, H-1, W)."""
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def distill_loss(student: torch.Tensor, teacher: torch.Tensor, *, structure_weight: float = 1.0):
    """(l1, structure): mean |s - t| and mean |grad s - grad t| over x and y."""
    l1 = F.l1_loss(student, teacher)
    (sx, sy), (tx, ty) = image_gradients(student), image_gradients(teacher)
    structure = F.l1_loss(sx, tx) + F.l1_loss(sy, ty)
    return l1, structure_weight * structure


class DistillTrainer(TrainLoop):
    """read_clip: how ``config.clips``' frames are read (needed with clips; the CLI passes
    ``enlight.stream.io.clip_stills.sampled_frames``, the file command's conversion, which this layer may not
    import)."""

    kind = "distill"

    def __init__(self, config: DistillConfig, read_clip: ClipReader | None = None) -> None:
        if config.clips and read_clip is None:
            raise ValueError("DistillTrainer needs read_clip to read --clips")
        self._setup(config)
        images = [p for folder in config.images for p in list_images(folder)]
        frames = [f for clip in config.clips for f in clip_frames(clip, read_clip, every=config.clip_every,
                                                                   limit=config.clip_frames)]
        self.dataset = LowLightCrops(images, frames, crop=config.crop, seed=config.seed)
        self.steps_per_epoch = max(1, len(self.dataset) // config.batch_size)
        self.total_steps = config.steps
        self.teacher = load_generator(config.teacher).to(self.device).eval().requires_grad_(False)
        if config.cache_teacher:
            self.dataset.targets = self._teacher_outputs()
        self.generator = initial_generator(config.init, base_channels=config.base_channels,
                                           cut_wider=True).to(self.device)
        self.generator.keep_hue = self.teacher.keep_hue  # a student learns the teacher's luma, its colours are kept too
        self.generator.margin = round(self.teacher.margin / config.scale)  # the same context, at its own scale
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr, betas=(0.9, 0.999))
        flat = max(0, config.steps - config.decay_steps)
        self.schedulers = [torch.optim.lr_scheduler.LambdaLR(self.opt_g, linear_decay(flat, config.decay_steps))]
        self.scaler = self.grad_scaler()
        self.nets = {"generator": self.generator}
        self.optimizers = {"opt_g": self.opt_g}
        self._init_loop()

    def _teacher_outputs(self) -> list[np.ndarray]:
        """The teacher's output for every whole image, (H, W, 3) uint8, cached in the run folder."""
        from enlight.ops.pixels import to_uint8
        from enlight.progress_bar import progress_bar

        cfg = self.config
        cache = Path(cfg.out) / NAME
        images = [item for item in self.dataset.items if isinstance(item, Path)]
        key = source_key(cfg.teacher, images, cfg.clips, cfg.clip_every, cfg.clip_frames)
        stored = read_cache(cache, key, len(self.dataset))
        if stored is not None:
            return stored
        run = self.teacher.eval()
        outputs = []
        for index in progress_bar(iterable=range(len(self.dataset)), desc="teacher outputs", unit="image"):
            low = to_tensor(self.dataset.image(index))[None].to(self.device)
            with torch.no_grad():
                outputs.append(to_uint8(run(low, attention_map(low)))[0].cpu().numpy())
        write_cache(cache, key, outputs)
        return outputs

    def set_train(self) -> None:
        self.generator.train()
        if self.config.freeze_bn:
            freeze_batchnorm(self.generator)

    def student(self, low: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """The student as deployed: at 1/scale with its correction carried back (scale 1: plain)."""
        from enlight.ops.scaled import scaled_enhance

        cfg = self.config
        return scaled_enhance(self.generator, low, attention, scale=cfg.scale, upsample=cfg.upsample)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        low = batch["low"].to(self.device, non_blocking=True)
        attention = batch["attention"].to(self.device, non_blocking=True)
        autocast = self.autocast()
        if "target" in batch:
            target = batch["target"].to(self.device, non_blocking=True)
        else:
            with torch.no_grad(), autocast:
                target = self.teacher(low, attention).float()
        with autocast:
            out = self.student(low, attention).float()
        l1, structure = distill_loss(out, target, structure_weight=self.config.structure_weight)
        loss = l1 + structure
        self.generator_step(loss)
        return {"loss": float(loss.detach()), "l1": float(l1.detach()), "structure": float(structure.detach())}

    def sample_rows(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        low = batch["low"][:4].to(self.device)
        attention = batch["attention"][:4].to(self.device)
        return [(x + 1) / 2 for x in (low, self.teacher(low, attention), self.student(low, attention))]


__all__ = ["DistillConfig", "DistillTrainer", "LowLightCrops", "distill_loss"]
