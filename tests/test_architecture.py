"""The layout rules of docs/architecture.md, checked on the source: imports point one way, no
cycles, heavy runtimes imported only where used, and no function longer than 60 lines."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "enlight"
# layer -> the layers it may import (besides itself and enlight.errors, enlight.text / enlight.__init__)
ALLOWED = {
    "cli": {"apps", "core", "io", "backends", "models", "ops", "train", "quality"},
    "apps": {"core", "io", "backends", "models", "ops"},
    "core": {"backends", "models", "ops"},
    "io": {"ops"},
    "backends": {"models", "ops"},
    "train": {"models", "ops", "quality"},
    "quality": {"ops"},
    "models": {"ops"},
    "ops": set(),
}
HEAVY = {
    "tensorrt": {"stream.backends.tensorrt"},
    "pycuda": {"stream.backends.tensorrt"},
    "onnxruntime": {"stream.backends.onnxruntime", "train.quantize", "stream.apps.bench"},  # bench: its version
    "ray": {"stream.apps.cluster"},
    "rawpy": {"stream.io.raw_photo"},
    "pyjpegxl": {"stream.io.jpeg_xl"},
}
MAX_LINES = 60
PARSER_TABLES = {"build_parser", "distill_parser", "retinex_parser", "nonref_parser", "bench_command"}


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PACKAGE).with_suffix("").parts): p for p in PACKAGE.rglob("*.py")}


def layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "stream":
        return parts[1] if len(parts) > 2 else None
    return parts[0] if parts[0] in ALLOWED else None


def imports(path: Path) -> list[str]:
    """enlight modules imported by a file (anywhere in it), without the 'enlight.' prefix."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("enlight"):
            found += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("enlight")]
    return [name.removeprefix("enlight").lstrip(".") for name in found]


def resolve(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def test_imports_point_one_way():
    known = modules()
    wrong = []
    for module, path in known.items():
        here = layer(module)
        for name in imports(path):
            target = resolve(name, known)
            there = layer(target) if target else None
            if here and there and there != here and there not in ALLOWED[here]:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports against the layering: " + ", ".join(sorted(set(wrong)))


def test_no_import_cycles_between_modules_at_import_time():
    known = modules()
    graph = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text())
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]  # import-time edges only
        names = []
        for node in top:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("enlight"):
                names += [node.module.removeprefix("enlight").lstrip(".")]
            elif isinstance(node, ast.Import):
                names += [a.name.removeprefix("enlight").lstrip(".") for a in node.names
                          if a.name.startswith("enlight")]
        graph[module] = {t for t in (resolve(n, known) for n in names) if t and t != module}
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_heavy_runtimes_are_imported_only_where_used():
    wrong = []
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                root = name.split(".")[0]
                if root in HEAVY and module not in HEAVY[root]:
                    wrong.append(f"{module} imports {root}")
    assert not wrong, ", ".join(wrong)


def test_no_function_over_60_lines():
    long = []
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in PARSER_TABLES:
                length = node.end_lineno - node.lineno + 1
                if length > MAX_LINES:
                    long.append(f"{module}.{node.name} ({length} lines)")
    assert not long, "functions over 60 lines: " + ", ".join(long)


def test_the_rules_see_real_violations(tmp_path):
    """The checkers are not vacuous: a module of the io layer importing the core is caught."""
    assert layer("stream.io.source") == "io" and layer("stream.core.plan") == "core"
    assert "core" not in ALLOWED["io"] and "stream.core.plan" in modules()
    sample = tmp_path / "x.py"
    sample.write_text("from enlight.stream.core.plan import make_plan\n")
    assert imports(sample) == ["stream.core.plan", "stream.core.plan.make_plan"]
