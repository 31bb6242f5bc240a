"""x264 speed presets on the enhanced frames (issue 17): encoder CPU per frame, file size and PSNR against
the lossless frames, so that the preset ``--preset auto`` picks for ``--quality fast`` is a measured trade-off.

    enlight-video CLIP -o ref.mkv --quality fast --crf 0 --preset ultrafast     # the lossless reference
    quiet python benchmarks/x264_presets.py fast:18,faster:18,veryfast:18,veryfast:16 ref.mkv [ref2.mkv ...]

Each PRESET:CRF encodes the reference's yuv420p frames in memory (MP4, libx264 with its own thread count);
CPU is the process's user + system time (all x264 threads) per frame. Prints one line per case.
"""

from __future__ import annotations

import argparse
import io
import resource
import time

import av
import numpy as np


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _encode(frames: list[np.ndarray], size: tuple[int, int], rate, preset: str, crf: str) -> tuple[bytes, float, float]:
    """The frames (stacked yuv420p planes) encoded: the file's bytes, CPU s and wall s."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.codec_context.options = {"crf": crf, "preset": preset}
        cpu, start = _cpu_s(), time.perf_counter()
        for index, planes in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        cpu, wall = _cpu_s() - cpu, time.perf_counter() - start
    return buffer.getvalue(), cpu, wall


def _psnr(decoded: list[np.ndarray], reference: list[np.ndarray], rows: slice) -> float:
    pairs = zip(decoded, reference, strict=True)
    mse = np.mean([np.mean((a[rows].astype(np.float64) - b[rows]) ** 2) for a, b in pairs])
    return 10 * np.log10(255**2 / mse)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", help="comma-separated PRESET:CRF, e.g. fast:18,veryfast:18")
    parser.add_argument("references", nargs="+", help="lossless yuv420p videos of enhanced frames")
    args = parser.parse_args()
    for path in args.references:
        with av.open(path) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate
            frames = [frame.to_ndarray() for frame in container.decode(stream)]
            width, height = stream.codec_context.width, stream.codec_context.height
        for case in args.cases.split(","):
            preset, crf = case.split(":")
            data, cpu, wall = _encode(frames, (width, height), rate, preset, crf)
            with av.open(io.BytesIO(data)) as container:
                decoded = [frame.to_ndarray() for frame in container.decode(video=0)]
            print(f"{path} {width}x{height} {len(frames)} frames, x264 {preset} crf {crf}: "
                  f"{1000 * cpu / len(frames):.1f} ms CPU per frame ({1000 * wall / len(frames):.1f} wall), "
                  f"{len(data) / 1e6:.2f} MB, PSNR Y {_psnr(decoded, frames, slice(0, height)):.2f} dB, "
                  f"UV {_psnr(decoded, frames, slice(height, None)):.2f} dB", flush=True)


if __name__ == "__main__":
    main()
