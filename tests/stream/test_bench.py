import json

import pytest

from enlight.models import build_generator
from enlight.stream.apps.bench import BenchConfig, chart, markdown, run_bench, write_json


def test_bench_measures_every_case_and_writes_outputs(tmp_path):
    config = BenchConfig.quick(sizes=((64, 48), (80, 40)), batch_sizes=(1, 2), clip_frames=6, pipeline_frames=4,
                               pipeline_size=(64, 48), device="cpu", repeats=2, qualities=("best", "fast"),
                               preset_size=(96, 64), preset_frames=4)
    messages = []
    result = run_bench(config, build_generator(base_channels=8).eval(), log=messages.append)
    assert {(r["backend"], r["width"], r["batch"]) for r in result.model} == {
        (b, w, n) for b in ("torch", "onnxruntime") for w in (64, 80) for n in (1, 2)
    }
    assert all(r["fps"] > 0 and r["precision"] == "fp32" for r in result.model)
    assert [r["stage"].split()[0] for r in result.io] == ["decode", "encode"]
    assert [r["frames"] for r in result.pipeline] == [4, 4]
    presets = {(r["quality"], r["kind"], r["width"]) for r in result.presets}
    assert presets == {(q, k, w) for q in ("best", "fast") for k, w in
                       (("model", 64), ("model", 80), ("model", 96), ("pipeline", 96))}
    assert [r["frames"] for r in result.presets if r["kind"] == "pipeline"] == [4, 4]
    table = markdown(result)
    assert "| onnxruntime | fp32 | 80x40 | 2 |" in table and "end-to-end fps" in table
    assert "| fast | end to end | 96x64 |" in table
    write_json(result, tmp_path / "b.json")
    assert json.loads((tmp_path / "b.json").read_text())["machine"]["device"] == "cpu"
    assert chart(result, tmp_path / "b.png") and (tmp_path / "b.png").stat().st_size > 1000


def test_bench_names_the_cpu_and_its_speed_flags():
    """Figures depend on AVX2 / AVX-512 / VNNI / AMX: the table's first line and the JSON name them."""
    from enlight.stream.apps.bench import BenchResult, cpu_info, machine_line

    zen4 = ("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\n"
            "flags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw avx512_bf16 avx512_vnni\n\nprocessor\t: 1\n")
    info = cpu_info(zen4)
    assert info == {"cpu_model": "AMD EPYC", "cpu_flags": ["avx2", "avx512f", "avx512_vnni", "avx512_bf16"],
                    "cpu_flags_known": True, "cpu_id": "family 25 model 17"}
    line = machine_line({"cpu": "x86_64", "cores": 2, **info})
    assert line == ("CPU: AMD EPYC (family 25 model 17), 2 cores; flags: avx2 avx512f avx512_vnni avx512_bf16; "
                    "no amx_int8")
    old = cpu_info("model name\t: Intel(R) Core(TM) i5-7200U\nflags\t\t: sse2 avx avx2 fma\n")
    assert machine_line({"cpu": "x86_64", "cores": 2, **old}).endswith("flags: avx2; no avx512f avx512_vnni amx_int8")
    assert cpu_info("")["cpu_flags_known"] is False
    # under benchmarks/avx2_proxy.py: torch on its AVX2 kernels, the plan told the CPU has no AVX-512
    proxy = {"cpu": "x86_64", "cores": 2, **info, "torch_cpu_capability": "AVX2", "flags_override": "fma avx2 sse2"}
    assert machine_line(proxy).endswith("no amx_int8; torch held to AVX2; planned as ENLIGHT_CPU_FLAGS says: avx2")
    assert markdown(BenchResult(machine={"cpu": "x86_64", "cores": 2, **info})).startswith("CPU: AMD EPYC")


def test_bad_bench_arguments_are_one_line_errors(cli):
    """--sizes 0x0 was an internal error (numpy could not pad an empty frame); --sizes abc and --batch-sizes 0 were
    internal errors that printed argparse's message: each is now the parser's one line, exit code 2."""
    for args, message in ((["--sizes", "0x0"], "sizes are at least 16x16, got 0x0"),
                          (["--sizes", "640x360,abc"], "sizes look like 1280x720, got abc"),
                          (["--batch-sizes", "1,0"], "must be at least 1, got 0"),
                          (["--preset-size", "8x8"], "sizes are at least 16x16"),
                          # before any timing: these failed or were skipped minutes later, the results lost
                          (["--json", "/nonexistent/b.json"], "--json: folder does not exist: /nonexistent"),
                          (["--backends", "foo"], "unknown backend foo"),
                          # these ran every other case first, then skipped fp8 or failed on turbo at the end; a
                          # .txt or a folder took the JSON or the chart
                          (["--precisions", "fp8,fp32"], "unknown precision fp8 (--precisions takes auto, fp32"),
                          (["--qualities", "turbo"],
                           "unknown quality turbo (--qualities takes best, balanced, fast, auto)"),
                          (["--png", "chart.txt"], "--png names a .png file to write, not chart.txt"),
                          (["--json", "."], "--json names a .json file to write, not ."),
                          # an empty list ran the defaults; a size no memory holds was timed (each row skipped with
                          # the allocator's text, the size as a Python tuple), then the rest ran and it exited 0
                          (["--backends", ""], "--backends is empty: name one or more of onnxruntime, tensorrt, torch"),
                          (["--sizes", "100000x100000", "--qualities", ""],
                           "--sizes 100000x100000: one frame needs about")):
        result = cli("bench", "--quick", *args, timeout=120)
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert message in result.stderr and "internal error" not in result.stderr


def test_bench_refuses_tensorrt_where_it_cannot_run(cli):
    """--backends tensorrt on a CPU was skipped with one line after the presets' timing: empty tables, exit 0."""
    from enlight.stream.backends.tensorrt import tensorrt_available

    if tensorrt_available():
        pytest.skip("TensorRT runs here")
    result = cli("bench", "--quick", "--backends", "tensorrt", timeout=120)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert "--backends tensorrt needs an NVIDIA GPU and the tensorrt package" in result.stderr


def test_a_size_that_cannot_fit_is_refused_and_a_row_out_of_memory_is_one_line():
    """The refusal names the memory a frame needs and what is left; a row that ran out of memory at its batch was
    skipped with torch's allocator text ('[enforce fail at alloc_cpu.cpp:127] ...')."""
    import torch

    from enlight.errors import EnlightError
    from enlight.stream.apps.bench_memory import check_sizes_fit, skip_reason
    from enlight.stream.core.memory import Budget, GiB

    budget = Budget(8 * GiB, available_bytes=10 * GiB)
    check_sizes_fit(((640, 360), (1920, 1080)), False, budget=budget)  # 1080p: about 3.9 GB
    with pytest.raises(EnlightError, match=r"--sizes 4000x3000: one frame needs about 21.7 GB of memory to be timed; "
                       r"8.00 GB is left \(80% of the 10.0 GB available\)"):
        check_sizes_fit(((640, 360), (4000, 3000)), False, budget=budget)
    check_sizes_fit(((4000, 3000),), True, budget=budget)  # on a GPU: the host holds the frames only
    try:
        torch.empty(1 << 50, dtype=torch.uint8)
    except RuntimeError as exc:
        assert skip_reason(exc) == "out of memory", str(exc)
    assert skip_reason(RuntimeError("bad shape\nmore")) == "bad shape"
