#!/usr/bin/env bash
# ONE call on a lent GPU (docs/training.md, "The adversarial stage as a fine-tune, on a lent GPU"); TINY=1 tries it on a CPU:
#   bash benchmarks/gpu_session.sh OUT_DIR        (carry gpu_data/paper; timeout_s 600)
# 1. the denoiser's cost on CUDA (benchmarks/gpu_denoise_cost.py, at most 75 s);
# 2. side by side on the one GPU, MINUTES each:
#    a. a chunk of the paper's recipe from scratch (benchmarks/gpu_paper_chunk.sh: its state comes back);
#    b. the adversarial stage as a fine-tune of the shipped generator (--init, lr $FT_LR, FT_EPOCHS +
#       FT_EPOCHS decay, stage 2's terms beside it: FT_TERMS), checkpoints every FT_EVERY steps;
# 3. writes to OUT_DIR at most 8 files, 16 MiB each: paper/state/* (3), paper/logs.tar.gz, and ft.tar cut
#    into parts of 15 MiB (ft.tar.part-aa, -ab, ...: the fine-tune's generators at 3 checkpoints as int8
#    shard sets, its losses, every other sample grid and log, and the denoiser's cost JSON; about 59 MiB in
#    all: on 2026-12-04 every grid made it 65, over the 64 that can come back). Back here:
#    cat ft.tar.part-* | tar -x   then   enlight-train unshard DIR -o RUN_DIR; enlight-train export RUN_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:?usage: gpu_session.sh OUT_DIR}
INPUTS=${INPUTS:-gpu_data/paper}
MINUTES=${MINUTES:-7}
FT_LR=${FT_LR:-3e-5} FT_EPOCHS=${FT_EPOCHS:-25} FT_EVERY=${FT_EVERY:-100}
# the fine-tune's losses beside the paper's: stage 2's terms at its weights (2026-12-04 ran without them:
# structure fell to 0.67 and a bright frame came back; docs/training.md)
FT_TERMS=${FT_TERMS:---w-structure 1 --w-border 10 --w-anchor 2 --adversarial 1}
FT=runs/gan_ft
if [ "${TINY:-0}" = 1 ]; then   # try the script on a CPU: tiny crops, no GPU
  export TINY CROP=32 BATCH=2 BASE=32 WORKERS=0 DEVICE=cpu; MINUTES=0.3; FT_EVERY=2; COST="--device cpu --sizes small --frames 8 --repeats 1"
fi
CROP=${CROP:-320} BATCH=${BATCH:-32} DEVICE=${DEVICE:-cuda} COST=${COST:---frames 32 --repeats 2}
AMP=$([ "$DEVICE" = cuda ] && echo --amp)
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
train="${PYTHON:-python3} -m enlight.cli.train"
say() { echo "gpu_session: $*" >&2; }
started=$(date +%s)
mkdir -p "$OUT_DIR" "$FT.pack"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
[ -e "$INPUTS/vgg/manifest.json" ] || { say "missing $INPUTS: carry it (make train-paper-data)"; exit 2; }

timeout 75 ${PYTHON:-python3} benchmarks/gpu_denoise_cost.py --out "$FT.pack/gpu_denoise_cost.json" $COST \
  > "$FT.pack/gpu_denoise_cost.txt" 2>&1
say "denoise cost: $(cat "$FT.pack/gpu_denoise_cost.txt")"

VGG=$FT.vgg16_relu5_1.safetensors
$train unshard "$INPUTS/vgg" -o "$VGG" || exit 2
MINUTES=$MINUTES WORKERS=${WORKERS:-6} bash benchmarks/gpu_paper_chunk.sh "$OUT_DIR/paper" > "$FT.pack/paper_chunk.txt" 2>&1 &
paper=$!
timeout -s INT "$(python3 -c "print(int($MINUTES * 60 + 45))")" $train --low "$INPUTS/low" --normal "$INPUTS/normal" \
  --out "$FT" --vgg "$VGG" --init enlight/models/weights/enlightengan.safetensors --crop "$CROP" --batch-size "$BATCH" \
  --epochs "$FT_EPOCHS" --decay-epochs "$FT_EPOCHS" --lr "$FT_LR" --validation 40 $FT_TERMS $AMP --workers "${WORKERS:-6}" --device "$DEVICE" \
  --max-minutes "$MINUTES" --checkpoint-every "$FT_EVERY" --sample-every "$FT_EVERY" --keep-checkpoints 50 --quiet \
  > "$FT.pack/train.txt" 2>&1
say "fine-tune exited $?: $(tail -n 2 "$FT.pack/train.txt" | tr '\n' ' ')"
wait $paper
say "paper chunk exited $?: $(tail -n 3 "$FT.pack/paper_chunk.txt" | tr '\n' ' ')"

# the fine-tune's generator at (up to) 3 checkpoints: a third, two thirds and the last
mapfile -t all < <(ls "$FT"/checkpoints/step_*.pt 2>/dev/null)
n=${#all[@]}
if [ "$n" -gt 0 ]; then
  for i in $(printf '%s\n' $(( n / 3 )) $(( 2 * n / 3 )) $(( n - 1 )) | sort -un); do
    [ "$i" -ge 0 ] || continue
    step=$(basename "${all[$i]}" .pt)
    one=$FT.one_$step
    mkdir -p "$one/checkpoints" && ln -f "${all[$i]}" "$one/checkpoints/" && cp "$FT/config.json" "$one/"
    $train shard "$one" -o "$FT.pack/$step" --nets generator --weights int8 --max-mib 16 || say "shard $step failed"
  done
fi
cp "$FT/losses.jsonl" "$FT/config.json" "$FT.pack/" 2>/dev/null
mkdir -p "$FT.pack/samples"   # every other sample grid (1 MiB each): what comes back is 64 MiB at most together
ls "$FT"/samples/*.png 2>/dev/null | awk 'NR % 2 == 1' | xargs -r cp -t "$FT.pack/samples/"
rm -rf "$OUT_DIR/paper/generator"   # the state's int8 generator exports the same to 59.6 dB (docs/training.md)
tar -cf "$FT.tar" -C "$FT.pack" . && split -b 15M "$FT.tar" "$OUT_DIR/ft.tar.part-"
ls -lR "$OUT_DIR"
say "done in $(( $(date +%s) - started )) s"
