#!/usr/bin/env bash
# ONE script for a lent GPU machine: one resumable chunk of the paper's recipe (make train-paper),
# docs/training.md "The paper's recipe on a lent GPU, in chunks".
#   bash benchmarks/gpu_paper_chunk.sh [OUT_DIR]   train MINUTES (7.5), then write the state to OUT_DIR
#   bash benchmarks/gpu_paper_chunk.sh stage       only check the carried inputs (a call of its own)
# Reads gpu_data/paper (benchmarks/gpu_paper_data.py: images + VGG16 in int8) and, when present, the
# last chunk's shards in gpu_data/paper_state; resumes (or starts) the run in RUN, stops at the time
# box with a checkpoint (VALIDATION, 40: the validation split held out), and writes 7 files to OUT_DIR: state/ (manifest + shards: the next chunk's
# input; weights int8, Adam reset), generator/ (manifest + shards: the generator in fp16, to export),
# logs.tar.gz (samples, losses, logs). TINY=1 tries the script on a CPU (crop 32, batch 2, base 8).
set -uo pipefail
cd "$(dirname "$0")/.."
INPUTS=${INPUTS:-gpu_data/paper}
STATE=${STATE:-gpu_data/paper_state}
RUN=${RUN:-runs/paper_chunk}   # git-ignored: a second chunk on a warm machine continues from it
if [ "${TINY:-0}" = 1 ]; then
  : "${CROP:=32}" "${BATCH:=2}" "${EPOCHS:=1}" "${DECAY:=1}" "${BASE:=8}" "${WORKERS:=0}" "${DEVICE:=cpu}" "${MINUTES:=0.5}"
fi
# the paper's settings, as make train-paper
CROP=${CROP:-320} BATCH=${BATCH:-32} EPOCHS=${EPOCHS:-100} DECAY=${DECAY:-100} BASE=${BASE:-32}
WORKERS=${WORKERS:-8} DEVICE=${DEVICE:-cuda} MINUTES=${MINUTES:-7.5}
VALIDATION=${VALIDATION:-40}   # the validation split held out (as --recipe zerodce); the state of 2026-12-04: 0
WEIGHTS=${WEIGHTS:-int8} MOMENTS=${MOMENTS:-reset}   # the state's encoding (enlight-train shard)
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
train="${PYTHON:-python3} -m enlight.cli.train"
say() { echo "gpu_paper_chunk: $*" >&2; }
started=$(date +%s)

for need in "$INPUTS/low" "$INPUTS/normal" "$INPUTS/vgg/manifest.json"; do
  [ -e "$need" ] || { say "missing $need: carry $INPUTS (make train-paper-data; docs/training.md)"; exit 2; }
done
VGG=$RUN.vgg16_relu5_1.safetensors
mkdir -p "$(dirname "$RUN")"
$train unshard "$INPUTS/vgg" -o "$VGG" || exit 2
if [ "${1:-}" = stage ]; then
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
  say "inputs checked: $(ls "$INPUTS/low" | wc -l) low, $(ls "$INPUTS/normal" | wc -l) normal images, VGG16"
  exit 0
fi
OUT_DIR=${1:-${OUT:-out/paper_chunk}}
LOGS=$RUN.logs
mkdir -p "$OUT_DIR" "$LOGS"
if [ -f "$STATE/manifest.json" ]; then
  ${PYTHON:-python3} - "$STATE/manifest.json" <<EOF || exit 2   # a state of other settings would taint the run
import json, sys
have = json.load(open(sys.argv[1]))["config"]
want = dict(crop=$CROP, batch_size=$BATCH, epochs=$EPOCHS, decay_epochs=$DECAY, base_channels=$BASE,
            validation=$VALIDATION)
have.setdefault("validation", 0)  # states from before --validation trained on every image
bad = {k: f"{have.get(k)} (here {v})" for k, v in want.items() if have.get(k) != v}
sys.exit(f"gpu_paper_chunk: $STATE was trained with other settings: {bad}" if bad else 0)
EOF
  if ! $train unshard "$STATE" -o "$RUN" 2> "$LOGS/unshard.txt"; then
    cat "$LOGS/unshard.txt" >&2
    grep -q "newer than the shards" "$LOGS/unshard.txt" || exit 2   # a corrupted or missing shard
    say "continuing from $RUN's own newer checkpoint"
  fi
fi
newest() { ls "$RUN"/checkpoints/step_*.pt 2>/dev/null | tail -n 1 | sed 's/.*step_0*\([0-9][0-9]*\)\.pt/\1/'; }
first=$(newest)
RESUME=${first:+--resume}
AMP=$([ "$DEVICE" = cuda ] && echo --amp)
say "$( [ -n "$RESUME" ] && echo resuming || echo starting) $RUN on $DEVICE for $MINUTES min"
# the time box stops at a step boundary; SIGINT 45 s later is the backstop (also saves a checkpoint)
timeout -s INT "$(${PYTHON:-python3} -c "print(int($MINUTES * 60 + 45))")" $train --low "$INPUTS/low" --normal "$INPUTS/normal" \
  --out "$RUN" --vgg "$VGG" --crop "$CROP" --batch-size "$BATCH" --epochs "$EPOCHS" --decay-epochs "$DECAY" \
  --lr 1e-4 --base-channels "$BASE" --validation "$VALIDATION" $AMP --workers "$WORKERS" --device "$DEVICE" --max-minutes "$MINUTES" \
  --checkpoint-every 250 --sample-every 250 --keep-checkpoints 2 --quiet $RESUME 2>&1 | tee "$LOGS/train.txt"
rc=${PIPESTATUS[0]}
trained=$(( $(date +%s) - started ))
say "steps ${first:-0} -> $(newest) ($(( $(newest) - ${first:-0} )) steps; ${trained} s since the script started)"
[ "$rc" = 0 ] || [ "$rc" = 130 ] || say "training exited with $rc; sharding the newest checkpoint anyway"
$train shard "$RUN" -o "$OUT_DIR/state" --weights "$WEIGHTS" --moments "$MOMENTS" --max-mib 16 || exit 2
$train shard "$RUN" -o "$OUT_DIR/generator" --nets generator --weights fp16 --max-mib 16 || exit 2
command -v nvidia-smi >/dev/null && nvidia-smi > "$LOGS/nvidia-smi.txt" 2>&1
tar -czf "$OUT_DIR/logs.tar.gz" -C "$RUN" losses.jsonl config.json $(cd "$RUN" && ls -d samples 2>/dev/null) -C "$(realpath "$LOGS")" .
ls -l "$OUT_DIR"/* "$OUT_DIR"/*/*
say "chunk done in $(( $(date +%s) - started )) s: $(tail -n 1 "$LOGS/train.txt")"
exit 0
