"""``enlight-video bench``: fps of the model per runtime, precision, batch and size, the decode and
encode ceilings, and each preset end to end as `enlight-video IN -o OUT` runs it (--denoise and --deband as that
command takes them; ``enlight.stream.apps.bench`` measures)."""

from __future__ import annotations

import sys
from pathlib import Path

from enlight.cli.common import (
    OneLineParser,
    non_negative_float,
    parse_size,
    positive_int,
    positive_int_list,
    print_text,
    size_list,
)
from enlight.errors import EnlightError

PROG = "enlight-video"
PRECISION_VARIANTS = ("auto", "fp32", "fp16", "fp16+graphs", "fp16+compile")  # what --precisions times
DESCRIPTION = "measure fps: model per backend/precision/batch/size, decode and encode ceilings, pipeline"


def build_parser() -> OneLineParser:
    from enlight.stream.apps.bench import SENSOR_NOISE, BenchConfig
    from enlight.stream.core.choices import DEBAND_SETTING, DEBAND_SETTINGS, DENOISE_LEVEL, DENOISE_LEVELS

    full, quick = BenchConfig(), BenchConfig.quick()
    parser = OneLineParser(prog=f"{PROG} bench", description=DESCRIPTION)
    parser.add_argument("--quick", action="store_true",
                        help=f"the model at 640x360, batch 1, {quick.repeats} repeats, and the presets on a "
                        f"{quick.preset_frames}-frame clip (under 3 min on a CPU)")
    parser.add_argument("--backends", default=None, help="comma-separated (default: torch,onnxruntime)")
    parser.add_argument("--sizes", type=size_list, default=None,
                        help="comma-separated WxH (default: 640x360,1280x720,1920x1080)")
    parser.add_argument("--batch-sizes", type=positive_int_list, default=None, help="comma-separated (default: 1,4,8)")
    parser.add_argument("--precisions", default=None,
                        help=f"comma-separated of {', '.join(PRECISION_VARIANTS)} (default: auto)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    parser.add_argument("--repeats", type=positive_int, default=None,
                        help=f"timed calls per case, their median kept (default: {full.repeats}; {quick.repeats} "
                        "with --quick)")
    parser.add_argument("--weights", type=Path, default=None,
                        help="own weights to time, each case as `enlight-video IN -o OUT --weights FILE` runs them (a "
                        "student at the size it records, an int8 or exported .onnx on ONNX Runtime, the only backend "
                        "timed for it unless --backends names others) (default: the bundled network and presets, else "
                        "random weights of the released size)")
    parser.add_argument("--qualities", default=None,
                        help="comma-separated --quality presets to time (auto: what a file of --preset-size gets), '' "
                        "for none (default: best,balanced,fast; with --weights auto, what that command runs)")
    parser.add_argument("--preset-size", type=parse_size, default=None,
                        help="clip size for the presets' end-to-end fps (default: 854x480)")
    parser.add_argument("--denoise", default=DENOISE_LEVEL, choices=("auto", *DENOISE_LEVELS),
                        help="the end-to-end rows' --denoise, as `enlight-video IN -o OUT --denoise` takes it; each "
                        f"row says what it did (default: {DENOISE_LEVEL}, the command's)")
    parser.add_argument("--deband", default=DEBAND_SETTING, choices=DEBAND_SETTINGS,
                        help="the end-to-end rows' --deband, as the command takes it; --denoise off --deband off times "
                        f"them without either (default: {DEBAND_SETTING}, the command's)")
    parser.add_argument("--clip-noise", type=non_negative_float, default=0.0, metavar="SIGMA",
                        help="sensor-like noise (standard deviation, 0-255) in the end-to-end rows' clips: the "
                        "denoiser passes a clean clip unchanged, as footage whose codec removed the noise; at "
                        f"{SENSOR_NOISE:g} it measures it over its floor and removes it, as in a noisy night video "
                        "(default: 0, clean)")
    parser.add_argument("--json", type=Path, default=None, help="write the results as JSON")
    parser.add_argument("--png", type=Path, default=None, help="write a chart (default: next to --json)")
    return parser


def bench_command(argv: list[str]) -> int:
    from enlight.stream.apps import bench

    args = build_parser().parse_args(argv)
    _check_before_timing(args)
    changes = {"device": args.device, "denoise": args.denoise, "deband": args.deband, "clip_noise": args.clip_noise}
    if args.backends:
        changes["backends"] = _names(args.backends)
    if args.sizes:
        changes["sizes"] = args.sizes
    if args.batch_sizes:
        changes["batch_sizes"] = args.batch_sizes
    if args.precisions:
        changes["precisions"] = _names(args.precisions)
    if args.repeats:
        changes["repeats"] = args.repeats
    if args.qualities is not None:
        changes["qualities"] = tuple(q for q in args.qualities.split(",") if q)
    if args.preset_size:
        changes["preset_size"] = args.preset_size
    if args.weights is not None:  # every case runs the plan of `enlight-video IN -o OUT --weights FILE`
        changes["weights"] = args.weights
        changes.setdefault("qualities", ("auto",))
        if not args.backends and args.weights.suffix.lower() == ".onnx":  # (ONNX Runtime is all that runs one)
            changes["backends"] = ("onnxruntime",)
    config = bench.BenchConfig.quick(**changes) if args.quick else bench.BenchConfig(**changes)
    result = bench.run_bench(config, None if args.weights else _bundled_generator(), log=bench.log_stderr)
    print_text(bench.markdown(result))
    if args.json:
        bench.write_json(result, args.json)
    png = args.png or (args.json.with_suffix(".png") if args.json else None)
    if png and not bench.chart(result, png):
        print(f"{PROG}: matplotlib is not installed; no chart written", file=sys.stderr)
    return 0


def _bundled_generator():
    """The bundled generator, else random weights of the released size (a build without weights)."""
    from enlight.models.bundled import DEFAULT_WEIGHTS
    from enlight.models.generator import build_generator
    from enlight.models.weights import load_generator

    return load_generator(DEFAULT_WEIGHTS) if DEFAULT_WEIGHTS.is_file() else build_generator().eval()


def _check_before_timing(args) -> None:
    """Refuse, before minutes of timing, what would fail or be skipped at the end: a --json or --png whose folder
    is missing (the results were lost to an internal error), a backend that does not exist (skipped, exit 0)."""
    from enlight.stream.backends.base import available_backends
    from enlight.stream.core.choices import BACKENDS, QUALITIES

    for option, path, suffix in (("--json", args.json, ".json"), ("--png", args.png, ".png")):
        if path is not None and path.suffix.lower() != suffix:
            raise EnlightError(f"{option} names a {suffix} file to write, not {path.name or path}")
        if path is not None and not path.parent.is_dir():
            raise EnlightError(f"{option}: folder does not exist: {path.parent}")
    for option, text, known in (("--backends", args.backends, ", ".join(b for b in BACKENDS if b != "auto")),
                                ("--precisions", args.precisions, ", ".join(PRECISION_VARIANTS))):
        if text is not None and not _names(text):  # ('' ran the defaults, ',' a backend named '')
            raise EnlightError(f"{option} is empty: name one or more of {known} (or leave it out for the default)")
    _check_names("--precisions", "precision", args.precisions or "", PRECISION_VARIANTS)
    _check_names("--qualities", "quality", args.qualities or "", (*QUALITIES, "auto"))
    if args.weights is not None and not args.weights.is_file():  # (each case was skipped for it, then the presets)
        raise EnlightError(f"weights file not found: {args.weights}")
    unknown = [name for name in (args.backends or "").split(",") if name and name not in BACKENDS]
    if unknown:
        raise EnlightError(f"unknown backend {', '.join(unknown)} (--backends takes "
                           f"{', '.join(b for b in BACKENDS if b != 'auto')}; here: {', '.join(available_backends())})")
    if "tensorrt" in (args.backends or "").split(",") and not _tensorrt_here(args.device):  # it was skipped: empty
        raise EnlightError("--backends tensorrt needs an NVIDIA GPU and the tensorrt package, which this run does not "
                           "have (time torch or onnxruntime here)")


def _names(text: str) -> tuple[str, ...]:
    """A comma-separated list's names, empty ones left out: 'torch,,onnxruntime' -> ('torch', 'onnxruntime')."""
    return tuple(name for name in text.split(",") if name)


def _tensorrt_here(device: str) -> bool:
    if device == "cpu":
        return False
    from enlight.stream.backends.tensorrt import tensorrt_available

    return tensorrt_available()


def _check_names(option: str, what: str, text: str, known: tuple[str, ...]) -> None:
    """Refuse a comma-separated ``option`` naming what the bench does not time: each was skipped with a log line
    after the others' minutes of timing (a precision), or failed at the end (a quality)."""
    unknown = [name for name in text.split(",") if name and name not in known]
    if unknown:
        raise EnlightError(f"unknown {what} {', '.join(unknown)} ({option} takes {', '.join(known)})")
