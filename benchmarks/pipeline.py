"""Stage timings of one file-to-file run: decode, enhance, encode busy time and end-to-end fps.

    python benchmarks/pipeline.py CLIP [--weights W] [--frames N] [--batch-size B] [--json out.json]

Without --weights it uses a random generator of the released size (timings do not depend on the
weights' values). CLIP defaults to ../shared/data/video/surveillance_night.mp4. Only the first
--frames frames are used (a trimmed copy is made with PyAV, stream copy, no re-encode).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import av

from enlight.models import build_generator
from enlight.stream.apps.pipeline import PipelineConfig, run
from enlight.stream.core.choices import DEBAND_SETTING
from enlight.stream.core.plan import build_backend, make_plan

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "video" / "surveillance_night.mp4"


def trim(src: Path, dst: Path, frames: int) -> Path:
    """Copy the first ``frames`` video packets (in decode order) and the audio muxed before them."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        video = inp.streams.video[0]
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("video", "audio")}
        seen = 0
        for packet in inp.demux(*[inp.streams[i] for i in streams]):
            if not packet.size:
                continue
            if packet.stream is video:
                seen += 1
                if seen > frames:
                    break
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clip", nargs="?", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.clip.exists():
        print(f"clip not found: {args.clip}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        clip = trim(args.clip, Path(tmp) / f"in{args.clip.suffix}", args.frames)
        plan = make_plan(weights=args.weights, device=args.device, deband=DEBAND_SETTING == "on")  # as the command
        backend = None
        if args.weights is None:  # a random full-size generator: speed only
            backend = build_backend(plan, network=build_generator().eval())
        config = PipelineConfig(input=clip, output=Path(tmp) / "out.mp4", plan=plan, batch_size=args.batch_size,
                                progress=False)
        stats = run(config, backend=backend)
    row = {
        "clip": args.clip.name, "frames": stats.frames, "batch_size": args.batch_size, "device": stats.device,
        "wall_s": round(stats.wall_s, 2), "fps": round(stats.fps, 3), "decode_s": round(stats.decode_s, 2),
        "enhance_s": round(stats.enhance_s, 2), "encode_s": round(stats.encode_s, 2),
        "model_fps": round(stats.frames / stats.enhance_s, 3) if stats.enhance_s else None,
    }
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    print("| " + " | ".join(str(v) for v in row.values()) + " |")
    if args.json:
        args.json.write_text(json.dumps(row, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
