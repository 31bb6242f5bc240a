"""Paired RetinexNet training in three stages, on the shared ``TrainLoop`` machinery.

1. decomposition (``decom_steps``): Decom-Net alone, L = L_recon + lambda_ir L_ir + lambda_is L_is
   on the low and normal images of each pair;
2. enhancement (``enhance_steps``): Decom-Net frozen, Enhance-Net learns the new illumination,
   L = |R_low * I_new - S_normal| + 3 L_is(I_new, R_low);
3. end to end (``joint_steps``): both, with the sum of the two losses (the decomposition loss
   keeps R and I meaningful while the whole model is tuned for the output).

Adam (lr 1e-3, as released) per network; within each stage the last fifth runs at lr / 10.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from enlight.errors import EnlightError
from enlight.models.retinexnet import build_retinexnet
from enlight.train.data import list_images
from enlight.train.loop import RunSettings, TrainLoop
from enlight.train.paired_data import PairedDataset, match_by_name
from enlight.train.retinex_losses import DecomWeights, decom_loss, relight_loss

STAGES = ("decom", "enhance", "joint")


@dataclass(frozen=True, kw_only=True)
class RetinexConfig(RunSettings):
    pairs_low: Path
    pairs_high: Path
    out: Path
    synthetic: Path | None = None  # folder of normal photos darkened on the fly
    decom_steps: int = 2000
    enhance_steps: int = 2000
    joint_steps: int = 1000
    batch_size: int = 16
    crop: int = 96
    lr: float = 1e-3
    channels: int = 64
    sample_every: int = 500

    def __post_init__(self) -> None:
        if min(self.decom_steps, self.enhance_steps, self.joint_steps) < 0 or self.batch_size < 1:
            raise EnlightError("stage steps must be >= 0 and --batch-size >= 1")
        if self.decom_steps + self.enhance_steps + self.joint_steps == 0:
            raise EnlightError("--decom-steps, --enhance-steps and --joint-steps are all 0: these settings train 0 "
                               "steps; give at least one step")
        if self.crop < 8:
            raise EnlightError(f"--crop must be at least 8 (three stride-2 levels), got {self.crop}")

    @property
    def bounds(self) -> tuple[int, int, int]:
        """The step at which each stage ends."""
        a = self.decom_steps
        return a, a + self.enhance_steps, a + self.enhance_steps + self.joint_steps


def stage_at(config: RetinexConfig, step: int) -> str:
    for name, end in zip(STAGES, config.bounds, strict=True):
        if step < end:
            return name
    return STAGES[-1]


def stage_lr_factor(config: RetinexConfig):
    """1 for the first four fifths of each stage, 0.1 for the last fifth."""
    starts = (0, *config.bounds[:2])

    def factor(step: int) -> float:
        for start, end in zip(starts, config.bounds, strict=True):
            if start <= step < end:
                return 0.1 if step >= start + 0.8 * (end - start) else 1.0
        return 0.1

    return factor


class RetinexTrainer(TrainLoop):
    kind = "retinexnet"

    def __init__(self, config: RetinexConfig) -> None:
        self._setup(config)
        synthetic = list_images(config.synthetic) if config.synthetic is not None else []
        self.pairs = match_by_name(config.pairs_low, config.pairs_high)
        self.dataset = PairedDataset(self.pairs, synthetic, crop=config.crop, seed=config.seed)
        self.steps_per_epoch = max(1, len(self.dataset) // config.batch_size)
        self.total_steps = config.bounds[-1]
        self.model = build_retinexnet(channels=config.channels).to(self.device)
        self.opt_decom = torch.optim.Adam(self.model.decom.parameters(), lr=config.lr)
        self.opt_enhance = torch.optim.Adam(self.model.enhance.parameters(), lr=config.lr)
        factor = stage_lr_factor(config)
        self.schedulers = [torch.optim.lr_scheduler.LambdaLR(o, factor) for o in (self.opt_decom, self.opt_enhance)]
        self.scaler = self.grad_scaler()
        self.weights = DecomWeights()
        self.nets = {"model": self.model}
        self.optimizers = {"opt_decom": self.opt_decom, "opt_enhance": self.opt_enhance}
        self._init_loop()

    @property
    def stage(self) -> str:
        return stage_at(self.config, self.step)

    def losses(self, low: torch.Tensor, high: torch.Tensor, stage: str) -> dict[str, torch.Tensor]:
        """The stage's losses on a batch (B, 3, H, W) in [0, 1]; key 'loss' is what is minimised."""
        decom = self.model.decom
        if stage == "enhance":
            with torch.no_grad():
                r_low, i_low = decom(low)
            relight = relight_loss(r_low, self.model.enhance(r_low, i_low), high)
            return {"loss": relight, "relight": relight}
        r_low, i_low = decom(low)
        r_high, i_high = decom(high)
        loss_decom = decom_loss(r_low, i_low, r_high, i_high, low, high, self.weights)
        if stage == "decom":
            return {"loss": loss_decom, "decom": loss_decom}
        relight = relight_loss(r_low, self.model.enhance(r_low, i_low), high)
        return {"loss": loss_decom + relight, "decom": loss_decom, "relight": relight}

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        stage = self.stage
        low = batch["low"].to(self.device, non_blocking=True)
        high = batch["high"].to(self.device, non_blocking=True)
        with self.autocast():
            losses = self.losses(low, high, stage)
        optimizers = {"decom": [self.opt_decom], "enhance": [self.opt_enhance],
                      "joint": [self.opt_decom, self.opt_enhance]}[stage]
        for opt in (self.opt_decom, self.opt_enhance):
            opt.zero_grad(set_to_none=True)
        self.scaler.scale(losses["loss"]).backward()
        for opt in optimizers:
            self.scaler.step(opt)
        self.scaler.update()
        with warnings.catch_warnings():  # the idle network's scheduler keeps counting steps
            warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
            for scheduler in self.schedulers:
                scheduler.step()
        self.step += 1
        return {f"{stage}/{k}" if k != "loss" else "loss": float(v.detach()) for k, v in losses.items()}

    def sample_rows(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        low = batch["low"][:4].to(self.device)
        reflectance, illumination = self.model.decom(low)
        enhanced = self.model(low).clamp(0, 1)
        return [low, reflectance, illumination.expand(-1, 3, -1, -1), enhanced, batch["high"][:4]]


def export_retinexnet(run_dir: Path, output: Path, *, fp16: bool = True) -> Path:
    """The newest checkpoint of a RetinexNet run as ``retinexnet`` safetensors."""
    from enlight.models.retinexnet import RetinexNet
    from enlight.models.zoo import save_retinexnet
    from enlight.train.loop import newest_checkpoint, run_provenance

    state = newest_checkpoint(run_dir)
    if state.get("kind") != "retinexnet":
        raise EnlightError(f"{run_dir} is not a RetinexNet run")
    net = RetinexNet(channels=int(json.loads(state["config"])["channels"]))
    net.load_state_dict(state["model"])
    return save_retinexnet(output, net.eval(), provenance=run_provenance(state), fp16=fp16)


__all__ = ["RetinexConfig", "RetinexTrainer", "export_retinexnet", "stage_at"]
