#!/usr/bin/env bash
# Fetch, on a machine with PyPI access, the wheels gpu_check.sh needs on a GPU machine that has
# PyTorch with CUDA but no internet: PyAV, safetensors, tqdm, ONNX, ONNX Runtime (CPU) and pytest.
# They land in .whl/ (git-ignored); carry that folder with the repo to the GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER=${PYVER:-3.12}
mkdir -p .whl
for pkg in av==18.1.0 safetensors==0.8.0 tqdm==4.70.1 onnx==1.23.2 onnxruntime==1.32.0 \
           pytest==9.2.0 pytest-timeout==2.4.0 iniconfig pluggy packaging pygments \
           protobuf flatbuffers coloredlogs humanfriendly sympy mpmath ml-dtypes; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any -d .whl "$pkg"
done
ls -la .whl
