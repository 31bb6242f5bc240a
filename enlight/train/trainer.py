"""Unpaired EnlightenGAN training (the paper's recipe; see ../shared/DESIGN.md "Training").

One step:

1. fake = G(low, attention); six 32x32 patches: one random window shared by fake and low (and
   five more), and independent random windows of the normal image;
2. generator: RaLSGAN against the global D on whole crops + LSGAN against the local D on the
   patches (mean) + self feature preserving loss (VGG16 relu5_1, instance-normalised) between
   fake and low, on the whole crop and the patches (mean);
3. global D: RaLSGAN on normal vs fake (fakes drawn from a 50-image history pool, as released);
   local D: LSGAN on normal patches vs fake patches.

Adam (lr 1e-4, betas 0.5/0.999) for each network; the learning rate is constant for ``epochs``
epochs and then decays linearly to 0 over ``decay_epochs`` (per step). Checkpoints hold all
networks, optimisers, schedulers, the step and RNG states; ``resume`` continues from the last one.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from enlight.errors import EnlightError
from enlight.models.discriminator import build_global_discriminator, build_local_discriminator
from enlight.models.generator import build_generator
from enlight.models.vgg import Vgg16Relu51, load_vgg16_relu5_1
from enlight.train.data import UnpairedDataset, list_images, validation_split
from enlight.train.loop import (
    RunSettings,
    TrainLoop,
    frozen_generator,
    initial_generator,
    linear_decay,
    newest_checkpoint,
    run_provenance,
)
from enlight.train.losses import (
    crop_patches,
    feature_preserving_loss,
    lsgan_d_loss,
    lsgan_g_loss,
    ralsgan_d_loss,
    ralsgan_g_loss,
    random_patch_boxes,
)
from enlight.train.nonref_losses import anchor_loss, border_loss, gamma_matched, structure_loss


@dataclass(frozen=True, kw_only=True)
class TrainConfig(RunSettings):
    """Training settings; the defaults are the paper's (batch 32 on three GPUs, 320 crops)."""

    low: Path
    normal: Path
    out: Path
    epochs: int = 100
    decay_epochs: int = 100
    batch_size: int = 32
    crop: int = 320
    patch_size: int = 32
    extra_patches: int = 5
    lr: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.999)
    base_channels: int = 32
    d_channels: int = 64  # the discriminators' first width (the paper's 64; tests use 8 to keep checkpoints small)
    vgg_weight: float = 1.0
    pool_size: int = 50
    max_steps: int | None = None  # stop early (time-boxed runs); the schedule still spans all epochs
    vgg: Path | None = None
    warmup_steps: int = 0  # our addition for short runs: see Trainer.warmup_step
    warmup_lr: float = 1e-3
    warmup_target_luma: float = 0.45
    init: Path | None = None  # start the generator from these weights (the adversarial stage as a fine-tune)
    validation: int = 0  # low-light images held out (enlight.train.data.validation_split); 0: all, as the paper
    adversarial: float = 1.0  # weight of the two adversarial terms in the generator's loss (the paper: 1)
    # stage 2's terms (enlight.train.nonref_losses; 0 = the paper's recipe): the structure measure as a loss,
    # no bright frame, and L1 to the --init generator's output (needs --init)
    w_structure: float = 0.0
    w_border: float = 0.0
    w_anchor: float = 0.0

    def __post_init__(self) -> None:
        if self.patch_size < 32:  # VGG relu5_1 is 1/16 size; instance norm needs more than 1x1
            raise EnlightError(f"patch size must be at least 32, got {self.patch_size}")
        if self.crop < self.patch_size:
            raise EnlightError(f"--crop must be at least the patch size ({self.patch_size}), got {self.crop}")
        if self.batch_size < 1 or min(self.epochs, self.decay_epochs, self.warmup_steps) < 0:
            raise EnlightError("--batch-size must be >= 1, --epochs, --decay-epochs and --warmup-steps >= 0")
        if self.epochs + self.decay_epochs + self.warmup_steps == 0 or (self.max_steps is not None
                                                                        and self.max_steps < 1):
            raise EnlightError("these settings train 0 steps (--epochs, --decay-epochs and --warmup-steps all 0, or "
                               "--max-steps below 1): give at least one step")
        if not all(0 <= v < float("inf") for v in (self.validation, self.adversarial, self.w_structure, self.w_border,
                                                     self.w_anchor)):  # (NaN is not >= 0)
            raise EnlightError("--validation and the loss weights must be >= 0 and finite")
        if self.w_anchor > 0 and self.init is None:
            raise EnlightError("--w-anchor needs --init (the generator to stay close to)")


class ImagePool:
    """History of generated images for the discriminator (pool of ``size``; 0 disables it)."""

    def __init__(self, size: int, generator: torch.Generator) -> None:
        self.size, self.images, self.generator = size, [], generator

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif torch.rand((), generator=self.generator) < 0.5:
                slot = int(torch.randint(len(self.images), (), generator=self.generator))
                out.append(self.images[slot])
                self.images[slot] = image
            else:
                out.append(image)
        return torch.stack(out)


def auto_exposure(rgb: torch.Tensor, target_luma: float) -> torch.Tensor:
    """(B, 3, H, W) sRGB-ish in [0, 1] -> the same exposed so its mean luma is about ``target_luma``.

    Linear light ``x ** 2.2``, gain k per image from ``1 - exp(-k * mean) = target ** 2.2``, soft
    shoulder ``1 - exp(-k * linear)``, back with ``** (1 / 2.2)``; k is kept within [1, 200].
    """
    linear = rgb.clamp(0, 1) ** 2.2
    weights = torch.tensor([0.2126, 0.7152, 0.0722], device=rgb.device, dtype=rgb.dtype).view(1, 3, 1, 1)
    mean = (linear * weights).sum(1).mean(dim=(1, 2)).clamp_min(1e-6)
    gain = (-torch.log1p(torch.tensor(-(target_luma**2.2))) / mean).clamp(1.0, 200.0)
    return (1 - torch.exp(-gain.view(-1, 1, 1, 1) * linear)) ** (1 / 2.2)


class Trainer(TrainLoop):
    """Holds the networks, optimisers and data of one run in ``config.out``."""

    def __init__(self, config: TrainConfig, *, vgg: Vgg16Relu51 | None = None) -> None:
        self._setup(config)
        train, self.validation = validation_split(list_images(config.low), config.validation)
        self.dataset = UnpairedDataset(train, config.normal, crop=config.crop, seed=config.seed)
        self.steps_per_epoch = max(1, len(self.dataset) // config.batch_size)
        self.total_steps = config.warmup_steps + (config.epochs + config.decay_epochs) * self.steps_per_epoch
        if config.max_steps is not None:
            self.total_steps = min(self.total_steps, config.max_steps)
        self.generator = initial_generator(config.init, base_channels=config.base_channels).to(self.device)
        self.anchor = None
        if config.w_anchor > 0:  # a frozen copy of the starting generator, run as it ships (eval mode)
            self.anchor = frozen_generator(config.init, base_channels=config.base_channels, device=self.device)
        self.d_global = build_global_discriminator(config.d_channels).to(self.device)
        self.d_local = build_local_discriminator(config.d_channels).to(self.device)
        self.vgg = (vgg or load_vgg16_relu5_1(config.vgg)).to(self.device).eval()
        adam = dict(lr=config.lr, betas=config.betas)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), **adam)
        self.opt_dg = torch.optim.Adam(self.d_global.parameters(), **adam)
        self.opt_dl = torch.optim.Adam(self.d_local.parameters(), **adam)
        factor = linear_decay(config.warmup_steps + config.epochs * self.steps_per_epoch,
                              config.decay_epochs * self.steps_per_epoch)
        self.schedulers = [torch.optim.lr_scheduler.LambdaLR(o, factor) for o in (self.opt_g, self.opt_dg, self.opt_dl)]
        self.scaler = self.grad_scaler()
        self.patch_rng = torch.Generator().manual_seed(config.seed + 1)
        self.pool = ImagePool(config.pool_size, torch.Generator().manual_seed(config.seed + 2))
        self.nets = {"generator": self.generator, "d_global": self.d_global, "d_local": self.d_local}
        self.optimizers = {"opt_g": self.opt_g, "opt_dg": self.opt_dg, "opt_dl": self.opt_dl}
        self.generators = {"patch": self.patch_rng, "pool": self.pool.generator}
        self._init_loop()

    # ---- one step -------------------------------------------------------------------------
    def warmup_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """Exposure warm-up (not in the paper): regress G's output to an auto-exposed version of
        the input, so the adversarial stage starts from a natural-looking brightening instead of
        random colours. The target is computed in linear light: a per-image gain k that brings the
        mean luma to ``warmup_target_luma``, with a soft shoulder, ``1 - exp(-k * linear)``; blacks
        stay black, highlights roll off. Discriminators are untouched.
        """
        cfg = self.config
        low = batch["low"].to(self.device, non_blocking=True)
        attention = batch["attention"].to(self.device, non_blocking=True)
        target = auto_exposure((low + 1) / 2, cfg.warmup_target_luma) * 2 - 1
        with self.autocast():
            loss = torch.nn.functional.l1_loss(self.generator(low, attention), target)
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        scheduled = [group["lr"] for group in self.opt_g.param_groups]
        for group in self.opt_g.param_groups:  # a plain regression takes a larger step than the GAN
            group["lr"] = cfg.warmup_lr
        self.scaler.step(self.opt_g)
        for group, lr in zip(self.opt_g.param_groups, scheduled, strict=True):
            group["lr"] = lr
        self.scaler.update()
        with warnings.catch_warnings():  # the idle discriminators' schedulers keep counting steps
            warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
            for scheduler in self.schedulers:
                scheduler.step()
        self.step += 1
        return {"warmup_l1": float(loss.detach())}

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """One generator update and one update of each discriminator; returns the losses."""
        cfg = self.config
        if self.step < cfg.warmup_steps:
            return self.warmup_step(batch)
        low = batch["low"].to(self.device, non_blocking=True)
        normal = batch["normal"].to(self.device, non_blocking=True)
        attention = batch["attention"].to(self.device, non_blocking=True)
        size = tuple(low.shape[-2:])
        count = 1 + cfg.extra_patches
        fake_boxes = random_patch_boxes(size, cfg.patch_size, count, self.patch_rng)
        real_boxes = random_patch_boxes(size, cfg.patch_size, count, self.patch_rng)
        autocast = self.autocast()

        with autocast:
            fake = self.generator(low, attention)
            fake_patches = crop_patches(fake, fake_boxes, cfg.patch_size)
            low_patches = crop_patches(low, fake_boxes, cfg.patch_size)
            real_patches = crop_patches(normal, real_boxes, cfg.patch_size)

            # generator
            self.d_global.requires_grad_(False)
            self.d_local.requires_grad_(False)
            loss_g_global = ralsgan_g_loss(self.d_global(normal), self.d_global(fake))
            loss_g_local = sum(lsgan_g_loss(self.d_local(p)) for p in fake_patches) / count
            loss_vgg = feature_preserving_loss(self.vgg, fake, low)
            loss_vgg_patch = sum(feature_preserving_loss(self.vgg, f, s) for f, s in zip(fake_patches, low_patches,
                                                                                          strict=True)) / count
            loss_g = cfg.adversarial * (loss_g_global + loss_g_local) + cfg.vgg_weight * (loss_vgg + loss_vgg_patch)
            kept = self._kept_terms(fake, low, attention)
            loss_g = loss_g + sum(kept.values())
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.scale(loss_g).backward()
        self.scaler.step(self.opt_g)

        # discriminators
        self.d_global.requires_grad_(True)
        self.d_local.requires_grad_(True)
        with autocast:
            pooled = self.pool.query(fake.detach())
            loss_d_global = ralsgan_d_loss(self.d_global(normal), self.d_global(pooled))
            loss_d_local = sum(
                lsgan_d_loss(self.d_local(r), self.d_local(f.detach()))
                for r, f in zip(real_patches, fake_patches, strict=True)
            ) / count
        self.opt_dg.zero_grad(set_to_none=True)
        self.opt_dl.zero_grad(set_to_none=True)
        self.scaler.scale(loss_d_global + loss_d_local).backward()
        self.scaler.step(self.opt_dg)
        self.scaler.step(self.opt_dl)
        self.scaler.update()
        for scheduler in self.schedulers:
            scheduler.step()
        self.step += 1
        losses = {
            "g_total": loss_g, "g_global": loss_g_global, "g_local": loss_g_local,
            "vgg": loss_vgg, "vgg_patch": loss_vgg_patch, "d_global": loss_d_global, "d_local": loss_d_local, **kept,
        }
        return {k: float(v.detach()) for k, v in losses.items()}

    def _kept_terms(self, fake: torch.Tensor, low: torch.Tensor, attention: torch.Tensor) -> dict[str, torch.Tensor]:
        """Stage 2's terms, weighted (none at the paper's settings): fake, low (B, 3, H, W) in [-1, 1]."""
        cfg, terms = self.config, {}
        if cfg.w_structure == cfg.w_border == cfg.w_anchor == 0:
            return terms
        anchored = None
        if self.anchor is not None:
            with torch.no_grad():
                anchored = (self.anchor(low, attention).float() + 1) / 2
        with torch.autocast(self.device.type, enabled=False):  # the measures in float32, under AMP too
            out01, low01 = (fake.float() + 1) / 2, (low.float() + 1) / 2
            matched = gamma_matched(low01, out01.detach().clamp(0, 1).mean(dim=(1, 2, 3)))
            if cfg.w_structure > 0:
                terms["structure"] = cfg.w_structure * structure_loss(out01.clamp(0, 1), matched)
            if cfg.w_border > 0:
                terms["border"] = cfg.w_border * border_loss(out01, matched)
            if anchored is not None:
                terms["anchor"] = cfg.w_anchor * anchor_loss(out01, anchored)
        return terms

    def sample_rows(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        low = batch["low"][:4].to(self.device)
        fake = self.generator(low, batch["attention"][:4].to(self.device))
        return [(low + 1) / 2, (fake + 1) / 2]


def checkpoint_generator(state: dict):
    """The generator of a checkpoint (``read_checkpoint``'s dict), as its run's config built it
    (base channels, ``keep_hue``, ``margin``); in train mode, on the CPU."""
    config = json.loads(state["config"])
    generator = build_generator(base_channels=int(config["base_channels"]))
    generator.keep_hue = bool(state.get("keep_hue", config.get("keep_hue", False)))
    generator.margin = int(state.get("margin", config.get("margin", 0)))
    generator.load_state_dict(state["generator"])
    return generator


def export_generator(run_dir: Path, output: Path, *, fp16: bool = True) -> Path:
    """Write the generator of the newest checkpoint in ``run_dir`` as our safetensors file; a student distilled for a
    reduced size (``distill --scale``) records it, so that `enlight-video --weights` runs it there."""
    from enlight.models.run_size import RunSize
    from enlight.models.weights import save_weights

    state = newest_checkpoint(run_dir)
    if state.get("kind", "enlightengan") not in ("enlightengan", "distill"):
        raise EnlightError(f"{run_dir} trained {state['kind']}, not an EnlightenGAN generator")
    generator = checkpoint_generator(state)
    provenance = json.dumps(run_provenance(state))
    config = json.loads(state["config"])
    scale = float(config.get("scale", 1)) if state.get("kind") == "distill" else 1.0
    run_size = RunSize(scale, config.get("upsample", "guided")) if scale != 1 else None
    return save_weights(output, generator.eval(), provenance=provenance, dtype=torch.float16 if fp16 else None,
                        run_size=run_size)


__all__ = ["ImagePool", "TrainConfig", "Trainer", "checkpoint_generator", "export_generator"]
