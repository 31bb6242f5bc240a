"""What ``--resume`` checks and carries over: that a checkpoint is of this kind of run, the learning rate of these
settings, and which settings changed since the run began (they apply from the resumed step on)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from enlight.errors import EnlightError

STATE_KEYS = frozenset({"version", "kind", "step", "config", "keep_hue", "margin", "schedulers", "scaler", "rng"})
EPHEMERAL = frozenset({"out", "workers", "max_minutes", "device"})  # where and how fast: no change to what is learnt


def check_resumable(state: dict, path: Path, nets: dict, optimizers: dict, schedulers: list) -> None:
    """Refuse, in one line, a checkpoint that does not hold what this run's networks, optimisers and schedulers need:
    one written by another recipe (the paper's and ``--recipe zerodce`` are both EnlightenGAN runs: each failed on
    the other's checkpoint with a KeyError or a ValueError), or one rebuilt from shards of the networks alone."""
    held = sorted(key for key in state if key not in STATE_KEYS)
    needed = sorted([*nets, *optimizers])
    if set(needed) <= set(held) and len(state.get("schedulers", ())) == len(schedulers):
        return
    if not any(isinstance(state[key], dict) and "param_groups" in state[key] for key in held):  # no optimiser
        raise EnlightError(f"--resume: {path} holds the networks alone ({', '.join(held)}; shards written with "
                           "--nets), not the optimisers' state a run continues from: export it (enlight-train "
                           "export), or shard the run again without --nets")
    raise EnlightError(f"--resume: {path} was written by another kind of run (it holds {', '.join(held)}; these "
                       f"settings train {', '.join(needed)}): resume it with the command that started it (its "
                       "config.json), or give a new --out")


def keep_configured_lr(scheduler: torch.optim.lr_scheduler.LambdaLR, base_lrs: list[float]) -> None:
    """Give a scheduler loaded from a checkpoint these settings' learning rates (``base_lrs``, one per parameter
    group), at the step it was saved at: its state holds the run's first ``--lr``, and a ``--lr`` given with
    ``--resume`` was ignored without a word while config.json recorded it."""
    scheduler.base_lrs = list(base_lrs)
    step = scheduler.last_epoch
    rates = [base * factor(step) for base, factor in zip(base_lrs, scheduler.lr_lambdas, strict=True)]
    for group, base, rate in zip(scheduler.optimizer.param_groups, base_lrs, rates, strict=True):
        group["initial_lr"], group["lr"] = base, rate
    scheduler._last_lr = rates


def changed_settings(saved: str, now: dict) -> list[str]:
    """'NAME OLD -> NEW' for each setting in ``now`` (a config's ``to_json``) other than in ``saved`` (the
    checkpoint's config, JSON), nested settings (the loss weights) by their dotted names; where a run is kept and how
    fast it runs (``EPHEMERAL``) are left out."""
    old, new = _flat(json.loads(saved)), _flat(now)
    return [f"{name} {old.get(name)} -> {value}" for name, value in new.items()
            if name not in EPHEMERAL and old.get(name) != value]


def _flat(config: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


__all__ = ["changed_settings", "check_resumable", "keep_configured_lr"]
