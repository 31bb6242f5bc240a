"""The README against the code and docs/: option tables against the parser, speed figures against the
measured tables in docs/, the example summary line against a real run, set-up facts against the Makefile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from enlight.cli.table import documented_default, options
from enlight.cli.video import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
MEASURED = ("docs/benchmarks.md", "docs/live.md")
OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z0-9-]*)")


def tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Markdown tables as (header cells, body rows of cells); escaped pipes stay inside their cell."""
    found, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append([c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
        elif block:
            if len(block) > 2:
                found.append((block[0], block[2:]))
            block = []
    return found


def readme_option_rows() -> list[tuple[list[str], str, str]]:
    """(options named in the first cell, default cell, whole row) of every README table headed `option`."""
    rows = []
    for header, body in tables(README):
        if header[:2] != ["option", "default"]:
            continue
        for cells in body:
            names = [n for code in re.findall(r"`([^`]*)`", cells[0]) for n in OPTION.findall(code)]
            rows.append((names, cells[1], " | ".join(cells)))
    return rows


def _words(text: str) -> list[str]:
    """Lower-case words, less a leading article: "the bundled weights" -> ["bundled", "weights"]."""
    words = re.findall(r"[\w.'+-]+", text.replace("`", "").lower())
    return words[1:] if words[:1] in (["the"], ["a"], ["an"]) else words


def test_readme_option_tables_name_every_parser_option_and_nothing_else():
    parser_names = {name for action in options(build_parser()) for name in action.option_strings}
    readme_names = {name for names, _, _ in readme_option_rows() for name in names}
    assert readme_option_rows(), "no | option | default | meaning | table in README.md"
    missing = sorted(n for a in options(build_parser()) if not set(a.option_strings) & readme_names
                     for n in a.option_strings[-1:])
    assert not missing, f"options of `enlight-video --help` missing from README's tables: {missing} " \
                        f"(python -m enlight.cli.table prints rows to paste)"
    unknown = sorted(readme_names - parser_names)
    assert not unknown, f"README's tables name options the parser does not have: {unknown}"


def test_readme_option_defaults_are_the_parsers():
    by_name = {name: action for action in options(build_parser()) for name in action.option_strings}
    wrong = []
    for names, cell, _ in readme_option_rows():
        for name in names:
            action = by_name.get(name)
            if action is None:
                continue  # reported by the test above
            expected = documented_default(action)
            words = _words(cell)
            if "required" in words and not action.required:
                wrong.append(f"{name}: README says required, the parser does not require it")
            elif expected is None:
                continue  # no default stated by the parser (e.g. --size: the source's): free text
            elif action.default is not None or action.required or expected == "off":
                if words[:1] != [expected.lower()]:
                    wrong.append(f"{name}: README default {cell!r}, parser {expected!r}")
            elif words[:1] != _words(expected)[:1]:  # a default stated in the help text: the same first word
                wrong.append(f"{name}: README default {cell!r}, --help says {expected!r}")
    assert not wrong, "\n".join(wrong)


def test_readme_synopsis_names_only_parser_options():
    """The `enlight-video INPUT ...` and `enlight-video --camera ...` lines of the Command line section."""
    synopsis = README.split("## Command line", 1)[1].split("\n|", 1)[0]
    block, keep = [], False
    for line in synopsis.splitlines():
        if re.match(r"\s+enlight-video (INPUT|--camera)", line):
            keep = True
        elif re.match(r"\s+enlight-video ", line):
            keep = False
        if keep:
            block.append(line)
    named = set(OPTION.findall("\n".join(block).replace("enlight-video", "")))
    parser_names = {name for action in options(build_parser()) for name in action.option_strings}
    assert block and not named - parser_names, sorted(named - parser_names)
    missing = sorted(a.option_strings[-1] for a in options(build_parser()) if not set(a.option_strings) & named)
    assert not missing, f"options missing from README's command-line synopsis: {missing}"


METAVAR = re.compile(r"(?<![\w-])(--?[a-z][a-z0-9-]*) \[?([A-Za-z][\w]*)\]?(?![|\w])")


def _metavar(action) -> str:
    return action.metavar or action.dest.upper()


def test_readme_metavars_are_the_parsers():
    """`--timeout S` and `--reconnect-timeout S` in the README, `--timeout SECONDS` and `--reconnect-timeout SECONDS` in
    `enlight-video --help`; `--fps N` against `--fps FPS`. Each table row's `--opt METAVAR` (choices, as
    `--compare split|side`, are left to the defaults' test), and each synopsis entry of an option whose metavar the
    parser names, is the parser's."""
    by_name = {name: action for action in options(build_parser()) for name in action.option_strings}
    cells = [row.split(" | ", 1)[0] for _, _, row in readme_option_rows()]
    synopsis = README.split("## Command line", 1)[1].split("\n|", 1)[0].split("enlight-video PHOTO", 1)[0]
    found = [(name, word, "table") for cell in cells for code in re.findall(r"`([^`]*)`", cell)
             for name, word in METAVAR.findall(code)]
    found += [(name, word, "synopsis") for name, word in METAVAR.findall(synopsis)
              if name in by_name and by_name[name].metavar is not None]
    wrong = sorted({f"{where}: {name} {word}, --help: {name} {_metavar(by_name[name])}" for name, word, where in found
                    if name in by_name and word != _metavar(by_name[name])})
    assert found and not wrong, "\n".join(wrong)


@pytest.mark.parametrize("command", ["convert-weights", "export", "bench", "snapshot"])
def test_readme_synopsis_of_each_other_command_names_its_options(command):
    """`convert-weights ... [--fp16]` and `export ...` left out --force, and `bench ...` five of its options
    (--repeats among them, which the README's own bench command uses)."""
    import subprocess
    import sys

    usage = subprocess.run([sys.executable, "-m", "enlight.cli.video", command, "--help"], capture_output=True,
                           text=True, cwd=ROOT, timeout=120).stdout.split("\n\n", 1)[0]
    synopsis = README.split("## Command line", 1)[1].split("\n|", 1)[0]
    line = re.search(rf"enlight-video {command} (.*(?:\n {{10,}}\[.*)*)", synopsis).group(1)
    assert set(OPTION.findall(line)) == set(OPTION.findall(usage)) - {"-h"}, (line, usage)


# --- speed figures -----------------------------------------------------------------------------------

CLAIM = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(fps|frames per second|ms)\b")


def measured_cells() -> list[tuple[str, float]]:
    """(unit, value) of every number in the fps and latency cells of docs/benchmarks.md's and docs/live.md's
    tables: a cell counts as fps or ms when it or its column header says so."""
    cells = []
    for doc in MEASURED:
        for header, body in tables((ROOT / doc).read_text()):
            for cells_row in body:
                for head, cell in zip(header, cells_row, strict=False):
                    unit = ("ms" if re.search(r"\bms\b|latency", cell + " " + head)
                            else "fps" if "fps" in cell + " " + head else None)
                    if unit:
                        cells += [(unit, float(v)) for v in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", cell)]
    return cells


def readme_speed_claims() -> list[tuple[str, str]]:
    return [(value, "ms" if unit == "ms" else "fps") for value, unit in CLAIM.findall(README)]


def test_every_readme_speed_is_a_measured_figure_in_docs():
    """Each `N fps` / `N frames per second` / `N ms` in the README is a figure of a table in docs/benchmarks.md
    or docs/live.md (at the README's precision), so a stale or unmeasured number fails here."""
    claims = readme_speed_claims()
    assert claims, "README quotes no speed at all: expected the measured figures with their machine"
    cells = measured_cells()
    stale = []
    for value, unit in claims:
        decimals = len(value.partition(".")[2])
        if not any(u == unit and round(v, decimals) == float(value) for u, v in cells):
            stale.append(f"{value} {unit}")
    assert not stale, f"README speeds not found in the tables of {', '.join(MEASURED)}: {stale}"


def test_readme_16_bit_ramp_steps_are_the_docs():
    """The README's 16-bit ramp rose 'in steps of up to 4 levels' before the fix; docs/quality.md measured jumps of
    2-5 levels."""
    quality = (ROOT / "docs" / "quality.md").read_text()
    steps = re.search(r"a smooth 16-bit ramp lifted from levels 0-12 to about 20-70 rose flat for a few pixels, "
                      r"then jumped\s+([\d-]+)\s+levels", " ".join(quality.split())).group(1)
    assert f"20-70 rose in steps of {steps} levels" in " ".join(README.split())


def test_readme_says_which_figures_are_not_the_one_machine_s():
    """'Every figure in docs/benchmarks.md and docs/live.md comes from one machine', the 2-core EPYC: that file also
    holds an H100's and an H200's figures and the AVX2 laptop's of issue 17."""
    bench = (ROOT / "docs" / "benchmarks.md").read_text()
    claim = " ".join(README.split("comes from\none machine", 1)[0].rsplit("\n\n", 1)[1].split())
    claim += " ".join(README.split("comes from\none machine", 1)[1].split(":", 1)[0].split())
    others = [name for name in ("H100", "H200", "AVX2 laptop") if name in bench and name not in claim]
    assert others == [], f"README's one-machine sentence leaves out {others}: {claim!r}"


def test_readme_figures_in_words_are_the_docs_measurements():
    """Three figures the speed test does not read: the denoiser's cost to `fast` (the README said about 2%; the
    docs measured 1.7% idle and 12.3% loaded), a dark indoor shot's mean luma against a well-exposed one (115 for
    LOL15's 116.4), and --segments against one run (8.4 s and 12.1 s, measured once and kept nowhere in docs/)."""
    quality, training, bench = ((ROOT / "docs" / name).read_text() for name in ("quality.md", "training.md",
                                                                               "benchmarks.md"))
    idle = re.search(r"\| `light` as `fast` runs it on a CPU \(neither\) \| [\d.]+ \| \*\*([\d.]+)%", quality).group(1)
    loaded = re.search(r"\| the same run with the machine loaded .*\| ([\d.]+)% \|", quality).group(1)
    assert f"{round(float(idle))}-{round(float(loaded))}% at 854x480 on its own thread" in README
    output, truth = re.search(r"\| LOL15 \(report only\) \| [\d.]+ \| ([\d.]+) \| ([\d.]+) \|", training).groups()
    assert re.search(rf"mean luma about {float(output):.0f} where such a photo\s+has {float(truth):.0f}\b", README)
    frames, one, parts = re.search(r"one (\d+)-frame video [\d.]+ -> ([\d.]+) s, the same with\s+"
                                   r"`--segments 2 --jobs 2` [\d.]+ -> ([\d.]+) s", bench).groups()
    assert re.search(rf"{frames}-frame .*: {one} s in one run, {parts} s with `--segments 2 --jobs 2`", README)


def test_readme_names_the_machine_and_the_command_behind_its_speeds():
    """Speeds depend on the CPU: the README says which one (and its AVX-512 / VNNI flags) and how to measure
    one's own (`enlight-video bench`), as docs/benchmarks.md does."""
    speeds = README[README.index("enlight-video bench --quick"):] if "enlight-video bench --quick" in README else ""
    assert speeds, "README must give the bench command (enlight-video bench --quick) next to its speeds"
    for doc in ("README.md", *MEASURED):
        text = (ROOT / doc).read_text()
        assert re.search(r"AMD EPYC", text) and "AVX-512" in text and "VNNI" in text and "AMX" in text, \
            f"{doc} does not name the machine (CPU model, AVX-512 / VNNI / AMX) its speeds come from"


def test_readme_example_summary_line_is_what_a_default_run_prints(tmp_path, capsys):
    """The README's example summary line has the shape a real default run on a CPU prints today."""
    av = pytest.importorskip("av")
    np = pytest.importorskip("numpy")
    from enlight.cli.video import main
    from enlight.stream.backends.base import available_backends

    if "onnxruntime" not in available_backends():
        pytest.skip("the README's example is a CPU run with ONNX Runtime (the default there)")
    clip = tmp_path / "dark.mp4"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(3):
            image = np.zeros((48, 64, 3), np.uint8)
            image[..., 0], image[..., 2] = 40 + i, 10  # dark, and in colour
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    assert main([str(clip), "-o", str(tmp_path / "day.mp4"), "--device", "cpu"]) == 0
    printed = capsys.readouterr().err.strip().splitlines()[-1].removeprefix("enlight-video: ")
    example = re.search(r"ends with one summary line:\s*`([^`]*)`", README)
    assert example, "README lost its example summary line"

    def shape(line: str) -> str:  # numbers, or the README's placeholders for them (N, T, F, ...), become N
        line = re.sub(r"-> \S+$", "-> OUT", line.strip())
        return re.sub(r"\d+(\.\d+)?|\b[A-Z]\b", "N", line)

    assert shape(example.group(1)) == shape(printed), f"README: {example.group(1)}\nprinted: {printed}"


# --- set-up facts -----------------------------------------------------------------------------------

def test_readme_tells_what_make_test_installs():
    """`make test` runs `sysdeps` (apt-get as root) and installs a CUDA build of torch: the README says both,
    with the way around each (the Makefile's own targets and variables)."""
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test:.*\$\(SYSDEPS\)", makefile, re.M) and re.search(r"^SYSDEPS \?= sysdeps$", makefile, re.M)
    dev = README.split("## Set up and run", 1)[1].split("## Command line", 1)[0]
    assert "apt-get" in dev and "root" in dev and "SYSDEPS=" in dev, "README: make test's apt-get, and how to skip it"
    assert "GB" in dev and "CUDA" in dev and "TORCH_INDEX" in dev, "README: the venv's size, and the CPU-only route"
    assert re.search(r"^TORCH_INDEX \?=\s*$", makefile, re.M), "the default install must stay as it is"


def test_readme_names_the_extras_make_test_installs():
    """The README said `.[dev,onnx,train]`; the Makefile's EXTRAS installs Ray's `cluster` extra too."""
    extras = re.search(r"^EXTRAS \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert f"`make test` installs `.[{extras}]`" in README


def test_readme_names_every_test_marker():
    """The README's Markers line named gpu, tensorrt and slow; setup.cfg has display too (the window test)."""
    import configparser

    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    markers = [line.split(":")[0].strip() for line in setup["tool:pytest"]["markers"].splitlines() if line.strip()]
    said = README.split("Markers:", 1)[1].split(".\n", 1)[0]
    assert markers and [m for m in markers if f"`{m}`" not in said] == []


def test_readme_names_every_format_photo_quality_applies_to():
    """--photo-quality sets AVIF's and HEIC's quality too; the README's row named JPEG and WebP alone."""
    from enlight.stream.io.photo_formats import LOSSY_FORMATS

    [(_, _, meaning)] = [row for row in readme_option_rows() if row[0] == ["--photo-quality"]]
    names = {"JPEG": "JPEG", "WEBP": "WebP", "AVIF": "AVIF", "HEIF": "HEIC", "JXL": "JPEG XL", "JPEG2000": "JPEG 2000"}
    assert [fmt for fmt in LOSSY_FORMATS if names[fmt] not in meaning] == []


def test_architecture_names_every_stream_module():
    """docs/architecture.md's folder list had left out ten modules (captions, nal, fields, tiles, ...)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"[a-z_0-9]+", text))
    denoise = re.search(r"denoise \(\+ ([^)]*)\)", text).group(1)  # 'denoise (+ _noise, _local, _ops)'
    named |= {f"denoise{part.strip()}" for part in denoise.split(",")}
    modules = [f"{folder}/{path.stem}" for folder in ("io", "apps", "core", "backends")
               for path in sorted((ROOT / "enlight" / "stream" / folder).glob("*.py"))
               if path.stem not in ("__init__", "base") and path.stem not in named]  # (base: 'the Backend protocol')
    assert modules == []


def test_every_extra_the_docs_name_is_one_to_install():
    """docs/benchmarks.md said `enlight[onnx]`: no such distribution; it is enlight-video[onnx]."""
    import configparser

    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    extras = set(setup["options.extras_require"])
    texts = [README, *((path.read_text()) for path in sorted((ROOT / "docs").glob("*.md")))]
    named = [m.groups() for text in texts for m in re.finditer(r"`(?:pip install )?([\w.-]*)\[([\w,]+)\]`", text)]
    assert named and all(name in (".", "enlight-video") for name, _ in named), named
    assert all(set(group.split(",")) <= extras for _, group in named), named
