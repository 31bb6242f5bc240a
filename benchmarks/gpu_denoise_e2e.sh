#!/usr/bin/env bash
# The denoiser's end-to-end cost on a lent GPU (issue 15, criterion 4's GPU path): the whole command,
# `enlight-video noisy.mp4 -o out.mp4 --quality Q --denoise off|light`, on a synthetic noisy 854x480 pan
# (benchmarks/gpu_denoise_cost.noisy_pan, FRAMES frames, libx264 crf 20), runs interleaved, REPEATS each;
# prints each run's summary line and wall time. The GPU machine has no PyAV: carry its wheel in .whl
# (docs/benchmarks.md says how; the working tree and the wheel must fit the 64 MiB trip together).
set -uo pipefail
cd "$(dirname "$0")/.."
FRAMES=${FRAMES:-600} REPEATS=${REPEATS:-2}
[ -d .whl ] && { python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl || exit 2; }
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name --format=csv,noheader; nproc
${PYTHON:-python3} - "$FRAMES" <<'EOF' || exit 2
import sys
import av
from benchmarks.gpu_denoise_cost import noisy_pan
frames = noisy_pan(int(sys.argv[1]), 480, 854)
with av.open("/tmp/noisy.mp4", "w") as out:
    stream = out.add_stream("libx264", rate=30, options={"crf": "20"})
    stream.width, stream.height, stream.pix_fmt = 854, 480, "yuv420p"
    for frame in frames:
        out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
    out.mux(stream.encode())
print("wrote /tmp/noisy.mp4", frames.shape)
EOF
for rep in $(seq "$REPEATS"); do
  for q in fast best; do
    for d in off light; do
      start=$(date +%s.%N)
      line=$(${PYTHON:-python3} -m enlight.cli.video /tmp/noisy.mp4 -o "/tmp/o_${q}_$d.mp4" --quality "$q" --denoise "$d" --force 2>&1 | tail -n 1)
      echo "rep $rep $q $d wall $(python3 -c "print(round($(date +%s.%N) - $start, 2))") s | $line"
    done
  done
done
