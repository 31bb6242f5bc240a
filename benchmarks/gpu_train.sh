#!/usr/bin/env bash
# ONE script for a GPU machine (PyTorch with CUDA; no PyAV needed): trains the issue-7/8 networks
# on gpu_data/ (made by benchmarks/gpu_data.py, carried with the repo), then measures GPU speed.
#   bash benchmarks/gpu_train.sh OUT_DIR [BUDGET_S]
# Runs concurrently on the one GPU: distillation of the base-16 and base-8 students from the
# bundled generator, and RetinexNet (decomposition, enhancement, end to end). Each is time-boxed
# (SIGINT after BUDGET_S: the trainer saves a checkpoint), exported, and its run folder's logs and
# samples (and the logs) are packed into OUT_DIR/runs.tar.gz: seven files come back in all.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-out/gpu_train}}
BUDGET=${2:-300}
SCALE=${SCALE:-1}   # SCALE=0.002 on a CPU to try the script itself
RUNS=${RUNS:-/tmp/enlight_runs}
mkdir -p "$OUT_DIR" "$RUNS/logs"
LOGS=$RUNS/logs
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
DEVICE=${DEVICE:-cuda}
AMP=$([ "$DEVICE" = cuda ] && echo --amp)
steps() { python3 -c "print(max(4, int($1 * $SCALE)))"; }
train="python3 -m enlight.cli.train"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$LOGS/gpu.txt" 2>&1
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())" >> "$LOGS/gpu.txt"

for c in 16 8; do
  timeout -s INT "$BUDGET" $train distill --base-channels $c --images gpu_data/distill --out "$RUNS/distill_c$c" \
    --steps "$(steps 5000)" --decay-steps "$(steps 2000)" --batch-size 16 --crop 256 --lr 5e-4 $AMP \
    --workers 5 --device "$DEVICE" --checkpoint-every 500 --sample-every 1000 --quiet \
    > "$LOGS/distill_c$c.txt" 2>&1 &
done
timeout -s INT "$BUDGET" $train --model retinexnet --pairs-low gpu_data/pairs/low --pairs-high gpu_data/pairs/high \
  --synthetic gpu_data/synthetic --out "$RUNS/retinexnet" --decom-steps "$(steps 3000)" \
  --enhance-steps "$(steps 3000)" --joint-steps "$(steps 2000)" --batch-size 16 --crop 96 --workers 4 \
  --device "$DEVICE" --checkpoint-every 500 --sample-every 1000 --quiet > "$LOGS/retinexnet.txt" 2>&1 &
wait
$train export "$RUNS/distill_c16" -o "$OUT_DIR/enlightengan_c16.safetensors" --force
$train export "$RUNS/distill_c8" -o "$OUT_DIR/enlightengan_c8.safetensors" --force
$train export "$RUNS/retinexnet" -o "$OUT_DIR/retinexnet.safetensors" --force
if [ "$DEVICE" = cuda ]; then
  timeout 100 python3 benchmarks/gpu_speed.py --json "$OUT_DIR/gpu_speed.json" --variants fp32,fp16,fp16+graphs \
    --weights "$OUT_DIR/enlightengan_c16.safetensors" "$OUT_DIR/enlightengan_c8.safetensors" \
    > "$OUT_DIR/gpu_speed.md" 2>&1
  timeout 90 python3 benchmarks/gpu_speed.py --json "$OUT_DIR/gpu_speed_compile.json" --variants fp16,fp16+compile \
    --sizes 1920x1080 --batches 1,8 >> "$OUT_DIR/gpu_speed.md" 2>&1
fi
tar -czf "$OUT_DIR/runs.tar.gz" -C "$RUNS" --exclude='*.pt' --exclude='tb' .
cat "$LOGS/gpu.txt"; tail -n 3 "$LOGS"/*_c*.txt "$LOGS/retinexnet.txt"
cat "$OUT_DIR/gpu_speed.md" 2>/dev/null
ls -la "$OUT_DIR"
