"""docs/quality.md from the numbers benchmarks/quality.py measured (its JSON, as a dict)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

WHY_DEFAULT = """\
The smoother averages the generator's correction (output - input) per pixel, moved along the
camera's global shift, with past weight `strength` lowered where the input's luma differs from the
average's (motion gate) and reset on a scene cut. On these clips every metric in the sweep improves
steadily with strength: motion-compensated flicker, warping error and aligned std on the shaky
clips, and warping error on the moving-object clip (no ghosting at any strength: the object differs
from the background far beyond the gate). What strength costs is memory: a static pixel's correction
is averaged over about (1 + s) / (1 - s) frames, 5.7 at 0.7, 9 at 0.8, 39 at 0.95, and a change that
slips under the motion gate (a light fading by less than 0.08 luma per frame, a dim object moving
over a dim background) reaches the correction only that slowly, as a trail or a lagging exposure.
None of the clips here measures that cost, so the default is the smallest strength that reliably
meets the target: halving frame-by-frame flicker on every one of three shaky noisy clips, with a 10%
margin because the worst clip's ratio moved by about 0.05 between the quick (12-frame) and full
(32-frame) runs. In the committed full run, 0.7 reaches 0.49x on the worst clip (0.44x in the quick
run), too close to the line; 0.8 reaches 0.446x (0.39x quick), inside the margin though not by much.
Above 0.8 the worst clip (the Fusion photo, the least flicker to start with: 0.109) barely improves,
its mc flicker settling at about 0.043 that longer averaging does not lower (0.049 at 0.8, 0.044 at
0.9, 0.043 at 0.95), while the memory grows fast; so 0.95 is offered as "strong" for steady cameras.
Motion threshold: 0.04 costs a little on the shaky clips (0.38x mean instead of 0.36x), 0.16 and
0.32 buy nothing measurable while letting more real change blend into the average, so 0.08 stays.
Scene-cut threshold 0.15 (mean luma change after motion compensation): the cut clip is detected and
reset at once (difference 0.00 on the cut frame; over the next 3 frames the average restarts on the
new scene), and the x3 lights-on step is not counted as a cut, yet the per-pixel gate takes the new
frame's correction at once (the difference on the change frame is below the steady-state one).
Following the camera is essential: without it the worst shaky clip keeps 0.98x of its flicker (the
`follow_camera False` row)."""

NOTES = """\
Two things in the tables are not failures. (1) Under shake the plain flicker of our smoothed output
is higher than frame-by-frame's and the input's. The plain mean changes as content enters and leaves
the frame; the frame-by-frame generator partly cancels that by re-balancing each frame's overall
brightness, which is the brightness jumping the mc flicker column measures (0.28 frame by frame
against the input's 0.04 on the shaky clip). With smoothing the correction moves with the content,
so the output's plain mean follows the input's content changes, somewhat amplified by the
enhancement's contrast. (2) On the static surveillance clip frame-by-frame output flickers a little
less than its input, and smoothing brings it back to about the input's level: the input's own
brightness pumping (about 0.01 code values per frame, far below visibility) passes through output =
input + smoothed correction unchanged, where the frame-by-frame generator damped it. Warping error
and static std improve there with smoothing."""

HISTORY = """\
The first design smoothed the attention map (the generator's second input) over time. Measured once
with that code (commit ce32961) on the same 32-frame shaky noisy clip as the full-mode tables above:
mc flicker 0.284 (smoothing 0) -> 0.315 (0.6, its default) -> 0.326 (0.9), warping error x1000 2.501
-> 2.523 -> 2.538, aligned std 5.20 -> 5.29 -> 5.35: slightly worse, because the generator's
residual jumps by itself and the noise and shake pass through `input + A * residual` whatever A is.
The moving-object clip was unchanged by it. What works is smoothing the correction itself, and only
if the average follows the camera (see the `follow_camera False` row of the sweep)."""

DEFINITIONS = """\
- **warping error** (Lai et al. 2018): optical flow (OpenCV DIS) on the input frames, output t+1
  warped back to t, mean squared RGB difference (in [0, 1]) over non-occluded pixels
  (forward-backward check, flow landing inside the frame), averaged over the clip; shown x1000.
- **flicker**: mean |change of mean luma| (BT.601, 0-255) between consecutive frames, of the
  whole frame ("plain"), with the input's value and the ratio output / input next to it.
- **mc flicker**: the same change measured along the input's motion (output t+1 warped back to
  t, non-occluded pixels). On a static camera it equals the plain flicker; on a shaking camera
  the plain flicker mostly measures content entering and leaving the frame (the input's own
  plain flicker is large while nothing changed in brightness), so the brightness jumps a viewer
  sees are the motion-compensated ones. The acceptance criterion is judged on it.
- **static std**: temporal std of output luma (0-255) on pixels whose input flow stays under half
  a pixel (n/a when no pixel is static, e.g. under shake); **aligned std**: the same after
  warping every frame to the middle one along the input's flow, on pixels visible throughout."""


BASELINE_NAMES = ("gamma 0.45", "CLAHE (luma)")
TARGET = 0.5  # the acceptance: default smoothing at most halves frame-by-frame flicker
MARGIN = 0.9  # the default must reach 0.9 x TARGET: worst-case ratios moved by ~0.05 between quick and full runs


def pick_default(rows: list[dict], bound: float) -> float | None:
    """The smallest strength (other settings at their defaults) whose motion-compensated flicker on every
    shaky clip is at most ``bound`` x frame-by-frame's, with warping error no worse on any clip."""
    first = rows[0]["config"]
    plain = [r for r in rows if all(r["config"][k] == first[k] for k in first if k != "strength")]
    for r in sorted(plain, key=lambda r: r["config"]["strength"]):
        if r["config"]["strength"] > 0 and r["shaky_mc_flicker_ratio_worst"] <= bound and r["no_worse_warping"]:
            return r["config"]["strength"]
    return None


def _f(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return "inf" if value == float("inf") else f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "n/a"


def acceptance(results: dict) -> list[str]:
    """One line per claim the issue asks docs/quality.md to show, with the numbers behind it."""
    lines = []
    rows = results["temporal"].get("shaky noisy photo", {}).get("rows", {})
    off = next((v for k, v in rows.items() if k.startswith("ours") and "frame by frame" in k), None)
    default = next((v for k, v in rows.items() if k.startswith("ours") and "(default)" in k), None)
    if off and default:
        ok = default["mc_flicker"] <= 0.5 * off["mc_flicker"] and default["warping_error"] <= off["warping_error"]
        lines.append(f"- {'PASS' if ok else 'FAIL'}: shaky noisy clip, default smoothing vs frame by frame: "
                     f"mc flicker {_f(default['mc_flicker'])} vs {_f(off['mc_flicker'])} "
                     f"({_ratio(default['mc_flicker'], off['mc_flicker'])}, target <= 0.5x); warping error "
                     f"{_f(1000 * default['warping_error'])} vs {_f(1000 * off['warping_error'])} "
                     "(x1000, target: no worse).")
        lines.append(f"- for the record, plain flicker there: {_f(default['flicker'])} vs {_f(off['flicker'])} "
                     f"({_ratio(default['flicker'], off['flicker'])}; the input's own: "
                     f"{_f(rows['input']['flicker'])}); see the definitions for why the plain mean is not the "
                     "measure under shake.")
    moving = results["temporal"].get("moving object", {}).get("rows", {})
    errors = [v["warping_error"] for k, v in moving.items() if k.startswith("ours")]
    if errors:
        ok = all(b <= a * 1.02 for a, b in zip(errors, errors[1:], strict=False))
        lines.append(f"- {'PASS' if ok else 'FAIL'}: ghosting check (moving object), warping error x1000 for smoothing "
                     f"0 / default / strong: {' / '.join(_f(1000 * e) for e in errors)} (must not rise).")
    for name, scores in results["niqe"].items():
        ours = scores.get("ours")
        if ours is not None:
            lines.append(f"- {'PASS' if ours < scores['input'] else 'FAIL'}: NIQE on {name} ({scores['images']} "
                         f"images): ours {_f(ours)}, input {_f(scores['input'])} (ours must be lower); "
                         f"gamma {_f(scores.get('gamma 0.45'))}, CLAHE {_f(scores.get('CLAHE (luma)'))}.")
    niqe_rows = [s for s in results["niqe"].values() if "ours" in s]
    if niqe_rows:
        beats = {b: sum(s["ours"] < s[b] for s in niqe_rows) for b in BASELINE_NAMES if b in niqe_rows[0]}
        lines.append("- against the baselines, NIQE: ours is lower than " + ", ".join(
            f"{b} on {n} of {len(niqe_rows)} sets" for b, n in beats.items()) + ".")
    for name, rows in results.get("structure", {}).items():
        ours = rows.get("ours")
        if ours is None:
            continue
        zero, gamma = rows.get("Zero-DCE"), rows.get("gamma 0.45")
        ok = ours["structure_min"] >= 0.80 and (zero is None or ours["structure"] >= zero["structure"])
        lines.append(f"- {'PASS' if ok else 'FAIL'}: structure kept on {name}: ours {_f(ours['structure'])} "
                     f"(worst {_f(ours['structure_min'])}), Zero-DCE {_f(zero['structure']) if zero else 'n/a'} "
                     "(target: at least Zero-DCE's, no image below 0.80).")
        ok = ours["border"] <= 3 and ours["border_max"] <= 10
        lines.append(f"- {'PASS' if ok else 'FAIL'}: no frame on {name}: border excess ours {_f(ours['border'], 2)} "
                     f"(worst {_f(ours['border_max'], 2)}) levels (target: mean <= 3, worst <= 10).")
        if gamma is not None:
            ok = ours["hue"] <= gamma["hue"] + 3
            lines.append(f"- {'PASS' if ok else 'FAIL'}: hue kept on {name}: ours {_f(ours['hue'], 2)} degrees, "
                         f"gamma {_f(gamma['hue'], 2)} (target: no worse than gamma + 3).")
    lol = results.get("lol15", {})
    if "ours" in lol:
        best = max(lol, key=lambda k: lol[k]["psnr"])
        lines.append(f"- LOL15 (paired): best PSNR {best} ({_f(lol[best]['psnr'], 2)} dB); ours "
                     f"{_f(lol['ours']['psnr'], 2)} dB / SSIM {_f(lol['ours']['ssim'])}.")
    return lines


def write_report(results: dict, path: Path) -> None:
    methods = results["methods"]
    out = ["# Quality and temporal stability", "",
           f"Numbers from `{results['command']}` ({results['mode']} mode, {results['seconds']} s on the 2-core CPU "
           "machine, ONNX Runtime backend), run from the repository root with the data in `../shared/data`. "
           "Every number is also in [img/quality.json](img/quality.json)." + (
               " Quick mode: 3 images per set and 12-frame clips, for checking the script, not for conclusions."
               if results["mode"] == "quick" else ""), "", "## Summary", ""]
    out += acceptance(results)
    out += ["", "## Still images", "", "NIQE, lower = more natural (mean over the images):", ""]
    out += _table(["set", "images", *methods],
                  [[name, str(s["images"]), *(_f(s[m]) for m in methods)] for name, s in results["niqe"].items()])
    if results.get("structure"):
        out += ["", "Structure kept (SSIM of the output's luma against the input's mapped by a global power to "
                "its mean; 1 = a global tone curve), border excess (outer 4 px against the 8-24 px band, minus "
                "the same for that mapped input; 0-255 levels: a frame) and mean CIELAB hue change (degrees, "
                "pixels with chroma above 5), `enlight.quality.structure`:", ""]
        out += _table(["set", "method", "structure (worst)", "border (worst)", "hue change"],
                      [[name, m, f"{_f(v['structure'])} ({_f(v['structure_min'])})",
                        f"{_f(v['border'], 2)} ({_f(v['border_max'], 2)})", _f(v["hue"], 2)]
                       for name, rows in results["structure"].items() for m, v in rows.items() if m != "input"])
    if results["lol15"]:
        n = next(iter(results["lol15"].values()))["images"]
        out += ["", f"LOL15 ({n} pairs; low_crop600x396 against the top 396 rows of high/):", ""]
        out += _table(["method", "PSNR (dB)", "SSIM"],
                      [[m, _f(v["psnr"], 2), _f(v["ssim"])] for m, v in results["lol15"].items()])
    out += ["", "Before/after (columns: " + ", ".join(methods) + "; rows: LIME and MEF photos):", "",
            "![before/after grid](img/quality_grid.png)", "", "## Temporal stability", "", DEFINITIONS]
    for clip_name, clip in results["temporal"].items():
        rows = clip["rows"]
        base = rows["input"]
        out += ["", f"### {clip_name} ({clip['frames']} frames, {clip['size'][0]}x{clip['size'][1]})", ""]
        header = ["method", "warping error x1000", "flicker", "/ input", "mc flicker", "/ input", "static std",
                  "aligned std"]
        out += _table(header,
                      [[m, _f(1000 * v["warping_error"]), _f(v["flicker"]), _ratio(v["flicker"], base["flicker"]),
                        _f(v["mc_flicker"]), _ratio(v["mc_flicker"], base["mc_flicker"]), _f(v["static_std"], 2),
                        _f(v["aligned_std"], 2)] for m, v in rows.items()])
    out += ["", NOTES, "", "## Scene cuts and lighting changes", "",
            "Scene cuts counted by the smoother, and the mean |luma difference| (0-255) between smoothed and "
            "frame-by-frame output: on steady frames before the change (what smoothing changes anyway), on the "
            "frame of the change (0 = it reset at once, large = stale correction carried over) and on the 3 "
            "frames after it:", ""]
    trans_rows = [[clip_name, m, str(v["scene_cuts"]), _f(v["steady_before"], 2), _f(v["at_change"], 2),
                   _f(v["after_change"], 2)]
                  for clip_name, table in results["transitions"].items() for m, v in table.items()]
    out += _table(["clip", "method", "scene cuts", "before", "at the change", "after"], trans_rows)
    out += ["", "## Choosing the default", "",
            "Sweep over the smoothing settings (ours; every other setting at its default) on three shaky noisy "
            "clips (photos LIME 1, MEF and Fusion's first, different shake and noise seeds) and the moving-object "
            "clip; mc flicker as a ratio to smoothing 0 on the same clip, warping error and aligned std averaged "
            "over the three:", ""]
    sweep_rows = []
    for r in results["sweep"]["rows"]:
        c = r["config"]
        label = f"strength {c['strength']:g}, motion {c['motion_threshold']:g}" + (
            "" if c["follow_camera"] else ", follow_camera False")
        shaky = [v for k, v in r.items() if k.startswith("shaky noisy photo")]
        m = r["moving object"]
        sweep_rows.append([label, f"{r['shaky_mc_flicker_ratio_worst']:.2f}x",
                           f"{r['shaky_mc_flicker_ratio_mean']:.2f}x",
                           _f(1000 * float(np.mean([v["warping_error"] for v in shaky]))),
                           _f(float(np.mean([v["aligned_std"] for v in shaky])), 2),
                           _f(1000 * m["warping_error"]), _f(m["mc_flicker"]),
                           "yes" if r["no_worse_warping"] else "no"])
    out += _table(["setting", "shaky: mc flicker / off, worst", "mean", "shaky: warping x1000", "shaky: aligned std",
                   "moving: warping x1000", "moving: mc flicker", "warping no worse"], sweep_rows)
    rows = results["sweep"]["rows"]
    pick, bare = pick_default(rows, MARGIN * TARGET), pick_default(rows, TARGET)
    out += ["", f"Sweep's pick: strength {pick}, the smallest whose worst shaky-clip ratio is at most "
            f"{MARGIN * TARGET:.2f}x (the 0.5x target with a 10% margin) with warping error no worse anywhere "
            f"(configured default: {results['default_smoothing']['strength']}; without the margin the rule would "
            f"pick {bare})." + (" Quick mode: 12-frame clips give noisier ratios; the default was chosen on a "
                                 "full run." if results["mode"] == "quick" else ""), "",
            WHY_DEFAULT, "", "## What was tried before", "", HISTORY, ""]
    out += smoothing_target_section(path.parent / "img" / "smoothing_targets.json")
    out += preset_section(results.get("presets"))
    path.write_text("\n".join(out) + kept_sections(path))


KEPT_FROM = "\n## Denoising"  # sections from here on are written by benchmarks/denoise.py and by hand


def kept_sections(path: Path) -> str:
    """The end of the existing report from ``KEPT_FROM`` on (this script does not write it), or ''."""
    text = path.read_text() if path.is_file() else ""
    start = text.find(KEPT_FROM)
    return "\n" + text[start:].rstrip("\n") + "\n" if start >= 0 else "\n"


def smoothing_target_section(json_path: Path) -> list[str]:
    """What is smoothed: correction, attention map or both (``benchmarks/smoothing_targets.py`` writes the JSON)."""
    if not json_path.is_file():
        return []
    data = json.loads(json_path.read_text())
    table, chosen = data["table"], data["chosen"]
    clip_names = list(table["off"])
    rows = [[name + (" (default)" if name == chosen else "")]
            + [f"{_f(r['mc_flicker'], 4)} ({r['mc_flicker_ratio']:.2f}x), {_f(1000 * r['warping_error'])}"
               for r in (table[name][c] for c in clip_names)] for name in table]
    return ["## What is smoothed: the correction, the attention map, or both", "",
            "The product was specified with a temporal smoother of the attention map (the generator's input, "
            "`--smooth attention`); the correction smoother (after the generator) replaced it. Both are stages "
            "of the Enhancer, on the same motion-gated, camera-following average, at the default strength "
            f"{data.get('strength', 0.8)}. Measured side by side in one run (`python benchmarks/smoothing_targets.py "
            f"--json docs/img/smoothing_targets.json`, {data['quality']} preset, {data['frames']}-frame clips at "
            f"{data['size'][0]}x{data['size'][1]}, {data['seconds']} s): motion-compensated flicker (and its "
            "ratio to frame by frame) and warping error x1000, lower is better.", ""] + _table(
        ["smoothed", *clip_names], rows) + [
        "", _smoothing_target_reading(table, chosen), ""]


def _smoothing_target_reading(table: dict, chosen: str) -> str:
    """The table in words, from its own numbers."""
    shaky = [c for c in table["off"] if c.startswith("shaky")]

    def span(target: str) -> str:
        ratios = [table[target][c]["mc_flicker_ratio"] for c in shaky]
        return f"{min(ratios):.2f}-{max(ratios):.2f}x"

    real = [c for c in table["off"] if "real" in c]
    on_real = f"; on {real[0]}: {table['attention'][real[0]]['mc_flicker_ratio']:.2f}x" if real else ""
    return (f"On the shaky clips, smoothing the attention map alone leaves flicker at {span('attention')} of frame "
            f"by frame{on_real}: the generator's residual jumps by itself whatever attention it is given. The "
            f"correction alone gives {span('correction')}, both {span('both')}. The default is `{chosen}`: the "
            "lowest worst-case flicker on the shaky clips among the settings whose warping error is no worse than "
            "frame by frame on every clip.")


def preset_section(presets: dict | None) -> list[str]:
    """The --quality presets against best (written by ``quality.py --only-presets`` or a full run)."""
    if not presets:
        return []
    from enlight.stream.core.presets import QUALITIES

    out = ["## Quality presets against the full model", "",
           "`--quality balanced` runs a distilled base-16 student at full size (int8 through ONNX Runtime on a "
           "CPU with int8 dot products; the `base-12 float` row is what it runs on a CPU without them) and `fast` "
           f"a base-8 student at 1/{QUALITIES['fast'].scale:g} of the size, its correction carried "
           "back with a guided filter; here each is compared with `best` (the full generator at full "
           "size): PSNR against best's output (mean, and the worst image), NIQE, and the detail kept (mean "
           "|Laplacian| of the luma relative to best's: 1 = as sharp). The last rows run the fast student with "
           "plain bilinear upsampling of its correction instead of the guided filter. The clip rows use the "
           "bundled samples/night.mp4 (640x360) with the default smoothing. Speed: docs/benchmarks.md.", ""]
    for name, rows in presets.items():
        if "frames" in next(iter(rows.values())):
            out += [f"{name} ({next(iter(rows.values()))['frames']} frames):", ""]
            out += _table(["preset", "PSNR vs best (dB)"], [[k, _f(v["psnr"], 2)] for k, v in rows.items()])
        else:
            out += [f"{name}:", ""]
            out += _table(["preset", "PSNR vs best (dB)", "worst image", "NIQE", "detail kept"],
                          [[k, _f(v["psnr"], 2), _f(v["min_psnr"], 2), _f(v["niqe"]), _f(v["detail"], 2)]
                           for k, v in rows.items()])
        out.append("")
    return out
