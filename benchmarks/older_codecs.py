"""The older encoders' quality as the command sets it (``enlight.stream.io.legacy_video``) against their FFmpeg
default, and libx264 at crf 18 beside them: bit rate and PSNR against the lossless enhanced frames.

    enlight-video CLIP -o ref.mkv --quality fast --crf 0 --preset ultrafast     # the lossless reference
    python benchmarks/older_codecs.py ref.mkv [ref2.mkv ...] [--frames 60] [--json docs/img/older_codecs.json]

Each encoder (MPEG-2 into a program stream, MPEG-4 part 2 into AVI, VP8 into Ogg, libx264 into MP4) encodes the
reference's first FRAMES yuv420p frames in memory, with no options (FFmpeg's default) and with the command's
(``encoder_options`` for ``--codec NAME``). Prints one line per case.
"""

from __future__ import annotations

import argparse
import io
import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from enlight.stream.io.encoder_settings import EncoderConfig, encoder_options

CASES = (("mpeg2video", "mpeg"), ("mpeg4", "avi"), ("libvpx", "ogg"), ("libx264", "mp4"))


def _encode(frames: list[np.ndarray], size: tuple[int, int], rate: Fraction, codec: str, muxer: str,
            options: dict[str, str]) -> tuple[bytes, list[np.ndarray]]:
    """The frames (stacked yuv420p planes) encoded with ``options``: the file's bytes and its decoded frames."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=muxer) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.codec_context.time_base = 1 / rate
        stream.codec_context.options = options
        for index, planes in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with av.open(io.BytesIO(buffer.getvalue())) as container:
        decoded = [frame.to_ndarray(format="yuv420p") for frame in container.decode(video=0)]
    return buffer.getvalue(), decoded


def _psnr(decoded: list[np.ndarray], reference: list[np.ndarray], rows: slice) -> float:
    pairs = zip(decoded, reference, strict=True)
    mse = np.mean([np.mean((a[rows].astype(np.float64) - b[rows]) ** 2) for a, b in pairs])
    return float(10 * np.log10(255**2 / mse))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("references", nargs="+", type=Path, help="lossless yuv420p videos of enhanced frames")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    for path in args.references:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate
            decoded = zip(range(args.frames), container.decode(stream), strict=False)
            frames = [frame.to_ndarray(format="yuv420p") for _, frame in decoded]
            size = stream.codec_context.width, stream.codec_context.height
        for codec, muxer in CASES:
            ours = encoder_options(av.Codec(codec, "w"), EncoderConfig(codec=codec))
            for setting, options in (("FFmpeg's default", {}), ("the command's", ours)):
                if codec == "libx264" and not options:
                    continue
                data, decoded = _encode(frames, size, rate, codec, muxer, options)
                row = {"clip": path.name, "codec": codec, "setting": setting, "options": options,
                       "mbit_s": len(data) * 8 / (len(frames) / rate) / 1e6,
                       "psnr_y": _psnr(decoded, frames, slice(0, size[1]))}
                rows.append(row)
                print(f"{path.name} {size[0]}x{size[1]} {len(frames)} frames, {codec} ({setting}, {options}): "
                      f"{row['mbit_s']:.2f} Mb/s, PSNR Y {row['psnr_y']:.2f} dB", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"command": "python benchmarks/older_codecs.py", "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
