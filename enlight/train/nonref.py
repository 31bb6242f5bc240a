"""The ``zerodce`` recipe: the EnlightenGAN generator trained with non-reference losses only.

No discriminator and no normal-light images: the paper's self feature preserving loss (VGG16
relu5_1, instance-normalised, output vs input) keeps content and texture, and Zero-DCE's four
non-reference losses (``enlight.train.nonref_losses``) target the faults of an exposure-only
generator: local contrast (spatial consistency), a well-exposed level (exposure control), no
colour cast (colour constancy) and a smooth correction (illumination smoothness). It trains
stably on a CPU in a few thousand small steps, usually fine-tuned from existing weights
(``init``), and writes the same checkpoints as the other runs (``enlight-train export`` works).

One step: ``out, correction = G.forward_with_latent(low, attention)`` on random crops of the
low-light images; ``loss = w_vgg * vgg(out, low) + w_spatial * spatial(out, reference)
+ w_exposure * exposure(out) + w_color * color(out) + w_smooth * tv(correction)
+ w_angle * angle(out, low) + w_chroma * chroma(out, low) + ...`` (the terms of ``LossWeights``), where the
spatial reference is the input mapped by a global power to the output's mean (``gamma``) or the
input itself (``input``, as Zero-DCE). Adam, constant learning rate then linear decay to 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from enlight.errors import EnlightError
from enlight.models.vgg import Vgg16Relu51, load_vgg16_relu5_1
from enlight.ops.detail import STRENGTH
from enlight.ops.detail_frames import detail_restored
from enlight.quality.niqe import BLOCK
from enlight.train.darkened import PHOTO_DARKENING, WithDarkened, photos_matching
from enlight.train.data import default_validation, list_images, validation_split
from enlight.train.distill import LowLightCrops
from enlight.train.loop import (
    RunSettings,
    TrainLoop,
    freeze_batchnorm,
    frozen_generator,
    initial_generator,
    linear_decay,
)
from enlight.train.losses import feature_preserving_loss
from enlight.train.niqe_loss import niqe_loss
from enlight.train.nonref_losses import (
    anchor_loss,
    black_level_loss,
    black_point_loss,
    border_loss,
    chromaticity_loss,
    color_angle_loss,
    color_constancy_loss,
    exposure_control_loss,
    gamma_matched,
    halo_loss,
    illumination_smoothness_loss,
    parse_anchor_curve,
    spatial_consistency_loss,
    structure_loss,
    tone_curve,
)
from enlight.train.partners import PartneredCrops, pair_loss, partner_paths

SPATIAL_REFERENCES = ("gamma", "input")


@dataclass(frozen=True, kw_only=True)
class LossWeights:
    """Weights of the recipe's losses. Zero-DCE's own: spatial 1, exposure 10, colour constancy 5,
    TV 200 on its 24-channel curve maps (our TV is on the 3-channel correction, averaged per
    channel). Grey world is off by default: on night scenes it casts everything magenta
    (docs/training.md); the colour angle to the input keeps hues instead."""

    vgg: float = 1.0
    spatial: float = 30.0  # Zero-DCE's 1 is enough for its curves; a residual network needs more
    exposure: float = 10.0
    color: float = 0.0
    smooth: float = 1.0
    angle: float = 0.0  # colour angle to the input (ours, not Zero-DCE's)
    chroma: float = 0.0  # chromaticity to the input, L1 (ours; nothing to do when the colour is kept)
    border: float = 0.0  # no bright or dark frame (ours)
    black: float = 0.0  # no grey veil over black: cells at most max_gain times the input (ours)
    structure: float = 0.0  # 1 - SSIM against the gamma-matched input: no milky blotches (ours)
    anchor: float = 0.0  # L1 of the luma to the --init generator's: keep what it did well (ours)
    halo: float = 0.0  # the coarse gain over the gamma-matched input the same everywhere: no halos (ours)
    black_point: float = 0.0  # the input's darkest pixels at most black_gain times as bright: black point kept (ours)
    pair: float = 0.0  # L1 to the well-exposed shot of the same SICE sequence, average-pooled (ours; needs pairs)
    niqe: float = 0.0  # NIQE of the batch's output after the product's detail step (ours; enlight.train.niqe_loss)

    def __post_init__(self) -> None:
        if not all(0 <= v < float("inf") for v in vars(self).values()):  # (NaN is not >= 0)
            raise EnlightError("loss weights must be >= 0 and finite")


@dataclass(frozen=True, kw_only=True)
class NonRefConfig(RunSettings):
    """Settings of a ``zerodce`` recipe run (defaults: the run that made the shipped weights)."""

    low: Path
    out: Path
    init: Path | None = None  # start from these generator weights (fine-tune)
    steps: int = 2000
    decay_steps: int = 1000  # the last steps, learning rate decaying linearly to 0
    batch_size: int = 4
    crop: int = 192
    lr: float = 1e-4
    base_channels: int = 32
    exposure_level: float = 0.5
    max_gain: float | None = 10.0  # exposure target at most this many times the input's patch mean
    black_quantile: float = 0.01  # black_point_loss: the input's darkest pixels, this fraction of each image
    black_gain: float = 4.0  # black_point_loss: at most this many times as bright as the input there
    anchor_gamma: float = 1.0  # the anchor's target: the frozen generator's output raised to this power (< 1: brighter)
    anchor_curve: str | None = None  # the anchor's target through a tone curve: toe:P:KNEE or sm:S (tone_curve)
    spatial_reference: str = "gamma"
    weights: LossWeights = field(default_factory=LossWeights)
    freeze_bn: bool = False  # train the eval-mode network (BatchNorm statistics fixed)
    validation: int | None = None  # low-light images held out (never trained on); None: data.default_validation
    vgg: Path | None = None
    keep_hue: bool = True  # the generator keeps the input's colours (enlight.ops.hue): no cast can appear
    pairs: Path | None = None  # `enlight-train pairs` output: the partners of the pair term (enlight.train.partners)
    pair_pool: int = 4  # the pair term compares averages over pair_pool x pair_pool pixels
    synthetic: Path | None = None  # photos darkened on the fly, each the pair term's truth (enlight.train.darkened)
    synthetic_match: str = "*"  # only the photos of ``synthetic`` whose file name matches this shell pattern
    synthetic_gain: tuple[float, float] = PHOTO_DARKENING.gain  # their exposure gain in linear light (log-uniform)
    margin: int = 0  # the generator's extra reflection padding, trained with and shipped in the weights
    niqe_detail: float = STRENGTH  # the NIQE term scores the output after the detail step at this strength

    def __post_init__(self) -> None:
        if self.spatial_reference not in SPATIAL_REFERENCES:
            raise EnlightError(f"--spatial-reference must be one of {', '.join(SPATIAL_REFERENCES)}")
        if self.crop < 32 or self.crop % 16:
            raise EnlightError(f"--crop must be a multiple of 16 and at least 32, got {self.crop}")
        if self.steps < 1:
            raise EnlightError(f"--steps must be 1 or more, got {self.steps}")
        if self.decay_steps < 0:
            raise EnlightError(f"--decay-steps must be 0 or more, got {self.decay_steps}")
        if self.decay_steps > self.steps:
            raise EnlightError(f"--decay-steps {self.decay_steps} is more than --steps {self.steps} (the decay is the "
                               f"last of the steps): give --decay-steps 0 to {self.steps} with --steps {self.steps}")
        if self.weights.anchor > 0 and self.init is None:
            raise EnlightError("--w-anchor needs --init (the generator to stay close to)")
        if not 0 < self.anchor_gamma <= 4:
            raise EnlightError(f"--anchor-gamma must be in (0, 4], got {self.anchor_gamma}")
        if self.anchor_curve is not None:
            try:
                parse_anchor_curve(self.anchor_curve)
            except ValueError as exc:
                raise EnlightError(f"--anchor-curve: {exc}") from None
        if not 0 < self.black_quantile < 1 or self.black_gain < 0:
            raise EnlightError("--black-quantile must be in (0, 1) and --black-gain >= 0")
        if not 0 < self.exposure_level < 1 or (self.max_gain is not None and not self.max_gain > 0):
            raise EnlightError(f"--exposure-level must be in (0, 1) (a mean luma), got {self.exposure_level}; "
                               "--max-gain above 0 (0: no limit)")
        if self.batch_size < 1 or (self.validation or 0) < 0 or self.margin < 0:
            raise EnlightError("--batch-size must be >= 1, --validation and --margin >= 0")
        if self.weights.pair > 0 and self.pairs is None and self.synthetic is None:
            raise EnlightError("--w-pair needs --pairs (a folder written by `enlight-train pairs`) or --synthetic")
        if not 0 < self.synthetic_gain[0] <= self.synthetic_gain[1] <= 1:
            raise EnlightError(f"--synthetic-gain must be LOW HIGH, 0 < LOW <= HIGH <= 1, got {self.synthetic_gain}")
        if self.weights.niqe > 0 and (self.crop < BLOCK or self.batch_size * (self.crop // BLOCK) ** 2 < 2):
            raise EnlightError(f"--w-niqe needs crops of at least {BLOCK} and 2 or more {BLOCK}-pixel blocks a batch")
        if self.pair_pool < 1 or self.crop % self.pair_pool:
            raise EnlightError(f"--pair-pool must be >= 1 and divide --crop, got {self.pair_pool}")

    def to_json(self) -> dict:
        data = super().to_json()
        data["weights"] = {k: float(v) for k, v in vars(self.weights).items()}
        return data


class NonRefTrainer(TrainLoop):
    """The ``zerodce`` recipe (see the module docstring); checkpoints are EnlightenGAN generator runs."""

    def __init__(self, config: NonRefConfig, *, vgg: Vgg16Relu51 | None = None) -> None:
        images = list_images(config.low)
        if config.validation is None:  # (the count, not None, goes into config.json: --resume compares it)
            config = replace(config, validation=default_validation(len(images)))
        self._setup(config)
        train, self.validation = validation_split(images, config.validation)
        if config.weights.pair > 0 and config.pairs is not None:
            partners = partner_paths(train, self.validation, config.pairs)
            self.dataset = PartneredCrops(train, partners, crop=config.crop, seed=config.seed)
        else:
            self.dataset = LowLightCrops(train, [], crop=config.crop, seed=config.seed)
        if config.synthetic is not None:
            photos = photos_matching(config.synthetic, config.synthetic_match)
            ranges = replace(PHOTO_DARKENING, gain=tuple(config.synthetic_gain))
            self.dataset = WithDarkened(self.dataset, photos, ranges=ranges, seed=config.seed)
        self.steps_per_epoch = max(1, len(self.dataset) // config.batch_size)
        self.total_steps = config.steps
        self.generator = initial_generator(config.init, base_channels=config.base_channels).to(self.device)
        self.generator.keep_hue, self.generator.margin = config.keep_hue, config.margin
        self.anchor = None
        if config.weights.anchor > 0:  # a frozen copy of the starting generator, run as it ships (eval mode)
            self.anchor = frozen_generator(config.init, base_channels=config.base_channels, device=self.device)
            self.anchor.keep_hue, self.anchor.margin = config.keep_hue, config.margin
        self.vgg = None
        if config.weights.vgg > 0:
            self.vgg = (vgg or load_vgg16_relu5_1(config.vgg)).to(self.device).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr, betas=(0.9, 0.999))
        flat = config.steps - config.decay_steps
        self.schedulers = [torch.optim.lr_scheduler.LambdaLR(self.opt_g, linear_decay(flat, config.decay_steps))]
        self.scaler = self.grad_scaler()
        self.nets = {"generator": self.generator}
        self.optimizers = {"opt_g": self.opt_g}
        self._init_loop()

    def set_train(self) -> None:
        self.generator.train()
        if self.config.freeze_bn:
            freeze_batchnorm(self.generator)

    def losses(self, low: torch.Tensor, attention: torch.Tensor,
               partner: tuple | None = None) -> dict[str, torch.Tensor]:
        """The weighted losses of one batch (low: (B, 3, H, W) in [-1, 1]); ``total`` is their sum. ``partner``:
        (target (B, 3, H, W) in [-1, 1], has_target (B,)) for the pair term."""
        cfg, w = self.config, self.config.weights
        out, correction = self.generator.forward_with_latent(low, attention)
        out01, low01 = (out + 1) / 2, (low + 1) / 2
        if cfg.spatial_reference == "gamma":
            reference = gamma_matched(low01, out01.detach().clamp(0, 1).mean(dim=(1, 2, 3)))
        else:
            reference = low01
        terms = {
            "spatial": w.spatial * spatial_consistency_loss(out01, reference),
            "exposure": w.exposure * exposure_control_loss(out01, level=cfg.exposure_level, source=low01,
                                                           max_gain=cfg.max_gain),
            "smooth": w.smooth * illumination_smoothness_loss(correction / 2),  # in [0, 1] units
        }
        if w.color > 0:
            terms["color"] = w.color * color_constancy_loss(out01)
        if w.angle > 0:
            terms["angle"] = w.angle * color_angle_loss(out01, low01)
        if w.chroma > 0:
            terms["chroma"] = w.chroma * chromaticity_loss(out01, low01)
        if w.border > 0:
            terms["border"] = w.border * border_loss(out01, reference)
        if w.black > 0:
            terms["black"] = w.black * black_level_loss(out01, low01, max_gain=cfg.max_gain or 10.0)
        if w.black_point > 0:
            terms["black_point"] = w.black_point * black_point_loss(out01, low01, quantile=cfg.black_quantile,
                                                                    gain=cfg.black_gain)
        if w.structure > 0 or w.halo > 0:  # both compare against the gamma-matched input
            matched = reference if cfg.spatial_reference == "gamma" else gamma_matched(
                low01, out01.detach().clamp(0, 1).mean(dim=(1, 2, 3)))
            if w.structure > 0:
                terms["structure"] = w.structure * structure_loss(out01.clamp(0, 1), matched)
            if w.halo > 0:
                terms["halo"] = w.halo * halo_loss(out01.clamp(0, 1), matched)
        if self.anchor is not None:
            with torch.no_grad():
                anchored = (self.anchor(low, attention) + 1) / 2
                if cfg.anchor_gamma != 1:  # a brighter (or darker) target than the starting generator's
                    anchored = anchored.clamp(0, 1).pow(cfg.anchor_gamma)
                if cfg.anchor_curve is not None:  # another tone curve than the starting generator's
                    anchored = tone_curve(anchored.clamp(0, 1), cfg.anchor_curve)
            terms["anchor"] = w.anchor * anchor_loss(out01, anchored)
        if self.vgg is not None:
            terms["vgg"] = w.vgg * feature_preserving_loss(self.vgg, out, low)
        if w.niqe > 0:
            terms["niqe"] = w.niqe * niqe_loss(detail_restored(out01.clamp(0, 1), low01, cfg.niqe_detail))
        if w.pair > 0 and partner is not None:
            target, has_target = partner
            terms["pair"] = w.pair * pair_loss(out01, (target + 1) / 2, has_target, pool=cfg.pair_pool)
        terms["total"] = sum(terms.values())
        return terms

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        low = batch["low"].to(self.device, non_blocking=True)
        attention = batch["attention"].to(self.device, non_blocking=True)
        partner = None
        if "target" in batch:
            partner = (batch["target"].to(self.device), batch["has_target"].to(self.device))
        with self.autocast():
            terms = self.losses(low, attention, partner)
        self.generator_step(terms["total"])
        return {k: float(v.detach()) for k, v in terms.items()}

    def sample_rows(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        low = batch["low"][:4].to(self.device)
        out = self.generator(low, batch["attention"][:4].to(self.device))
        return [(low + 1) / 2, (out + 1) / 2]


__all__ = ["LossWeights", "NonRefConfig", "NonRefTrainer", "validation_split"]
