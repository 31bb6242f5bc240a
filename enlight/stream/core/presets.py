"""``--quality best|balanced|fast``: which network width and inference scale enhance the frames.

| preset   | EnlightenGAN weights                    | runs at      | correction to full size |
|----------|-----------------------------------------|--------------|-------------------------|
| best     | full generator (base 32)                | full size    | -                       |
| balanced | student, base 16 (int8 on a CPU; base 12 | full size    | -                       |
|          | where the CPU has no int8 dot products)  |              |                         |
| fast     | student, base 8, distilled at 1/4 size  | 1/4 size     | fast guided filter      |

The students were distilled (``enlight-train distill``) to reproduce the full generator's
full-size output; the fast one was then fine-tuned (``--scale 4``) through exactly the reduced-size
path it runs on, so it is not simply a smaller copy. On a CPU with ONNX Runtime, ``balanced`` runs
the base-16 student quantised to int8 (``enlight-train quantize``; about 1.6x faster than its
float32 form, the output head kept float) where the CPU has int8 dot products (VNNI, AMX, ARM's dot
product); without them int8 gains little (the issue 17 AVX2 laptop: 567 against 680 ms per 854x480 frame), so
there it runs a base-12 float student, cut from the base-16 one and distilled again (``enlight.train.prune``).
``--precision fp32`` or another backend runs the base-16 student in float. docs/benchmarks.md has their speed
and their PSNR against ``best``.

With ``--weights`` or ``--model retinexnet`` the preset only sets the inference scale (weights that record the size
they were distilled for run at it: ``enlight.stream.core.own_weights``). Files default
to ``best``; live runs (``--camera``) to ``fast`` on a CPU and ``best`` on a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

from enlight.errors import EnlightError


@dataclass(frozen=True)
class Quality:
    name: str
    weights: str | None  # a file in enlight/models/weights; None = the model's default
    scale: float = 1.0
    upsample: str = "guided"
    cpu_int8: str | None = None  # an int8 ONNX model of ``weights`` (enlight/models/weights) for ORT on a CPU
    cpu_narrow: str | None = None  # a narrower float student for ORT on a CPU without int8 dot products


QUALITIES = {
    "best": Quality("best", None),
    "balanced": Quality("balanced", "enlightengan_c16.safetensors", cpu_int8="enlightengan_c16_int8.onnx",
                        cpu_narrow="enlightengan_c12.safetensors"),
    "fast": Quality("fast", "enlightengan_c8_s4.safetensors", scale=4.0),
}


def quality_preset(name: str) -> Quality:
    try:
        return QUALITIES[name]
    except KeyError:
        raise EnlightError(f"unknown quality '{name}' (choose from {', '.join(QUALITIES)})") from None


__all__ = ["QUALITIES", "Quality", "quality_preset"]
