#!/usr/bin/env bash
# ONE script for a GPU machine (PyTorch with CUDA installed; no TensorRT or internet needed).
# Run from the repo root: bash benchmarks/gpu_check.sh [OUT_DIR]
# 1. installs the wheels carried in .whl/ (see benchmarks/gpu_wheels.sh) into a private folder;
# 2. runs the GPU-marked tests (CUDA fp16 vs fp32, CUDA graphs; TensorRT ones skip without it);
# 3. runs `enlight-video bench` at 720p and 1080p, batch 1/4/8, fp32 vs fp16 vs fp16 + CUDA graphs,
#    plus the decode/encode ceilings and the end-to-end pipeline, and prints one table.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-out/gpu_check}}
mkdir -p "$OUT_DIR"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/enlight-site \
    .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/enlight-site:$PWD
else
  export PYTHONPATH=$PWD
fi
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT_DIR/gpu.txt"
python3 -c "import torch, av; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'av', av.__version__, \
'device', torch.cuda.get_device_name(0))" | tee -a "$OUT_DIR/gpu.txt"

echo "== GPU tests"
python3 -m pytest -q -p no:cacheprovider -m "gpu or tensorrt" tests 2>&1 | tee "$OUT_DIR/gpu_tests.txt"

echo "== bench"
python3 -m enlight.cli.video bench --device cuda --backends torch \
  --sizes 1280x720,1920x1080 --batch-sizes 1,4,8 --precisions fp32,fp16,fp16+graphs \
  --json "$OUT_DIR/bench_gpu.json" --png "$OUT_DIR/bench_gpu.png" | tee "$OUT_DIR/bench_gpu.md"
